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
    assert vendor.clock is not None
    [task_id] = vendor.post(KIND, ORGANIC)
    assert _code(vendor, task_id) == (40601, None)
    assert _history_status(vendor, task_id) == "Task Handed."
    vendor.clock.advance(90)
    assert _code(vendor, task_id) == (40602, None)
    assert _history_status(vendor, task_id) == "Task In Queue."
    vendor.clock.advance(180)  # 4.5 minutes: still within the 5 a task takes here
    assert _code(vendor, task_id) == (40602, None)
    vendor.done()
    code, result = _code(vendor, task_id)
    assert code == 20000 and result


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
