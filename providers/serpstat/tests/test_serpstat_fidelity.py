"""The emulator against the vendor's own words, and the provider against the emulator.

Each test pins one behaviour where the reference (``docs/vendors/serpstat.md``) says what
Serpstat answers, or says that it does not say: the emulator must answer the documented
text, and must not answer an invented one a sandbox user could come to rely on. Raw
HTTP over loopback for the emulator, the public client for the provider.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import urllib3
from seotasks_serpstat.emulator import SerpstatEmulator

import seotasks
from seotasks.clock import FakeClock
from seotasks.emulation import EmulatorApp, Fault, HttpRequest, HttpResponse, json_response
from seotasks.model import Task, TaskStatus
from seotasks.submit import SerpTaskSpec

MakeEmulator = Callable[..., SerpstatEmulator]
Connect = Callable[..., seotasks.Client]
HTTP = urllib3.PoolManager()


def rpc(emulator: SerpstatEmulator, method: str, params: dict[str, Any]) -> dict[str, Any]:
    """One JSON-RPC call to the emulator; the decoded answer (always HTTP 200)."""
    url = f"{emulator.url}?token={emulator.token}"
    body = json.dumps({"id": "1", "method": method, "params": params}).encode()
    response = HTTP.request("POST", url, body=body, headers={"Content-Type": "application/json"})
    assert response.status == 200
    answer: dict[str, Any] = json.loads(response.data)
    return answer


def add(emulator: SerpstatEmulator, **params: Any) -> dict[str, Any]:
    return rpc(emulator, "tasks.addTask", {"seId": 1, "countryId": 23, **params})


# -- tasks.addTask refusals: the vendor page's own texts ----------------------------------------


def test_all_keywords_blocked_in_the_vendors_words(make_emulator: MakeEmulator) -> None:
    """The addTask page: "You have no keywords after filtrating, blocked keywords: [list of
    blocked keywords]"."""
    emulator = make_emulator(size=5, rps=None)
    error = add(emulator, keywords="a<b,c{d}")["error"]
    assert error["message"] == "You have no keywords after filtrating, blocked keywords: a<b, c{d}"
    assert emulator.posted() == []


def test_bad_device_in_the_vendors_words(make_emulator: MakeEmulator) -> None:
    """The addTask page: "device_type_id Invalid type id value"."""
    emulator = make_emulator(size=5, rps=None)
    error = add(emulator, keywords="shoes", typeId=3)["error"]
    assert error["message"] == "device_type_id Invalid type id value"


# -- a result asked for before the task is done -------------------------------------------------


@pytest.mark.parametrize("method", ["tasks.getTaskResult", "tasks.getKeywordSerp"])
def test_unfinished_task_answer_claims_nothing_undocumented(
    make_emulator: MakeEmulator, method: str
) -> None:
    """What Serpstat answers for a task still crawling is undocumented: the emulator gives
    the reference's generic no-data error, not a "not finished" text of its own that
    sandbox code could learn to match and production would never send."""
    emulator = make_emulator(seed=7, size=2500, rps=None)
    for status in ("queued", "running"):
        task_id = int(emulator.task_ids(status)[0])
        answer = rpc(emulator, method, {"taskId": task_id, "keywordId": task_id * 1000})
        assert answer == {
            "id": "1",
            "error": {"code": 32017, "message": "Data not found", "data": None},
        }


@pytest.mark.parametrize("status", ["queued", "running"])
def test_result_of_a_listed_unfinished_task_is_task_not_done(
    make_emulator: MakeEmulator, connect: Connect, status: str
) -> None:
    """The listing said the task is not done and getTaskResult has no data: the public
    `TaskNotDone` (ask again later), as for DataForSEO's pending answers."""
    emulator = make_emulator(seed=7, size=2500)
    client = connect(emulator)
    task = next(t for t in client.tasks(status=status))
    with pytest.raises(seotasks.TaskNotDone) as caught:
        client.collect(task)
    assert caught.value.code == 32017 and task.id in str(caught.value)


def test_no_data_for_a_completed_task_is_no_result(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    """Without the listing's word that the task is unfinished (``collect --id`` assumes
    completed), "Data not found" is the vendor's word that the task has no result:
    `NoResult`, never `TaskNotDone`, and no plain `ProviderError` (which a collect run
    keeps in its journal, to ask again on every run)."""
    emulator = make_emulator(seed=7, size=2500)
    client = connect(emulator)
    for task_id in (emulator.task_ids("running")[0], "1"):
        task = Task(provider="serpstat", id=task_id, status=TaskStatus.COMPLETED)
        with pytest.raises(seotasks.NoResult) as caught:
            client.collect(task)
        assert caught.value.code == 32017


# -- at most 60,000 rows ------------------------------------------------------------------------


def test_get_list_serves_at_most_60000_rows(make_emulator: MakeEmulator) -> None:
    """The API intro: "The maximum number of results returned by each API method is
    limited up to 60,000 rows". A page crossing the 60,000th row is cut there, the pages
    past it are empty."""
    emulator = make_emulator(seed=5, size=61_000, rps=None)
    assert len(emulator.task_ids()) == 61_000
    rows = emulator.rows()

    def page(number: int, size: int) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = rpc(
            emulator, "tasks.getList", {"page": number, "pageSize": size}
        )["result"]
        return result

    assert page(60, 1000) == rows[59_000:60_000]
    assert page(61, 1000) == []
    assert page(86, 700) == rows[59_500:60_000]  # rows 59,500..60,199, cut at 60,000


def test_listing_past_60000_rows_is_capped(make_emulator: MakeEmulator, connect: Connect) -> None:
    """A listing that ran into the cap says so (`Page.capped`, a note, the CLI's warning)
    instead of ending as if it had seen every task: with the list ascending, the tasks past
    the 60,000th row are the newest."""
    emulator = make_emulator(seed=5, size=61_000)
    client = connect(emulator, page_size=1000)
    pages = list(client.pages(status="any"))
    ids = [task.id for page in pages for task in page.tasks]
    assert ids == emulator.task_ids()[:60_000]
    assert pages[-1].capped and not any(page.capped for page in pages[:-1])
    assert "60,000" in pages[-1].notes[0]
    assert "60,000" in (client.provider.advice("capped") or "")
    assert client.capabilities.cap == 60_000


# -- numbers written as text ---------------------------------------------------------------------


class NextPageAsText:
    """The emulator, but writing ``next_page`` as text, as Serpstat writes its other
    numbers (``task_id``, ``keywords_count``, ``keyword_id``); its type is undocumented."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        answer = self.app.handle(request, fault)
        body = json.loads(answer.body)
        result = body.get("result")
        if isinstance(result, dict) and "next_page" in result:
            result["next_page"] = str(result["next_page"])
        return json_response(answer.status, json.dumps(body).encode())


def test_next_page_as_text_is_followed(
    make_emulator: MakeEmulator, connect: Connect, clock: FakeClock, now: datetime
) -> None:
    """A result split in parts whose ``next_page`` is ``"2"``: every part is read, not a
    `ResponseFormatError` for the whole task."""
    emulator = make_emulator(seed=4, size=5, now=lambda: now + timedelta(seconds=clock.monotonic()))
    client = connect(emulator)
    words = [f"shoe {n}" for n in range(120)]  # three parts of at most 50 keywords
    results = client.submit([SerpTaskSpec(keyword=w, location=23) for w in words])
    clock.advance(3600)
    [task] = [t for t in client.tasks(status="completed") if t.id == results[0].task_id]
    emulator.server.app = NextPageAsText(emulator.app)
    body = client.collect(task)
    assert [top["keyword"] for top in body["tops"]] == words


# -- the errors page's own words ------------------------------------------------------------------


def test_generic_refusals_in_the_errors_pages_words(make_emulator: MakeEmulator) -> None:
    """The "Errors and Response Codes" page: 400 "Json schema validation error" for a
    request off the schema, 403 "Not access to functional" for a method the account may
    not call (what follows a ``:`` is the emulator's detail)."""
    emulator = make_emulator(size=5, rps=None)
    bad_size = rpc(emulator, "tasks.getList", {"page": 1, "pageSize": 50})["error"]
    assert bad_size["code"] == 400
    assert bad_size["message"].partition(":")[0] == "Json schema validation error"
    unknown = rpc(emulator, "tasks.getlist", {})["error"]
    assert unknown["code"] == 403
    assert unknown["message"].partition(":")[0] == "Not access to functional"


# -- "today" is the day of the emulator's own timestamps ---------------------------------------


def test_same_day_duplicate_counts_days_in_the_timestamps_zone(
    make_emulator: MakeEmulator,
) -> None:
    """ "Task (id=x) with such parameters has already been created today": the emulator
    writes its times in ``timezone``, so its "today" is that zone's day, not UTC's. At
    22:00 and 01:00 in Los Angeles (06:00 and 09:00 UTC, one UTC day) the days differ."""
    moment = [datetime(2026, 12, 4, 6, 0, tzinfo=UTC)]
    emulator = make_emulator(
        size=5, rps=None, timezone="America/Los_Angeles", now=lambda: moment[0]
    )
    first = add(emulator, keywords="boots")["result"]["task_id"]
    refused = add(emulator, keywords="boots")["error"]["message"]
    assert refused == f"Task (id={first}) with such parameters has already been created today"
    moment[0] += timedelta(hours=3)
    assert "result" in add(emulator, keywords="boots")


def test_listed_rows_are_what_the_account_could_have_posted(make_emulator: MakeEmulator) -> None:
    """Progress is the share of a task's keywords crawled (a 1-keyword task reads 0% or
    100%, never 93%), and the search engine is one `tasks.addTask` takes (seId 1: it
    refuses 2 with "No such se_id")."""
    emulator = make_emulator(seed=9, size=3000, rps=None)
    rows = emulator.rows()
    running = [r for r in rows if r["progress"] not in ("0%", "100%")]
    assert running, "the sample holds tasks part way through"
    for row in rows:
        keywords = int(row["keywords_count"])
        possible = {f"{done * 100 // keywords}%" for done in range(keywords + 1)}
        assert row["progress"] in possible, row
    assert {row["se_id"] for row in rows} == {"1"}
    assert add(emulator, keywords="tea", seId=2)["error"]["message"] == "No such se_id"


# -- the account's figures and type mistakes --------------------------------------------------


def test_the_credits_methods_answer_free_as_documented(make_emulator: MakeEmulator) -> None:
    """The reference's "Credits": ``SerpstatLimitsProcedure.getStats`` is free and never
    refused; it was answered 403 "Not access to functional", which the provider reads as
    a refused token. Crawling spends the USD balance, not these credits."""
    emulator = make_emulator(size=5, rps=None)
    stats = rpc(emulator, "SerpstatLimitsProcedure.getStats", {})["result"]
    data = stats["data"]
    assert data["max_lines"] - data["used_lines"] == data["left_lines"]
    assert stats["summary_info"]["left_lines"] == data["left_lines"]
    assert type(data["user_info"]["user_id"]) is str
    assert set(data["plugin_limits"]) >= {"hasApiPlugin", "delayBetweenRequests", "left"}
    audit = rpc(emulator, "SerpstatLimitsProcedure.getAuditStats", {})["result"]["data"]
    assert audit["total"] - audit["used"] == audit["left"]
    before = rpc(emulator, "tasks.getParsingBalance", {})["result"]["available_usd"]
    assert "result" in add(emulator, keywords="tea,coffee")
    assert rpc(emulator, "SerpstatLimitsProcedure.getStats", {})["result"] == stats
    assert rpc(emulator, "tasks.getParsingBalance", {})["result"]["available_usd"] != before


@pytest.mark.parametrize(
    ("method", "params", "said"),
    [
        ("tasks.getList", {"page": "1"}, "page must be an integer >= 1"),
        ("tasks.getList", {"pageSize": "100"}, "pageSize must be an integer 100..1000"),
        ("tasks.addTask", {"seId": "1"}, "seId must be an integer"),
        ("tasks.addTask", {"countryId": "23"}, "countryId must be an integer"),
    ],
)
def test_a_number_sent_as_a_string_is_named_as_such(
    make_emulator: MakeEmulator, method: str, params: dict[str, Any], said: str
) -> None:
    """``page: "1"`` was refused with "page must be >= 1" and ``seId: "1"`` with "No such
    se_id": both named the wrong mistake."""
    emulator = make_emulator(size=5, rps=None)
    if method == "tasks.addTask":
        params = {"seId": 1, "countryId": 23, "keywords": "tea", **params}
    error = rpc(emulator, method, params)["error"]
    assert error["code"] == 400
    assert error["message"] == f"Json schema validation error: {said}"


@pytest.mark.parametrize("request_id", [True, {"a": 1}, [1]])
def test_an_id_that_is_no_string_or_number_is_refused_not_echoed_as_python(
    make_emulator: MakeEmulator, request_id: object
) -> None:
    """JSON-RPC 2.0 ids are strings, numbers or null; ``true`` came back as ``"True"`` and
    ``{"a": 1}`` as ``"{'a': 1}"``, Python's words for them."""
    emulator = make_emulator(size=5, rps=None)
    url = f"{emulator.url}?token={emulator.token}"
    body = json.dumps({"id": request_id, "method": "tasks.getList", "params": {}}).encode()
    answer = json.loads(HTTP.request("POST", url, body=body).data)
    assert answer["id"] is None
    assert (
        answer["error"]["message"]
        == "Json schema validation error: id must be a string or a number"
    )


# -- the current schema's integers ---------------------------------------------------------------


def test_typed_ids_are_served_as_integers_and_listed_the_same(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    """The reference: the older pages show every field as text, "the current schema types
    ids and counts as integers, so read both". A sandbox serving only text could not
    exercise a user's code on the integers."""
    text = make_emulator(seed=3, size=150, rps=None)
    typed = make_emulator(seed=3, size=150, rps=None, typed_ids=True)
    [row] = rpc(typed, "tasks.getList", {"page": 1, "pageSize": 100})["result"][:1]
    assert type(row["task_id"]) is int and type(row["keywords_count"]) is int
    assert type(row["se_id"]) is int and type(row["progress"]) is str  # "100%" stays text
    listed = [t for t in connect(typed).tasks(status="any")]
    assert [t.id for t in listed] == typed.task_ids() == text.task_ids()
    assert [t.keywords_count for t in listed] == [
        t.keywords_count for t in connect(text).tasks(status="any")
    ]
