"""Two accounts' pipelines in one dataset: each collects only its own account's results.

The docs let every profile's pipeline load into the same dataset and tables. A collecting
run also fills in the completed tasks the destination holds without a result; it asked
for every such task of the provider, whichever account loaded it, so account A's run
fetched account B's tasks with A's credentials (a call each, answered "Data not found"),
and stored that verdict as B's result. An error that is the vendor's verdict is never
tried again: B's own collecting run then skipped those tasks, and their results were
never loaded. Counted at the emulators, per task (real HTTP, real DuckDB).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dltenv import duckdb_rows
from seotasks_dlt import LoadSummary, load
from seotasks_serpstat.emulator import SerpstatEmulator
from vendorcalls import get_task_results

from seotasks.clock import FakeClock


def _load(tmp: Path, name: str, serp: SerpstatEmulator, **kwargs: Any) -> LoadSummary:
    """Account ``name``'s Serpstat into the one shared DuckDB file, its own pipeline."""
    return load(
        ["serpstat"],
        to=tmp / "seotasks.duckdb",
        pipelines_dir=tmp / "pipelines",
        name=name,
        options={"serpstat": {**serp.settings, "rps": 100.0}},
        clock=FakeClock(),
        **kwargs,
    )


def test_a_collecting_run_fetches_no_task_of_another_account(tmp_path: Path) -> None:
    """B loads its tasks without results, A collects, then B collects: A's emulator is
    asked for A's tasks only, and B's results all arrive, once, without an error."""
    with (
        SerpstatEmulator(seed=7, size=60, rps=None) as serp_a,
        SerpstatEmulator(seed=8, size=60, rps=None) as serp_b,
    ):
        ids_a, ids_b = set(serp_a.task_ids()), set(serp_b.task_ids())
        assert ids_a and ids_b and not ids_a & ids_b, "the accounts must hold different tasks"
        _load(tmp_path, "account_b", serp_b)
        _load(tmp_path, "account_a", serp_a, collect=True)
        fetched_by_a = get_task_results(serp_a.server.requests)
        _load(tmp_path, "account_b", serp_b, collect=True)
        fetched_by_b = get_task_results(serp_b.server.requests)
        done_b = set(serp_b.task_ids("completed"))
    assert set(fetched_by_a) <= ids_a
    assert done_b and set(fetched_by_b) == done_b
    rows = duckdb_rows(
        tmp_path / "seotasks.duckdb", "SELECT id, error FROM {t}.results ORDER BY id"
    )
    of_b = {str(i): error for i, error in rows if str(i) in ids_b}
    assert len([i for i, _ in rows if str(i) in ids_b]) == len(of_b)
    assert set(of_b) == done_b
    assert {i: e for i, e in of_b.items() if e is not None} == {}
