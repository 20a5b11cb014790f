"""The conformance kit's collect check judged on the fake vendor given a ``collect``
whose tasks are named like a cloud API's resources (``projects/p1/jobs/t000001``): every
call works, and `seotasks collect --to DIR`, which names each result file after the task
id, refuses every one of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest
from fakevendor import FakeVendor
from kitenv import KIT

from seotasks.model import Task
from seotasks.provider import Capabilities
from seotasks.testing import ConformanceEnv


def test_ids_that_cannot_name_a_result_file_are_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        FakeVendor, "capabilities", lambda self: Capabilities(order="created_at", collect=True)
    )
    monkeypatch.setattr(FakeVendor, "collect", lambda self, task: {"id": task.id})
    KIT.test_collect_answers_json(kit_env())
    build = FakeVendor._task

    def resource_named(self: FakeVendor, item: Any) -> Task:
        task = build(self, item)
        return attrs.evolve(task, id=f"projects/p1/jobs/{task.id}")

    monkeypatch.setattr(FakeVendor, "_task", resource_named)
    with pytest.raises(AssertionError) as info:
        KIT.test_collect_answers_json(kit_env())
    message = str(info.value)
    assert "cannot name a result file, e.g. ['projects/p1/jobs/t000001'" in message, message
    assert "seotasks collect --to" in message, message
