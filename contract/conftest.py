"""The contract suite's fixtures: one DataForSEO emulator on loopback with its rate limits
on, the official client configured against it and paced on the emulator's clock, and the
table of outcomes printed at the end of the run.

Runs only in ``contract/.venv`` (``make contract``): the official client pins an urllib3
the project's own environment does not use. seotasks and its DataForSEO provider are
installed there too (editable), so the emulator runs in this process on a loopback port
and the official client reaches it over real HTTP, exactly as it reaches the vendor.
"""

from __future__ import annotations

import gc
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
from pacing import paced_api_client
from seotasks_dataforseo.emulator import DataForSEOEmulator

from seotasks.clock import FakeClock


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
def rate_clock() -> FakeClock:
    """The clock the emulator counts its per-minute limits on and the client paces on:
    a minute's wait costs no real time, yet a call that comes early is refused."""
    return FakeClock()


@pytest.fixture(scope="session")
def emulator(now: Now, rate_clock: FakeClock) -> Iterator[DataForSEOEmulator]:
    """The vendor, with its rate limits on (``enforce_limits`` is the emulator's default)."""
    emu = DataForSEOEmulator(seed=14, size=300, now=now, clock=rate_clock, callback_timeout=0.5)
    assert emu.app.enforce_limits
    with emu:
        yield emu
    report.LIMITS.update(refused=emu.rate_limited, calls=sum(emu.calls.values()))


@pytest.fixture(scope="session")
def api_client(emulator: DataForSEOEmulator, rate_clock: FakeClock) -> Iterator[ApiClient]:
    """The official client, configured as for the vendor, paced on the shared clock."""
    config = Configuration(host=emulator.url, username=emulator.login, password=emulator.password)
    with paced_api_client(config, rate_clock) as client:
        yield client
        report.LIMITS.update(waited=client.rest_client.pacer.waited)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    text = "\n\n".join(part for part in (report.render(), report.render_trips()) if part)
    if not text:
        return
    terminalreporter.write_sep("=", "official client x emulator")
    terminalreporter.write_line(text)
    out = os.environ.get("CONTRACT_REPORT")
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """The official client's models (its import builds some thousands of pydantic
    classes) out of the garbage collector's walk, as the root ``conftest.py`` does for the
    other suites: pytest's two full collections at the end alone walked them for 0.9 s."""
    gc.collect()
    gc.freeze()
