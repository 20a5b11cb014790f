"""Benchmark 4: ``seotasks --help`` wall time against ``python -c pass``."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _wall(args: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run(quick: bool = False) -> dict[str, float]:
    runs = 5 if quick else 21
    _wall([sys.executable, "-c", "pass"], 2)  # warm the page cache
    _wall([str(BIN / "seotasks"), "--help"], 2)
    return {
        "python_s": _wall([sys.executable, "-c", "pass"], runs),
        "help_s": _wall([str(BIN / "seotasks"), "--help"], runs),
        "providers_s": _wall([str(BIN / "seotasks"), "providers"], max(3, runs // 3)),
    }


if __name__ == "__main__":
    print({k: round(v * 1000, 1) for k, v in run(quick="--quick" in sys.argv).items()})
