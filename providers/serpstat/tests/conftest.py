"""Fixtures for the Serpstat provider tests: an emulator on loopback and clients for it.

Every listing test goes over real HTTP to `SerpstatEmulator`; the client and the
emulator share one `FakeClock`, so the documented 1 request/second costs no real time
while the emulator still enforces it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import pytest
from seotasks_serpstat.emulator import SerpstatEmulator

import seotasks
from seotasks import plugins
from seotasks.clock import FakeClock
from seotasks.testing.clients import FAST_RETRY, Clients

#: The data's wall time, frozen for the session: near real time (the provider refuses a
#: ``since`` older than the vendor's 7 days by the real clock), but not moving.
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No SEOTASKS_* variable of the developer's shell leaks in; the plugin is loaded."""
    for name in list(os.environ):
        if name.startswith("SEOTASKS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SEOTASKS_CONFIG", os.path.join(tmp_path, "absent.toml"))
    if "serpstat" not in seotasks.providers():
        plugins.reset()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_emulator(clock: FakeClock) -> Iterator[Callable[..., SerpstatEmulator]]:
    """Start emulators sharing the test's clock (fixed data time unless ``now`` is given)."""
    with ExitStack() as started:

        def make(**kwargs: Any) -> SerpstatEmulator:
            kwargs.setdefault("clock", clock)
            kwargs.setdefault("now", lambda: NOW)
            return started.enter_context(SerpstatEmulator(**kwargs))

        yield make


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def emulator(make_emulator: Callable[..., SerpstatEmulator]) -> SerpstatEmulator:
    return make_emulator(seed=7, size=2500)


@pytest.fixture
def connect(clock: FakeClock) -> Iterator[Callable[..., seotasks.Client]]:
    """``connect(emulator, **options)``: a fresh client (a new process, as far as a
    listing can tell) on the test's clock, with fast retries; closed after the test."""
    with Clients("serpstat", clock=clock, retry=FAST_RETRY) as clients:
        yield lambda emulator, **options: clients.connect(emulator.settings, **options)
