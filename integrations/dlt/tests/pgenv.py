"""Loads into a real PostgreSQL database: the command line, its environment, the checks.

Shared by the Postgres tests and the orchestrator tests (Dagster, Airflow), which run
the same loads through their orchestrator and check the same things in the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dltenv import Env
from pgtest import Server


def load_command(env: Env, *extra: str, pipelines: Path | None = None) -> list[str]:
    """``seotasks load`` of both emulators into Postgres (dataset seotasks), run by
    `Env.environment` with the database's url."""
    return [*env.command("--destination", "postgres", pipelines=pipelines), *extra]


class Tables:
    """The ``tasks`` and ``results`` tables of one database's dataset ``seotasks``."""

    def __init__(self, server: Server, database: str, dataset: str = "seotasks") -> None:
        self.server = server
        self.database = database
        self.dataset = dataset

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        return self.server.sql(self.database, query.replace("{t}", self.dataset))

    def keys(self, table: str = "tasks", where: str = "") -> list[tuple[str, str]]:
        rows = self.sql(f"SELECT provider, id FROM {{t}}.{table} {where}")
        return [(str(p), str(i)) for p, i in rows]

    def assert_once_each(self, truth: set[tuple[str, str]], table: str = "tasks") -> None:
        """Exactly ``truth``, each key once."""
        keys = self.keys(table)
        assert len(keys) == len(set(keys)), "duplicate rows"
        assert set(keys) == truth

    def assert_results_match_completed(self) -> None:
        """One result row for each completed task, no more, no result without a task."""
        completed = set(self.keys("tasks", "WHERE status = 'completed'"))
        results = self.keys("results")
        assert completed, "no completed task"
        assert len(results) == len(set(results)), "duplicate results"
        assert set(results) == completed
