"""`InFlight`: at most so many of one client's calls at the vendor at once.

Some vendors serve only so many calls of an account at once and refuse the next
(DataForSEO: 30, the 31st answered 40209 "Too many simultaneous queries."). The
refusal is retried, but each costs a call and a wait, and a client with more workers
or threads than the limit would meet it on every round. So a transport whose provider
declares `Provider.max_in_flight` holds one of that many places from before a call is
paced until its answer is read, and a call beyond them waits here, unsent. Before the
pacing, so that the pacer never counts a call at a time it was not sent. The wait ends
as the pacer's do: when the transport is closed (`ValueError`) or interrupted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .cancel import stop_for
from .errors import Interrupted

__all__ = ["InFlight"]

#: Seconds between looks at the stop event while waiting for a place.
_LOOK = 0.25


class InFlight:
    """``limit`` places; `enter` takes one (waiting for it), `leave` gives it back."""

    def __init__(
        self, limit: int, *, stop: threading.Event, check_open: Callable[[], None]
    ) -> None:
        if type(limit) is not int or limit < 1:
            raise ValueError(f"max_in_flight must be a whole number of 1 or more, got {limit!r}")
        self.limit = limit
        self._stop = stop
        self._check_open = check_open
        self._places = threading.BoundedSemaphore(limit)

    def enter(self) -> None:
        """Take a place, waiting while ``limit`` calls are out; `ValueError` once the
        transport is closed, `Interrupted` once it is interrupted, nothing taken."""
        stop = stop_for(self._stop)
        while not self._places.acquire(timeout=_LOOK):
            if stop.is_set():
                self._check_open()
                raise Interrupted(f"stopped while {self.limit} calls were out at once")

    def leave(self) -> None:
        self._places.release()

    def after_fork_in_child(self) -> None:
        """All places free: the calls the parent's threads had out are not the child's."""
        self._places = threading.BoundedSemaphore(self.limit)
