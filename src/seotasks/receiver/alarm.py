"""One log line when writing starts failing, one when it works again: never one a request.

A full disk, a quota or a read-only remount makes every delivery fail the same way until
an operator acts. A line (let alone a traceback) per request would bury the one thing
the operator needs in thousands of copies, and fill the log's own disk. So each place
the receiver writes (the results, the pingback queue, the record of rejected deliveries)
has a `WriteAlarm`: the first failure of a burst is logged with its reason, repeats of
the same reason are only counted, and the first success after them logs how many
deliveries were refused meanwhile. A different reason in the middle of a burst is a
new line: it is news. Requests anyone can repeat (a scanner's 404s, malformed bodies)
get a `Throttle`: a line a minute at most, saying how many came.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Throttle", "WriteAlarm"]

log = logging.getLogger("seotasks.receive")


class WriteAlarm:
    """Failures of one kind of write, logged once per burst.

    ``what`` names what is written ("results in DIR"), ``meanwhile`` what the receiver
    does until writing works again ("answering 503").
    """

    def __init__(self, what: str, meanwhile: str) -> None:
        self.what = what
        self.meanwhile = meanwhile
        self._lock = threading.Lock()
        self._failing: str | None = None
        self._refused = 0

    @property
    def failing(self) -> bool:
        return self._failing is not None

    def failed(self, exc: OSError) -> None:
        """Count a failed write; log it if it starts a burst or changes its reason."""
        reason = _reason(exc)
        with self._lock:
            self._refused += 1
            if reason == self._failing:
                return
            self._failing = reason
        log.warning(
            "receiver: cannot write %s: %s; %s until a write succeeds",
            self.what,
            reason,
            self.meanwhile,
        )

    def succeeded(self) -> None:
        """A write worked: if a burst of failures was going on, say that it ended."""
        if self._failing is None:  # the common case, without taking the lock
            return
        with self._lock:
            if self._failing is None:
                return
            refused, self._refused, self._failing = self._refused, 0, None
        failed = "1 write had" if refused == 1 else f"{refused} writes had"
        log.warning("receiver: writing %s works again (%s failed)", self.what, failed)


class Throttle:
    """At most one log line a ``period`` for a kind of request strangers can repeat at will
    (a scanner's 404s, malformed bodies): a line each would let anyone fill the log."""

    def __init__(self, period: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.period = period
        self._clock = clock
        self._lock = threading.Lock()
        self._last: float | None = None
        self._since = 0

    def due(self) -> int | None:
        """Count one; how many came since the last line (this one included) when a line
        is due now, else None (counted, not logged)."""
        with self._lock:
            self._since += 1
            now = self._clock()
            if self._last is not None and now - self._last < self.period:
                return None
            self._last, count, self._since = now, self._since, 0
            return count

    def held(self) -> int:
        """How many were counted since the last line, and none after this (a stop says
        them: they were never logged)."""
        with self._lock:
            count, self._since = self._since, 0
            return count


def _reason(exc: OSError) -> str:
    """The error without its file name (a temporary name would make each line unique)."""
    if exc.strerror:
        return f"[Errno {exc.errno}] {exc.strerror}" if exc.errno else exc.strerror
    return type(exc).__name__
