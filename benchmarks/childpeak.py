"""The peak memory of a benchmark's child process, read while it runs.

``os.wait4``'s ``ru_maxrss`` (and ``RUSAGE_SELF`` read inside the child) is no measure of
a child here: Linux carries the parent's high-water mark into a child forked from it,
across ``exec``, and `run.py` grows to hundreds of MiB over a full run (the dlt load
runs in it). Every child then reported the parent's peak, whatever it held itself. The
child's own ``VmHWM`` (`seotasks.testing.memory.peak_rss`) belongs to the address space
``exec`` gave it, so it is read instead, from a thread, while the caller reads the
child's output.
"""

from __future__ import annotations

import subprocess
import threading

from seotasks.testing.memory import peak_rss

__all__ = ["PeakWatch"]


class PeakWatch:
    """Watches ``proc`` from a thread until it ends; `mib` waits for that and returns
    its peak resident set in MiB."""

    def __init__(self, proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
        self._peak = 0
        self._thread = threading.Thread(target=self._watch, args=(proc,), daemon=True)
        self._thread.start()

    def _watch(self, proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
        self._peak = peak_rss(proc)

    def mib(self) -> float:
        self._thread.join()
        return self._peak / 2**20
