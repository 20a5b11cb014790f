"""The contract suite's fixtures: one DataForSEO emulator on loopback, the official client
configured against it, and the table of outcomes printed at the end of the run.

Runs only in ``contract/.venv`` (``make contract``): the official client pins an urllib3
the project's own environment does not use. seotasks and its DataForSEO provider are
installed there too (editable), so the emulator runs in this process on a loopback port
and the official client reaches it over real HTTP, exactly as it reaches the vendor.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import report
from dataforseo_client.api_client import ApiClient
from dataforseo_client.configuration import Configuration
from seotasks_dataforseo.emulator import DataForSEOEmulator


class Now:
    """The emulator's wall clock: real time plus a shift a test can move forward."""

    def __init__(self) -> None:
        self.shift = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.shift

    def advance(self, delta: timedelta) -> None:
        self.shift += delta


@pytest.fixture(scope="session")
def now() -> Now:
    return Now()


@pytest.fixture(scope="session")
def emulator(now: Now) -> Iterator[DataForSEOEmulator]:
    emu = DataForSEOEmulator(
        seed=14,
        size=300,
        now=now,
        enforce_limits=False,
        callback_timeout=0.5,
    )
    with emu:
        yield emu


@pytest.fixture(scope="session")
def api_client(emulator: DataForSEOEmulator) -> Iterator[ApiClient]:
    config = Configuration(host=emulator.url, username=emulator.login, password=emulator.password)
    with ApiClient(config) as client:
        yield client


def pytest_terminal_summary(terminalreporter: Any) -> None:
    text = report.render()
    if not text:
        return
    terminalreporter.write_sep("=", "official client x emulator")
    terminalreporter.write_line(text)
    out = os.environ.get("CONTRACT_REPORT")
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
