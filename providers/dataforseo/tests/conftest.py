"""Fixtures: emulators on loopback sharing a `FakeClock` with the clients under test.

Sharing the clock means the vendor's per-minute limits and the client's pacing and
backoff all run on fake time: a run of many minutes of vendor time costs none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from seotasks_dataforseo.emulator import DataForSEOEmulator

from seotasks.client import Client
from seotasks.clock import FakeClock
from seotasks.testing.clients import Clients
from seotasks.transport import RetryPolicy

RETRY = RetryPolicy(attempts=4, base=0.05, cap=0.5)

MakeEmulator = Callable[..., DataForSEOEmulator]
Connect = Callable[..., Client]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_emulator(clock: FakeClock) -> Iterator[MakeEmulator]:
    started: list[DataForSEOEmulator] = []

    def make(**kwargs: Any) -> DataForSEOEmulator:
        kwargs.setdefault("clock", clock)
        emulator = DataForSEOEmulator(**kwargs).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def connect(clock: FakeClock) -> Iterator[Connect]:
    """``connect(emulator, **options)``: a fresh client on the test's clock (see
    `seotasks.testing.clients.Clients`), closed after the test."""
    with Clients("dataforseo", clock=clock, retry=RETRY) as clients:
        yield lambda emulator, **options: clients.connect(emulator.settings, **options)
