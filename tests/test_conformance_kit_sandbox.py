"""The conformance kit's sandbox check judged on the fake vendor given a retention window:
a provider that measures the window on the system clock, as the guide's first ``start``
example did, refuses ``--since`` in every sandbox stood at another day (``seotasks tasks
--sandbox --sandbox-day``), though its data and its clients agree on that day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fakevendor import FakeVendor
from kitenv import KIT, Failed

from seotasks.model import TaskQuery
from seotasks.provider import Capabilities, Position
from seotasks.retention import require_window
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
