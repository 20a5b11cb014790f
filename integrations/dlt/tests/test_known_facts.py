"""One task listed by two listings keeps what either said of it, in DuckDB and PostgreSQL.

DataForSEO lists a finished task in ``tasks_ready`` (its tag, no cost, no completion
time) and in the ``id_list`` history (cost and completion time, no tag without
``include_metadata``). Loaded one after the other into one ``tasks`` table, merged on
``(provider, id)``, the second listing's nulls replaced what the first had said: a
report's spend and turnaround lost every task listed by both, silently.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dltenv import FAMILIES, OPTIONS, duckdb_rows
from pgenv import Tables
from pgtest import Server
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_dlt import load

from seotasks.clock import FakeClock

Sql = Callable[[str], list[tuple[Any, ...]]]
_FACTS = "SELECT id, tag, cost, completed_at FROM {t}.tasks WHERE provider = 'dataforseo'"


def _in(destination: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, Sql]:
    """Where to load (``to``) and how to read it back."""
    if destination == "duckdb":
        database = tmp_path / "seotasks.duckdb"
        return str(database), lambda query: duckdb_rows(database, query)
    server: Server = request.getfixturevalue("server")
    tables = Tables(server, server.create_database("facts"))
    return server.url(tables.database), tables.sql


@pytest.mark.parametrize("destination", ["duckdb", "postgres"])
def test_the_ready_list_and_the_history_each_keep_the_others_facts(
    tmp_path: Path, request: pytest.FixtureRequest, destination: str
) -> None:
    to, sql = _in(destination, tmp_path, request)

    def facts() -> dict[str, tuple[Any, ...]]:
        return {str(row[0]): tuple(row[1:]) for row in sql(_FACTS)}

    with DataForSEOEmulator(seed=11, size=400, enforce_limits=False) as dfs:
        ready = dfs.ready_ids(FAMILIES)
        assert len(ready) > 20

        def listed(source: str) -> None:
            options = {**dfs.settings, **OPTIONS["dataforseo"], "source": source}
            load(
                ["dataforseo"],
                to=to,
                pipelines_dir=tmp_path / "pipelines",
                options={"dataforseo": options},
                clock=FakeClock(),
            )

        listed("ready")
        tags = {task_id: row[0] for task_id, row in facts().items()}
        assert set(tags) == ready and sum(tag is not None for tag in tags.values()) > 20
        listed("history")  # no include_metadata: no tag in its items
        history = facts()
        assert ready < set(history)
        for task_id in ready:
            tag, cost, completed_at = history[task_id]
            assert tag == tags[task_id]  # kept from the ready list
            assert cost is not None and completed_at is not None  # the history's
        listed("ready")  # the same tasks again: cost and completion time stay
        assert facts() == history
