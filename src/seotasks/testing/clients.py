"""`Clients`: fresh clients connected to an emulator, for a provider's test suite.

Every provider's tests need the same thing: a client that talks to the emulator over
loopback as a new process would (its own pool and pacer), on a clock that makes pacing
and retry waits cost no real time, with none of the developer's ``SEOTASKS_*``
variables leaking in, closed when the test ends. Written once here instead of once per
``conftest.py``; the ``seotasks_clients`` pytest fixture (registered by seotasks' pytest
plugin) hands one out per test.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..clock import Clock, FakeClock
from ..transport import RetryPolicy

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["FAST_RETRY", "Clients"]

#: Retries for tests: few attempts, tiny waits (on a `FakeClock` they cost nothing anyway).
FAST_RETRY = RetryPolicy(attempts=4, base=0.01, cap=0.05, rate_limited_floor=0.01)


class Clients:
    """Connects fresh clients to ``provider`` and closes them all on `close`.

    ``clock`` is shared by every client made here (default: a new `FakeClock`); give the
    emulator the same clock so its rate limits count in the same time. ``settings`` are
    the emulator's (base URL, credentials); ``options`` add or override listing options.
    """

    def __init__(
        self,
        provider: str,
        settings: Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        retry: RetryPolicy = FAST_RETRY,
    ) -> None:
        self.provider = provider
        self.settings = dict(settings or {})
        self.clock: Clock = clock or FakeClock()
        self.retry = retry
        self._made: list[Client] = []

    def connect(self, settings: Mapping[str, Any] | None = None, **options: Any) -> Client:
        """A fresh `seotasks.Client`, closed by `close`.

        ``retry``, ``timeouts`` and ``clock`` among ``options`` go to `seotasks.connect`
        itself; everything else is a provider option.
        """
        from ..connection import connect

        retry = options.pop("retry", self.retry)
        clock = options.pop("clock", self.clock)
        values = {**self.settings, **dict(settings or {}), **options}
        client = connect(self.provider, clock=clock, retry=retry, env={}, **values)
        self._made.append(client)
        return client

    def close(self) -> None:
        while self._made:
            self._made.pop().close()

    def __enter__(self) -> Clients:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
