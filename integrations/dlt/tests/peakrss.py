"""The peak memory of a ``seotasks`` command, measured in its own process.

`run_measured` runs the command in a child process that reports its own peak resident set
(``VmHWM`` from ``/proc/self/status``, read as the command returns), so the figure is that
process's alone: not the test's, which runs the emulator and holds its answers, and not
a sample that could miss the last instants. Used by `test_memory.py` and by
``benchmarks/dltload.py``.

With ``SEOTASKS_TEST_CLOCK_SPEED`` set, every client's clock runs that many times faster,
as ``tests/fastclock_cli.py`` does for the core's kill tests: the vendor's pacing (2000
``task_get`` a minute) is then not what a measure of 10 000 results waits for.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence

__all__ = ["run_measured"]

_DRIVER = """
import os, sys
from seotasks.cli import main
speed = os.environ.get("SEOTASKS_TEST_CLOCK_SPEED")
if speed:
    from seotasks import transport
    from seotasks.clock import ScaledClock
    vars(transport)["SystemClock"] = lambda: ScaledClock(float(speed))
code = main(sys.argv[1:])
with open("/proc/self/status") as status:
    peak = next(line for line in status if line.startswith("VmHWM:"))
sys.stderr.write("PEAK_KB " + peak.split()[1] + "\\n")
sys.exit(code)
"""


def run_measured(
    args: Sequence[str], env: Mapping[str, str], *, timeout: float = 900
) -> tuple[subprocess.CompletedProcess[str], float]:
    """``seotasks *args`` in a child process; its result and its peak RSS in MB."""
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    peaks = [line for line in done.stderr.splitlines() if line.startswith("PEAK_KB ")]
    if not peaks:
        raise AssertionError(f"no peak reported (rc {done.returncode}): {done.stderr[-2000:]}")
    return done, int(peaks[-1].split()[1]) / 1024
