"""Client-side pacing, so a well-behaved run never meets the vendor's rate limit.

Vendors state limits as "N calls per period" (DataForSEO ``tasks_ready``: 20 a minute).
A sliding-window log is used rather than a token bucket: it guarantees at most N calls
in *any* window of one period, which satisfies a vendor that counts per calendar minute
and one that counts over a sliding minute alike, while still allowing the first N calls
at once. A small margin absorbs the network delay between our clock and the vendor's.
"""

from __future__ import annotations

import threading
from collections import deque
from fractions import Fraction

import attrs

from .clock import Clock

__all__ = ["Pacer", "RateLimit"]


@attrs.frozen(slots=True)
class RateLimit:
    """At most ``calls`` calls in any ``period`` seconds."""

    calls: int = attrs.field(validator=attrs.validators.gt(0))
    period: float = attrs.field(validator=attrs.validators.gt(0))

    @classmethod
    def per_minute(cls, calls: int) -> RateLimit:
        return cls(calls, 60.0)

    @classmethod
    def per_second(cls, calls: float) -> RateLimit:
        """``calls`` may be fractional: 0.5 is one call every two seconds, 2.5 five every two."""
        if calls <= 0:
            raise ValueError("calls per second must be positive")
        ratio = Fraction(calls).limit_denominator(1000)
        return cls(ratio.numerator, float(ratio.denominator))


class _Window:
    def __init__(self, limit: RateLimit, margin: float) -> None:
        self.limit = limit
        self.span = limit.period * (1.0 + margin)
        self.stamps: deque[float] = deque(maxlen=limit.calls)
        self.lock = threading.Lock()


class Pacer:
    """Thread-safe per-endpoint pacing; one per client, shared by all its threads.

    ``acquire(endpoint)`` blocks (on the injected clock) until a call to ``endpoint``
    fits in its limit, records it, and returns how long it waited. Endpoints without a
    declared limit pass straight through.
    """

    def __init__(self, limits: dict[str, RateLimit], clock: Clock, *, margin: float = 0.02) -> None:
        self._clock = clock
        self._windows = {name: _Window(limit, margin) for name, limit in limits.items()}
        self.waited = 0.0

    def limit_for(self, endpoint: str) -> RateLimit | None:
        window = self._windows.get(endpoint)
        return window.limit if window else None

    def acquire(self, endpoint: str) -> float:
        window = self._windows.get(endpoint)
        if window is None:
            return 0.0
        waited = 0.0
        # The lock is held while sleeping on purpose: callers queue up in order
        # instead of all waking at the same instant and racing for one slot.
        with window.lock:
            if len(window.stamps) == window.limit.calls:
                delay = window.stamps[0] + window.span - self._clock.monotonic()
                if delay > 0:
                    self._clock.sleep(delay)
                    waited = delay
            window.stamps.append(self._clock.monotonic())
        if waited:
            self.waited += waited
        return waited

    def penalize(self, endpoint: str) -> None:
        """The vendor said we went too fast: treat the current window as full.

        Called when a rate-limit answer arrives despite pacing (another process
        shares the account, say), so the next call waits out a whole window.
        """
        window = self._windows.get(endpoint)
        if window is None:
            return
        with window.lock:
            now = self._clock.monotonic()
            window.stamps.extend([now] * window.limit.calls)
