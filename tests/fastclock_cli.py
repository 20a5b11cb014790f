"""``seotasks`` with every client's clock running ``SEOTASKS_TEST_CLOCK_SPEED`` times faster.

The vendor's documented rates are the client's own pacing (DataForSEO: 2000 ``task_get``
a minute), so 3000 results take 90 s of real time. Tests that kill and re-run the real
command many times run it through this module instead: the same command, the same code,
only the default clock of `seotasks.transport` scaled (the emulator runs with its limits
off, since it cannot share the scaled clock across processes).
"""

from __future__ import annotations

import os

from seotasks import transport
from seotasks.cli import run
from seotasks.clock import ScaledClock

if __name__ == "__main__":
    speed = float(os.environ["SEOTASKS_TEST_CLOCK_SPEED"])
    vars(transport)["SystemClock"] = lambda: ScaledClock(speed)
    run()
