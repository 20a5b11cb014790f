"""What the emulator charges, over raw HTTP, as a caller's own code reads it.

The vendor charges for setting a task and for nothing else of its life: "Your account will
be charged only for posting a task. You can get the results of the task within the next
30 days for free." (every task_get page), and its task_get example answers ``"cost": 0``
at both levels. A pipeline that sums the ``cost`` of every answer to track spending must
count each task once, when it is posted; the id_list item still carries the task's cost.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from seotasks_dataforseo.emulator import DataForSEOEmulator

from seotasks.clock import FakeClock

from .conftest import MakeEmulator
from .contentkit import BASE, Vendor

ORGANIC = {"keyword": "money", "location_code": 2840, "language_code": "en"}
KIND = "serp/google/organic"


#: The data's clock starts at noon UTC (of the day the tests run), advanced by the test's
#: fake clock: the day's spending resets at midnight UTC, which a start at the real time
#: would cross now and then within a test's fake minutes.
NOON = BASE.replace(hour=12, minute=0, second=0)


@pytest.fixture
def start() -> list[datetime]:
    """When the emulator's data time starts (a test may change it before ``emu``)."""
    return [NOON]


@pytest.fixture
def emu(make_emulator: MakeEmulator, clock: FakeClock, start: list[datetime]) -> DataForSEOEmulator:
    return make_emulator(size=0, now=lambda: start[0] + timedelta(seconds=clock.monotonic()))


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


@pytest.mark.parametrize(
    ("kind", "fields", "cost"),
    [
        (KIND, {}, 0.0006),  # the first page, what the base price covers
        (KIND, {"depth": 10}, 0.0006),
        (KIND, {"depth": 11}, 0.00105),  # a second page at 0.75 of the first
        (KIND, {"depth": 100}, 0.00465),  # 1 + 9 x 0.75 (the vendor's own example)
        (KIND, {"depth": 100, "priority": 2}, 0.0093),
        ("serp/google/maps", {"depth": 100}, 0.0006),  # per 100 on desktop
        ("serp/google/maps", {"depth": 101}, 0.0012),  # a second unit, in full
        ("serp/google/maps", {"depth": 40, "device": "mobile"}, 0.0012),  # per 20 on mobile
    ],
)
def test_a_depth_beyond_the_first_page_is_charged_as_the_vendor_charges(
    vendor: Vendor, kind: str, fields: dict[str, Any], cost: float
) -> None:
    """The vendor's pricing (help center, "Cost of tasks with 'depth' set above default";
    the organic update of 2025-09-19): the base price covers a type's default depth, each
    further unit costs 0.75 of it on the organic engines, in full on the others. Every
    depth cost the base price here: a pipeline's spending, 10 times too low at depth 100."""
    posted = vendor.call("POST", f"/v3/{kind}/task_post", [{**ORGANIC, **fields}])
    assert posted["tasks"][0]["status_code"] == 20100, posted["tasks"][0]["status_message"]
    assert _costs(posted) == (cost, [cost])


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


def _money(vendor: Vendor) -> dict[str, Any]:
    money: dict[str, Any] = vendor.call("GET", "/v3/appendix/user_data")["tasks"][0]["result"][0][
        "money"
    ]
    return money


def test_user_data_balance_falls_by_what_was_charged_and_nothing_else(vendor: Vendor) -> None:
    start = _money(vendor)
    assert start["statistics"]["day"]["total"] == 0
    body = vendor.call(
        "POST", f"/v3/{KIND}/task_post", [ORGANIC, {**ORGANIC, "priority": 2}, {"keyword": "x"}]
    )
    assert [t["status_code"] for t in body["tasks"]] == [20100, 20100, 40501]
    vendor.done()
    vendor.get(KIND, body["tasks"][0]["id"], "advanced")  # free
    live = vendor.call(
        "POST",
        "/v3/dataforseo_labs/google/ranked_keywords/live",
        [{"target": "example.com", "location_code": 2840, "language_code": "en"}],
    )
    spent = 0.0006 + 0.0012 + live["cost"]
    money = _money(vendor)
    assert money["balance"] == pytest.approx(start["balance"] - spent)
    assert money["statistics"]["day"]["total"] == pytest.approx(spent)
    assert money["total"] == start["total"]  # deposits: unchanged


@pytest.mark.parametrize("start", [[NOON.replace(hour=23, minute=55)]])
def test_the_days_spending_starts_again_at_midnight_utc(vendor: Vendor) -> None:
    """statistics.day is the UTC day's spending: what was charged before midnight is
    in the balance, not in the next day's total."""
    before = _money(vendor)["balance"]
    vendor.post(KIND, ORGANIC)
    assert _money(vendor)["statistics"]["day"]["total"] == pytest.approx(0.0006)
    vendor.done()  # ten minutes: past midnight
    money = _money(vendor)
    assert money["statistics"]["day"]["total"] == 0
    assert money["balance"] == pytest.approx(before - 0.0006)


def test_a_call_the_balance_cannot_cover_is_http_402_with_40210(vendor: Vendor) -> None:
    """The vendor: 40210 "Insufficient Funds. Your account's balance is too low to
    complete this request.", with HTTP 402 ("check your account's balance"); nothing is
    created or charged."""
    vendor.emu.app.wallet.balance = 0.001
    answer = vendor.http.request(
        "POST",
        f"{vendor.emu.url}/v3/{KIND}/task_post",
        body=json.dumps([ORGANIC, ORGANIC]),
        headers=vendor.headers,
    )
    assert answer.status == 402
    body = json.loads(answer.data)
    assert (body["status_code"], body["tasks_count"], body["tasks"]) == (40210, 0, [])
    assert body["status_message"].startswith("Insufficient Funds")
    assert vendor.emu.size == 0
    assert _money(vendor)["balance"] == pytest.approx(0.001)
    [task_id] = vendor.post(KIND, ORGANIC)  # one task it can still pay for
    assert vendor.emu.task(task_id)["cost"] == 0.0006
    assert _money(vendor)["balance"] == pytest.approx(0.0004)


def test_seeded_serp_tasks_cost_what_posting_them_costs() -> None:
    """The seeded history drew every task's cost from one list whatever its API: Google
    organic tasks at the default depth listed at $0.075, 125 times the price, so a spend
    analysis run against the sandbox read nonsense. A seeded SERP task costs what
    posting it costs; the other APIs' tasks keep their own prices."""
    with DataForSEOEmulator(seed=5, size=600) as emu, emu.dataset.lock:
        tasks = list(emu.dataset.by_id.values())
    serp = {t.cost for t in tasks if t.kind.startswith("serp/")}
    assert serp == {0.0006, 0.0012}
    assert {t.cost for t in tasks if not t.kind.startswith("serp/")} - {0.0006, 0.0012}
