"""The Airflow recipe, parsed by Airflow's DagBag and run by ``dag.test()`` into Postgres.

A throwaway AIRFLOW_HOME with SQLite metadata (``airflow db migrate``, once for the
module), one mapped task per account, three accounts' emulators: every task once, then
only what is new; a mapped task whose vendor fails is retried by the recipe's own retry
policy and finishes without duplicates. Each DAG run is a process of its own
(`airflow_run`), as a worker's would be: nothing but the destination and the pipelines
folder carries over from one run to the next.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import accounts
import pytest
from pgenv import Tables
from pgtest import Server

from seotasks.emulation import Fault

HERE = Path(__file__).resolve().parent
RECIPE = HERE.parent / "recipes" / "airflow_dag.py"
AIRFLOW = Path(sys.executable).parent / "airflow"
#: Each DAG run gets a logical date of its own (the metadata database is shared).
_DATES = itertools.count()


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Airflow's settings for a throwaway home, its SQLite database migrated."""
    home = tmp_path_factory.mktemp("airflow")
    settings = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(RECIPE.parent),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    }
    migrated = subprocess.run(
        [str(AIRFLOW), "db", "migrate"],
        env={**os.environ, **settings},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    yield settings


def _run(airflow_home: dict[str, str]) -> dict[str, object]:
    """One run of the DAG (a new logical date) in a process of its own; its report."""
    logical = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(hours=next(_DATES))
    done = subprocess.run(
        [sys.executable, str(HERE / "airflow_run.py"), str(RECIPE), logical.isoformat()],
        # The accounts' environment (SEOTASKS_CONFIG, the destination) set by `three`.
        env={**os.environ, **airflow_home},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def _succeeded(report: dict[str, object], tries: list[int] | None = None) -> None:
    """The run succeeded, with one mapped load per account (tried ``tries`` times)."""
    tries = tries or [1] * len(accounts.PROFILES)
    expected = [[i, "success", n] for i, n in enumerate(tries)]
    assert report["state"] == "success", report
    assert report["mapped"] == expected, report


def test_the_dag_parses_and_maps_one_load_per_account_once_then_only_what_is_new(
    three: tuple[accounts.Accounts, str], server: Server, airflow_home: dict[str, str]
) -> None:
    started, database = three
    tables = Tables(server, database)

    first = _run(airflow_home)
    assert first["import_errors"] == {}
    # The scheduler parses the file without dlt: the recipe imports it inside the task.
    assert first["parse_imported_dlt"] is False
    assert first["max_active_runs"] == 1 and first["retries"] == 3
    _succeeded(first)
    started.check(tables)
    before = {a.profile: a.serp.requests for a in started.all}

    for account in started.all:
        account.add_tasks()
    _succeeded(_run(airflow_home))
    started.check(tables)
    # Incremental: each account's second listing read its list's head, not all of it.
    for account in started.all:
        assert account.serp.requests - before[account.profile] < before[account.profile]


def test_a_failed_mapped_load_is_retried_by_the_recipes_policy_without_duplicates(
    three: tuple[accounts.Accounts, str], server: Server, airflow_home: dict[str, str]
) -> None:
    started, database = three
    tables = Tables(server, database)
    _succeeded(_run(airflow_home))

    failing = started.all[1]
    failing.add_tasks()
    # Serpstat answers 500 to every one of the client's attempts at one request: the load
    # fails, Airflow retries the mapped task (SEOTASKS_RETRY_DELAY: 1 s), the retry finds
    # the vendor well and resumes from the cursors the destination kept.
    failing.serp.server.faults.inject(Fault.HTTP_500, count=5)
    _succeeded(_run(airflow_home), tries=[1, 2, 1])
    assert failing.serp.server.faults.pending() == 0
    started.check(tables)
