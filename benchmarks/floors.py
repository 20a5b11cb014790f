"""Benchmark 1b: the normalization floors, judged on the median of several processes.

The floors bound seotasks' page -> tasks time against ``json.loads`` of the
same bytes: at most 1.6x for DataForSEO's tasks_ready and id_list pages, 2.0x for
Serpstat's getList page. One process is not enough to judge them: the same
``json.loads`` of the same bytes takes 0.74-0.86 ms depending on the process (its heap
layout), a spread as wide as the distance to a floor, while seotasks' own time barely
moves. So each of ``PROCESSES`` fresh processes times every page against ``json.loads``
with their repeats interleaved (`timing.measure_together`), and the floor is judged on
the median ratio; min and max show the spread.

``python benchmarks/floors.py`` prints the table; ``--one`` is what each child runs.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

#: Page kind -> the most seotasks may take, as a multiple of ``json.loads``.
FLOORS = {"ready": 1.6, "history": 1.6, "serpstat": 2.0}
PROCESSES = 7


def one(quick: bool = False) -> dict[str, float]:
    """In this process: seotasks / ``json.loads`` for each page kind (fastest repeats)."""
    from normalize import SEOTASKS, pages
    from timing import measure_together

    ratios: dict[str, float] = {}
    for name, body in pages().items():
        read = SEOTASKS[name]
        candidates: dict[str, Callable[[], object]] = {
            "seotasks": partial(read, body),
            "json.loads": partial(json.loads, body),
        }
        timed = measure_together(candidates, quick=quick)
        ratios[name] = timed["seotasks"].best / timed["json.loads"].best
    return ratios


def run(quick: bool = False) -> dict[str, dict[str, Any]]:
    """Per page kind: the floor, every process's ratio, and their min, median and max."""
    runs = []
    for _ in range(3 if quick else PROCESSES):
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--one", *(["--quick"] * quick)],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        runs.append(json.loads(done.stdout))
    out: dict[str, dict[str, Any]] = {}
    for name, floor in FLOORS.items():
        ratios = sorted(r[name] for r in runs)
        out[name] = {
            "floor": floor,
            "ratios": ratios,
            "min": ratios[0],
            "median": statistics.median(ratios),
            "max": ratios[-1],
        }
    return out


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    if "--one" in sys.argv:
        print(json.dumps(one(quick)))
    else:
        for name, r in run(quick).items():
            verdict = "met" if r["median"] <= r["floor"] else "NOT met"
            print(
                f"{name:9} median {r['median']:.2f}x ({r['min']:.2f}x-{r['max']:.2f}x) "
                f"against <= {r['floor']}x: {verdict}"
            )
