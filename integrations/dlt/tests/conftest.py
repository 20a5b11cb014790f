"""Fixtures: both vendors' emulators on loopback (see `dltenv.Env`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from dltenv import Env
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
