"""The vendor's error lists, over raw HTTP as a caller's own code would use them:
``GET /v3/appendix/errors`` (the code table) and ``POST /v3/<family>/errors`` (the tasks
that returned an error in the last 7 days, failed pingbacks and postbacks among them:
the vendor's way to find webhooks to resend).

Wire facts from docs/vendors/dataforseo.md ("errors (POST)"): request fields ``limit``
(1..1000), ``offset``, ``filtered_function`` (a ``function`` value, or ``pingback_url`` /
``postback_url``), ``datetime_from`` / ``datetime_to`` within the last 7 days; result items
``id``, ``datetime``, ``function``, ``error_code`` (int), ``error_message``, ``http_url``,
``http_method``, ``http_code`` (int), ``http_time`` (float), ``http_response``.
"""

from __future__ import annotations

import re
import socket
from datetime import timedelta
from typing import Any

import pytest
from seotasks_dataforseo.emulator.errors import ERRORS_FAMILIES

from seotasks.clock import FakeClock

from .contentkit import BASE, Vendor

WHEN = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+00:00\Z")
ITEM_TYPES = {
    "id": str,
    "datetime": str,
    "function": str,
    "error_code": int,
    "error_message": str,
    "http_url": str,
    "http_method": str,
    "http_code": int,
    "http_time": float,
}
ORGANIC = {"keyword": "errors", "location_code": 2840, "language_code": "en"}


@pytest.fixture
def emulator(make_emulator: Any, clock: FakeClock) -> Any:
    return make_emulator(
        size=0, now=lambda: BASE + timedelta(seconds=clock.monotonic()), callback_timeout=1.0
    )


@pytest.fixture
def api(emulator: Any, clock: FakeClock) -> Vendor:
    return Vendor(emulator, clock)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _errors(api: Vendor, family: str = "serp", **fields: Any) -> dict[str, Any]:
    """The one task entry of a ``POST /v3/<family>/errors`` answer."""
    body = api.call("POST", f"/v3/{family}/errors", [fields])
    assert body["status_code"] == 20000, body["status_message"]
    [task] = body["tasks"]
    assert task["path"] == ["v3", family, "errors"]
    return dict(task)


def _items(api: Vendor, family: str = "serp", **fields: Any) -> list[dict[str, Any]]:
    task = _errors(api, family, **fields)
    assert task["status_code"] == 20000, task["status_message"]
    items: list[dict[str, Any]] = task["result"] or []
    assert task["result_count"] == len(items)
    for item in items:
        for name, kind in ITEM_TYPES.items():
            assert type(item[name]) is kind, (name, item[name])
        assert WHEN.match(item["datetime"]), item["datetime"]
        assert item["http_response"] is None or isinstance(item["http_response"], str)
    return items


def _failed_pingback(api: Vendor) -> tuple[str, str]:
    """Post a task whose pingback cannot be delivered; (task id, the URL called)."""
    url = f"http://127.0.0.1:{_closed_port()}/cb?id=$id"
    [task_id] = api.post("serp/google/organic", {**ORGANIC, "pingback_url": url})
    api.done()
    assert api.emu.wait_callbacks(10.0)
    return task_id, url.replace("$id", task_id)


def test_appendix_errors_lists_the_codes(api: Vendor) -> None:
    body = api.call("GET", "/v3/appendix/errors")
    assert body["status_code"] == 20000
    [task] = body["tasks"]
    assert task["path"] == ["v3", "appendix", "errors"]
    assert task["data"] == {"api": "appendix", "function": "errors"}
    rows = task["result"]
    assert task["result_count"] == len(rows) > 40
    assert all(set(r) == {"code", "message"} for r in rows)
    assert all(type(r["code"]) is int and isinstance(r["message"], str) for r in rows)
    codes = [r["code"] for r in rows]
    assert len(set(codes)) == len(codes)
    assert {20000, 20100, 40006, 40100, 40202, 40401, 40501, 40602, 50000} <= set(codes)


def test_a_failed_pingback_is_listed_for_resending(api: Vendor) -> None:
    task_id, called = _failed_pingback(api)
    [item] = _items(api, filtered_function="pingback_url")
    assert item["id"] == task_id
    assert item["function"] == "pingback_url"
    assert item["http_url"] == called and item["http_method"] == "GET"
    assert _items(api, filtered_function="postback_url") == []
    assert _items(api, "keywords_data") == []  # another family's list


def test_refused_calls_are_listed_with_their_function(api: Vendor) -> None:
    answer = api.call("GET", "/v3/serp/google/organic/task_get/advanced/no-such-task")
    assert answer["tasks"][0]["status_code"] == 40401
    answer = api.call("POST", "/v3/serp/google/organic/task_post", [{**ORGANIC, "bogus": 1}])
    refused = answer["tasks"][0]
    assert refused["status_code"] == 40506
    items = _items(api)
    by_function = {item["function"]: item for item in items}
    got = by_function["serp/task_get/advanced"]
    assert got["error_code"] == 40401 and got["http_method"] == "GET"
    assert got["http_url"].endswith("/v3/serp/google/organic/task_get/advanced/no-such-task")
    posted = by_function["serp/task_post"]
    assert posted["error_code"] == 40506 and posted["id"] == refused["id"]
    assert posted["http_method"] == "POST"
    [only] = _items(api, filtered_function="serp/task_get/advanced")
    assert only == got


def test_pending_and_successful_tasks_are_not_errors(api: Vendor) -> None:
    [task_id] = api.post("serp/google/organic", ORGANIC)
    assert api.call("GET", f"/v3/serp/google/organic/task_get/advanced/{task_id}")["tasks"][0][
        "status_code"
    ] in (40601, 40602)
    api.done()
    api.get("serp/google/organic", task_id, "advanced")
    assert _items(api) == []


def test_limit_offset_and_window(api: Vendor, clock: FakeClock) -> None:
    for n in range(5):
        api.call("GET", f"/v3/serp/google/organic/task_get/regular/missing-{n}")
        clock.advance(60)
    every = _items(api)
    assert len(every) == 5
    assert _items(api, limit=2, offset=1) == every[1:3]
    assert _items(api, offset=5) == []
    since = every[2]["datetime"]
    assert _items(api, datetime_from=since) == [i for i in every if i["datetime"] >= since]
    clock.advance(timedelta(days=8).total_seconds())
    assert _items(api) == []  # kept for 7 days


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"limit": 0}, 40501),
        ({"limit": 1001}, 40501),
        ({"limit": "10"}, 40501),
        ({"offset": -1}, 40501),
        ({"filtered_function": 5}, 40501),
        ({"datetime_from": "2026-01-01"}, 40501),
        ({"datetime_from": "yesterday"}, 40501),
        ({"bogus": 1}, 40506),
    ],
)
def test_bad_fields_are_refused_in_the_task(api: Vendor, fields: dict[str, Any], code: int) -> None:
    task = _errors(api, **fields)
    assert task["status_code"] == code and task["result"] is None


def test_datetimes_outside_the_last_7_days_are_refused(api: Vendor) -> None:
    now = BASE
    old = (now - timedelta(days=8)).strftime("%Y-%m-%d %H:%M:%S +00:00")
    assert _errors(api, datetime_from=old)["status_code"] == 40501
    ahead = (now + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S +00:00")
    assert _errors(api, datetime_to=ahead)["status_code"] == 40501
    start = (now - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S +00:00")
    end = (now - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S +00:00")
    assert _errors(api, datetime_from=start, datetime_to=end)["status_code"] == 40501


def test_every_documented_family_answers_and_nulls_are_unset(api: Vendor) -> None:
    for family in sorted(ERRORS_FAMILIES):
        nulls = dict.fromkeys(
            ("limit", "offset", "filtered_function", "datetime_from", "datetime_to")
        )
        assert _items(api, family, **nulls) == []
    body = api.call("POST", "/v3/serp/errors", [])
    assert body["status_code"] == 20000 and body["tasks"][0]["status_code"] == 20000
    # Nine families, as the vendor's pages and client list; not the other two of id_list.
    assert len(ERRORS_FAMILIES) == 9
    for family in ("ai_optimization", "content_analysis"):
        url = f"{api.emu.url}/v3/{family}/errors"
        answer = api.http.request("POST", url, body=b"[{}]", headers=api.headers)
        assert answer.status == 404 and answer.json()["status_code"] == 40400
