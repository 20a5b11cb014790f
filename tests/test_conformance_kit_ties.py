"""The conformance kit judged on a provider that breaks the contract in known ways (as
``test_conformance_kit``): a tie the kit arranges at a page boundary catches a keyset
listing that pages "strictly after" the last time, a tie hook that misplaces or changes
the tasks is named, and a callback reader that trips on junk is caught.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, ClassVar
from urllib.parse import urlencode

import pytest
from fakevendor import SECRET, FakeVendor, FakeVendorApp, PluginOf, connect_fake
from kitenv import KIT, Failed, expected_ids, tie_hook

import seotasks
from seotasks.clock import FakeClock
from seotasks.emulation import (
    EmulatorApp,
    EmulatorServer,
    Fault,
    HttpRequest,
    HttpResponse,
    json_response,
)
from seotasks.model import TaskQuery
from seotasks.provider import Batch, CallbackEntry, Position, Provider
from seotasks.testing import ConformanceEnv
from seotasks.transport import Request

# -- item: a tie at a page boundary, arranged by the kit -------------------------------------


class KeysetApp(FakeVendorApp):
    """The fake vendor paging by a keyset: ``?after=<created>[&after_id=<id>]``.

    With ``after_id`` it continues after ``(created, id)``, which is exact; without, after
    ``created`` alone, which skips every task sharing the last time seen.
    """

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        if request.headers.get("x-api-key") != self.key:
            return json_response(401, b'{"error": "bad key"}')
        after = request.query.get("after", [""])[0]
        after_id = request.query.get("after_id", [""])[0]
        limit = int(request.query.get("limit", ["100"])[0])
        with self.lock:
            items = sorted(self.items, key=lambda item: (item["created"], item["id"]))
        if after_id:
            rest = [i for i in items if (i["created"], i["id"]) > (after, after_id)]
        else:
            rest = [i for i in items if i["created"] > after]
        body = {"items": rest[:limit], "more": len(rest) > limit}
        return json_response(200, json.dumps(body).encode())


class KeysetVendor(FakeVendor):
    name = "keysetvendor"
    #: Continue after (time, id): the fix. False: after the time alone, the bug.
    tiebreak: ClassVar[bool] = True

    def start(self, query: TaskQuery) -> Position:
        return {"after": "", "after_id": ""}

    def check_position(self, position: Position) -> Position:
        after, after_id = position.get("after"), position.get("after_id")
        if set(position) != {"after", "after_id"} or not (
            isinstance(after, str) and isinstance(after_id, str) and len(after) < 40
        ):
            raise seotasks.CursorError("keysetvendor: a bad position")
        if not ((after_id.isascii() and after_id.isalnum()) or not after_id):
            raise seotasks.CursorError("keysetvendor: a bad id")
        return {"after": after, "after_id": after_id}

    def fetch(self, query: TaskQuery, position: Position) -> Batch:
        params: dict[str, Any] = {"limit": self.settings["page_size"]}
        if position["after"]:
            params["after"] = position["after"]
            if self.tiebreak:
                params["after_id"] = position["after_id"]
        request = Request(
            method="GET",
            url=f"{self.settings['base_url']}/tasks?{urlencode(params)}",
            endpoint="tasks",
            headers={"X-Api-Key": self.settings["api_key"]},
        )
        body = self.transport.call(request, self._parse)
        items = body["items"]
        assert isinstance(items, list)
        tasks = [self._task(item) for item in items]
        if not body.get("more"):
            return Batch(tasks=tasks, next=None)
        return Batch(tasks=tasks, next={"after": items[-1]["created"], "after_id": items[-1]["id"]})


@pytest.fixture
def keyset_env(
    fake_registry: None, serve: Callable[[EmulatorApp], EmulatorServer]
) -> Callable[..., ConformanceEnv]:
    seotasks.register_plugin(PluginOf(KeysetVendor), "keysetvendor")
    app = KeysetApp(250)
    server = serve(app)

    def make(**fields: Any) -> ConformanceEnv:
        fields.setdefault("tie", tie_hook(app))
        return ConformanceEnv(
            provider="keysetvendor",
            connect=lambda: connect_fake(
                server.url, name="keysetvendor", clock=FakeClock(), page_size=40
            ),
            expected_ids=expected_ids(app),
            secrets=(SECRET,),
            **fields,
        )

    return make


def test_a_keyset_without_a_tiebreak_loses_the_tie_the_kit_arranges(
    keyset_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(KeysetVendor, "tiebreak", False)
    untied = keyset_env(tie=None)
    # The seeded times are a minute apart: without the arranged tie the bug passes.
    KIT.test_every_task_exactly_once(untied)
    KIT.test_cursor_resumes_in_fresh_client(untied)
    with pytest.raises(
        AssertionError, match=r"tied with keysetvendor:t000040 .*: 2 seeded tasks missing"
    ):
        KIT.test_tie_at_page_boundary(keyset_env())


def test_a_keyset_with_a_tiebreak_keeps_the_tie(
    keyset_env: Callable[..., ConformanceEnv],
) -> None:
    KIT.test_tie_at_page_boundary(keyset_env())


def test_a_tie_hook_that_misplaces_or_changes_the_tasks_is_named(
    kit_env: Callable[..., ConformanceEnv], app: FakeVendorApp
) -> None:
    """The kit checks that the emulator honoured the knob: otherwise a passing tie check
    would prove nothing, as a seed without ties proves nothing."""

    def copies(task_id: str, count: int, **changes: str) -> list[dict[str, Any]]:
        item = next(i for i in app.items if i["id"] == task_id)
        first = app.next_number
        app.next_number += count
        return [dict(item, id=f"tie{n:05d}", **changes) for n in range(first, first + count)]

    def at_the_end(task_id: str, count: int) -> list[str]:
        with app.lock:
            new = copies(task_id, count)
            app.items.extend(new)
        return [item["id"] for item in new]

    between = r"with \d+ task\(s\) of other times between them \(t\d+ at created_at=2026"
    with pytest.raises(AssertionError, match=between + r".*tie hook must add tasks .* anchor"):
        KIT.test_tie_at_page_boundary(kit_env(tie=at_the_end))

    def a_second_later(task_id: str, count: int) -> list[str]:
        with app.lock:
            index = next(i for i, item in enumerate(app.items) if item["id"] == task_id)
            created = datetime.fromisoformat(app.items[index]["created"]) + timedelta(seconds=1)
            new = copies(task_id, count, created=created.strftime("%Y-%m-%d %H:%M:%S +00:00"))
            app.items[index + 1 : index + 1] = new
        return [item["id"] for item in new]

    with pytest.raises(AssertionError, match=r"it must copy every time"):
        KIT.test_tie_at_page_boundary(kit_env(tie=a_second_later))


def test_a_provider_that_reorders_its_pages_is_told_so_not_only_the_hook(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A provider that hands over each page in reverse (the vendor's order lost) moves a
    well-placed tie: the message names the provider's order as the other suspect, with
    the first two tasks out of it and their times."""
    fetch = FakeVendor.fetch

    def reversed_pages(self: FakeVendor, query: TaskQuery, position: Position) -> Batch:
        batch = fetch(self, query, position)
        return Batch(tasks=batch.tasks[::-1], next=batch.next)

    monkeypatch.setattr(FakeVendor, "fetch", reversed_pages)
    with pytest.raises(AssertionError) as failed:
        KIT.test_tie_at_page_boundary(kit_env())
    message = str(failed.value)
    assert "the provider reorders the vendor's pages" in message
    assert re.search(r"t\d+ at created_at=\S+ came before t\d+ at created_at=", message)


# -- callbacks: the receiver's only vendor knowledge reads any delivery safely ---------------


def _with_callbacks(
    monkeypatch: pytest.MonkeyPatch,
    read: Callable[..., Any],
    routes: Mapping[str, str] = MappingProxyType({"postback": "POST", "pingback": "GET"}),
) -> None:
    monkeypatch.setattr(FakeVendor, "callbacks", dict(routes))
    monkeypatch.setattr(FakeVendor, "read_callback", classmethod(read))


def test_callbacks_that_refuse_junk_with_value_error_pass(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    def careful(cls: type[Provider], route: str, body: object, query: Any) -> list[Any]:
        from seotasks.provider import CallbackEntry

        if route == "pingback":
            ids = query.get("id", [])
            if len(ids) != 1 or not ids[0]:
                raise ValueError("one id")
            return [CallbackEntry(task_id=ids[0])]
        if route != "postback" or not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise ValueError("not a delivery")
        return [CallbackEntry(task_id=body["id"], result=body)]

    _with_callbacks(monkeypatch, careful)
    KIT.test_callbacks_read_any_delivery_safely(kit_env())


def test_a_callback_reader_that_trips_on_junk_is_caught(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    def trusting(cls: type[Provider], route: str, body: Any, query: Any) -> list[Any]:
        from seotasks.provider import CallbackEntry

        if route not in cls.callbacks:
            raise ValueError(route)
        return [CallbackEntry(task_id=body["tasks"][0]["id"])]  # KeyError, TypeError ...

    _with_callbacks(monkeypatch, trusting)
    with pytest.raises(Failed, match=r"must be a ValueError"):
        KIT.test_callbacks_read_any_delivery_safely(kit_env())


def test_a_callback_reader_that_fails_on_the_vendors_own_deliveries_is_caught(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Junk alone cannot tell a careful reader from one that refuses everything: one that
    builds its entry wrongly (`CallbackEntry` takes keywords) raises a TypeError on every
    real delivery and passed. With the vendor's documented deliveries the kit reads them."""

    def positional(cls: type[Provider], route: str, body: Any, query: Any) -> list[Any]:
        from seotasks.provider import CallbackEntry

        if route not in cls.callbacks or not isinstance(body, dict) or "id" not in body:
            raise ValueError("not a delivery")
        entry: Any = CallbackEntry
        return [entry(body["id"], result=body)]  # TypeError: keyword-only

    _with_callbacks(monkeypatch, positional)
    deliveries = [("postback", {"id": "t000001", "rows": [1]}, {})]
    KIT.test_callbacks_read_any_delivery_safely(kit_env())  # junk: all ValueErrors
    with pytest.raises(Failed, match=r"read_callback\('postback', .*raised TypeError"):
        KIT.test_callbacks_read_the_vendors_deliveries(kit_env(deliveries=deliveries))
    # No delivery given at all: a fail, not a skip (a summary does not show a skip).
    with pytest.raises(Failed, match=r"callback\(s\) postback, pingback, but .* gives none"):
        KIT.test_callbacks_read_the_vendors_deliveries(kit_env())

    def refusing(cls: type[Provider], route: str, body: Any, query: Any) -> list[Any]:
        raise ValueError("not a delivery")

    _with_callbacks(monkeypatch, refusing)
    with pytest.raises(Failed, match=r"refused the vendor's delivery .*ValueError: not a deliv"):
        KIT.test_callbacks_read_the_vendors_deliveries(kit_env(deliveries=deliveries))
    _with_callbacks(monkeypatch, lambda cls, route, body, query: [])
    with pytest.raises(Failed, match=r"no entry"):
        KIT.test_callbacks_read_the_vendors_deliveries(kit_env(deliveries=deliveries))
    with pytest.raises(Failed, match=r"route 'nope' is not one of the provider's callbacks"):
        KIT.test_callbacks_read_the_vendors_deliveries(kit_env(deliveries=[("nope", {}, {})]))


#: A vendor whose postback is ``{"jobs": [...]}`` (not DataForSEO's ``tasks``): the kit's
#: own junk says nothing of its shape, the vendor's delivery bent does.
_JOBS = {"jobs": [{"job_id": "j1", "state": "error", "error_text": "blocked", "label": "L"}]}
_JOB_ENTRY = CallbackEntry(task_id="j1", error="blocked", tag="L")


def _jobs_reader(*, error_as_result: bool = False, trusting: bool = False) -> Any:
    def read(cls: type[Provider], route: str, body: Any, query: Any) -> list[Any]:
        jobs = body.get("jobs") if isinstance(body, dict) else None
        if route != "postback" or not isinstance(jobs, list):
            raise ValueError("no jobs")
        entries = []
        for job in jobs:
            if not trusting and not (isinstance(job, dict) and isinstance(job.get("job_id"), str)):
                raise ValueError("a job without its id")
            label = job.get("label") if isinstance(job.get("label"), str) else None
            failed = job.get("state") == "error" and not error_as_result
            text = job.get("error_text") if isinstance(job.get("error_text"), str) else "?"
            entries.append(
                CallbackEntry(task_id=job["job_id"], error=text, tag=label)
                if failed
                else CallbackEntry(task_id=job["job_id"], result=job, tag=label)
            )
        return entries

    return read


def test_a_reader_of_another_vendors_shape_is_bent_and_its_entries_checked(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three plugin bugs the kit passed (found by writing a plugin with callbacks from the
    guide): items trusted (a 500 in the receiver for ``{"jobs": [1]}``), an error state
    read as a result (a file written for a failed task), and each caught now."""
    deliveries = [("postback", _JOBS, {}, [_JOB_ENTRY])]
    postback = {"postback": "POST"}
    _with_callbacks(monkeypatch, _jobs_reader(), postback)
    KIT.test_callbacks_read_any_delivery_safely(kit_env(deliveries=deliveries))
    KIT.test_callbacks_read_the_vendors_deliveries(kit_env(deliveries=deliveries))
    _with_callbacks(monkeypatch, _jobs_reader(trusting=True), postback)
    with pytest.raises(Failed, match=r"'jobs': \[1\].*raised AttributeError"):
        KIT.test_callbacks_read_any_delivery_safely(kit_env(deliveries=deliveries))
    _with_callbacks(monkeypatch, _jobs_reader(error_as_result=True), postback)
    KIT.test_callbacks_read_the_vendors_deliveries(kit_env(deliveries=[deliveries[0][:3]]))
    with pytest.raises(Failed, match=r"not the entries the delivery says"):
        KIT.test_callbacks_read_the_vendors_deliveries(kit_env(deliveries=deliveries))


def test_a_put_route_registers_and_passes_the_kit(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Registration takes GET, PATCH, POST and PUT; the kit refused a PUT, unexplained."""
    _with_callbacks(monkeypatch, _jobs_reader())
    monkeypatch.setattr(FakeVendor, "callbacks", {"postback": "PUT"})
    deliveries = [("postback", _JOBS, {}, [_JOB_ENTRY])]
    KIT.test_callbacks_read_any_delivery_safely(kit_env(deliveries=deliveries))


def test_a_callback_reader_returning_one_entry_not_a_list_is_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receiver iterates what ``read_callback`` returns: a lone `CallbackEntry` was
    reported as the reader *raising* a TypeError, with advice about ValueErrors."""

    def lone(cls: type[Provider], route: str, body: Any, query: Any) -> Any:
        if route != "postback" or not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise ValueError("not a delivery")
        return CallbackEntry(task_id=body["id"], result=body)

    _with_callbacks(monkeypatch, lone)
    deliveries = [("postback", {"id": "t000001", "rows": [1]}, {})]
    said = r"returned a CallbackEntry, not a list of CallbackEntry \(return \[entry\]"
    with pytest.raises(Failed, match=said):
        KIT.test_callbacks_read_the_vendors_deliveries(kit_env(deliveries=deliveries))
    with pytest.raises(Failed, match=said):
        KIT.test_callbacks_read_any_delivery_safely(kit_env(deliveries=deliveries))
