"""The peak memory of a ``seotasks`` command, measured in its own process.

`run_measured` runs the command in a child process and reads that child's peak resident
set while it runs (`seotasks.testing.memory.peak_rss`, the reading the core's memory
tests and the collecting benchmark use), so the figure is that process's alone: not the
test's, which runs the emulator and holds its answers. Used by `test_memory.py` and by
``benchmarks/dltload.py``.

The command runs through the core's ``tests/fastclock_cli.py``: every client's clock runs
``SEOTASKS_TEST_CLOCK_SPEED`` times faster (which the caller's ``env`` must set), so the
vendor's pacing (2000 ``task_get`` a minute) is not what a measure of 10 000 results
waits for.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from seotasks.testing.memory import peak_rss

__all__ = ["run_measured"]

_FAST_CLI = Path(__file__).resolve().parents[3] / "tests" / "fastclock_cli.py"


def run_measured(
    args: Sequence[str], env: Mapping[str, str], *, timeout: float = 900
) -> tuple[subprocess.CompletedProcess[str], float]:
    """``seotasks *args`` in a child process; its result and its peak RSS in MB.

    Its output goes to files, not pipes: a pipe nobody reads while the peak is polled
    would fill and stall the command."""
    assert "SEOTASKS_TEST_CLOCK_SPEED" in env, "the fast clock needs its speed"
    argv = [sys.executable, str(_FAST_CLI), *args]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(argv, env=dict(env), stdout=out, stderr=err, text=True)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            peak = peak_rss(proc)
        finally:
            timer.cancel()
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(argv, proc.returncode, out.read(), err.read())
    return done, peak / (1 << 20)
