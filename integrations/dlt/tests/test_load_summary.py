"""What the summary line (and `LoadSummary`) says of a run whose every collection
failed: what an orchestrator acts on. (A run that finished an interrupted run's pending
package: `test_load_failures`.)"""

from __future__ import annotations

from pathlib import Path

from dltenv import duckdb_rows, ready_emulator
from vendorcalls import load_into

from seotasks.emulation import Fault


def test_a_run_whose_every_fetch_failed_says_so(tmp_path: Path) -> None:
    """Every ``task_get`` answered HTTP 500: the run loaded only rows holding the error
    and said "results 27 rows (27 new, 0 updated)", exit 0, as if all were collected."""
    emulator = ready_emulator(30, seed=6)
    try:
        emulator.server.faults.schedule([Fault.HTTP_500], rate=1.0, seed=1, match="/task_get")
        settings = {**emulator.settings, "families": ["serp"]}
        summary = load_into(tmp_path, "dataforseo", settings, per_run=250, collect=True)
        errors = duckdb_rows(tmp_path / "seotasks.duckdb", "SELECT error FROM {t}.results")
        assert errors and all(error and "TransientError" in error for (error,) in errors)
        assert summary.failed_results == len(errors)
        said = f"{len(errors)} results could not be fetched: their rows hold the error"
        assert said in summary.line()
    finally:
        emulator.stop()
