"""Benchmark 1b: the normalization floors, judged on the median of several processes.

The floors bound seotasks' page -> tasks time (envelope checks plus the provider's
declared item reader, on the bytes of one seeded 1000-task page):

* DataForSEO ``tasks_ready`` and ``id_list``: at least 1.5x faster than the official
  ``dataforseo-client`` deserializing the same page into its models;
* Serpstat ``tasks.getList``: at most 3.5x ``json.loads`` of the same bytes.

One process is not enough to judge them: the same ``json.loads`` of the same bytes takes
noticeably different times from one process to the next (its heap layout), and this
shared machine drifts. So each of ``PROCESSES`` fresh processes of the benchmark venv
(`benchvenv`: the official client with seotasks beside it) times every candidate with
their repeats interleaved (`official.py`), and each floor is judged on the median ratio
over the processes; min and max show the spread.

``python benchmarks/floors.py [--quick]`` prints the table.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PROCESSES = 7


class Floor(NamedTuple):
    """``ratio = numerator / denominator`` of best times, and the bound it must meet."""

    numerator: str
    denominator: str
    bound: float
    at_least: bool  # True: ratio >= bound ("x faster"); False: ratio <= bound

    def met(self, ratio: float) -> bool:
        return ratio >= self.bound if self.at_least else ratio <= self.bound

    def describe(self) -> str:
        if self.at_least:
            return f">= {self.bound}x faster than the official client"
        return f"<= {self.bound}x json.loads"


FLOORS = {
    "ready": Floor("official", "seotasks", 1.5, at_least=True),
    "history": Floor("official", "seotasks", 1.5, at_least=True),
    "serpstat": Floor("seotasks", "json.loads", 3.5, at_least=False),
}


def _python() -> Path:
    from benchvenv import bench_python

    return bench_python() or Path(sys.executable)


def run(quick: bool = False) -> dict[str, dict[str, Any]]:
    """Per page kind: the floor, every process's ratio, their min, median and max."""
    from normalize import pages

    python = _python()
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        args = [str(python), str(HERE / "official.py")]
        for name, body in pages().items():
            path = Path(tmp) / f"{name}.json"
            path.write_bytes(body)
            args += [f"--{name}", str(path)]
        if quick:
            args.append("--quick")
        for _ in range(3 if quick else PROCESSES):
            done = subprocess.run(args, capture_output=True, text=True, timeout=600, check=True)
            runs.append(json.loads(done.stdout))
    out: dict[str, dict[str, Any]] = {}
    for name, floor in FLOORS.items():
        measured = [r[name] for r in runs if floor.numerator in r[name]]
        if not measured:
            out[name] = {"floor": floor.describe(), "available": False}
            continue
        ratios = sorted(r[floor.numerator] / r[floor.denominator] for r in measured)
        median = statistics.median(ratios)
        out[name] = {
            "floor": floor.describe(),
            "available": True,
            "ratios": ratios,
            "min": ratios[0],
            "median": median,
            "max": ratios[-1],
            "met": floor.met(median),
            "seotasks_ms": statistics.median(r["seotasks"] for r in measured) * 1e3,
            "baseline_ms": statistics.median(
                r[floor.numerator if floor.at_least else floor.denominator] for r in measured
            )
            * 1e3,
        }
    out["versions"] = runs[-1].get("versions", {})
    return out


if __name__ == "__main__":
    results = run(quick="--quick" in sys.argv)
    for name, r in results.items():
        if name == "versions":
            continue
        if not r["available"]:
            print(f"{name:9} {r['floor']}: unavailable")
            continue
        print(
            f"{name:9} median {r['median']:.2f}x ({r['min']:.2f}x-{r['max']:.2f}x), "
            f"{r['floor']}: {'met' if r['met'] else 'NOT met'}"
        )
