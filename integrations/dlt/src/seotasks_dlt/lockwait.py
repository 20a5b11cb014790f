"""Waiting for the locks another run of the pipeline holds: ``--lock-wait``.

A run takes two locks, the pipelines folder's (one machine) and the destination's (any
machine), and ``lock_wait`` is how long it waits for another run to end, whichever of
the two that run holds: so both are asked again every `POLL` s against one deadline.
A stop (SIGINT, SIGTERM) ends the wait at once: no vendor was called yet, so there is
nothing to finish, while waiting on would start the run the user just stopped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from seotasks.errors import Interrupted

__all__ = ["POLL", "LockWait"]

#: How often a waiting run asks again for a lock (seconds).
POLL = 0.5


class LockWait:
    """One run's wait for its locks: ``seconds`` from now, cut short by ``stop``."""

    def __init__(self, seconds: float = 0.0, stop: threading.Event | None = None) -> None:
        self.deadline = time.monotonic() + max(0.0, seconds)
        self.stop = stop

    def take(self, attempt: Callable[[], bool], what: str) -> bool:
        """Call ``attempt`` until it takes the lock (True) or the deadline passed (False).

        Raises `Interrupted` when ``stop`` is set while waiting for ``what``.
        """
        while True:
            if attempt():
                return True
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                return False
            pause = min(POLL, remaining)
            if self.stop is None:
                time.sleep(pause)
            elif self.stop.wait(pause):
                raise Interrupted(f"stopped while waiting for {what}; nothing was fetched")
