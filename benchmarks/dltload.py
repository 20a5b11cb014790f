"""Benchmark 6: tasks loaded a second into DuckDB through seotasks-dlt, and who spends the time.

A Serpstat emulator with 100 000 tasks runs in its own process (`serve.py`). Measured in
this process, one after the other on the same emulator:

* ``seotasks``: the listing alone - ``client.pages(status="any")`` and the ``tasks`` row of
  each task (`seotasks_dlt.rows.task_row`), i.e. exactly seotasks' part of the load;
* ``load``: `seotasks_dlt.load` into a fresh DuckDB file (extract, which includes the
  listing, then dlt's normalize and load), with dlt's own step times from its trace;
* ``second``: the same load again, as the next scheduled run would: only the pages from
  the oldest unfinished task on are asked for and merged;
* baseline: the first load again into another file with dlt's default DuckDB loader file
  format (``insert_values``) instead of the ``jsonl`` that ``seotasks load`` picks.

The share of seotasks is its listing time over the whole load; the rest is dlt's. Pacing
is off (a `FakeClock`): the vendor's rate limit is not what is measured.

And the peak memory of ``seotasks load --collect`` (`collect_peaks`): DataForSEO
``tasks_ready`` results of 18 KB (the emulator's ``result_padding``), 500, 3000 and
10 000 of them (500 and 3000 with ``--quick``), each loaded by the real command in a child
process whose ``VmHWM`` is read while it runs (`integrations/dlt/tests/peakrss.py`), its clients'
clock ten times faster so that the vendor's 2000 task_get a minute is not what is waited
for. Before results were loaded in bounded packages: 0.62 GB for 500, 2.07 GB for 3000.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from paging import served

import seotasks
from seotasks.clock import FakeClock

DLT_TESTS = Path(__file__).resolve().parents[1] / "integrations" / "dlt" / "tests"
#: Bytes of JSON per result in `collect_peaks`.
RESULT_SIZE = 18_000

OPTIONS: dict[str, Any] = {"page_size": 1000, "rps": 100.0}
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


def _listing(settings: dict[str, Any]) -> tuple[int, float]:
    from seotasks_dlt.rows import task_row

    started = time.perf_counter()
    count = 0
    with seotasks.connect("serpstat", clock=FakeClock(), env={}, **settings, **OPTIONS) as c:
        for page in c.pages(status="any"):
            count += len([task_row(t, None) for t in page.tasks])
    return count, time.perf_counter() - started


def _timed_load(
    settings: dict[str, Any], to: Path, pipelines_dir: Path, name: str, **extra: Any
) -> tuple[Any, float]:
    """One `seotasks_dlt.load` of the emulator's tasks into ``to`` (pacing off: a
    `FakeClock`), and the seconds it took. ``extra`` goes to ``load`` as is."""
    from seotasks_dlt import load

    started = time.perf_counter()
    summary = load(
        ["serpstat"],
        to=to,
        pipelines_dir=pipelines_dir,
        name=name,
        options={"serpstat": {**settings, **OPTIONS}},
        clock=FakeClock(),
        **extra,
    )
    return summary, time.perf_counter() - started


def _baseline(settings: dict[str, Any], where: Path) -> float:
    """The same first load with dlt's default DuckDB file format (INSERT statements)."""
    _, seconds = _timed_load(
        settings,
        where / "baseline.duckdb",
        where / "baseline",
        "seotasks_baseline",
        file_format="insert_values",
    )
    return seconds


def _load(settings: dict[str, Any], where: Path) -> dict[str, Any]:
    import dlt

    to, pipelines = where / "bench.duckdb", where / "pipelines"
    summary, total = _timed_load(settings, to, pipelines, "seotasks_bench")
    trace = dlt.attach("seotasks_bench", pipelines_dir=str(pipelines)).last_trace
    assert trace is not None, "dlt kept no trace of the load"
    steps: dict[str, float] = {
        s.step: (s.finished_at - s.started_at).total_seconds()
        for s in trace.steps
        if s.finished_at is not None and s.step in ("extract", "normalize", "load")
    }
    # The next scheduled run: nothing new, only the pages from the oldest unfinished task on.
    second, second_s = _timed_load(settings, to, pipelines, "seotasks_bench")
    return {
        "rows": summary.tables["tasks"].rows,
        "total_s": total,
        **steps,
        "second_s": second_s,
        "second_rows": second.tables["tasks"].rows,
    }


def collect_peaks(quick: bool) -> dict[str, float]:
    """Peak RSS (MB) and seconds of ``seotasks load --collect`` for 500 / 3000 / 10 000
    results of `RESULT_SIZE` bytes, keyed ``peak_<n>_mb`` and ``peak_<n>_s``."""
    sys.path.insert(0, str(DLT_TESTS))
    from dltenv import cli_env, ready_emulator
    from peakrss import run_measured

    figures: dict[str, float] = {}
    for count in (500, 3000) if quick else (500, 3000, 10_000):
        emulator = ready_emulator(count, seed=5)
        try:
            emulator.app.result_padding = RESULT_SIZE
            with tempfile.TemporaryDirectory() as tmp:
                env = cli_env(Path(tmp), {"dataforseo": emulator.settings})
                env["SEOTASKS_TEST_CLOCK_SPEED"] = "10"
                args = ["load", "-p", "dataforseo", "-o", "families=serp", "--collect"]
                args += ["--to", f"{tmp}/x.duckdb", "--pipelines-dir", f"{tmp}/p"]
                started = time.perf_counter()
                done, peak = run_measured(args, env)
                if done.returncode != 0:
                    raise RuntimeError(f"seotasks load failed: {done.stderr[-500:]}")
                figures[f"peak_{count}_mb"] = peak
                figures[f"peak_{count}_s"] = time.perf_counter() - started
        finally:
            emulator.stop()
    return figures


def run(quick: bool = False) -> dict[str, float]:
    size = 10_000 if quick else 100_000
    with served("serpstat", size) as settings, tempfile.TemporaryDirectory() as tmp:
        listed, listing_s = _listing(settings)
        loaded = _load(settings, Path(tmp))
        baseline_s = _baseline(settings, Path(tmp))
    if loaded["rows"] != listed:
        raise AssertionError(f"loaded {loaded['rows']} rows, listed {listed}")
    total = float(loaded["total_s"])
    return {
        "tasks": float(listed),
        "tasks_per_s": listed / total,
        "total_s": total,
        "seotasks_s": listing_s,
        "seotasks_share": listing_s / total,
        "extract_s": float(loaded.get("extract", 0.0)),
        "normalize_s": float(loaded.get("normalize", 0.0)),
        "load_s": float(loaded.get("load", 0.0)),
        "second_s": float(loaded["second_s"]),
        "second_rows": float(loaded["second_rows"]),
        "insert_values_s": baseline_s,
        **collect_peaks(quick),
    }


if __name__ == "__main__":
    result = run(quick="--quick" in sys.argv)
    print({k: round(v, 3) for k, v in result.items()})
