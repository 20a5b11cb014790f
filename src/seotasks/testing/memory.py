"""`peak_rss`: the peak memory of a child process, read while it runs.

``wait4``'s ``ru_maxrss`` would carry the parent's high-water mark into a child forked
from it (Linux keeps it across ``exec``), and a test or benchmark process holds the
emulator's answers; so the child's own ``VmHWM`` is read from /proc while it runs. The
figure only grows, so the last reading is the peak up to the child's last instants.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

__all__ = ["peak_rss"]

#: Seconds between readings.
_POLL = 0.01


def peak_rss(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> int:
    """Wait for ``proc`` to end; its peak resident set size in bytes (Linux ``VmHWM``)."""
    status = Path(f"/proc/{proc.pid}/status")
    peak = 0
    while proc.poll() is None:
        try:
            text = status.read_text()
        except OSError:  # it ended between the poll and the read
            break
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) * 1024)
        time.sleep(_POLL)
    proc.wait()
    return peak
