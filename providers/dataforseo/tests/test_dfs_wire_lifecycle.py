"""A posted task's codes before it completes, over raw HTTP, in the vendor's order.

The vendor's Errors page: 40601 "Task Handed." is a task "received but not yet enqueued
for processing", 40602 "Task In Queue." one "enqueued for processing"; so a task polled
right after task_post is handed, then in the queue, then done (20000). Both pending
answers carry a null result. A caller that waits for "in queue" before it expects a
result, or that reads a handed task as started, meets the same order here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import seotasks

from .contentkit import Vendor

ORGANIC = {"keyword": "lifecycle", "location_code": 2840, "language_code": "en"}
KIND = "serp/google/organic"


def _code(vendor: Vendor, task_id: str) -> tuple[int, Any]:
    body = vendor.call("GET", f"/v3/{KIND}/task_get/advanced/{task_id}")
    task = body["tasks"][0]
    return task["status_code"], task["result"]


def _history_status(vendor: Vendor, task_id: str) -> str:
    now = vendor.emu.now()
    window = {
        "datetime_from": (now - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S +00:00"),
        "datetime_to": now.strftime("%Y-%m-%d %H:%M:%S +00:00"),
    }
    body = vendor.call("POST", "/v3/serp/id_list", [window])
    [item] = [i for i in body["tasks"][0]["result"] if i["id"] == task_id]
    status: str = item["status"]
    return status


def test_a_posted_task_is_handed_then_in_queue_then_done(vendor: Vendor) -> None:
    """Each task of a batch, polled every 15 s: handed for its first minute, then in the
    queue until its own completion time, then done with its result."""
    assert vendor.clock is not None
    ids = vendor.post(KIND, *[{**ORGANIC, "keyword": f"lifecycle {n}"} for n in range(8)])
    with vendor.emu.dataset.lock:
        started = {i: vendor.emu.dataset.by_id[i].posted for i in ids}
        done = {i: vendor.emu.dataset.by_id[i].done for i in ids}
    assert _history_status(vendor, ids[0]) == "Task Handed."
    for _ in range(22):  # 5.5 minutes
        now = vendor.emu.now()
        for task_id in ids:
            code, result = _code(vendor, task_id)
            if now >= done[task_id]:
                assert code == 20000 and result, (task_id, now)
            elif now - started[task_id] < timedelta(seconds=60):
                assert (code, result) == (40601, None)
            else:
                assert (code, result) == (40602, None)
        vendor.clock.advance(15)
    assert _history_status(vendor, ids[0]) != "Task Handed."


def test_posted_tasks_take_the_vendors_turnaround_each_its_own(vendor: Vendor) -> None:
    """The Standard queue: "up to 5 minutes" at normal priority, "up to 1 minute on
    average" at high (the vendor's help center). Every posted task took exactly 5
    minutes, whatever its priority: code waiting a fixed time passed here and not there."""
    normal = vendor.post(KIND, *[{**ORGANIC, "keyword": f"n {n}"} for n in range(40)])
    high = vendor.post(KIND, *[{**ORGANIC, "keyword": f"h {n}", "priority": 2} for n in range(40)])
    with vendor.emu.dataset.lock:
        by_id = vendor.emu.dataset.by_id
        took = {i: (by_id[i].done - by_id[i].posted).total_seconds() for i in normal + high}
    slow = [took[i] for i in normal]
    fast = [took[i] for i in high]
    assert min(slow) >= 60 and max(slow) <= 300 and max(slow) - min(slow) > 120
    assert min(fast) >= 30 and max(fast) <= 90 and 45 <= sum(fast) / len(fast) <= 75


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("Task Handed.", seotasks.TaskStatus.QUEUED),
        ("40601", seotasks.TaskStatus.QUEUED),
        ("Task In Queue.", seotasks.TaskStatus.QUEUED),
    ],
)
def test_a_handed_task_is_queued_not_running(status: str, expected: seotasks.TaskStatus) -> None:
    """Received and not yet enqueued is not started: the provider reads it as queued."""
    from seotasks_dataforseo.readers import status_for

    assert status_for(status, None)[0] is expected
    assert status_for(status, datetime.now(UTC))[0] is expected
