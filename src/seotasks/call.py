"""The values one vendor call is made of: what is sent, what came back, how hard to try.

`Transport` (in `seotasks.transport`) runs the loop around them; providers build
`Request`s and read `Response`s, so these are kept apart from the loop's machinery. All
of them are re-exported by `seotasks.transport`, the path plugins import them from.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import attrs

from .errors import ConfigError, ResponseFormatError, RetryableError, TransientError
from .jsoncodec import JSONDecodeError, loads

__all__ = [
    "Request",
    "Response",
    "RetryPolicy",
    "Timeouts",
    "TransportEvent",
    "decode_json_object",
    "parse_retry_after",
]


@attrs.frozen(slots=True, kw_only=True)
class TransportEvent:
    """What a transport tells its ``on_event`` listener (the CLI's progress line).

    ``kind``: ``waiting`` (a pacing wait starts; ``seconds`` its expected length),
    ``paced`` (it ended; ``seconds`` waited), ``rate-limited`` or ``retry`` (a backoff of
    ``seconds`` starts). ``endpoint`` is the pacing bucket of the call.
    """

    kind: str
    endpoint: str
    seconds: float

    def describe(self) -> str:
        """``"<endpoint> <seconds>s"``, as a progress line shows it."""
        return f"{self.endpoint} {self.seconds:.1f}s"


def _sendable_headers(_: object, __: object, headers: Mapping[str, str]) -> None:
    """Refuse a header value HTTP cannot carry (a character outside Latin-1, a ``€`` in an
    API key sent as a bearer token): http.client failed on it with a bare
    `UnicodeEncodeError` ("internal error", and no line from ``seotasks check``). It comes
    from the settings, so a `ConfigError` naming the header, never its value."""
    for name, value in headers.items():
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise ConfigError(
                f"the {name} header would hold a character HTTP headers cannot carry "
                "(outside Latin-1): check the provider's credential options"
            ) from None


@attrs.frozen(slots=True, kw_only=True)
class Request:
    """One vendor call. ``endpoint`` names the pacing bucket it counts against.

    ``idempotent=False`` marks a call that must not run twice (posting tasks): the
    transport then retries only failures that prove it was not processed.
    """

    method: str
    url: str
    endpoint: str
    headers: Mapping[str, str] = attrs.field(factory=dict, validator=_sendable_headers)
    body: bytes | None = None
    idempotent: bool = True


@attrs.frozen(slots=True, kw_only=True)
class Response:
    """What came back, fully read. ``url`` is already redacted."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str
    #: Masks secrets in `snippet` (a vendor may echo the request, credentials included).
    scrub: Callable[[str], str] | None = attrs.field(default=None, eq=False, repr=False)

    def json(self) -> object:
        """The body as JSON.

        An empty or undecodable body is judged here, once, for every provider: on a
        2xx answer it is a `TransientError` (the answer was cut off or garbled on its
        way, since a vendor that speaks JSON does not mean to send half of it), so
        `Transport.call` retries it for an idempotent call and reports it with
        ``outcome_unknown`` for a post, like a reset. On any other status the status
        line is the real news and the body only decoration: `ResponseFormatError`,
        for the provider to classify by status.
        """
        problem: str | None = None
        if not self.body or self.body.isspace():  # ``strip()`` would copy the body
            problem = f"empty body from {self.url} (HTTP {self.status})"
        else:
            try:
                return loads(self.body)
            except JSONDecodeError as exc:
                problem = (
                    f"malformed JSON from {self.url} (HTTP {self.status}): {exc}; "
                    f"body starts {self.snippet()!r}"
                )
        if 200 <= self.status < 300:
            raise TransientError(problem)
        raise ResponseFormatError(problem)

    def snippet(self, limit: int = 120) -> str:
        # Scrub a longer stretch before cutting, so a secret across the cut is masked too.
        text = self.body[: limit + 256].decode("utf-8", "replace")
        if self.scrub is not None:
            text = self.scrub(text)
        return text[:limit] + ("..." if len(text) > limit else "")


@attrs.frozen(slots=True, kw_only=True)
class RetryPolicy:
    """How hard to try. Delays grow ``base * 2**attempt`` up to ``cap``, with full jitter
    in the upper half (so clients that failed together do not retry together)."""

    attempts: int = attrs.field(default=5, validator=lambda _, a, v: _count(a.name, v))
    base: float = attrs.field(default=0.5, validator=lambda _, a, v: _seconds(a.name, v, 0))
    cap: float = attrs.field(default=30.0, validator=lambda _, a, v: _seconds(a.name, v, 0))
    #: A vendor rate-limit answer without a hint waits at least this long.
    rate_limited_floor: float = attrs.field(
        default=1.0, validator=lambda _, a, v: _seconds(a.name, v, 0)
    )
    #: The longest ``Retry-After`` obeyed: a vendor (or a gateway in front of it) asking
    #: for more ends the call at once with its error, which says how long was asked. Five
    #: tries of an hour each held a scheduled run four hours, silent, and looked hung.
    retry_after_limit: float = attrs.field(
        default=300.0, validator=lambda _, a, v: _seconds(a.name, v)
    )

    def obey(self, error: RetryableError) -> float:
        """The wait ``error``'s ``Retry-After`` asks for; ``error`` itself, saying so, is
        raised when that is more than ``retry_after_limit``."""
        asked = error.retry_after or 0.0
        if asked > self.retry_after_limit:
            error.args = (
                f"{error}; asked to wait {asked:.0f}s before trying again, more than "
                f"RetryPolicy.retry_after_limit ({self.retry_after_limit:g}s)",
            )
            raise error
        return asked

    def delay(self, attempt: int, rng: random.Random) -> float:
        ceiling: float = min(self.cap, self.base * (2.0**attempt))
        return ceiling * (0.5 + rng.random() / 2)


@attrs.frozen(slots=True, kw_only=True)
class Timeouts:
    """Seconds to open a connection and to wait for each read; refused when built unless
    positive and at most a day, rather than at the first call in urllib3's words.

    ``answer`` (None: no bound) limits a whole answer's body, its first byte to its last:
    ``read`` bounds each wait for bytes, so a server sending one a second is never late
    and holds a call for ever; past ``answer`` it is a retried `TransientError`. Meant for
    probes (``seotasks check`` gives 20 s): a large result on a slow line takes long too.
    """

    connect: float = attrs.field(default=10.0, validator=lambda _, a, v: _seconds(a.name, v))
    read: float = attrs.field(default=60.0, validator=lambda _, a, v: _seconds(a.name, v))
    answer: float | None = attrs.field(
        default=None, validator=attrs.validators.optional(lambda _, a, v: _seconds(a.name, v))
    )


#: The longest wait a setting may name: past it, a time is surely a mistake (an ``inf``,
#: milliseconds taken for seconds), and the sockets' and clocks' arithmetic overflows.
_MOST_SECONDS = 86_400.0


def _count(name: str, value: object) -> None:
    if type(value) is not int:
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")


def _seconds(name: str, value: object, least: float | None = None) -> None:
    """``value`` is seconds: a real number (not a bool), above 0 (at least ``least``
    where given), at most a day; NaN fails every comparison and is refused too."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number of seconds, got {value!r}")
    low = value >= least if least is not None else value > 0
    if not (low and value <= _MOST_SECONDS):
        floor = f"at least {least:g}" if least is not None else "above 0"
        raise ValueError(f"{name} must be {floor} and at most {_MOST_SECONDS:g} s, got {value}")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date).

    Zero, negative, or unparsable values mean "no hint" (``None``).
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds or seconds <= 0:  # NaN or no wait
        return None
    return min(seconds, _MOST_SECONDS)


def decode_json_object(response: Response) -> dict[str, object]:
    """The body as a JSON object; anything else is a `ResponseFormatError`."""
    data = response.json()
    if not isinstance(data, dict):
        raise ResponseFormatError(
            f"expected a JSON object from {response.url}, got {type(data).__name__}"
        )
    return data
