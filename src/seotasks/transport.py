"""HTTP for providers: one connection pool, timeouts, pacing, retries, redaction.

A provider builds a `Request` and hands it to `Transport.call` together with a
``parse`` function. The transport owns the loop around it:

1. wait for a place among the calls out at once (`InFlight`), then a pacing slot;
2. send with explicit connect/read timeouts;
3. connection errors, timeouts, HTTP 5xx and 429 are retried with exponential
   backoff and jitter, honouring ``Retry-After``;
4. otherwise ``parse(response)`` runs. It turns the body into whatever the provider
   wants, and raises `RateLimited` or `TransientError` when the vendor hid such an
   error in an HTTP-200 body: those are retried exactly like their HTTP twins. An
   HTTP-200 body that is empty or not JSON (cut off mid-answer) is such an error too,
   raised by `Response.json` the same way for every provider.

A request built with ``idempotent=False`` (posting tasks) is retried only after a
failure that proves the vendor did not process it: the connection could not be opened,
or the answer was a rate-limit refusal (HTTP 429, or `RateLimited` from ``parse``).
Anything else (reset or timeout after sending, HTTP 5xx, a cut-off body) may have been
processed, so it is raised at once with ``outcome_unknown`` set, never resent.

When the retries run out the last typed error is raised. Nothing here ever puts a
credential into a log record or an exception: URLs and snippets go through the
client's `Redactor` first.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import BinaryIO, Final, TypeVar

import urllib3
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.exceptions import HTTPError as Urllib3HTTPError
from urllib3.util.retry import Retry

from . import forksafe
from .call import (
    Request,
    Response,
    RetryPolicy,
    Timeouts,
    TransportEvent,
    decode_json_object,
    parse_retry_after,
)
from .cancel import Interrupt, stop_for
from .clock import Clock, SystemClock, wall_reading
from .errors import (
    Interrupted,
    ProviderError,
    RateLimited,
    RetryableError,
    TransientError,
)
from .inflight import InFlight
from .ratelimit import Pacer, RateLimit
from .redact import Redactor, scrub_logger, scrub_logs_with
from .response_body import read_body

__all__ = [
    "Request",
    "Response",
    "RetryPolicy",
    "Timeouts",
    "Transport",
    "TransportEvent",
    "decode_json_object",
    "parse_retry_after",
]

log = logging.getLogger("seotasks.transport")

T = TypeVar("T")


#: What ``retries=False`` means to urllib3, built once: given ``False``, urllib3 converts it
#: on every request and logs "Converted retries value" at DEBUG each time (noise in
#: ``--debug``). Retrying is this module's job, with backoff and the pacer.
_NO_RETRIES = Retry(False, redirect=False)

# urllib3 logs every request line at DEBUG, query string included (Serpstat's ``token``):
# its records are scrubbed with every live client's redactor (`redact.scrub_logs_with`).
# A filter only sees records created on its own logger, not those of child loggers.
for _name in (
    "urllib3",
    "urllib3.connection",
    "urllib3.connectionpool",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
):
    scrub_logger(_name)


#: Sent with every request. gzip because DataForSEO's official clients ask for it and its
#: results are large, repetitive JSON (the sandbox's come 4.3 times smaller); `read_body`
#: inflates it a piece at a time (`seotasks.inflate`), so its caps count decoded bytes and
#: a small body that inflates to gigabytes is refused at the cap, not held whole. Only
#: gzip: the one coding every HTTP server speaks (brotli, zstd: another package each).
_ASKED: Final = MappingProxyType({"Accept": "application/json", "Accept-Encoding": "gzip"})


class Transport:
    """One per client: a `urllib3.PoolManager`, a `Pacer`, a retry policy and a redactor."""

    def __init__(
        self,
        *,
        redactor: Redactor,
        rate_limits: Mapping[str, RateLimit] | None = None,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        rng: random.Random | None = None,
        user_agent: str = "seotasks",
        pool_maxsize: int = 4,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.redactor = redactor
        self._wall = now
        scrub_logs_with(redactor)
        self.clock: Clock = clock or SystemClock()
        self.retry = retry or RetryPolicy()
        self.timeouts = timeouts or Timeouts()
        #: Set it (from a signal handler, say) to end every pacing and backoff wait of
        #: this transport within a quarter second: the waiting call raises `Interrupted`
        #: without being sent. Calls already sent finish as usual.
        self.interrupt = Interrupt()
        #: The endpoint the main thread waits on the vendor for (sending, or reading the
        #: answer), else None: a command whose calls may all be dropped (a listing) ends
        #: such a read on its first signal (`GracefulStop` with ``abort_reads``) instead
        #: of waiting out the read timeout of a vendor that stalls.
        self.main_reading: str | None = None
        self.pacer = Pacer(dict(rate_limits or {}), self.clock, stop=self.interrupt)
        self._in_flight: InFlight | None = None
        self._rng = rng or random.Random()
        self._user_agent = user_agent
        self._pool_maxsize = pool_maxsize
        self._pool = urllib3.PoolManager(num_pools=4, maxsize=pool_maxsize, block=False)
        self._resizing = threading.Lock()  # two collect_many started at once: one grows it
        self._closed = False
        #: Called with a `TransportEvent` on retries and waits; the CLI shows it as progress.
        self.on_event: Callable[[TransportEvent], None] | None = None
        #: Called with each `Request` as it goes out (each attempt), its credentials in
        #: it: for tests that compare what was sent (the conformance kit's submit check)
        #: and for debugging. Keep what it is given out of logs.
        self.on_send: Callable[[Request], None] | None = None
        self.calls = 0
        forksafe.track(self)

    def now(self) -> datetime:
        """The wall clock (UTC) a provider measures "now" on: windows ending now, the
        vendor's retention. Real time, unless `connect` was given ``now=`` (a sandbox
        started with a fixed day passes the emulators' clock, so both sides agree)."""
        if self._wall is None:
            return datetime.now(UTC)
        return wall_reading(self._wall())

    def set_rate_limits(
        self, limits: Mapping[str, RateLimit], *, margin: float = 0.02, in_flight: int | None = None
    ) -> None:
        """Replace the pacing (done once by `connect`, before any call).

        ``margin`` widens each window by that fraction, to absorb the network delay
        between our clock and the vendor's (2 % of a 60 s window is 1.2 s). ``in_flight``,
        when given (`Provider.max_in_flight`), caps the calls out at once (`InFlight`).
        """
        self.pacer = Pacer(dict(limits), self.clock, margin=margin, stop=self.interrupt)
        if in_flight is not None:
            self._in_flight = InFlight(in_flight, stop=self.interrupt, check_open=self.check_open)

    @property
    def pool_maxsize(self) -> int:
        """How many connections per host the pool keeps for reuse."""
        return self._pool_maxsize

    def ensure_pool_size(self, connections: int) -> None:
        """Keep at least ``connections`` connections per host for reuse.

        With fewer, concurrent callers (`Client.collect_many`'s workers) would open a
        fresh connection, TLS handshake included, for every call beyond the pool's size
        and throw it away afterwards. The pool is replaced, not resized (urllib3 fixes
        a host pool's size when it is created); calls in flight finish on the old one,
        whose connections are closed as they come back.
        """
        with self._resizing:
            if connections <= self._pool_maxsize or self._closed:
                return
            old = self._pool
            self._pool_maxsize = connections
            self._pool = urllib3.PoolManager(num_pools=4, maxsize=connections, block=False)
        old.clear()

    def close(self) -> None:
        """Close the pooled connections; every later call raises `ValueError` (idempotent).

        A call after ``close`` (a listing made inside a ``with`` block and read on after
        it) would otherwise open connections in a pool nothing closes any more: in a
        long-running worker, a leak nobody sees. So would a call of another thread that
        was waiting for its pacing slot or a retry (a service shutting down the client its
        request handlers share): ``close`` ends those waits at once, with the same error.
        """
        self._closed = True
        self.interrupt.set()
        self._pool.clear()

    def check_open(self) -> None:
        """`ValueError` once `close` was called: nothing may be sent any more."""
        if self._closed:
            raise ValueError(
                "this seotasks client is closed (close() was called, or its with block "
                "ended): connect again to make more calls"
            )

    def after_fork_in_child(self) -> None:
        """A pool and pacer of the child's own (`seotasks.forksafe`). The parent's pool is
        dropped, not cleared (that takes a lock a parent thread may have held at the fork);
        its sockets close when it is collected, in the child only: the parent's go on."""
        self._pool = urllib3.PoolManager(num_pools=4, maxsize=self._pool_maxsize, block=False)
        self._resizing = threading.Lock()
        self.pacer.after_fork_in_child()
        if self._in_flight is not None:
            self._in_flight.after_fork_in_child()

    def __repr__(self) -> str:
        return f"Transport(retry={self.retry!r}, timeouts={self.timeouts!r})"

    def _emit(self, kind: str, endpoint: str, seconds: float) -> None:
        if self.on_event is not None:
            self.on_event(TransportEvent(kind=kind, endpoint=endpoint, seconds=seconds))

    def send(
        self, request: Request, *, sink: BinaryIO | None = None, max_bytes: int | None = None
    ) -> Response:
        """One attempt: pace, send, read. Network failures become `TransientError`.

        With ``sink``, a 2xx body is streamed into it (emptied first: each attempt starts
        over) instead of being held in memory, and `Response.body` is empty; a body longer
        than ``max_bytes`` (in memory, than `IN_MEMORY_MAX` too) is a `ResponseFormatError`,
        not retried (see `download` and `seotasks.response_body`).
        """
        self.check_open()
        safe_url = self.redactor.scrub(request.url)
        places = self._in_flight
        if places is not None:
            places.enter()  # before pacing: the pacer counts a call when it is sent
        # The slot is answered whatever happens once the pacer has recorded it, even if
        # an interrupt (Ctrl-C) lands before `reserve` returns it: `Pacer.settle`.
        try:
            try:
                slot = self.pacer.reserve(
                    request.endpoint,
                    on_wait=lambda delay: self._emit("waiting", request.endpoint, delay),
                )
            except Interrupted:
                self.check_open()  # the wait was ended by `close`: say that
                raise
            self.check_open()  # closed while this call waited: it is not sent
            waited = slot.waited
            if waited:
                log.debug("paced %s for %.2fs", request.endpoint, waited)
                self._emit("paced", request.endpoint, waited)
            headers = {"User-Agent": self._user_agent, **_ASKED}
            headers.update(request.headers)
            self.calls += 1
            if self.on_send is not None:
                self.on_send(request)
            main = threading.current_thread() is threading.main_thread()
            if main:
                self.main_reading = request.endpoint
            try:
                raw = self._pool.request(
                    request.method,
                    request.url,
                    body=request.body,
                    headers=headers,
                    timeout=urllib3.Timeout(connect=self.timeouts.connect, read=self.timeouts.read),
                    retries=_NO_RETRIES,
                    redirect=False,
                    preload_content=False,
                )
                body, size = read_body(raw, sink, max_bytes, safe_url, within=self.timeouts.answer)
            finally:
                if main:
                    self.main_reading = None
        except Urllib3HTTPError as exc:
            # urllib3 messages may quote the URL, query string included: scrub them.
            reason = self.redactor.scrub(f"{type(exc).__name__}: {exc}")
            error = TransientError(f"{request.method} {safe_url} failed: {reason}")
            # Only a connection that never opened proves the request was not sent.
            error.not_sent = isinstance(exc, NewConnectionError | ConnectTimeoutError)
            raise error from None
        finally:
            if places is not None:
                places.leave()
            self.pacer.settle()
            if self._closed:  # closed while this call was out: its connection is not kept
                self._pool.clear()
        response = Response(
            status=raw.status,
            headers={k.lower(): v for k, v in raw.headers.items()},
            body=body,
            url=safe_url,
            scrub=self.redactor.scrub,
        )
        log.debug("%s %s -> HTTP %d, %d bytes", request.method, safe_url, raw.status, size)
        return response

    def _http_failure(self, response: Response) -> RetryableError | None:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if response.status == 429:
            return RateLimited(
                f"HTTP 429 from {response.url}: rate limited", retry_after=retry_after
            )
        if response.status >= 500:
            return TransientError(
                f"HTTP {response.status} from {response.url}: "
                f"{self.redactor.scrub(response.snippet(80))!r}",
                retry_after=retry_after,
            )
        return None

    def call(self, request: Request, parse: Callable[[Response], T]) -> T:
        """Send ``request`` until ``parse`` accepts an answer or the retries run out."""
        return self._attempts(request, parse, None, None)

    def download(
        self,
        request: Request,
        sink: BinaryIO,
        parse: Callable[[Response], T],
        *,
        max_bytes: int | None = None,
    ) -> T:
        """`call`, with a 2xx body streamed into ``sink`` rather than held in memory.

        For answers of any size (a task's result may be hundreds of MB): memory stays at
        one read buffer. ``parse`` gets a `Response` whose ``body`` is empty and reads
        ``sink`` instead (`seotasks.answers.scan` validates it without building it).
        Each attempt empties ``sink`` first, so a retried answer never mixes with a cut-off
        one. A body beyond ``max_bytes`` ends the call with `ResponseFormatError`.
        """
        return self._attempts(request, parse, sink, max_bytes)

    def _attempts(
        self,
        request: Request,
        parse: Callable[[Response], T],
        sink: BinaryIO | None,
        max_bytes: int | None,
    ) -> T:
        last: RetryableError | None = None
        for attempt in range(self.retry.attempts):
            if last is not None:
                self._backoff(request, attempt - 1, last)
            try:
                response = self.send(request, sink=sink, max_bytes=max_bytes)
                failure = self._http_failure(response)
                if failure is not None:
                    raise failure
                _refuse_redirect(response)
                return parse(response)
            except RetryableError as exc:
                last = exc
                if not request.idempotent and not _provably_unprocessed(exc):
                    exc.outcome_unknown = True
                    log.info(
                        "%s failed after sending; not retried (not idempotent): %s",
                        request.endpoint,
                        exc,
                    )
                    raise
                log.info(
                    "attempt %d/%d of %s failed: %s",
                    attempt + 1,
                    self.retry.attempts,
                    request.endpoint,
                    exc,
                )
        assert last is not None
        raise last

    def _backoff(self, request: Request, attempt: int, error: RetryableError) -> None:
        delay = self.retry.delay(attempt, self._rng)
        if error.retry_after is not None:
            delay = self.retry.obey(error)
        elif isinstance(error, RateLimited):
            if self.pacer.limit_for(request.endpoint) is not None:
                # The vendor counted more calls than we did (another process on the same
                # account, say): let the pacer wait out a whole window before the retry.
                self.pacer.penalize(request.endpoint)
                delay = 0.0
            else:
                delay = max(delay, self.retry.rate_limited_floor)
        kind = "rate-limited" if isinstance(error, RateLimited) else "retry"
        self._emit(kind, request.endpoint, delay)
        if delay > 0 and self.clock.wait(delay, stop_for(self.interrupt)):
            self.check_open()  # the wait was ended by `close`: say that
            raise Interrupted(
                f"stopped while waiting {delay:.1f}s to retry {request.endpoint} ({error})"
            )


def _refuse_redirect(response: Response) -> None:
    """A redirect is never followed: it would carry the credentials (a header, a token in
    the query) to whatever host it names, an ``http://`` one included. Refused before the
    provider reads the body (empty, or a page the vendor's reader cannot make sense of),
    naming the address, which is the vendor's new one when the base URL is out of date."""
    if not 300 <= response.status < 400:
        return
    location = response.headers.get("location")
    if location and response.scrub is not None:
        location = response.scrub(location)
    where = f" to {location!r}" if location else ""
    raise ProviderError(
        response.status,
        f"HTTP {response.status} from {response.url} redirects{where}; seotasks does not "
        "follow redirects (the credentials would go with them): if that is the vendor's "
        "address now, set the provider's base_url to it",
    )


def _provably_unprocessed(error: RetryableError) -> bool:
    """Whether a failed attempt certainly left the vendor untouched (safe to resend)."""
    if isinstance(error, RateLimited):
        return True  # a refusal: the vendor counted the call but did not run it
    return bool(getattr(error, "not_sent", False))
