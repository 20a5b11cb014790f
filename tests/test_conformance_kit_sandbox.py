"""The conformance kit's sandbox check judged on the fake vendor given a retention window:
a provider that measures the window on the system clock, as the guide's first ``start``
example did, refuses ``--since`` in every sandbox stood at another day (``seotasks tasks
--sandbox --sandbox-day``), though its data and its clients agree on that day."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fakevendor import FakeVendor, FakeVendorApp
from kitenv import KIT, Failed, serving

from seotasks.clock import Clock, SystemClock
from seotasks.emulation import (
    Fault,
    HttpRequest,
    HttpResponse,
    ServerRateLimit,
    json_response,
)
from seotasks.model import TaskQuery
from seotasks.provider import Capabilities, Position, Provider, Sandbox
from seotasks.ratelimit import RateLimit
from seotasks.retention import require_window
from seotasks.sandbox import SandboxRequest
from seotasks.testing import ConformanceEnv

WINDOW = timedelta(days=30)


def _start(wall: Callable[[FakeVendor], datetime]) -> Callable[[FakeVendor, TaskQuery], Position]:
    def start(self: FakeVendor, query: TaskQuery) -> Position:
        require_window(query, window=WINDOW, now=wall(self), what="fakevendor")
        return {"offset": 0}

    return start


def test_a_window_measured_on_the_system_clock_is_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        FakeVendor, "capabilities", lambda self: Capabilities(order="created_at", window=WINDOW)
    )
    monkeypatch.setattr(FakeVendor, "start", _start(lambda self: self.transport.now()))
    KIT.test_sandbox_honours_now(kit_env())
    monkeypatch.setattr(FakeVendor, "start", _start(lambda self: datetime.now(UTC)))
    with pytest.raises(Failed) as info:
        KIT.test_sandbox_honours_now(kit_env())
    message = str(info.value)
    assert "refused since=2024-02-14" in message, message
    assert "self.transport.now()" in message and "fakevendor keeps tasks" in message, message


class _Limited(FakeVendorApp):
    """The fake vendor enforcing its declared limit (5 calls a second) on ``clock``."""

    def __init__(self, clock: Clock, now: Callable[[], datetime]) -> None:
        super().__init__(100, origin=now() - timedelta(days=2))
        self.limit = ServerRateLimit({"tasks": (5, 1.0)}, clock)

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        if self.limit.admit("tasks") is None:
            return json_response(429, b'{"error": "slow down"}')
        return super().handle(request, fault)


def _limited_on(
    clock: Callable[[SandboxRequest], Clock],
) -> Callable[[type[Provider], SandboxRequest], contextlib.AbstractContextManager[Sandbox]]:
    def sandbox(
        cls: type[Provider], request: SandboxRequest
    ) -> contextlib.AbstractContextManager[Sandbox]:
        assert request.now is not None
        return serving(_Limited(clock(request), request.now))

    return sandbox


def test_a_sandbox_limited_on_the_system_clock_is_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI's clients pace on the sandbox's clock, a fast one: a sandbox counting its
    limits in real time refuses them, and ``seotasks tasks --sandbox`` stopped partway."""
    monkeypatch.setattr(FakeVendor, "sandbox", classmethod(_limited_on(lambda r: r.clock)))
    KIT.test_sandbox_honours_clock(kit_env())
    system = SystemClock()
    monkeypatch.setattr(FakeVendor, "sandbox", classmethod(_limited_on(lambda r: system)))
    with pytest.raises(Failed, match="counts its limits on the system clock"):
        KIT.test_sandbox_honours_clock(kit_env())


def test_a_tighter_limit_of_a_bucket_the_listing_never_calls_hides_nothing(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check paced past the tightest limit declared, the results' 2 a second, which
    three listings never passed on the listing's own 5 a second."""
    limits = {**FakeVendor.rate_limits, "results": RateLimit(2, 1.0)}
    monkeypatch.setattr(FakeVendor, "rate_limits", limits)
    system = SystemClock()
    monkeypatch.setattr(FakeVendor, "sandbox", classmethod(_limited_on(lambda r: system)))
    with pytest.raises(Failed, match="counts its limits on the system clock"):
        KIT.test_sandbox_honours_clock(kit_env())
