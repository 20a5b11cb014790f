"""Fixtures: emulators on loopback sharing a `FakeClock` with the clients under test.

Sharing the clock means the vendor's per-minute limits and the client's pacing and
backoff all run on fake time: a run of many minutes of vendor time costs none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import pytest
from seotasks_dataforseo.emulator import DataForSEOEmulator

from seotasks.client import Client
from seotasks.clock import FakeClock
from seotasks.testing.clients import Clients
from seotasks.transport import RetryPolicy

from .contentkit import BASE, Vendor

RETRY = RetryPolicy(attempts=4, base=0.05, cap=0.5)

MakeEmulator = Callable[..., DataForSEOEmulator]
Connect = Callable[..., Client]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_emulator(clock: FakeClock) -> Iterator[MakeEmulator]:
    """Start emulators on the test's clock; every one is stopped after the test."""
    with ExitStack() as started:

        def make(**kwargs: Any) -> DataForSEOEmulator:
            kwargs.setdefault("clock", clock)
            return started.enter_context(DataForSEOEmulator(**kwargs))

        yield make


@pytest.fixture
def connect(clock: FakeClock) -> Iterator[Connect]:
    """``connect(emulator, **options)``: a fresh client on the test's clock (see
    `seotasks.testing.clients.Clients`), closed after the test."""
    with Clients("dataforseo", clock=clock, retry=RETRY) as clients:
        yield lambda emulator, **options: clients.connect(emulator.settings, **options)


@pytest.fixture
def emu(make_emulator: MakeEmulator, clock: FakeClock) -> DataForSEOEmulator:
    """An emulator with no task of its own whose data time follows the fake clock:
    posted tasks complete as it advances."""
    return make_emulator(size=0, now=lambda: BASE + timedelta(seconds=clock.monotonic()))


@pytest.fixture
def vendor(emu: DataForSEOEmulator, clock: FakeClock) -> Vendor:
    """Raw HTTP to ``emu``, on the test's clock (`contentkit.Vendor`)."""
    return Vendor(emu, clock)
