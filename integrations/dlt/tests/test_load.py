"""Loads from both emulators into DuckDB: exact sets, incremental runs, restored state, results."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from dltenv import FAMILIES as LISTED
from dltenv import Env
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_dlt import load
from seotasks_dlt.rows import TASK_FIELDS, TASK_OWNER
from seotasks_serpstat.emulator import SerpstatEmulator

from seotasks.clock import FakeClock

FAMILIES = len(LISTED)


def _no_duplicates(env: Env, table: str = "tasks") -> None:
    [(rows, distinct)] = env.sql(
        f"SELECT count(*), count(DISTINCT (provider, id)) FROM {{t}}.{table}"
    )
    assert rows == distinct


def test_full_load_is_exactly_the_emulators_task_set(env: Env) -> None:
    summary = env.load()
    keys = env.keys()
    assert set(keys) == env.truth()
    assert len(keys) == len(set(keys))
    _no_duplicates(env)
    assert summary.tables["tasks"].rows == len(keys)
    assert summary.tables["tasks"].new == len(keys)
    assert "results" not in summary.tables


def test_second_run_asks_only_for_new_pages_and_updates_a_finished_task(tmp_path: Path) -> None:
    # DataForSEO's clock (the emulator's and the client's) is the test's: its task stays
    # unfinished however long the first run takes on a busy machine, and is finished
    # when the test moves the clock on.
    vendor = [datetime.now(UTC)]

    def vendor_now() -> datetime:
        return vendor[0]

    clock = {"dataforseo": {"now": vendor_now}}
    with (
        DataForSEOEmulator(seed=7, size=600, enforce_limits=False, now=vendor_now) as dfs,
        SerpstatEmulator(seed=7, size=900, rps=None) as serp,
    ):
        env = Env(tmp_path, dfs, serp)
        now = vendor[0]
        # A task unfinished during the first run (just posted: "Task Handed.", queued),
        # finished before the second.
        [late] = env.dfs.add_tasks(
            1,
            kinds=["serp/google/organic"],
            posted=now - timedelta(seconds=10),
            delay=timedelta(seconds=16),
        )
        first = env.load(extra=clock)
        assert env.sql(f"SELECT status FROM {{t}}.tasks WHERE id = '{late}'") == [("queued",)]
        id_list_before = env.dfs.calls.get("id_list", 0)
        serp_before = env.serp.requests
        assert id_list_before > FAMILIES  # the first run paged (page_size 100)

        vendor[0] = now + timedelta(seconds=7)  # `late` has finished
        added = env.dfs.add_tasks(
            4, kinds=["serp/google/organic"], posted=vendor[0] - timedelta(seconds=2)
        )
        added_serp = env.serp.add_tasks(3)
        second = env.load(extra=clock)

        # DataForSEO: one id_list call per family, from the oldest unfinished task on.
        assert env.dfs.calls["id_list"] - id_list_before == FAMILIES
        # Serpstat: from the page of its oldest unfinished task on, not the whole list again.
        assert env.serp.requests - serp_before < serp_before / 2
        assert env.sql(f"SELECT status FROM {{t}}.tasks WHERE id = '{late}'") == [("completed",)]
        assert second.tables["tasks"].new == len(added) + len(added_serp)
        assert second.tables["tasks"].rows < first.tables["tasks"].rows / 2
        assert set(env.keys()) == env.truth()
        _no_duplicates(env)


def test_state_deleted_locally_is_restored_from_the_destination(env: Env) -> None:
    env.load()
    shutil.rmtree(env.pipelines)  # the machine lost dlt's working directory
    id_list_before = env.dfs.calls["id_list"]
    serp_before = env.serp.requests
    added = env.dfs.add_tasks(
        2, kinds=["serp/google/organic"], posted=datetime.now(UTC) - timedelta(seconds=2)
    )
    summary = env.load()
    assert env.dfs.calls["id_list"] - id_list_before == FAMILIES  # no full reload
    assert env.serp.requests - serp_before < serp_before / 2
    assert summary.tables["tasks"].new == len(added)
    assert set(env.keys()) == env.truth()
    _no_duplicates(env)


def test_collect_loads_exactly_one_result_per_completed_task(small: Env) -> None:
    # DataForSEO's tasks_ready drains as results are collected: a second run finds
    # nothing new to collect there, and no completed task gets a second row.
    env = small
    extra = {"dataforseo": {"source": "ready"}}
    first = env.load(collect=True, extra=extra)
    completed = set(env.sql("SELECT provider, id FROM {t}.tasks WHERE status = 'completed'"))
    results = env.keys("results")
    assert completed and set(results) == completed
    assert len(results) == len(set(results))
    assert first.tables["results"].rows == len(results)
    assert env.sql(
        "SELECT count(*) FROM {t}.results WHERE result IS NULL OR error IS NOT NULL"
    ) == [(0,)]
    assert env.dfs.collected_ids() >= {i for p, i in completed if p == "dataforseo"}

    second = env.load(collect=True, extra=extra)
    completed = set(env.sql("SELECT provider, id FROM {t}.tasks WHERE status = 'completed'"))
    results = env.keys("results")
    assert set(results) == completed and len(results) == len(set(results))
    # Tasks read again (Serpstat's unfinished region) were not collected again.
    assert second.tables["results"].new == second.tables["results"].rows
    # A sample result is the vendor's JSON, in one JSON column (no child tables).
    [(status_code,)] = env.sql(
        "SELECT json_extract(result, '$.status_code') FROM {t}.results "
        "WHERE provider = 'dataforseo' LIMIT 1"
    )
    assert str(status_code) == "20000"
    tables = {t for (t,) in env.sql("SELECT table_name FROM information_schema.tables")}
    assert not {t for t in tables if t.startswith(("results__", "tasks__"))}


def test_column_types_in_duckdb(env: Env) -> None:
    env.load(collect=True, status="completed", providers=["dataforseo"])
    types = dict(
        env.sql(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'seotasks' AND table_name = 'tasks'"
        )
    )
    assert types["provider"] == types["id"] == types["status"] == "VARCHAR"
    assert types["progress"] == "DOUBLE"
    assert types["created_at"] == types["completed_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["started_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["cost"] == "DECIMAL(38,10)"
    assert types["raw"] == "JSON"
    assert types["keywords_count"] == "BIGINT" and types["engine"] == "VARCHAR"
    assert set(types) == {*TASK_FIELDS, TASK_OWNER, "_dlt_load_id", "_dlt_id"}
    result_types = dict(
        env.sql(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'seotasks' AND table_name = 'results'"
        )
    )
    assert result_types["result"] == "JSON"
    assert result_types["collected_at"] == "TIMESTAMP WITH TIME ZONE"
    # Values: exact decimals, instants that survive the round trip, raw as queryable JSON.
    rows = env.sql(
        "SELECT id, cost, created_at, json_extract_string(raw, '$.id') FROM {t}.tasks "
        "WHERE provider = 'dataforseo'"
    )
    assert rows
    costs = 0
    for task_id, cost, created, raw_id in rows:
        truth = env.dfs.task(task_id)
        if cost is not None:
            costs += 1
            assert isinstance(cost, Decimal) and cost == Decimal(str(truth["cost"]))
        assert created.utcoffset() is not None and created == truth["posted"]
        assert raw_id == task_id
    assert costs
    assert env.sql("SELECT DISTINCT status FROM {t}.tasks") == [("completed",)]


def test_collect_drains_tasks_ready_past_its_1000_cap_in_one_run(tmp_path: Path) -> None:
    """tasks_ready shows 1000 tasks per endpoint until those are collected: the results of
    a page must be collected before the next page is asked for, whatever order dlt runs
    the resources in. About 1040 ready: one capped page, then the rest (the drain past
    the cap is what matters, not how many times it happens). The data's clock is stopped:
    a task finishing during a slow run would be ready after it, and one more row."""
    frozen = datetime.now(UTC)
    emulator = DataForSEOEmulator(
        seed=3,
        size=1150,
        kinds=["serp/google/organic"],
        recent=1.0,
        enforce_limits=False,
        now=lambda: frozen,
    )
    with emulator:
        ready = emulator.ready_ids(["serp"])
        assert len(ready) > 1000
        summary = load(
            ["dataforseo"],
            to=tmp_path / "ready.duckdb",
            pipelines_dir=tmp_path / "p",
            options={"dataforseo": {**emulator.settings, "families": ["serp"]}},
            clock=FakeClock(),
            collect=True,
        )
        assert emulator.ready_ids(["serp"]) == set()
    assert summary.tables["tasks"].rows == summary.tables["results"].rows == len(ready)
    assert summary.tables["results"].new == len(ready)
    # Drained past the cap: no "the vendor capped a list" note (test_capped_listing.py).
    assert not [n for n in summary.notes if "capped" in n], summary.notes


def test_a_stored_cursor_gone_stale_starts_the_listing_over(tmp_path: Path) -> None:
    """A week without a run: Serpstat's list lost most of its head, further than paging
    can step back. The stored cursor is dropped and the list read from its start, instead
    of every later run failing the same way."""
    with (
        SerpstatEmulator(seed=5, size=6000, rps=None) as serp,
        DataForSEOEmulator(seed=5, size=10, enforce_limits=False) as dfs,
    ):
        env = Env(tmp_path, dfs, serp)
        env.load(providers=["serpstat"])
        serp.expire(5900)  # 59 pages gone from the head: more than 25 steps back
        added = serp.add_tasks(5)
        summary = env.load(providers=["serpstat"])
        assert summary.tables["tasks"].new == len(added)
        assert {("serpstat", i) for i in serp.task_ids()} <= set(env.keys())
        _no_duplicates(env)


def test_gaining_collect_fills_in_every_completed_task_it_holds_once(env: Env) -> None:
    """Loaded without --collect, then with it: the listing reads only what is new, but
    every completed task the table holds gets its one results row (a pipeline that gained
    collect late once had 1000 of 1478 without one), each collected once; the next run collects nothing."""
    env.load(providers=["dataforseo"])
    completed = set(env.sql("SELECT provider, id FROM {t}.tasks WHERE status = 'completed'"))
    assert len(completed) > 100
    calls = env.dfs.calls.get("other", 0)
    env.load(providers=["dataforseo"], collect=True, backfill=None)
    completed = set(env.sql("SELECT provider, id FROM {t}.tasks WHERE status = 'completed'"))
    results = env.keys("results")
    assert set(results) == completed
    assert len(results) == len(set(results))
    assert env.dfs.calls["other"] - calls == len(results)  # one task_get each
    calls = env.dfs.calls["other"]
    third = env.load(providers=["dataforseo"], collect=True, backfill=None)
    assert env.dfs.calls["other"] == calls
    assert third.tables["results"].new == 0
    assert sorted(env.keys("results")) == sorted(results)


def test_backfill_stays_within_the_vendors_retention(env: Env) -> None:
    """By default a gained --collect reaches back 30 days (DataForSEO keeps results that
    long): every task completed since then gets its row, older ones are not asked for."""
    env.load(providers=["dataforseo"])
    env.load(providers=["dataforseo"], collect=True)
    rows = env.sql(
        "SELECT t.completed_at, r.id IS NOT NULL FROM {t}.tasks AS t LEFT JOIN {t}.results "
        "AS r ON r.provider = t.provider AND r.id = t.id WHERE t.status = 'completed'"
    )
    now = datetime.now(UTC)
    recent = [has for done, has in rows if done >= now - timedelta(days=29)]
    old = [has for done, has in rows if done < now - timedelta(days=31)]
    assert recent and all(recent)
    assert old and not any(old)
    _no_duplicates(env, "results")


def test_result_nesting_unnests_results_into_child_tables(env: Env) -> None:
    """``result_nesting=2``: each result's lists become child tables of ``results``,
    merged like it (a result collected again replaces its child rows, never adds)."""
    options = {"providers": ["dataforseo"], "status": "completed", "result_nesting": 2}
    env.load(collect=True, backfill=None, **options)
    tables = {t for (t,) in env.sql("SELECT table_name FROM information_schema.tables")}
    assert "results__result__tasks" in tables
    assert not any(t.startswith("tasks__") for t in tables)
    [(children,)] = env.sql("SELECT count(*) FROM {t}.results__result__tasks")
    [(collected,)] = env.sql("SELECT count(*) FROM {t}.results WHERE error IS NULL")
    assert children == collected > 0  # one vendor task per result (none for an error row)
    env.load(collect=True, backfill=None, **options)
    [(again,)] = env.sql("SELECT count(*) FROM {t}.results__result__tasks")
    assert again == children
    _no_duplicates(env, "results")


def test_a_first_load_that_finds_nothing_still_creates_the_tables(env: Env) -> None:
    """An account with nothing to load yet (a new one, or a selection nothing matches):
    the run succeeds, and the tables exist with their documented columns, empty. dlt
    creates a table only once rows arrive: a BI tool's query, or ``seotasks report``
    (which blamed ``--dataset``), met no ``tasks`` table until the account's first task."""
    summary = env.load(providers=["serpstat"], status="queued", since="1s", collect=True)
    assert summary.tables["tasks"].rows == 0 and summary.tables["results"].rows == 0
    for table in ("tasks", "results"):
        assert env.sql(f"SELECT count(*) FROM {{t}}.{table}") == [(0,)]
    columns = {
        c
        for (c,) in env.sql(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'seotasks' AND table_name = 'tasks'"
        )
    }
    assert columns == {*TASK_FIELDS, TASK_OWNER, "_dlt_load_id", "_dlt_id"}
