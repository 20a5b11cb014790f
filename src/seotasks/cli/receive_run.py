"""The ``seotasks receive`` command: `ReceiverApp` served by waitress, stopped gracefully.

waitress (the optional extra ``seotasks[receive]``) is a production WSGI server: HTTP
parsing, keep-alive, slow clients and request-size limits are its job, not ours. Its
event loop runs in the main thread; SIGINT/SIGTERM start a graceful stop on another
thread: the listening socket closes first (new connections are refused, so a vendor
retries later), requests in progress finish (their files are durable and answered), then
the loop ends, the pingback worker finishes the collections in flight (a pacing or
``Retry-After`` wait ends at the signal, its call unsent), and the command exits 0.
Pingbacks still queued stay on disk for the next start. The server and its connection
budget are `seotasks.cli.receive_server`'s.

What cannot work is refused before the port is bound, with one line: a folder that
cannot take a durable file (`seotasks.store.check_writable`) or that another receiver
serves, a closed stdout (exit 6); an address that is in use or not this machine's
(exit 2).

stdout carries a line per task written, and a file's line is owed until printed
(`seotasks.receiver.owed`): the lines an earlier run owed are printed first. When stdout
fails mid-run (full, closed, its reader gone), the receiver stops as on SIGTERM,
answering 503 meanwhile, and exits 6 (0 when the reader left, as ``tasks | head``
does); the lines it could not print are the next start's first. A stop that finds the
pipe full, its reader alive but reading nothing for `STALL_WAIT` seconds (or too little to
make room within `STOP_WAIT`), does not wait for it: a line the pipe has no room for is
not written, its request is answered 503 and the line stays owed.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..claims import claims_for
from ..jsoncodec import escape_line_breaks
from ..receiver.app import receiver_places, secret_problem
from ..store import check_writable, lock_file
from .common import EXIT_OK
from .pipes import (
    SETTLE_WAIT,
    STALL_WAIT,
    ReadLedger,
    full_stdout,
    refuse_closed_stdout,
    start_on_a_new_line,
)
from .receive_server import ReceiverServer, connection_budget
from .signals import SignalRelay, signalled_before

if TYPE_CHECKING:
    from ..provider import Provider
    from ..receiver.pingbacks import PingbackWorker

__all__ = ["Receiving", "parse_listen", "run"]


#: How long a stop waits for pingback fetches in flight: one hanging on a silent vendor
#: held the stop for its whole read timeout (a minute), past a container's grace of 10 s.
PINGBACK_GRACE = 5.0


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6) -> (host, port); ValueError when malformed."""
    host, sep, port_text = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    # A bracket anywhere else (one left open, a stray one) is no address: passed on, it
    # came back from the server as an address the user never typed ("[[::1]:0").
    stray = "[" in host or "]" in host
    if not sep or not host or stray or not port_text.isdigit() or int(port_text) > 65535:
        raise ValueError(f"--listen expects HOST:PORT such as 127.0.0.1:8080, got {value!r}")
    return host, int(port_text)


def run(
    args: Any,
    out: TextIO,
    err: TextIO,
    provider: type[Provider],
    connect_client: Callable[[], Any],
) -> int:
    """The command: serve until SIGINT/SIGTERM (or a failed stdout); returns the exit code."""
    from ..errors import ConfigError

    secret = os.environ.get(args.secret_env, "")
    problem = secret_problem(secret)
    if problem is not None:
        # Name the variable the secret was read from (--secret-env), and say whether it is
        # missing, too short or unfit for a URL: "set X" to someone who did set it helps
        # nobody. Never the secret itself.
        said = (
            f"{args.secret_env} is not set: the receiver's secret must be at least 16 characters"
            if not secret
            else f"the secret in {args.secret_env} {problem}"
        )
        raise ConfigError(
            f"{said}, e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(24))'`"
        )
    host, port = parse_listen(args.listen)
    folder = Path(args.to)
    # Before the port is bound: a receiver that answers every postback with an error
    # is worse than one that does not start.
    check_writable(folder, what="--to")
    for what, place in receiver_places(folder, provider.name).items():
        check_writable(place, what=f"--to's {what} folder")
    claims_for(folder).check()  # shared with collect --to: another user's may refuse us
    refuse_closed_stdout(out)
    with lock_file(folder / ".receive.lock", busy=f"another seotasks receive serves {folder}"):
        receiving = Receiving(args, secret, out, err, provider)
        return receiving.serve(host, port, connect_client)


class Receiving:
    """One ``seotasks receive`` run: the app, its server and pingback worker, stdout."""

    def __init__(
        self, args: Any, secret: str, out: TextIO, err: TextIO, provider: type[Provider]
    ) -> None:
        from ..receiver.app import ReceiverApp
        from ..receiver.pingbacks import PingbackQueue
        from ..store import ResultStore

        self.args = args
        self.out = out
        self.err = err
        self.provider = provider
        self._output = threading.Lock()
        #: Why stdout took no more lines (its first failure), once it failed.
        self.stdout_failed: OSError | ValueError | None = None
        #: Set at the stop: a line the pipe has no room for is then not written.
        self._stopping = threading.Event()
        #: Lines not written because the stop came while the pipe was full.
        self.held_back = 0
        self.server: ReceiverServer | None = None
        self.worker: PingbackWorker | None = None
        self.store = ResultStore(Path(args.to), compress=args.gzip)
        #: Into a pipe, a line stays owed until its reader has read it: the ledger's items
        #: are the owed records' removals, run once read.
        self.ledger: ReadLedger[Callable[[], None]] = ReadLedger(out)
        self.app = ReceiverApp(
            self.store,
            secret,
            provider,
            pingbacks=PingbackQueue(Path(args.to) / ".pingbacks"),
            emit=self.emit,
            once_read=self.once_read,
            max_body=args.max_body,
            max_json=args.max_json,
        )

    def emit(self, line: dict[str, Any]) -> None:
        """Print one task's line; `LineNotPrinted` (and the run stops) when stdout fails."""
        from ..receiver.writes import LineNotPrinted

        text = escape_line_breaks(json.dumps(line, ensure_ascii=False)) + "\n"
        with self._output:
            if self.stdout_failed is not None:
                raise LineNotPrinted
            # Once the reader stalled at this stop, a later line does not wait for it again.
            stall = 0.0 if self.held_back else STALL_WAIT
            if not self.ledger.wait_for_room(text, self._stopping, stall):
                self.held_back += 1  # stopping, and the reader makes no room: owed
                raise LineNotPrinted
            try:
                self.ledger.write(text)
            except (OSError, ValueError) as exc:
                self.stdout_failed = exc
                self.stop()
                raise LineNotPrinted from None
        self.settle_read()

    def once_read(self, action: Callable[[], None]) -> None:
        """Run ``action`` once the lines written so far are read (at once, but into a pipe)."""
        if not self.ledger.mark(action):
            action()
            return
        self.settle_read()

    def settle_read(self, wait: float = 0.0) -> None:
        """Run the actions whose lines the reader has read (none when it has gone)."""
        for action in self.ledger.take_read(wait) or ():
            action()

    def stop(self, signum: int = 0) -> None:
        """Stop as on SIGTERM: the HTTP side finishes what it took, the pingback worker's
        waits end now. Called on the signal relay's thread or from a failed `emit`, never
        waiting there: the stop itself runs on a thread of its own."""
        self._stopping.set()
        if self.worker is not None:
            self.worker.halt()
        if self.server is not None:
            name = "seotasks-receive-stop"
            threading.Thread(target=self.server.stop, name=name, daemon=True).start()

    def serve(self, host: str, port: int, connect_client: Callable[[], Any]) -> int:
        """Print the lines owed, serve until stopped, close; the exit code."""
        from ..errors import MissingSetting
        from ..receiver.pingbacks import PingbackWorker
        from ..receiver.writes import LineNotPrinted

        start_on_a_new_line(self.out)
        try:
            self.app.print_owed()
        except LineNotPrinted:
            return self._stdout_exit()
        # Before the port is bound: a wrong option value is exit 2 with nothing served.
        client = None
        uncollected = None  # said once the port is bound: a port in use is one line
        try:
            client = connect_client()
        except MissingSetting as exc:  # no credentials: a receiver of postbacks only
            uncollected = exc
        try:
            self.server = ReceiverServer(
                self.app,
                host,
                port,
                threads=self.args.threads,
                max_connections=connection_budget(self.args.max_connections, self.err),
                idle_timeout=self.args.idle_timeout,
            )
        except BaseException:
            if client is not None:
                client.close()
            raise
        if uncollected is not None:
            self.err.write(
                f"seotasks: pingbacks will be queued but not collected ({uncollected}); "
                "postbacks are written as usual\n"
            )
        if client is not None:
            self.worker = PingbackWorker(self.app, client, workers=self.args.workers).start()
        try:
            with SignalRelay(self.stop):
                early = signalled_before()
                if early is not None:  # stopped while it started up: stop once it serves
                    self.stop(early)
                self.err.write(
                    f"seotasks: receiving on {' and '.join(self.server.urls)} "
                    f"({_routes(self.provider)}); results in {self.args.to}\n"
                )
                self.err.flush()
                if self.stdout_failed is not None:  # failed before the server could stop
                    self.stop()
                self.server.serve()
        finally:
            if self.worker is not None and not self.worker.close(PINGBACK_GRACE):
                self.err.write(
                    f"seotasks: a pingback fetch still waiting for the vendor after "
                    f"{PINGBACK_GRACE:g} s was left; its task stays queued for the next start\n"
                )
            if client is not None:
                client.close()
            self.store.close()
            self.app.log_held()
        # The last lines' reader: read, or owed still; not waited for again once it
        # stalled at this stop (a stop of 12 s outlasted Docker's 10 s grace).
        self.settle_read(wait=0.0 if self.held_back else SETTLE_WAIT)
        if self.held_back:
            self.err.write(
                f"seotasks: {_count(self.held_back, 'line')} not printed: stdout's reader had "
                f"no room for {'it' if self.held_back == 1 else 'them'} when the receiver "
                "stopped; owed, printed first at the next start\n"
            )
        queued = len(self.app.pingbacks)
        self.err.write(f"seotasks: receiver stopped; {_count(queued, 'pingback')} still queued\n")
        return EXIT_OK if self.stdout_failed is None else self._stdout_exit()

    def _stdout_exit(self) -> int:
        """A full or closed stdout is exit 6 (`StorageError`); a reader gone, 0."""
        from ..errors import StorageError

        assert self.stdout_failed is not None
        reason = full_stdout(self.stdout_failed)
        owed = "the lines not printed are printed first at the next start"
        if reason is not None:
            raise StorageError(f"cannot write to stdout: {reason}; {owed}")
        self.err.write(f"seotasks: stdout's reader left, so the receiver stopped; {owed}\n")
        return EXIT_OK


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _routes(provider: type[Provider]) -> str:
    """``POST /<secret>/postback, GET /<secret>/pingback``: what the banner announces."""
    return ", ".join(f"{method} /<secret>/{route}" for route, method in provider.callbacks.items())
