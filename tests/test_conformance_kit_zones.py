"""The conformance kit's zone check judged on the fake vendor: a provider that reads its
times in the machine's local zone passes every other check on a machine set to UTC."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from fakevendor import FakeVendor
from kitenv import KIT, Failed

from seotasks.model import Task
from seotasks.testing import ConformanceEnv

_read = FakeVendor._task


def _in_local_time(self: FakeVendor, item: Any) -> Task:
    """The classic slip: epoch seconds read with ``datetime.fromtimestamp(value)``."""
    task = _read(self, item)
    created = task.created_at
    assert created is not None
    local = datetime.fromtimestamp(created.timestamp()).replace(tzinfo=UTC)
    return attrs.evolve(task, created_at=local)


def test_times_read_in_the_machines_zone_are_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = os.environ.get("TZ")
    KIT.test_times_do_not_depend_on_the_machines_zone(kit_env())
    monkeypatch.setattr(FakeVendor, "_task", _in_local_time)
    with pytest.raises(Failed, match=r"created_at is .* on a machine set to UTC and") as info:
        KIT.test_times_do_not_depend_on_the_machines_zone(kit_env())
    assert "datetime.fromtimestamp(value, UTC)" in str(info.value)
    assert os.environ.get("TZ") == before  # the zone the check set is undone
