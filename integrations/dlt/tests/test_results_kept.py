"""A collecting load fetches no result the vendor no longer keeps.

DataForSEO's ``id_list`` (``source=history``) lists 181 days of tasks while ``task_get``
answers a result for 30 days (`Capabilities.results_kept`): every older completed task
was a paid call answered 40403 and a ``results`` row holding that error. Now the older
tasks are loaded as ``tasks`` rows, not fetched, and the summary says why once; unless
the caller's ``since`` reaches back further, as with ``seotasks collect --since``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from dltenv import KIND, duckdb_rows
from seotasks_dataforseo.emulator import DataForSEOEmulator
from vendorcalls import load_into, task_gets


def test_history_tasks_older_than_results_are_kept_are_not_fetched(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    day = timedelta(days=1)
    with DataForSEOEmulator(seed=5, size=0, kinds=(KIND,), enforce_limits=False) as dfs:
        old = set(dfs.add_tasks(15, posted=(now - 40 * day, now - 35 * day), code=20000))
        recent = set(dfs.add_tasks(25, posted=(now - 20 * day, now - day), code=20000))
        settings = {**dfs.settings, "source": "history", "families": ["serp"]}
        summary = load_into(tmp_path, "dataforseo", settings, collect=True)
        calls = task_gets(dfs.server.requests)
        # A `since` of the caller's reaching further back is run as asked.
        before = len(dfs.server.requests)
        load_into(tmp_path / "asked", "dataforseo", settings, collect=True, since="45d")
        asked = task_gets(dfs.server.requests[before:])
    assert set(asked) == old | recent
    assert set(calls) == recent
    database = tmp_path / "seotasks.duckdb"
    listed = {str(i) for (i,) in duckdb_rows(database, "SELECT id FROM {t}.tasks")}
    assert listed == old | recent
    results = duckdb_rows(database, "SELECT id, error FROM {t}.results")
    assert {str(i) for i, _ in results} == recent
    assert all(error is None for _, error in results)
    line = summary.line()
    assert line.count("dataforseo keeps a task's result 30 days") == 1, line
