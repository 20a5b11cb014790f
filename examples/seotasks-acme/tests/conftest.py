"""Fixtures: one seeded AcmeRank emulator per test, and fresh clients connected to it,
all on one fake clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from seotasks_acme.emulator import AcmeApp

import seotasks
from seotasks.clock import FakeClock
from seotasks.emulation import EmulatorServer
from seotasks.testing.clients import Clients
from seotasks.transport import RetryPolicy

#: Small pages, so the 250 seeded jobs span several of them.
PAGE_SIZE = 40
#: With a FakeClock no wait costs real time; few attempts keep failing tests quick.
FAST_RETRY = RetryPolicy(attempts=3, base=0.01, cap=0.05, rate_limited_floor=0.01)

Connect = Callable[..., seotasks.Client]


@pytest.fixture
def acme_clock() -> FakeClock:
    """The one clock of a test: the emulator enforces AcmeRank's rate limits on it and
    every client paces and sleeps on it, so both count the same (fake) seconds. A
    client on a clock of its own would pace in seconds the emulator never sees pass."""
    return FakeClock()


@pytest.fixture
def acme_app(acme_clock: FakeClock) -> AcmeApp:
    return AcmeApp(seed=7, clock=acme_clock)


@pytest.fixture
def acme_server(acme_app: AcmeApp) -> Iterator[EmulatorServer]:
    with EmulatorServer(acme_app) as server:
        yield server


@pytest.fixture
def acme_connect(
    acme_app: AcmeApp,
    acme_server: EmulatorServer,
    acme_clock: FakeClock,
    seotasks_clients: Callable[..., Clients],
) -> Connect:
    """``acme_connect(**options)``: a fresh client on the test's `FakeClock`.

    Pacing waits and Retry-After sleeps land on ``acme_clock`` (read ``acme_clock.slept``
    to see them), so they cost no real time. ``seotasks_clients`` is the fixture
    seotasks' pytest plugin provides: its ``clock=`` is shared by every client it
    connects, it connects with ``env={}`` (stray SEOTASKS_ACME_* variables of the
    developer's shell stay out) and closes every client after the test.
    """
    settings = {"base_url": acme_server.url, "api_key": acme_app.api_key, "page_size": PAGE_SIZE}
    clients = seotasks_clients("acme", settings, clock=acme_clock, retry=FAST_RETRY)

    def connect(**options: Any) -> seotasks.Client:
        return clients.connect(**options)

    return connect
