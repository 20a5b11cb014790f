"""Benchmark 3: 1 000 000 tasks through ``seotasks tasks --format jsonl``, with peak RSS.

A Serpstat emulator with 1 000 000 tasks runs in its own process (`serve.py`); the CLI
runs as a child of this one, pointed at it by the same env vars a user sets, with the
plan's rate raised to the API's maximum (``-o rps=100``: 100 pages of 1000 a second,
faster than the client can read them). Its stdout is counted and thrown away. The peak
RSS of the CLI process is its own ``VmHWM`` (`childpeak`), for a run stopped at 100 000
tasks (``--limit``) and a full run: a streaming CLI keeps them about equal.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from childpeak import PeakWatch
from paging import served

BIN = Path(sys.executable).parent


def _cli(settings: dict[str, Any], limit: int | None) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEOTASKS_")}
    env["SEOTASKS_SERPSTAT_BASE_URL"] = settings["base_url"]
    env["SEOTASKS_SERPSTAT_TOKEN"] = settings["token"]
    args = [str(BIN / "seotasks"), "tasks", "-p", "serpstat", "--status", "any"]
    args += ["--format", "jsonl", "-o", "rps=100"]
    if limit is not None:
        args += ["--limit", str(limit)]
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    peak = PeakWatch(proc)
    lines = 0
    size = 0
    for chunk in iter(lambda: proc.stdout.read(1 << 20), b""):  # type: ignore[union-attr]
        lines += chunk.count(b"\n")
        size += len(chunk)
    err = proc.stderr.read()
    peak_mib = peak.mib()  # once the process ended
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"seotasks exited {proc.returncode}: {err.decode()[-500:]}")
    return {
        "tasks": lines,
        "seconds": elapsed,
        "tasks_per_s": lines / elapsed,
        "bytes": size,
        "peak_rss_mib": peak_mib,
    }


def run(quick: bool = False) -> dict[str, dict[str, float]]:
    total = 200_000 if quick else 1_000_000
    small = total // 10
    with served("serpstat", total) as settings:
        return {"small": _cli(settings, small), "full": _cli(settings, None)}


if __name__ == "__main__":
    for name, row in run(quick="--quick" in sys.argv).items():
        print(name, {k: round(v, 2) for k, v in row.items()})
