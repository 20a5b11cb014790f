"""Fixtures: both vendors' emulators on loopback (see `dltenv.Env`), and one PostgreSQL
server for the whole session of a test process (`pgtest.running`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from dltenv import Env
from pgtest import Server, running
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_serpstat.emulator import SerpstatEmulator

# No dlt telemetry from tests (this process and the CLI processes they start).
os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    dfs = DataForSEOEmulator(seed=7, size=600, enforce_limits=False).start()
    serp = SerpstatEmulator(seed=7, size=900, rps=None).start()
    try:
        yield Env(tmp_path, dfs, serp)
    finally:
        dfs.stop()
        serp.stop()


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Env]:
    """Small emulators, for tests that collect: collecting fetches every completed task's
    result, one ``task_get`` or ``getTaskResult`` each, and `env`'s data sets hold about a
    thousand; what such a test checks (one result per completed task, once) holds for a
    hundred as for a thousand."""
    with (
        DataForSEOEmulator(seed=7, size=120, enforce_limits=False) as dfs,
        SerpstatEmulator(seed=7, size=150, rps=None) as serp,
    ):
        yield Env(tmp_path, dfs, serp)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """One PostgreSQL server per test process (an xdist worker is one), not one per
    module: starting one (``initdb``, then the server) costs seconds of CPU, and each test
    loads into a database of its own (`pgtest.Server.create_database`)."""
    with running() as started:
        yield started
