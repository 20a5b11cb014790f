"""Building blocks for vendor emulators: a loopback HTTP server and fault injection.

Each provider ships an emulator that speaks its vendor's wire format from seeded
synthetic data. What every emulator needs is the same, so it lives here: a threaded
standard-library HTTP server bound to 127.0.0.1 on an ephemeral port, a request log,
and a `FaultPlan` that makes chosen requests fail in the ways real networks and
vendors do. The vendor-specific part is an `EmulatorApp` that turns a request into a
response (and knows how to express vendor-level faults such as a rate-limit code in
an HTTP-200 body, wrong field types or a mismatched JSON-RPC id).

An exception raised by `EmulatorApp.handle` is a bug in the emulator, not a vendor
behaviour: the server answers HTTP 500 with a plain-text body that starts
``emulator bug at <file>:<line>: <App>.handle raised <error>`` (so the client's
`TransientError`, which quotes the start of the body, names it), prints the traceback to
stderr, and keeps the exception in `EmulatorServer.errors` for tests to assert on.
Without this the connection would drop and the client would report, after its retries,
only "Remote end closed connection".

Standard library only (plus attrs): emulators must start anywhere the library does.
"""

from __future__ import annotations

import collections
import enum
import random
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import attrs

from .clock import Clock
from .ratelimit import limit_key

__all__ = [
    "EmulatorApp",
    "EmulatorServer",
    "Fault",
    "FaultPlan",
    "HttpRequest",
    "HttpResponse",
    "ServerRateLimit",
    "json_response",
]


class Fault(enum.StrEnum):
    """The failure menu shared by every emulator."""

    HTTP_403 = "http_403"  # a proxy's or a firewall's refusal page, before the vendor
    HTTP_500 = "http_500"
    HTTP_502 = "http_502"
    HTTP_503 = "http_503"
    HTTP_429 = "http_429"  # without Retry-After
    HTTP_429_RETRY_AFTER = "http_429_retry_after"  # Retry-After: FaultPlan.retry_after
    RATE_LIMIT_BODY = "rate_limit_body"  # vendor rate-limit code inside an HTTP-200 body
    RESET = "reset"  # connection closed without a response
    SLOW = "slow"  # answer after FaultPlan.slow_seconds (trips a short read timeout)
    TRUNCATED = "truncated"  # the JSON body cut in half
    WRONG_TYPES = "wrong_types"  # a field of the wrong type in an otherwise valid body
    EMPTY = "empty"  # HTTP 200 with an empty body
    MISMATCHED_ID = "mismatched_id"  # an answer for another request id (JSON-RPC) or task

    @property
    def generic(self) -> bool:
        """Handled by the server itself, whatever the vendor."""
        return self not in {Fault.RATE_LIMIT_BODY, Fault.WRONG_TYPES, Fault.MISMATCHED_ID}


@attrs.frozen(slots=True, kw_only=True)
class HttpRequest:
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes


@attrs.frozen(slots=True, kw_only=True)
class HttpResponse:
    status: int
    body: bytes
    headers: Mapping[str, str] = attrs.field(factory=dict)


def json_response(status: int, body: bytes, **headers: str) -> HttpResponse:
    return HttpResponse(
        status=status, body=body, headers={"Content-Type": "application/json", **headers}
    )


class EmulatorApp(Protocol):
    """The vendor-specific half of an emulator."""

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        """Answer ``request``. ``fault`` is a vendor-level fault to express, or None."""
        ...


class ServerRateLimit:
    """A vendor's own rate limit, as its server enforces it: sliding windows per group.

    ``limits`` maps a group (an endpoint family, or one name for the whole API) to
    ``(calls, seconds)``: at most ``calls`` admitted in any ``seconds``. A group holding
    ``*`` is a pattern, as in a provider's ``rate_limits`` (`seotasks.ratelimit.limit_key`):
    ``{"datasets/*": (30, 1.0)}`` admits 30 a second to ``admit("datasets/a")`` and as
    many to ``admit("datasets/b")``, the vendor's limit per resource. Counted on the
    injected clock, so a test that shares its clock with the client checks the client's
    pacing against the vendor's rule in fake time. One implementation for every
    emulator, so "what the vendor enforces" means the same thing in each of them.
    """

    def __init__(self, limits: Mapping[str, tuple[int, float]], clock: Clock) -> None:
        self.limits = dict(limits)
        self.clock = clock
        #: Admission times per group, or per resource a pattern matched (made on demand).
        self._stamps: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()
        #: Requests refused so far, all groups together.
        self.refused = 0

    def admit(self, group: str) -> float | None:
        """Count a request of ``group``: the clock time it was admitted at, or ``None``
        when the vendor would refuse it. A group no limit names is an emulator bug
        (`KeyError`), not an unlimited call."""
        key = limit_key(self.limits, group)
        if key is None:
            raise KeyError(f"no rate limit names {group!r} (limits: {sorted(self.limits)})")
        calls, seconds = self.limits[key]
        with self._lock:
            now = self.clock.monotonic()
            stamps = self._stamps.setdefault(group, collections.deque())
            while stamps and stamps[0] <= now - seconds:
                stamps.popleft()
            if len(stamps) >= calls:
                self.refused += 1
                return None
            stamps.append(now)
            return now


class FaultPlan:
    """Which requests fail, and how. Thread-safe.

    Faults are queued (`inject`) and consumed by the next matching requests, or drawn
    from a seeded schedule (`schedule`) that fails a share of requests at random but
    reproducibly. ``match`` restricts a fault to paths containing that text.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[tuple[Fault, str | None]] = []
        self._rng: random.Random | None = None
        self._rate = 0.0
        self._menu: tuple[Fault, ...] = ()
        self._match: str | None = None
        self.slow_seconds = 2.0
        #: The ``Retry-After`` header of ``HTTP_429_RETRY_AFTER`` (a vendor may say 3600).
        self.retry_after = "1"
        self.injected: list[Fault] = []

    def inject(self, fault: Fault, count: int = 1, *, match: str | None = None) -> None:
        with self._lock:
            self._queue.extend([(fault, match)] * count)

    def schedule(
        self, faults: Iterable[Fault], *, rate: float, seed: int, match: str | None = None
    ) -> None:
        """Fail about ``rate`` of matching requests with a fault drawn from ``faults``."""
        with self._lock:
            self._menu = tuple(faults)
            self._rate = rate
            self._rng = random.Random(seed)
            self._match = match

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._rng = None
            self._rate = 0.0

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def take(self, path: str) -> Fault | None:
        with self._lock:
            for index, (fault, match) in enumerate(self._queue):
                if match is None or match in path:
                    del self._queue[index]
                    self.injected.append(fault)
                    return fault
            if (
                self._rng is not None
                and self._menu
                and (self._match is None or self._match in path)
            ) and self._rng.random() < self._rate:
                fault = self._rng.choice(self._menu)
                self.injected.append(fault)
                return fault
        return None


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle plus the
    # client's delayed ACK add ~40 ms to every response on loopback.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        """Silent: emulators run inside test suites."""

    def _serve(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            try:
                body = self._chunked()
            except ValueError:  # a chunk size that is no hex number: HTTP's own 400
                self.close_connection = True
                self._write(HttpResponse(status=400, body=b"malformed chunked body"))
                return
        else:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        request = HttpRequest(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        owner = self.server.owner
        owner._record(request)
        fault = owner.faults.take(split.path)
        if fault is not None and fault.generic:
            if self._generic_fault(fault, request):
                return
            fault = None
        self._write(owner._answer(request, fault))

    def _chunked(self) -> bytes:
        """A chunked request body (HTTP/1.1 lets a client stream one; a server must read
        it, RFC 9112 7.1), read to its last chunk and trailers so the connection's next
        request starts where it should."""
        parts: list[bytes] = []
        while size := int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16):
            parts.append(self.rfile.read(size))
            self.rfile.readline(1024)  # the CRLF ending the chunk
        while self.rfile.readline(1024).strip():  # trailer fields, up to the blank line
            pass
        return b"".join(parts)

    def _generic_fault(self, fault: Fault, request: HttpRequest) -> bool:
        """Express ``fault``; return False when the normal answer should follow (SLOW)."""
        owner = self.server.owner
        if fault is Fault.RESET:
            # SO_LINGER 0: close with RST, the way a crashed peer does.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return True
        if fault is Fault.SLOW:
            time.sleep(owner.faults.slow_seconds)
            return False
        if fault in (Fault.HTTP_403, Fault.HTTP_500, Fault.HTTP_502, Fault.HTTP_503):
            status = int(fault.value.rsplit("_", 1)[1])
            self._write(HttpResponse(status=status, body=b"<html>upstream error</html>"))
            return True
        if fault is Fault.HTTP_429:
            self._write(json_response(429, b'{"error":"too many requests"}'))
            return True
        if fault is Fault.HTTP_429_RETRY_AFTER:
            self._write(
                json_response(
                    429,
                    b'{"error":"too many requests"}',
                    **{"Retry-After": owner.faults.retry_after},
                )
            )
            return True
        if fault is Fault.EMPTY:
            self._write(json_response(200, b""))
            return True
        if fault is Fault.TRUNCATED:
            full = owner._answer(request, None)
            self._write(
                HttpResponse(
                    status=full.status,
                    body=full.body[: max(1, len(full.body) // 2)],
                    headers=full.headers,
                )
            )
            return True
        return False

    def _write(self, response: HttpResponse) -> None:
        try:
            self.send_response(response.status)
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve
    do_DELETE = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    #: The listen backlog. socketserver's default of 5 makes a busy emulator (several
    #: clients of 8 workers, on a loaded machine) reset connections a vendor would take.
    request_queue_size = 128
    owner: EmulatorServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-answer (a stopped listing) is no error of the
        emulator: socketserver printed its traceback into the stderr of ``--sandbox``'s
        command, spliced into the command's own lines. Anything else is still printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class EmulatorServer:
    """Serve an `EmulatorApp` on 127.0.0.1 (ephemeral port) in a background thread.

    Use as a context manager; ``url`` is the base URL to point a provider at.
    ``requests`` logs every request received (for assertions on what was sent);
    ``errors`` every exception the app raised (each answered with an HTTP 500 naming it).
    """

    def __init__(self, app: EmulatorApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.faults = FaultPlan()
        self.requests: list[HttpRequest] = []
        self.errors: list[Exception] = []
        self._log_lock = threading.Lock()
        self._address = (host, port)
        self._bound: _Server | None = None
        self._thread: threading.Thread | None = None
        self.on_request: Callable[[HttpRequest], None] | None = None

    @property
    def _server(self) -> _Server:
        """The listening socket, bound on first need (``url`` or `start`): an emulator
        made only for its app or its data (``emulator.app.handle(...)``, ``rows()``)
        holds no socket, so leaves none open for the garbage collector to find."""
        with self._log_lock:  # two threads asking at once get one socket
            if self._bound is None:
                bound = _Server(self._address, _Handler)
                bound.owner = self
                self._bound = bound
            return self._bound

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def _record(self, request: HttpRequest) -> None:
        with self._log_lock:
            self.requests.append(request)
        if self.on_request is not None:
            self.on_request(request)

    def _answer(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        """The app's answer, or an HTTP 500 naming the bug when the app raised."""
        try:
            return self.app.handle(request, fault)
        except Exception as exc:
            return self._bug(exc)

    def _bug(self, exc: Exception) -> HttpResponse:
        with self._log_lock:
            self.errors.append(exc)
        frames = traceback.extract_tb(exc.__traceback__)
        where = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else "?"
        head = (
            f"emulator bug at {where}: {type(self.app).__name__}.handle raised "
            f"{type(exc).__name__}: {exc}"
        )
        trace = "".join(traceback.format_exception(exc))
        print(f"{head}\n{trace}", file=sys.stderr, flush=True)
        return HttpResponse(
            status=500,
            body=f"{head}\n\n{trace}".encode(errors="replace"),
            headers={"Content-Type": "text/plain; charset=utf-8", "X-Emulator-Bug": "1"},
        )

    def start(self) -> EmulatorServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"emulator-{self.url}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        if self._bound is not None:
            self._bound.server_close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
