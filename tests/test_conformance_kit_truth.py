"""The kit against the ground truth: statuses, fields and a cursor across page sizes.

Three plugin bugs that passed the whole kit, each put into the fake vendor here and
caught: a vendor's error state read as done (no ``failed`` listing ever had a task), a
running task's percentage dropped for 100 %, and a position holding a page number,
which a cursor resumed in a client asking for pages of another size turns into lost or
repeated tasks. The fake vendor without the bug passes each check (`kitenv.run_kit`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs
import pytest
from fakevendor import FakeVendor
from kitenv import KIT, map_task

from seotasks.model import TaskQuery, TaskStatus
from seotasks.provider import Batch, Position
from seotasks.testing import ConformanceEnv


def test_a_failed_task_read_as_completed_is_caught(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    conformance = kit_env()
    KIT.test_each_status_holds_its_tasks(conformance)
    failed = conformance.expected_ids(TaskQuery(status=TaskStatus.FAILED))
    assert failed  # the fake vendor has failed tasks to misread
    map_task(
        monkeypatch,
        lambda task: (
            attrs.evolve(task, status=TaskStatus.COMPLETED, completed_at=task.created_at)
            if task.status is TaskStatus.FAILED
            else task
        ),
    )
    KIT.test_every_task_exactly_once(conformance)  # every id is still listed, once
    with pytest.raises(AssertionError) as info:
        KIT.test_each_status_holds_its_tasks(conformance)
    message = str(info.value)
    assert f"the tasks listed as completed: {len(failed)} unexpected tasks" in message
    assert "check how the vendor's states map to TaskStatus" in message


def test_a_progress_on_the_wrong_scale_is_caught(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    conformance = kit_env()
    KIT.test_fields_match_the_ground_truth(conformance)
    # A running task at "40%" listed as done to 100 %: within 0..1, so only the
    # ground truth tells it from the vendor's figure.
    map_task(
        monkeypatch,
        lambda task: (
            attrs.evolve(task, progress=1.0) if task.status is TaskStatus.RUNNING else task
        ),
    )
    KIT.test_tasks_are_consistent(conformance)  # what let it through before
    with pytest.raises(AssertionError, match=r"progress: listed 1\.0, expected 0\.4"):
        KIT.test_fields_match_the_ground_truth(conformance)


def test_expected_task_naming_no_task_field_is_said(
    kit_env: Callable[..., ConformanceEnv],
) -> None:
    conformance = kit_env(expected_task=lambda task_id: {"percent": 40})
    with pytest.raises(AssertionError, match=r"gives 'percent', which is no Task field"):
        KIT.test_fields_match_the_ground_truth(conformance)
    with pytest.raises(AssertionError, match="gave no field for any listed task"):
        KIT.test_fields_match_the_ground_truth(kit_env(expected_task=lambda task_id: {}))
    naive = datetime(2026, 11, 20, 10, 0)
    with pytest.raises(AssertionError, match=r"gives created_at of t000001 as a naive datetime"):
        KIT.test_fields_match_the_ground_truth(
            kit_env(expected_task=lambda task_id: {"created_at": naive})
        )


def _page_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake vendor's positions hold the next page number, the offset computed from
    the client's own page size: right within one page size, wrong across two."""
    fetch = FakeVendor.fetch

    def start(self: FakeVendor, query: TaskQuery) -> Position:
        return {"page": 0}

    def check_position(self: FakeVendor, position: Position) -> Position:
        return {"page": position["page"]}

    def by_page(self: FakeVendor, query: TaskQuery, position: Position) -> Batch:
        size = int(self.settings["page_size"])
        page: Any = position["page"]
        batch = fetch(self, query, {"offset": page * size})
        return attrs.evolve(batch, next=None if batch.next is None else {"page": page + 1})

    monkeypatch.setattr(FakeVendor, "start", start)
    monkeypatch.setattr(FakeVendor, "check_position", check_position)
    monkeypatch.setattr(FakeVendor, "fetch", by_page)


def test_a_page_number_in_a_cursor_is_caught_across_page_sizes(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    conformance = kit_env()
    KIT.test_cursor_resumes_with_another_page_size(conformance)
    _page_numbers(monkeypatch)
    KIT.test_cursor_resumes_in_fresh_client(conformance)  # what let it through before
    with pytest.raises(AssertionError, match="pages of another size") as info:
        KIT.test_cursor_resumes_with_another_page_size(conformance)
    assert "tasks listed twice" in str(info.value)  # 23-task pages: page 1 re-reads 23..45
    # The other way round: pages of 23 first, then of 40 from "page 1", offset 40.
    swapped = attrs.evolve(
        conformance, connect=conformance.connect_other_size, connect_other_size=conformance.connect
    )
    with pytest.raises(AssertionError, match="17 seeded tasks missing"):
        KIT.test_cursor_resumes_with_another_page_size(swapped)
