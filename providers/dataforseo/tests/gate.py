"""`Gate`: a data clock that holds the emulator's calls, so a test knows how many are in
progress there at once (the vendor's limit of 30 simultaneous calls, the client's cap)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime


class Gate:
    """Once ``armed``, every call reading the data clock is held until ``release`` (or
    ``hold`` seconds, so that nothing hangs); ``inside`` counts the calls held. Before
    it is armed, and after, it is the clock ``now``."""

    def __init__(self, now: Callable[[], datetime], *, hold: float = 10.0) -> None:
        self.armed = threading.Event()
        self.release = threading.Event()
        self.inside = threading.Semaphore(0)
        self._now = now
        self._hold = hold

    def now(self) -> datetime:
        if self.armed.is_set() and not self.release.is_set():
            self.inside.release()
            if not self.release.wait(self._hold):
                self.release.set()  # held too long: stop holding, so that nothing hangs
        return self._now()
