"""A pipeline that gains ``--collect`` fetches each result once, counted at the vendor.

Its first collecting `load` runs in several dlt runs (`seotasks_dlt.load`'s
``results_per_run``): the first ones collect the tasks the destination holds without a
result (`seotasks_dlt.backfill`), a later one lists what is new, and the listing reads
some of the backfilled tasks again. Only their collected marks in the pipeline's state
keep them from being fetched again; the end of the listing dropped those marks before
its last page was collected (tasks created before the next listing's start, or whose
mark carried the destination's creation time rather than the listing's), so some
results were fetched twice: a vendor call paced and billed for nothing, and with
DataForSEO ``tasks_ready`` a second consuming read. The summary line said it as
"N new, 1 updated". Each test here counts the calls the emulator answered, per task.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dltenv import KIND, duckdb_rows, ready_emulator
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_dlt import LoadSummary
from seotasks_dlt.summary import TableCount
from vendorcalls import completed_ids, get_task_results, load_into, serpstat_at, task_gets


def _each_once(summary: LoadSummary, calls: Counter[str], completed: set[str]) -> None:
    """One call per completed task, and a summary that counts each result as new."""
    assert set(calls) == completed
    assert [task for task, count in calls.items() if count > 1] == []
    count = len(completed)
    assert summary.tables["results"] == TableCount(rows=count, new=count)
    assert f"results {count} rows ({count} new, 0 updated)" in summary.line()


def test_a_later_sandbox_run_collects_each_serpstat_result_once(tmp_path: Path) -> None:
    """The reported sequence: ``load --sandbox -p serpstat``, then the same with
    ``--collect``. The page the listing reads again starts with a completed task the
    first dlt runs backfilled, its mark made with the destination's creation time, a few
    seconds before the one the listing now gives: dropped as older than the next start,
    the task was fetched again (147 calls for 146 tasks, "146 new, 1 updated"), and once
    more by every later collecting load."""
    with serpstat_at(timedelta(0)) as serp:
        load_into(tmp_path, "serpstat", {**serp.settings, "rps": 100.0})
    fetched: set[str] = set()
    for run in (1, 2):
        with serpstat_at(timedelta(seconds=5 * run)) as serp:
            settings = {**serp.settings, "rps": 100.0}
            summary = load_into(tmp_path, "serpstat", settings, per_run=50, collect=True)
            calls = get_task_results(serp.server.requests)
        # The second load fetches only what completed since the first (likely nothing).
        _each_once(summary, calls, completed_ids(tmp_path) - fetched)
        fetched |= set(calls)


def test_backfilled_history_tasks_listed_again_are_not_fetched_again(tmp_path: Path) -> None:
    """DataForSEO ``source=history`` with stable times (the vendor's case): the first
    load's listing stopped at an open task, so the second one starts 5 minutes before it
    and lists the ten tasks completed after it, which the first dlt runs of that load
    backfilled. That task completed in between, so the next start is the newest task
    less 5 minutes, and the end of the listing dropped the marks of the ten older ones
    before collecting its page: 47 task_get for 41 tasks."""
    shift = [timedelta(0)]
    posted = datetime.now(UTC)
    with DataForSEOEmulator(
        seed=3,
        size=0,
        kinds=(KIND,),
        enforce_limits=False,
        now=lambda: datetime.now(UTC) + shift[0],
    ) as dfs:
        minute, hour = timedelta(minutes=1), timedelta(hours=1)
        dfs.add_tasks(30, posted=(posted - 3 * hour, posted - hour), code=20000, delay=minute)
        dfs.add_tasks(1, posted=posted - 30 * minute, code=20000, delay=40 * minute)
        dfs.add_tasks(
            10, posted=(posted - 25 * minute, posted - 5 * minute), code=20000, delay=minute
        )
        settings = {**dfs.settings, "source": "history", "families": ["serp"]}
        load_into(tmp_path, "dataforseo", settings)
        shift[0] = timedelta(minutes=20)  # the open task completes
        before = len(dfs.server.requests)
        summary = load_into(tmp_path, "dataforseo", settings, collect=True)
        calls = task_gets(dfs.server.requests[before:])
    completed = completed_ids(tmp_path)
    assert len(completed) == 41
    _each_once(summary, calls, completed)


def test_ready_tasks_loaded_before_collect_are_each_fetched_once(tmp_path: Path) -> None:
    """DataForSEO ``tasks_ready``, where a fetch consumes: listed without ``--collect``,
    then collected in dlt runs of 20; every ready task gets one task_get, no more."""
    dfs = ready_emulator(70)
    try:
        settings = {**dfs.settings, "families": ["serp"]}
        load_into(tmp_path, "dataforseo", settings)
        completed = completed_ids(tmp_path)
        assert completed == dfs.ready_ids(["serp"])
        summary = load_into(tmp_path, "dataforseo", settings, collect=True)
        _each_once(summary, task_gets(dfs.server.requests), completed)
    finally:
        dfs.stop()


def _loads(tmp: Path) -> int:
    """How many dlt loads (runs) went into ``tmp``'s DuckDB file."""
    [(loads,)] = duckdb_rows(tmp / "seotasks.duckdb", "SELECT count(*) FROM {t}._dlt_loads")
    return int(loads)


def _bounded(budget: int) -> dict[str, Any]:
    """`load` arguments for dlt runs bounded by ``budget`` bytes of results only: each run
    ends after a few results and gives the tasks it took and had not started to the next."""
    return {"per_run": None, "result_bytes_per_run": budget, "collect": True}


def test_runs_bounded_in_bytes_fetch_each_result_once_on_serpstat(tmp_path: Path) -> None:
    """A listing by id: every completed task gets one call and one row over many runs."""
    with serpstat_at(timedelta(0)) as serp:
        settings = {**serp.settings, "rps": 100.0}
        # Its results are about 53 KB: some 30 a run, five runs or so.
        summary = load_into(tmp_path, "serpstat", settings, **_bounded(1_500_000))
        completed = completed_ids(tmp_path)
        _each_once(summary, get_task_results(serp.server.requests), completed)
    assert _loads(tmp_path) >= 3


def test_runs_bounded_in_bytes_fetch_each_result_once_on_tasks_ready(tmp_path: Path) -> None:
    """Where a fetch consumes (DataForSEO ``tasks_ready``): every ready task gets one call
    and one row over many runs, and none is left unread at the vendor."""
    dfs = ready_emulator(40)
    try:
        truth = dfs.ready_ids(["serp"])
        settings = {**dfs.settings, "families": ["serp"]}
        # Its results are about 7 KB: some 8 a run (the workers' window past the budget).
        summary = load_into(tmp_path, "dataforseo", settings, **_bounded(60_000))
        _each_once(summary, task_gets(dfs.server.requests), truth)
        assert dfs.ready_ids(["serp"]) == set()
    finally:
        dfs.stop()
    assert completed_ids(tmp_path) == truth
    assert _loads(tmp_path) >= 3
