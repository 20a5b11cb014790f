"""Time sources the library waits on.

Everything that sleeps (pacing, retry backoff) goes through a `Clock`, so tests
and emulators can run hours of vendor rate limits in milliseconds.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Protocol

__all__ = ["Clock", "FakeClock", "ScaledClock", "SystemClock"]


class Clock(Protocol):
    """What the transport and the pacer need from time."""

    def monotonic(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock's scale."""
        ...

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        """Like `sleep`, but return as soon as ``stop`` is set; True when it was.

        Every long wait of the library (a pacing slot, a ``Retry-After`` of up to an
        hour) goes through this, so a run asked to stop (SIGINT, SIGTERM) is never held
        by one.
        """
        ...


class SystemClock:
    """Real time."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        return stop.wait(seconds) if seconds > 0 else stop.is_set()


class ScaledClock:
    """Real time running ``factor`` times faster: one real second is ``factor`` clock seconds.

    Shared by a client and an emulator, it lets a benchmark run a 20-calls-a-minute
    limit for real, in a fraction of the time.
    """

    def __init__(self, factor: float) -> None:
        if factor <= 0:
            raise ValueError("factor must be positive")
        self.factor = factor
        self._origin = time.monotonic()

    def monotonic(self) -> float:
        return (time.monotonic() - self._origin) * self.factor

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self.factor)

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        return stop.wait(seconds / self.factor) if seconds > 0 else stop.is_set()


class FakeClock:
    """A clock that only moves when slept on (or advanced); sleeps return at once.

    ``slept`` records every sleep, so a test can assert that a ``Retry-After`` was honoured.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            if seconds > 0:
                self._now += seconds

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        """A stop already set ends the wait before any time passes; otherwise as `sleep`."""
        if stop.is_set():
            return True
        self.sleep(seconds)
        return stop.is_set()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


def wall_reading(value: object) -> datetime:
    """What a ``now=`` callable returned, checked: an aware `datetime`, or raise naming
    ``now``. Checked at each reading, not once at `connect`: a clock that goes wrong
    later (a test's fake returning a string after a reset) would otherwise fail inside a
    comparison with a time, as "can't compare offset-naive and offset-aware datetimes"
    or a bare ``str - timedelta``, far from its cause, or not at all where nothing is
    bounded."""
    if not isinstance(value, datetime):
        raise TypeError(
            f"the now= clock returned {type(value).__name__} {value!r}, not a datetime "
            "(connect(now=...) takes a no-argument callable returning an aware datetime)"
        )
    if value.utcoffset() is None:
        raise ValueError(
            f"the now= clock returned a naive datetime {value!r}: return an aware one "
            "(datetime.now(UTC), or attach the zone it is in)"
        )
    return value
