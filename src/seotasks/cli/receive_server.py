"""The HTTP server of ``seotasks receive``: waitress, with a connection budget and a
graceful stop callable from any thread.

The receiver listens where strangers reach it, so connections are budgeted: an idle
connection costs a file descriptor and a slot, not a thread (waitress's event loop holds
it; threads only run complete requests), so the slots are many (``--max-connections``,
default 1000, polled with ``poll()`` since ``select()`` stops at descriptor 1024), and
a connection silent for ``--idle-timeout`` seconds (default 10) is closed, checked every
second. A flood of silent connections therefore delays nobody until it fills every slot,
and even then a slot frees within about ``--idle-timeout`` + 1 s.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ..receiver.app import ReceiverApp

__all__ = ["IDLE_TIMEOUT", "MAX_CONNECTIONS", "ReceiverServer", "connection_budget"]

#: Defaults of the connection budget (see the module docstring).
MAX_CONNECTIONS = 1000
IDLE_TIMEOUT = 10
#: How long a stop waits for the last answers to go out once every request it waited
#: for is answered.
_FLUSH_WAIT = 1.0
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
        for listener in self._listeners:
            listener.channel_class = _said_channels(app)
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

        trigger = self._listeners[0].trigger  # any listener's wakes the one loop

        def close_listeners() -> None:
            for listener in self._listeners:
                wasyncore.dispatcher.close(listener)

        trigger.pull_trigger(close_listeners)
        # The requests in progress now are answered; any other, on a connection kept
        # open, is answered 503 (`ReceiverApp.stop_taking`) and not waited for.
        in_progress = [channel for channel in list(self._map.values()) if _unfinished(channel)]
        self.app.stop_taking(peer for channel in in_progress if (peer := _peer(channel)))
        end = time.monotonic() + grace
        while time.monotonic() < end and (self.app.in_flight or self._awaited(in_progress)):
            time.sleep(0.02)
        # Their last answers still going out (a sender that went on sending keeps
        # getting 503s: not waited for past `_FLUSH_WAIT`).
        end = min(end, time.monotonic() + _FLUSH_WAIT)
        while time.monotonic() < end and self._sending(in_progress):
            time.sleep(0.02)

        def close_all() -> None:
            for channel in list(self._map.values()):
                channel.close()

        # A loop that ended already (its map closed, the trigger with it) has nothing
        # left to close: the pull meets a closed descriptor (EBADF), once in many runs.
        with contextlib.suppress(OSError):
            trigger.pull_trigger(close_all)

    def _awaited(self, in_progress: list[Any]) -> bool:
        """Whether a connection whose request was in progress at the stop is still open
        with that request unanswered."""
        awaited = self.app.awaited or set()
        return any(
            _peer(channel) in awaited and _unfinished(channel)
            for channel in self._still_open(in_progress)
        )

    def _sending(self, in_progress: list[Any]) -> bool:
        """Whether one of those connections has an answer not all sent."""
        return any(
            getattr(channel, "total_outbufs_len", 0) for channel in self._still_open(in_progress)
        )

    def _still_open(self, channels: list[Any]) -> list[Any]:
        open_now = {id(channel) for channel in list(self._map.values())}
        return [channel for channel in channels if id(channel) in open_now]


def _said_channels(app: ReceiverApp) -> Callable[..., Any]:
    """waitress's connections, whose refusals before the app runs are said on stderr.

    waitress answers some requests itself (a body over ``--max-body`` 413, a malformed
    request 400): the vendor's large results were turned away and nothing said so. Its
    error answer is made by the connection's ``error_task_class``; this one tells the
    app first (`ReceiverApp.refused_by_server`)."""
    from waitress.channel import HTTPChannel
    from waitress.task import ErrorTask

    def error_task(channel: Any, request: Any) -> Any:
        error = request.error
        app.refused_by_server(int(error.code), str(error.reason))
        return ErrorTask(channel, request)

    def channel(*args: Any, **kwargs: Any) -> Any:
        made = HTTPChannel(*args, **kwargs)
        made.error_task_class = error_task
        return made

    return channel


def _peer(channel: object) -> tuple[str, str] | None:
    """A connection's peer as a WSGI request names it (``REMOTE_ADDR``, ``REMOTE_PORT``)."""
    addr = getattr(channel, "addr", None)
    if isinstance(addr, tuple) and len(addr) >= 2:
        return str(addr[0]), str(addr[1])
    return None


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


def connection_budget(wanted: int, err: TextIO) -> int:
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
