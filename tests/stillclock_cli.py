"""``seotasks`` whose sandbox clock stands still between its pacing waits.

The sandbox's clock runs a minute a real second, so whether a run waits at all depends
on the machine: a busy one took more than a second (the window's minute) for the calls
a vendor's window allows (DataForSEO: ten ``id_list``, twenty ``tasks_ready``), and
never waited. On this clock time moves by the waits alone, so the call past a window's
allowance always waits: its real share of the wait (a minute: a second), or, with
``SEOTASKS_TEST_HOLD_WAITS=1``, until the stop (a signal) ends it, so a test that
signals a run it saw waiting knows it is still waiting.
"""

from __future__ import annotations

import os
import threading

from seotasks import clock
from seotasks.cli import run

#: Only guards against a hang: a held wait no signal ends goes on after this many seconds.
HANG = 120.0


class StillClock(clock.ScaledClock):
    """`ScaledClock`'s factor, its time moved by the waits and sleeps alone."""

    def __init__(self, factor: float) -> None:
        super().__init__(factor)
        self._now = 0.0
        self._lock = threading.Lock()
        self._hold = os.environ.get("SEOTASKS_TEST_HOLD_WAITS") == "1"

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._now += max(0.0, seconds)

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        stopped = stop.wait(HANG if self._hold else max(0.0, seconds) / self.factor)
        self.sleep(seconds)
        return stopped


if __name__ == "__main__":
    vars(clock)["ScaledClock"] = StillClock
    run()
