"""``seotasks load --collect`` in bounded memory: the peak does not grow with the results.

Before results were loaded in bounded packages, a load took 0.62 GB for 500 results of 18 KB, 1.4 GB for 1500 and 2.07 GB for
3000: every result stayed in memory until the load. Here the command runs in a child
process whose peak (``VmHWM``) is read while it runs, and loads 3000 such results (the emulator
fills each ``task_get`` answer with SERP items to the size asked, ``result_padding``). The bound (docs/dlt.md):
at most 250 MB for 3000 results. `benchmarks/dltload.py` prints 500 / 3000 / 10 000.
The clients' clock runs ten times faster (`peakrss`): the vendor's 2000 task_get a minute
would make the test wait a minute for nothing that memory depends on (measured either way:
229 and 230 MB).
"""

from __future__ import annotations

from pathlib import Path

from dltenv import cli_env, duckdb_rows, ready_emulator
from peakrss import run_measured

#: Bytes of JSON per result: a SERP answer of typical size.
RESULT_SIZE = 18_000


def test_load_collect_of_3000_results_of_18_kb_peaks_under_250_mb(tmp_path: Path) -> None:
    emulator = ready_emulator(3000, seed=5)
    try:
        emulator.app.result_padding = RESULT_SIZE
        truth = emulator.ready_ids(["serp"])
        database = tmp_path / "x.duckdb"
        args = ["load", "-p", "dataforseo", "-o", "families=serp", "--collect"]
        args += ["--to", str(database), "--pipelines-dir", str(tmp_path / "p")]
        env = cli_env(tmp_path, {"dataforseo": emulator.settings})
        env["SEOTASKS_TEST_CLOCK_SPEED"] = "10"
        done, peak = run_measured(args, env)
        assert done.returncode == 0, done.stderr
        [(count, size)] = duckdb_rows(
            database,
            "SELECT count(DISTINCT id), avg(length(CAST(result AS VARCHAR))) FROM {t}.results",
        )
        assert count == len(truth)
        assert size > RESULT_SIZE * 0.9
        print(f"peak {peak:.0f} MB for {count} results of {size / 1000:.0f} KB")
        assert peak <= 250, peak
    finally:
        emulator.stop()
