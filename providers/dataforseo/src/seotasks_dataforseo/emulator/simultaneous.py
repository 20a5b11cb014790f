"""The vendor's limit on requests in progress at once: at most 30 per account, the next
one refused with 40209 "Too many simultaneous queries." (docs/vendors/dataforseo.md,
"Authentication / host"). `DataForSEOApp` holds a slot from the moment a call is
authorized until its answer is built."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ..wire import SIMULTANEOUS

__all__ = ["SIMULTANEOUS", "Simultaneous"]


class Simultaneous:
    """Counts the calls in progress; thread-safe (each request has its own thread)."""

    def __init__(self, limit: int = SIMULTANEOUS) -> None:
        self.limit = limit
        #: Calls that found ``limit`` others in progress (refused if the app enforces limits).
        self.refused = 0
        #: The most calls in progress at once so far, refused ones not counted.
        self.peak = 0
        self._busy = 0
        self._lock = threading.Lock()

    @contextmanager
    def slot(self) -> Iterator[bool]:
        """Yields whether the call got a slot (False: ``limit`` others hold one); a slot
        is given back when the block ends, however it ends."""
        with self._lock:
            admitted = self._busy < self.limit
            if admitted:
                self._busy += 1
                self.peak = max(self.peak, self._busy)
            else:
                self.refused += 1
        try:
            yield admitted
        finally:
            if admitted:
                with self._lock:
                    self._busy -= 1
