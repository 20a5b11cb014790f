"""``seotasks load --collect`` in bounded memory: the peak does not grow with the results.

Before results were loaded in bounded packages, a load took 0.62 GB for 500 results of
18 KB, 1.4 GB for 1500 and 2.07 GB for 3000: every result stayed in memory until the load,
about 0.78 MB each. Here the command runs in a child process whose peak (``VmHWM``) is
read while it runs (`peakrss`), twice side by side: 150 and 600 such results (the emulator
fills each ``task_get`` answer with SERP items to the size asked, ``result_padding``). The
450 more results may cost only what DuckDB's row group holds of them (docs/dlt.md), not
the 350 MB they once did, and neither run passes the bound the docs give (250 MB).
`benchmarks/dltload.py` prints 500 / 3000 / 10 000, where the figure is flat past the
2 048 results of a row group.

The clients' clock runs a hundred times faster (`peakrss`): the vendor's 2000 task_get a
minute would make the test wait for nothing that memory depends on (the docs' 3000
results: 229 MB on the real clock, 230 on one ten times faster).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dltenv import cli_env, duckdb_rows, ready_emulator
from peakrss import run_measured

#: Bytes of JSON per result: a SERP answer of typical size.
RESULT_SIZE = 18_000
#: The two loads' sizes, and what the larger may cost more than the smaller, in MB (the
#: results retained before would be about 350 MB; measured now: about 20 MB).
SMALL, LARGE = 150, 600
GROWTH = 80


def _measured(count: int, seed: int, tmp: Path) -> tuple[float, int]:
    """A ``load --collect`` of ``count`` ready results into a DuckDB file of its own: its
    peak RSS in MB, and how many results it loaded (checked against the vendor's)."""
    emulator = ready_emulator(count, seed=seed)
    try:
        emulator.app.result_padding = RESULT_SIZE
        truth = emulator.ready_ids(["serp"])
        database = tmp / "x.duckdb"
        args = ["load", "-p", "dataforseo", "-o", "families=serp", "--collect"]
        args += ["--to", str(database), "--pipelines-dir", str(tmp / "p")]
        env = cli_env(tmp, {"dataforseo": emulator.settings})
        env["SEOTASKS_TEST_CLOCK_SPEED"] = "100"
        done, peak = run_measured(args, env)
        assert done.returncode == 0, done.stderr
        [(count_loaded, size)] = duckdb_rows(
            database,
            "SELECT count(DISTINCT id), avg(length(CAST(result AS VARCHAR))) FROM {t}.results",
        )
        assert count_loaded == len(truth)
        assert size > RESULT_SIZE * 0.9
        return peak, count_loaded
    finally:
        emulator.stop()


def test_load_collect_peak_does_not_grow_with_the_results(tmp_path: Path) -> None:
    (tmp_path / "small").mkdir()
    (tmp_path / "large").mkdir()
    with ThreadPoolExecutor(2) as pool:
        small = pool.submit(_measured, SMALL, 5, tmp_path / "small")
        large = pool.submit(_measured, LARGE, 6, tmp_path / "large")
        (peak_small, count_small), (peak_large, count_large) = small.result(), large.result()
    print(f"peak {peak_small:.0f} MB for {count_small}, {peak_large:.0f} MB for {count_large}")
    assert count_large - count_small > 400
    assert peak_large - peak_small <= GROWTH, (peak_small, peak_large)
    assert peak_large <= 250, peak_large
