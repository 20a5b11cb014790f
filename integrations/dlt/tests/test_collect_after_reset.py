"""A collecting load whose pipeline state was reset fetches no result it already loaded.

A changed selection (another ``status``, ``since``...) or a stored cursor the vendor
refuses drops the pipeline's state, the collected marks with it, and the listing starts
over: without another guard it reads every task again and fetches again each result the
destination already holds (a vendor call paced and maybe billed; every DataForSEO
history ``task_get`` counts). The collection asks the destination, one query per page of
ids, which listed tasks already have a result. Each test counts the calls the emulator
answered, per task (real HTTP, no mocks).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dltenv import KIND, duckdb_rows
from seotasks_dataforseo.emulator import DataForSEOEmulator
from vendorcalls import completed_ids, get_task_results, load_into, serpstat_at, task_gets

from seotasks.emulation import EmulatorServer, HttpRequest


def _results(tmp: Path) -> Counter[str]:
    rows = duckdb_rows(tmp / "seotasks.duckdb", "SELECT id FROM {t}.results")
    return Counter(str(i) for (i,) in rows)


def _collect_twice(
    tmp: Path,
    provider: str,
    settings: dict[str, Any],
    server: EmulatorServer,
    fetches: Callable[[Iterable[HttpRequest]], Counter[str]],
    **changed: Any,
) -> Counter[str]:
    """A collecting load, then one with ``changed`` selection, which must reset the state
    and fetch nothing; every completed task fetched once over both, one ``results`` row
    each. The first load's fetches per task. Each load in one dlt run: the reset, not
    the runs within a load, is under test."""
    load_into(tmp, provider, settings, per_run=10_000, collect=True)
    first = fetches(server.requests)
    before = len(server.requests)
    summary = load_into(tmp, provider, settings, per_run=10_000, collect=True, **changed)
    again = fetches(server.requests[before:])
    assert any("listing from the start" in note for note in summary.notes)
    assert again == Counter()
    assert first, "the first load collected nothing: the test proves nothing"
    assert [task for task, count in first.items() if count > 1] == []
    results = _results(tmp)
    assert [task for task, count in results.items() if count > 1] == []
    assert set(results) == completed_ids(tmp) == set(first)
    return first


def test_a_changed_status_does_not_fetch_serpstat_results_again(tmp_path: Path) -> None:
    """Serpstat's listing has no time filter: after the reset it reads the whole week."""
    with serpstat_at(timedelta(0)) as serp:
        settings: dict[str, Any] = {**serp.settings, "rps": 100.0}
        _collect_twice(
            tmp_path, "serpstat", settings, serp.server, get_task_results, status="completed"
        )


def test_a_changed_since_does_not_fetch_history_results_again(tmp_path: Path) -> None:
    """DataForSEO ``source=history``: the second load asks for another ``since``, which
    resets the state; the tasks it lists again were all collected by the first load."""
    posted = datetime.now(UTC)
    with DataForSEOEmulator(seed=3, size=0, kinds=(KIND,), enforce_limits=False) as dfs:
        hour = timedelta(hours=1)
        dfs.add_tasks(60, posted=(posted - 5 * hour, posted - hour), code=20000, delay=hour / 60)
        settings = {**dfs.settings, "source": "history", "families": ["serp"]}
        first = _collect_twice(tmp_path, "dataforseo", settings, dfs.server, task_gets, since="3h")
    assert len(first) == 60
