"""Fixtures of the orchestrator tests: a PostgreSQL server, three accounts, their profile.

These tests run in the orchestrators' own venvs (``make dagster``, ``make airflow``), not
in the project's: each orchestrator brings hundreds of packages and pins of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import accounts
import pytest
from pgtest import Server, running

os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running() as started:
        yield started


@pytest.fixture
def three(
    tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[accounts.Accounts, str]]:
    """Three accounts' emulators and profiles; the recipes' environment pointed at them.

    Yields the accounts and the name of the test's own Postgres database.
    """
    database = server.create_database("orchestrated")
    for name in list(os.environ):
        if name.startswith("SEOTASKS_"):
            monkeypatch.delenv(name)
    with accounts.running(tmp_path) as started:
        monkeypatch.setenv("SEOTASKS_CONFIG", str(started.config))
        monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", server.url(database))
        monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
        monkeypatch.setenv("SEOTASKS_RETRY_DELAY", "1")
        yield started, database
