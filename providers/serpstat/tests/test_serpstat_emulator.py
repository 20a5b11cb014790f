"""The emulator speaks the documented protocol: checked with raw HTTP, no provider involved."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import urllib3
from seotasks_serpstat.emulator import SerpstatEmulator
from seotasks_serpstat.provider import SerpstatProvider

import seotasks
from seotasks.clock import FakeClock
from seotasks.emulation import Fault
from seotasks.sandbox import SandboxRequest

MakeEmulator = Callable[..., SerpstatEmulator]
HTTP = urllib3.PoolManager()


def call(
    emulator: SerpstatEmulator,
    body: Any,
    *,
    token: str | None = "",
    method: str = "POST",
    path: str | None = None,
) -> tuple[int, dict[str, Any]]:
    token = emulator.token if token == "" else token
    url = emulator.server.url + (path or "/rt/api/v2/")
    if token is not None:
        url += f"?token={token}"
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = HTTP.request(method, url, body=raw, headers={"Content-Type": "application/json"})
    return response.status, json.loads(response.data)


def get_list(page: int = 1, size: int = 100, request_id: Any = 1) -> dict[str, Any]:
    return {"id": request_id, "method": "tasks.getList", "params": {"page": page, "pageSize": size}}


def test_documented_answer_shape(make_emulator: MakeEmulator) -> None:
    emulator = make_emulator(size=300, rps=None)
    status, body = call(emulator, get_list(request_id=1))
    assert status == 200 and set(body) == {"id", "result"}
    assert body["id"] == "1"  # a numeric id comes back as a string
    assert len(body["result"]) == 100
    for row in body["result"]:
        assert set(row) == {
            "task_id",
            "se_id",
            "country_id",
            "lang_id",
            "region_id",
            "device_type_id",
            "progress",
            "keywords_count",
            "created_at",
            "parsed_at",
        }
        for key, value in row.items():
            if key == "parsed_at" and row["progress"] != "100%":
                assert value is None
            else:
                assert isinstance(value, str), key
        assert row["progress"].endswith("%")
        datetime.strptime(row["created_at"], "%Y-%m-%d %H:%M:%S")
    ids = [int(r["task_id"]) for r in body["result"]]
    assert ids == sorted(ids)
    _, last = call(emulator, get_list(page=3, size=100))
    assert len(last["result"]) == 100
    _, past = call(emulator, get_list(page=4, size=100))
    assert past == {"id": "1", "result": []}


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"token": None}, 400),
        ({"token": "nope"}, 403),
    ],
)
def test_token_checks_answer_http_200(
    make_emulator: MakeEmulator, kwargs: dict[str, Any], code: int
) -> None:
    emulator = make_emulator(size=10, rps=None)
    status, body = call(emulator, get_list(request_id="abc"), **kwargs)
    assert status == 200
    assert body["id"] == "abc" and body["error"]["code"] == code and "result" not in body


@pytest.mark.parametrize(
    ("body", "code", "text"),
    [
        ({"id": "1", "method": "tasks.nope", "params": {}}, 403, "functional"),
        (get_list(size=99), 400, "pageSize"),
        (get_list(size=1001), 400, "pageSize"),
        (get_list(page=0), 400, "page"),
        (
            {"id": "1", "method": "tasks.getList", "params": {"page": "1", "pageSize": 100}},
            400,
            "page",
        ),
        (b"{not json", 400, "Json"),
        ([1, 2], 400, "Json"),
    ],
)
def test_bad_requests_get_error_objects(
    make_emulator: MakeEmulator, body: Any, code: int, text: str
) -> None:
    emulator = make_emulator(size=10, rps=None)
    status, answer = call(emulator, body)
    assert status == 200 and answer["error"]["code"] == code and text in answer["error"]["message"]


@pytest.mark.parametrize("method", [None, 7, ["tasks.getList"]])
def test_a_request_without_a_method_name_is_a_schema_error(
    make_emulator: MakeEmulator, method: Any
) -> None:
    """A JSON-RPC request names its method with a string member ``method``; one that
    lacks it (or gives a number, a list) is off the request schema, which the vendor's
    codes page answers with 400 "JSON schema validation error". The emulator answered
    403 "Not access to functional: None", a Python repr, as if the account lacked a
    method that was never named."""
    emulator = make_emulator(size=10, rps=None)
    body: dict[str, Any] = {"id": "1", "params": {}}
    if method is not None:
        body["method"] = method
    status, answer = call(emulator, body)
    assert status == 200 and answer["id"] == "1" and "result" not in answer
    assert answer["error"]["code"] == 400
    assert answer["error"]["message"] == "Json schema validation error: method must be a string"


def test_a_chunked_body_is_read(make_emulator: MakeEmulator) -> None:
    """HTTP/1.1 lets a client stream its JSON as a chunked body, which a server must read
    (RFC 9112, 6.1/7.1); the vendor's reference only asks for a JSON POST. The emulator
    read a Content-Length body only: a chunked call was answered 400 "body is not an
    object", and its chunks were then read as the next request on the connection."""
    emulator = make_emulator(size=10, rps=None)
    body = json.dumps({"id": "7", "method": "tasks.getParsingBalance", "params": {}})
    path = f"/rt/api/v2/?token={emulator.token}"
    connection = http.client.HTTPConnection(emulator.server.url.removeprefix("http://"))
    try:
        parts = iter([body[:9].encode(), body[9:].encode()])
        connection.request(
            "POST", path, parts, {"Content-Type": "application/json"}, encode_chunked=True
        )
        first = json.loads(connection.getresponse().read())
        connection.request("POST", path, json.dumps(get_list(request_id="8")).encode())
        second = json.loads(connection.getresponse().read())
    finally:
        connection.close()
    assert first["id"] == "7" and set(first["result"]) >= {"available_usd"}
    assert second["id"] == "8" and len(second["result"]) == 10


def test_balance_method_and_paths(make_emulator: MakeEmulator) -> None:
    emulator = make_emulator(size=10, rps=None)
    _, body = call(emulator, {"id": 5, "method": "tasks.getParsingBalance"}, path="/v4/")
    assert body["result"]["available_usd"] == "10.91"
    response = HTTP.request("POST", emulator.server.url + "/elsewhere")
    assert response.status == 404


def test_posting_charges_the_parsing_balance(make_emulator: MakeEmulator) -> None:
    """Each crawled keyword costs ``serp_parsing_cost`` of ``available_usd``; blocked
    keywords and refused calls cost nothing (reference: tasks.addTask, getParsingBalance)."""
    emulator = make_emulator(size=10, rps=None)
    balance = {"id": 1, "method": "tasks.getParsingBalance"}
    start = call(emulator, balance)[1]["result"]
    assert start["available_usd"] == "10.91" and start["serp_parsing_cost"] == "0.00065"

    def add(method: str, keywords: Any) -> dict[str, Any]:
        params = {"keywords": keywords, "seId": 1, "countryId": 23}
        return call(emulator, {"id": 2, "method": method, "params": params})[1]

    assert add("tasks.addKeywordList", ["one", "two", "three<>"])["result"] == {
        "task_id": emulator.task_ids()[-1],
        "blocked_keywords": ["three<>"],
    }
    assert call(emulator, balance)[1]["result"]["available_usd"] == "10.9087"
    assert add("tasks.addKeywordList", ["one", "two"])["error"]["code"] == 400  # again today
    assert "no keywords after filtrating" in add("tasks.addKeywordList", ["<>"])["error"]["message"]
    assert "result" in add("tasks.addTask", "a, b, c")
    assert call(emulator, balance)[1]["result"] == {**start, "available_usd": "10.90675"}


def test_requests_per_second_on_the_injected_clock(
    make_emulator: MakeEmulator, clock: FakeClock
) -> None:
    emulator = make_emulator(size=10, rps=2)
    answers = [call(emulator, get_list())[1] for _ in range(3)]
    assert "result" in answers[0] and "result" in answers[1]
    assert answers[2]["error"] == {"code": 429, "message": "Query frequency exceeded", "data": None}
    clock.advance(1.0)
    assert "result" in call(emulator, get_list())[1]
    assert emulator.app.rate_limited == 1


def test_vendor_faults(make_emulator: MakeEmulator) -> None:
    emulator = make_emulator(size=300, rps=None)
    faults = emulator.server.faults
    faults.inject(Fault.RATE_LIMIT_BODY)
    assert call(emulator, get_list(request_id="q"))[1]["error"]["code"] == 429
    faults.inject(Fault.MISMATCHED_ID)
    assert call(emulator, get_list(request_id="q"))[1]["id"] != "q"
    faults.inject(Fault.WRONG_TYPES)
    rows = call(emulator, get_list())[1]["result"]
    assert isinstance(rows[-1]["created_at"], int) and isinstance(rows[0]["created_at"], str)
    faults.inject(Fault.WRONG_TYPES)
    assert call(emulator, get_list(page=9))[1]["result"] == {"tasks": []}


def test_window_additions_and_expiry(make_emulator: MakeEmulator, now: datetime) -> None:
    moment = [now]
    emulator = make_emulator(seed=5, size=2_000, now=lambda: moment[0], rps=None)
    before = emulator.task_ids()
    assert len(before) == 2_000 and emulator.all_ids() == before
    added = emulator.add_tasks(3)
    assert emulator.task_ids()[-3:] == added
    assert all(emulator.truth(i).status == "queued" for i in added)
    assert int(added[0]) > int(before[-1])
    dropped = emulator.expire(10)
    assert dropped == before[:10] and emulator.task_ids()[0] == before[10]
    moment[0] = now + timedelta(days=2)  # two more days: the 7-day window moves on
    later = emulator.task_ids()
    assert 1_000 < len(later) < 1_800
    assert all(emulator.truth(i).created_at >= moment[0] - timedelta(days=7) for i in later)
    assert all(emulator.truth(i).status == "completed" for i in added)  # time moved them on
    assert len(emulator.all_ids()) == 2_003


def test_newest_first_order(make_emulator: MakeEmulator) -> None:
    emulator = make_emulator(size=250, rps=None, order="desc")
    _, body = call(emulator, get_list(size=100))
    ids = [int(r["task_id"]) for r in body["result"]]
    assert ids == sorted(ids, reverse=True)
    assert [r["task_id"] for r in emulator.rows()][:100] == [str(i) for i in ids]


def test_same_seed_same_data_and_a_large_set_pages(now: datetime) -> None:
    """How fast a large set is made is `benchmarks/`' business; here, that it is whole."""
    a = SerpstatEmulator(seed=9, size=500, now=lambda: now)
    b = SerpstatEmulator(seed=9, size=500, now=lambda: now)
    c = SerpstatEmulator(seed=10, size=500, now=lambda: now)
    assert a.rows() == b.rows() != c.rows()
    big = SerpstatEmulator(seed=1, size=100_000, now=lambda: now)
    ids = big.task_ids()
    assert len(ids) == len(set(ids)) == 100_000
    assert len(big.dataset.page(60, 1000)) == 1000
    assert big.dataset.page(61, 1000) == []  # past the vendor's 60,000 rows
    big.dataset.max_rows = None
    assert len(big.dataset.page(100, 1000)) == 1000
    statuses = {s: len(a.task_ids(s)) for s in ("queued", "running", "completed")}
    assert all(statuses.values()) and sum(statuses.values()) == 500


def test_sandbox_serves_a_mix_of_tasks() -> None:
    with SerpstatProvider.sandbox(SandboxRequest(seed=2)) as sandbox:
        assert set(sandbox.settings) == {"base_url", "token", "timezone", "rps"}
        assert sandbox.settings["rps"] == 1.0  # most plans' rate, whatever the env says
        assert "1500 tasks" in sandbox.description
        client = seotasks.connect("serpstat", env={}, **sandbox.settings)
        statuses = {t.status for t in client.tasks(status="any")}
        client.close()
    assert statuses == {
        seotasks.TaskStatus.QUEUED,
        seotasks.TaskStatus.RUNNING,
        seotasks.TaskStatus.COMPLETED,
    }
