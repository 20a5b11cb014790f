"""Registered through the ``pytest11`` entry point so plugin authors get the marker and
the ``seotasks_clients`` fixture.

Kept tiny on purpose: pytest imports it in every session where seotasks is installed,
so the kit itself is imported only when the fixture is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .clients import Clients


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers", "seotasks_conformance: a test from the seotasks provider conformance kit"
    )


@pytest.fixture
def seotasks_clients() -> Iterator[Callable[..., Clients]]:
    """``seotasks_clients(provider, settings=None, *, clock=None, retry=FAST_RETRY)``: a
    `seotasks.testing.clients.Clients` whose clients are all closed after the test.

    Every client it connects shares ``clock`` (default: a new `FakeClock`). An emulator
    that enforces the vendor's rate limits must count on that same clock: make one per
    test, give it to the emulator and pass it here, never one per connection (the
    emulator's clock would stand still while the clients' moved, and refuse them)."""
    from .clients import FAST_RETRY, Clients

    made: list[Clients] = []

    def make(
        provider: str, settings: Any = None, *, clock: Any = None, retry: Any = None
    ) -> Clients:
        clients = Clients(provider, settings, clock=clock, retry=retry or FAST_RETRY)
        made.append(clients)
        return clients

    yield make
    for clients in made:
        clients.close()
