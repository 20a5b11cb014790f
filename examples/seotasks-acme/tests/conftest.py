"""Fixtures: one seeded AcmeRank emulator per test, and fresh clients connected to it."""

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
def acme_app() -> AcmeApp:
    return AcmeApp(seed=7)


@pytest.fixture
def acme_server(acme_app: AcmeApp) -> Iterator[EmulatorServer]:
    with EmulatorServer(acme_app) as server:
        yield server


@pytest.fixture
def acme_connect(
    acme_app: AcmeApp,
    acme_server: EmulatorServer,
    seotasks_clients: Callable[..., Clients],
) -> Connect:
    """``acme_connect(clock=None, **options)``: a fresh client on a fake clock.

    Pacing waits and Retry-After sleeps land on the `FakeClock` (pass your own to
    inspect ``clock.slept``), so they cost no real time. ``seotasks_clients`` is the
    fixture seotasks' pytest plugin provides: it connects with ``env={}`` (stray
    SEOTASKS_ACME_* variables of the developer's shell stay out) and closes every client
    after the test.
    """
    settings = {"base_url": acme_server.url, "api_key": acme_app.api_key, "page_size": PAGE_SIZE}
    clients = seotasks_clients("acme", settings, retry=FAST_RETRY)

    def connect(clock: FakeClock | None = None, **options: Any) -> seotasks.Client:
        return clients.connect(clock=clock or FakeClock(), **options)

    return connect
