"""What the emulator charges, over raw HTTP, as a caller's own code reads it.

The vendor charges for setting a task and for nothing else of its life: "Your account will
be charged only for posting a task. You can get the results of the task within the next
30 days for free." (every task_get page), and its task_get example answers ``"cost": 0``
at both levels. A pipeline that sums the ``cost`` of every answer to track spending must
count each task once, when it is posted; the id_list item still carries the task's cost.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .contentkit import Vendor

ORGANIC = {"keyword": "money", "location_code": 2840, "language_code": "en"}
KIND = "serp/google/organic"


def _costs(body: dict[str, Any]) -> tuple[Any, list[Any]]:
    return body["cost"], [task["cost"] for task in body["tasks"]]


def test_task_get_is_free_in_every_state_and_task_post_is_charged(vendor: Vendor) -> None:
    assert vendor.clock is not None
    posted = vendor.call("POST", f"/v3/{KIND}/task_post", [ORGANIC, {**ORGANIC, "priority": 2}])
    assert _costs(posted) == (0.0018, [0.0006, 0.0012])
    ids = [task["id"] for task in posted["tasks"]]
    pending = vendor.call("GET", f"/v3/{KIND}/task_get/advanced/{ids[0]}")
    assert pending["tasks"][0]["status_code"] == 40601  # handed: just posted
    assert _costs(pending) == (0, [0])
    vendor.done()
    for task_id in ids:
        for flavour in ("regular", "advanced", "html"):
            body = vendor.call("GET", f"/v3/{KIND}/task_get/{flavour}/{task_id}")
            assert body["tasks"][0]["status_code"] == 20000
            assert _costs(body) == (0, [0]), (flavour, task_id)
    vendor.clock.advance(31 * 86400)
    expired = vendor.call("GET", f"/v3/{KIND}/task_get/advanced/{ids[0]}")
    assert expired["tasks"][0]["status_code"] == 40403
    assert _costs(expired) == (0, [0])


def test_the_cost_of_a_task_stays_in_its_id_list_item(vendor: Vendor) -> None:
    [task_id] = vendor.post(KIND, {**ORGANIC, "priority": 2})
    vendor.done()
    vendor.get(KIND, task_id, "advanced")
    now = vendor.emu.now()
    window = {"datetime_from": _when(now - timedelta(hours=1)), "datetime_to": _when(now)}
    body = vendor.call("POST", "/v3/serp/id_list", [window])
    [item] = body["tasks"][0]["result"]
    assert (item["id"], item["cost"]) == (task_id, 0.0012)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S +00:00")
