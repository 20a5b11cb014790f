"""How long a completed task's results can be fetched, over raw HTTP: the vendor keeps
results 30 days and HTML results 7 ("you will be able to use it within 7 days", its
task_get/html pages; docs/vendors/dataforseo.md, "Result retention"); past that,
task_get answers ``40403`` "Results Expired." with a null result, in an HTTP-200 body.
Collecting a task removes it from tasks_ready, never from storage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .contentkit import Vendor

ORGANIC = {"keyword": "retention", "location_code": 2840, "language_code": "en"}
KIND = "serp/google/organic"
DAY = timedelta(days=1).total_seconds()


def _get(vendor: Vendor, task_id: str, flavour: str) -> dict[str, Any]:
    body = vendor.call("GET", f"/v3/{KIND}/task_get/{flavour}/{task_id}")
    assert body["status_code"] == 20000
    task: dict[str, Any] = body["tasks"][0]
    assert task["id"] == task_id
    return task


def test_html_results_expire_after_7_days_the_others_after_30(vendor: Vendor) -> None:
    assert vendor.clock is not None
    [task_id] = vendor.post(KIND, ORGANIC)
    vendor.done()
    for flavour in ("regular", "advanced", "html"):  # fetched again and again
        for _ in range(2):
            assert _get(vendor, task_id, flavour)["status_code"] == 20000
    vendor.clock.advance(6 * DAY)
    assert _get(vendor, task_id, "html")["status_code"] == 20000
    vendor.clock.advance(2 * DAY)
    html = _get(vendor, task_id, "html")
    assert (html["status_code"], html["result"], html["result_count"]) == (40403, None, 0)
    assert html["status_message"].startswith("Results Expired")
    assert _get(vendor, task_id, "advanced")["status_code"] == 20000
    vendor.clock.advance(23 * DAY)
    for flavour in ("regular", "advanced"):
        expired = _get(vendor, task_id, flavour)
        assert (expired["status_code"], expired["result"]) == (40403, None)
