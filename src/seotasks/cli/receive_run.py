"""The ``seotasks receive`` command: `ReceiverApp` served by waitress, stopped gracefully.

waitress (the optional extra ``seotasks[receive]``) is a production WSGI server: HTTP
parsing, keep-alive, slow clients and request-size limits are its job, not ours. Its
event loop runs in the main thread; SIGINT/SIGTERM start a graceful stop on another
thread: the listening socket closes first (new connections are refused, so a vendor
retries later), requests in progress finish (their files are durable and answered), then
the loop ends, the pingback worker finishes the collections in flight (a pacing or
``Retry-After`` wait ends at the signal, its call unsent), and the command exits 0.
Pingbacks still queued stay on disk for the next start.

The receiver listens where strangers reach it, so connections are budgeted: an idle
connection costs a file descriptor and a slot, not a thread (waitress's event loop holds
it; threads only run complete requests), so the slots are many (``--max-connections``,
default 1000, polled with ``poll()`` since ``select()`` stops at descriptor 1024), and
a connection silent for ``--idle-timeout`` seconds (default 10) is closed, checked every
second. A flood of silent connections therefore delays nobody until it fills every slot,
and even then a slot frees within about ``--idle-timeout`` + 1 s.

What cannot work is refused before the port is bound, with one line: a folder that
cannot take a durable file (`seotasks.store.check_writable`) or that another receiver
serves, a closed stdout (exit 6); an address that is in use or not this machine's
(exit 2).

stdout carries a line per task written, and a file's line is owed until printed
(`seotasks.receiver.owed`): the lines an earlier run owed are printed first. When stdout
fails mid-run (full, closed, its reader gone), the receiver stops as on SIGTERM,
answering 503 meanwhile, and exits 6 (0 when the reader left, as ``tasks | head``
does); the lines it could not print are the next start's first.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..claims import claims_for
from ..receiver.app import secret_problem
from ..store import check_writable, lock_file
from .common import EXIT_OK
from .pipes import SETTLE_WAIT, ReadLedger, full_stdout, refuse_closed_stdout, start_on_a_new_line
from .signals import SignalRelay, signalled_before

if TYPE_CHECKING:
    from ..provider import Provider
    from ..receiver.app import ReceiverApp
    from ..receiver.pingbacks import PingbackWorker

__all__ = ["ReceiverServer", "parse_listen", "run"]


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


#: Defaults of the connection budget (see the module docstring).
MAX_CONNECTIONS = 1000
IDLE_TIMEOUT = 10
#: File descriptors kept beside the connections: result files being written, the
#: pingback client's pool, the interpreter's own.
_SPARE_FDS = 128


class ReceiverServer:
    """A waitress server for a `ReceiverApp`, with a graceful `stop` callable from any thread.

    Binding fails with `ConfigError` ("--listen HOST:PORT: address already in use"):
    an address is the user's configuration, not an internal error.
    """

    def __init__(
        self,
        app: ReceiverApp,
        host: str,
        port: int,
        *,
        threads: int = 8,
        max_connections: int = MAX_CONNECTIONS,
        idle_timeout: int = IDLE_TIMEOUT,
    ) -> None:
        from ..errors import ConfigError

        try:
            from waitress.server import create_server
        except ImportError:  # pragma: no cover - depends on the environment
            # Until seotasks is on PyPI, `pip install 'seotasks[receive]'` finds nothing: the
            # message gives the commands that work from a checkout and from `make dist`.
            raise ConfigError(
                "seotasks receive needs waitress: pip install waitress (the receive extra; "
                "from a checkout: pip install -e '.[receive]')"
            ) from None
        self.app = app
        # "Task queue depth is N" on every request that waits for a thread: normal under
        # a burst, and unprefixed noise on the receiver's stderr.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        # "reached the connection limit" on each connection past it: a flood a client can
        # cause at will (200 lines in 3 s); the budget is the user's own setting.
        logging.getLogger("waitress").setLevel(logging.ERROR)
        shown = f"[{host}]" if ":" in host else host
        # Our own socket map: a server that cannot bind has already opened its wake-up
        # pipe and its socket in it, which waitress leaves open when it raises.
        sockets: dict[int, Any] = {}
        try:
            self.server: Any = create_server(
                app,
                sockets,
                host=host,
                port=port,
                threads=threads,
                ident="seotasks-receive",
                # waitress refuses a larger body itself (413) before the app reads it.
                max_request_body_size=app.max_body,
                connection_limit=max_connections,
                channel_timeout=idle_timeout,
                cleanup_interval=1,
                asyncore_use_poll=True,
                expose_tracebacks=False,
                clear_untrusted_proxy_headers=True,
            )
        except (OSError, ValueError) as exc:  # in use, not ours, not resolvable
            from waitress import wasyncore

            wasyncore.close_all(sockets)
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ConfigError(f"--listen {shown}:{port}: {reason.lower()}") from None
        from waitress.server import BaseWSGIServer

        self._map = sockets
        #: One listening server per address the host name resolves to: ``localhost`` on a
        #: dual-stack machine is ``::1`` and ``127.0.0.1``, and waitress then returns a
        #: `MultiSocketServer` that serves both (and has no address of its own).
        self._listeners: list[Any] = [d for d in sockets.values() if isinstance(d, BaseWSGIServer)]
        # waitress counts every entry of its socket map against connection_limit, its
        # listening sockets and wake-up pipe included: without them, --max-connections 2
        # served no connection at all.
        self.server.adj.connection_limit = max_connections + len(sockets)
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        """The first address's port (with ``--listen HOST:0`` each address has its own)."""
        return int(self._listeners[0].effective_port)

    @property
    def url(self) -> str:
        """The first address's URL."""
        return self.urls[0]

    @property
    def urls(self) -> list[str]:
        """Every address served, as a URL (one, unless the host name resolves to several)."""
        shown = []
        for listener in self._listeners:
            host = str(listener.effective_host)
            host = f"[{host}]" if ":" in host else host
            shown.append(f"http://{host}:{int(listener.effective_port)}")
        return shown

    def serve(self) -> None:
        """Run until `stop`; then let waitress's worker threads finish."""
        try:
            self.server.run()
        finally:
            self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=30)

    def stop(self, grace: float = 30.0) -> None:
        """Stop accepting, wait (up to ``grace`` s) for requests in progress, end the loop."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        from waitress import wasyncore

        dispatcher = self.server.task_dispatcher
        trigger = self._listeners[0].trigger  # any listener's wakes the one loop

        def close_listeners() -> None:
            for listener in self._listeners:
                wasyncore.dispatcher.close(listener)

        trigger.pull_trigger(close_listeners)
        end = time.monotonic() + grace
        while time.monotonic() < end:
            busy = self.app.in_flight or dispatcher.active_count or dispatcher.queue
            if not busy and not any(map(_unfinished, list(self._map.values()))):
                break
            time.sleep(0.02)

        def close_all() -> None:
            for channel in list(self._map.values()):
                channel.close()

        # A loop that ended already (its map closed, the trigger with it) has nothing
        # left to close: the pull meets a closed descriptor (EBADF), once in many runs.
        with contextlib.suppress(OSError):
            trigger.pull_trigger(close_all)


def _unfinished(channel: object) -> bool:
    """Whether a connection is in a request: its body still arriving (the app would run
    once it is whole, and its answer be cut off: a file written, a line printed, the vendor
    told nothing, so it delivers again or lists the task), waiting for a worker, or its
    answer not all sent. An idle kept-alive connection is none of these, nor one still
    sending its headers (a scanner's half request held the stop its whole grace)."""
    request = getattr(channel, "request", None)
    return bool(
        (request is not None and getattr(request, "headers_finished", False))
        or getattr(channel, "requests", None)
        or getattr(channel, "total_outbufs_len", 0)
    )


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

        text = json.dumps(line, ensure_ascii=False) + "\n"
        with self._output:
            if self.stdout_failed is not None:
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
        if self.worker is not None:
            self.worker.halt()
        if self.server is not None:
            name = "seotasks-receive-stop"
            threading.Thread(target=self.server.stop, name=name, daemon=True).start()

    def serve(self, host: str, port: int, connect_client: Callable[[], Any]) -> int:
        """Print the lines owed, serve until stopped, close; the exit code."""
        from ..errors import ConfigError
        from ..receiver.pingbacks import PingbackWorker
        from ..receiver.writes import LineNotPrinted

        start_on_a_new_line(self.out)
        try:
            self.app.print_owed()
        except LineNotPrinted:
            return self._stdout_exit()
        self.server = ReceiverServer(
            self.app,
            host,
            port,
            threads=self.args.threads,
            max_connections=_connection_budget(self.args.max_connections, self.err),
            idle_timeout=self.args.idle_timeout,
        )
        client = None
        try:
            client = connect_client()
        except ConfigError as exc:
            self.err.write(
                f"seotasks: pingbacks will be queued but not collected ({exc}); "
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
            if self.worker is not None:
                self.worker.close()
            if client is not None:
                client.close()
            self.store.close()
            self.app.log_held()
        self.settle_read(wait=SETTLE_WAIT)  # the last lines' reader: read, or owed still
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


def _connection_budget(wanted: int, err: TextIO) -> int:
    """``wanted`` connections, with the open-file limit raised to hold them.

    Each connection is a file descriptor, and the usual soft limit (1024) is below the
    default budget: the soft limit is raised up to the hard one, which needs no
    privilege. When even the hard limit is too low, the budget shrinks to fit, said in
    one line: accepting connections until ``accept()`` fails with EMFILE would also
    leave no descriptor to write a result file with.
    """
    import resource

    needed = wanted + _SPARE_FDS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (OSError, ValueError):  # pragma: no cover - a platform that refuses
            pass
    if soft != resource.RLIM_INFINITY and soft < needed:
        fitting = max(1, soft - _SPARE_FDS)
        err.write(
            f"seotasks: --max-connections lowered to {fitting} "
            f"(the open-file limit is {soft}; raise it with ulimit -n)\n"
        )
        return fitting
    return wanted


def _routes(provider: type[Provider]) -> str:
    """``POST /<secret>/postback, GET /<secret>/pingback``: what the banner announces."""
    return ", ".join(f"{method} /<secret>/{route}" for route, method in provider.callbacks.items())
