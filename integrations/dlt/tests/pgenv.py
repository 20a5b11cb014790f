"""Loads into a real PostgreSQL database: the command line, its environment, the checks.

Shared by the Postgres tests and the orchestrator tests (Dagster, Airflow), which run
the same loads through their orchestrator and check the same things in the same way.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from dltenv import FAMILIES, Env
from pgtest import Server

SEOTASKS = Path(sys.executable).parent / "seotasks"

#: The listing options of `dltenv.OPTIONS` as ``-o`` flags and as TOML profile values.
CLI_OPTIONS = [
    "-o",
    "dataforseo.source=history",
    "-o",
    "dataforseo.families=" + ",".join(FAMILIES),
    "-o",
    "serpstat.page_size=100",
    "-o",
    "serpstat.rps=100",
]


def emulator_environment(env: Env, url: str | None = None) -> dict[str, str]:
    """This process's environment plus the emulators' settings (and the destination)."""
    chosen = dict(os.environ)
    for name, settings in (("DATAFORSEO", env.dfs.settings), ("SERPSTAT", env.serp.settings)):
        for key, value in settings.items():
            chosen[f"SEOTASKS_{name}_{key.upper()}"] = str(value)
    if url is not None:
        chosen["DESTINATION__POSTGRES__CREDENTIALS"] = url
    chosen["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    return chosen


def load_command(env: Env, *extra: str, pipelines: Path | None = None) -> list[str]:
    """``seotasks load`` of both emulators into Postgres (dataset seotasks)."""
    return [
        str(SEOTASKS),
        "load",
        "-p",
        "dataforseo",
        "-p",
        "serpstat",
        *CLI_OPTIONS,
        "--destination",
        "postgres",
        "--pipelines-dir",
        str(pipelines or env.pipelines),
        *extra,
    ]


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
