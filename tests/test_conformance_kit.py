"""The conformance kit judged on a provider that breaks the contract in known ways.

The kit's tests are called directly with a `ConformanceEnv` for the fake vendor (offset
paging, served over loopback), so what is checked here is the kit's verdict and what it
says: a lost task under churn is caught, a forged position gets a message naming
``check_position``, a leaked secret is located without being printed, a listing that
fits one page still has its cursors checked, a time never filled is caught wherever it
would mislead, a sandbox that ignores ``now`` is caught, and a tie the kit arranges at a
page boundary catches a keyset listing that pages "strictly after" the last time.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urlencode

import attrs
import pytest
from fakevendor import SECRET, FakeVendor, FakeVendorApp, PluginOf, connect_fake

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
from seotasks.model import Task, TaskQuery, TaskStatus
from seotasks.provider import Batch, Capabilities, Position, Provider, Sandbox
from seotasks.testing import ConformanceEnv, ProviderConformance
from seotasks.transport import Request

_STATUS = {"done": TaskStatus.COMPLETED, "running": TaskStatus.RUNNING, "failed": TaskStatus.FAILED}

Failed = pytest.fail.Exception
KIT = ProviderConformance()


def _expected(app: FakeVendorApp) -> Callable[[TaskQuery], set[str]]:
    def expected(query: TaskQuery) -> set[str]:
        with app.lock:
            items = list(app.items)
        ids = set()
        for item in items:
            if query.status is not None and _STATUS[item["state"]] is not query.status:
                continue
            if query.since or query.until:
                text = item["finished"] if query.by_completion else item["created"]
                if not text:
                    continue
                when = datetime.fromisoformat(text)
                if (query.since and when < query.since) or (query.until and when >= query.until):
                    continue
            ids.add(item["id"])
        return ids

    return expected


def tie_hook(app: FakeVendorApp) -> Callable[[str, int], list[str]]:
    """The fake vendor's ``tie``: copies of a task (its state and times) under new ids,
    right after it, where an offset listing and a (created, id) keyset both place them."""

    def tie(task_id: str, count: int) -> list[str]:
        with app.lock:
            index = next(i for i, item in enumerate(app.items) if item["id"] == task_id)
            first = app.next_number
            app.next_number += count
            new = [dict(app.items[index], id=f"tie{n:05d}") for n in range(first, first + count)]
            app.items[index + 1 : index + 1] = new
        return [item["id"] for item in new]

    return tie


@contextlib.contextmanager
def fake_sandbox(
    cls: type[Provider],
    *,
    seed: int = 0,
    size: int | None = None,
    clock: Any = None,
    now: Callable[[], datetime] | None = None,
) -> Iterator[Sandbox]:
    """A sandbox for the fake vendor that draws its tasks in the two days before ``now``."""
    origin = (datetime.now(UTC) if now is None else now()) - timedelta(days=2)
    app = FakeVendorApp(size or 100, origin=origin.replace(second=0, microsecond=0))
    with EmulatorServer(app) as server:
        yield Sandbox(settings={"base_url": server.url, "api_key": SECRET}, stop=server.stop)


@pytest.fixture
def env(
    fake_registry: None,
    server: EmulatorServer,
    app: FakeVendorApp,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., ConformanceEnv]]:
    monkeypatch.setattr(FakeVendor, "sandbox", classmethod(fake_sandbox))

    def make(**fields: object) -> ConformanceEnv:
        options = {"page_size": 40, **fields.pop("options", {})}  # type: ignore[dict-item]
        fields.setdefault("secrets", (SECRET,))
        fields.setdefault("tie", tie_hook(app))
        return ConformanceEnv(
            provider="fakevendor",
            connect=lambda: connect_fake(server.url, clock=FakeClock(), **options),
            expected_ids=_expected(app),
            faults=server.faults,
            **fields,  # type: ignore[arg-type]
        )

    yield make


#: The kit's checks that the fake vendor's env gives no input to, and why each skips.
#: Any other skip is a check that silently stopped checking: the kit's own tests fail.
EXPECTED_SKIPS = {
    "test_unsupported_query_refused": "declares no unsupported query",
    "test_bad_credentials_are_auth_errors": "no bad_connect given",
    "test_refused_spec_fields_are_refused": "refuses no spec field",
    "test_collect_answers_json": "declares no collect",
    "test_callbacks_read_any_delivery_safely": "declares no callbacks",
}


def run_kit(conformance: ConformanceEnv) -> dict[str, str]:
    """Every check of the kit but the two the fake vendor cannot run (its entry point,
    churn: tested on their own below); returns the skipped ones with their reasons."""
    skipped: dict[str, str] = {}
    for name in dir(KIT):
        if not name.startswith("test_") or name in {
            "test_loads_through_entry_point",  # registered directly, not by entry point
            "test_paging_under_churn",
        }:
            continue
        test = getattr(KIT, name)
        calls = (
            [("created_at",), ("completed_at",)] if name == "test_time_filters_honoured" else [()]
        )
        for args in calls:
            try:
                test(conformance, *args)
            except pytest.skip.Exception as exc:
                skipped[name] = str(exc)
    return skipped


def test_the_fake_vendor_passes_the_kit_without_churn(env: Callable[..., ConformanceEnv]) -> None:
    skipped = run_kit(env())
    assert skipped.keys() == EXPECTED_SKIPS.keys(), skipped
    for name, reason in EXPECTED_SKIPS.items():
        assert reason in skipped[name], (name, skipped[name])


def test_offset_paging_loses_tasks_under_churn_and_the_kit_says_so(
    env: Callable[..., ConformanceEnv], app: FakeVendorApp
) -> None:
    def expire_front() -> None:  # the oldest tasks leave: every offset moves back by 3
        with app.lock:
            del app.items[:3]

    with pytest.raises(AssertionError, match="lost under churn"):
        KIT.test_paging_under_churn(env(churn=expire_front), "any")


def test_keyset_safe_churn_passes(env: Callable[..., ConformanceEnv], app: FakeVendorApp) -> None:
    # Tasks appended at the end and a status change shift no offset: nothing is lost.
    def append() -> None:
        app.add(2)
        with app.lock:
            app.items[-1] = dict(app.items[-1], state="failed", pct="100%", finished="")

    for status in ("any", "completed"):
        KIT.test_paging_under_churn(env(churn=append), status)


def test_a_declared_order_broken_under_churn_is_reported(
    env: Callable[..., ConformanceEnv], app: FakeVendorApp
) -> None:
    # The fake vendor declares order="created_at"; a task appended with an old creation
    # time (a backfill) breaks the promise only while the data moves.
    count = iter(range(1000))

    def backfill() -> None:
        with app.lock:
            old = dict(app.items[0], id=f"late{next(count):03d}")
            app.items.append(old)

    with pytest.raises(AssertionError, match="order='created_at' declared, but under churn"):
        KIT.test_paging_under_churn(env(churn=backfill), "any")


def test_a_churn_hook_that_changes_nothing_is_reported(env: Callable[..., ConformanceEnv]) -> None:
    with pytest.raises(AssertionError, match="added and removed no task"):
        KIT.test_paging_under_churn(env(churn=lambda: None), "any")


def test_a_provider_without_check_position_is_named(
    env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FakeVendor, "check_position", Provider.check_position)
    with pytest.raises(Failed, match="check_position accepted a forged position") as info:
        KIT.test_forged_position_refused(env())
    assert "KeyError" in str(info.value)


def test_a_secret_in_a_cursor_is_located_not_printed(env: Callable[..., ConformanceEnv]) -> None:
    # The listing option `source` is recorded in cursors; call its value a secret.
    conformance = env(secrets=("not-this", "archive"), options={"source": "archive"})
    with pytest.raises(Failed) as info:
        KIT.test_cursor_carries_no_secret(conformance)
    message = str(info.value)
    assert "secret #2 of 2" in message and "$.l.source" in message
    assert not any("archive"[i : i + 4] in message for i in range(4)), message
    assert "archive" not in repr(conformance)


def test_a_one_page_listing_has_its_cursor_checked(env: Callable[..., ConformanceEnv]) -> None:
    one_page = env(min_pages=1, options={"page_size": 1000})
    for name in (
        "test_every_task_exactly_once",
        "test_cursor_resumes_in_fresh_client",
        "test_cursor_tampering_refused",
        "test_foreign_cursor_refused",
        "test_forged_position_refused",
        "test_cursor_carries_no_secret",
    ):
        getattr(KIT, name)(one_page)
    with pytest.raises(Failed, match="min_pages=2"):
        KIT.test_cursor_resumes_in_fresh_client(env(options={"page_size": 1000}))


class _Buggy:
    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        return {}["missing"]  # type: ignore[no-any-return]


def test_an_emulator_bug_is_an_http_500_naming_it(
    serve: Callable[[EmulatorApp], EmulatorServer], fake_registry: None
) -> None:
    server = serve(_Buggy())
    with connect_fake(server.url) as client, pytest.raises(seotasks.TransientError) as info:
        client.page()
    assert "HTTP 500" in str(info.value)
    assert "emulator bug at test_conformance_kit.py:" in str(info.value)
    assert "_Buggy.handle raised KeyError" in str(info.value)
    assert server.errors and all(isinstance(e, KeyError) for e in server.errors)


def test_a_spec_field_neither_mapped_nor_refused_is_named(
    env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    def submit(self: Provider, specs: object) -> list[object]:
        return []

    monkeypatch.setattr(FakeVendor, "submit", submit)
    monkeypatch.setattr(FakeVendor, "spec_maps", frozenset({"keyword", "location"}))
    with pytest.raises(AssertionError, match=r"\['depth'.*neither in spec_maps nor"):
        KIT.test_spec_fields_declared(env())
    monkeypatch.setattr(FakeVendor, "spec_refuses", frozenset({"keyword", "colour"}))
    with pytest.raises(AssertionError, match="does not have: \\['colour'\\]"):
        KIT.test_spec_fields_declared(env())
    monkeypatch.setattr(FakeVendor, "spec_refuses", frozenset({"keyword"}))
    with pytest.raises(AssertionError, match="both mapped and refused"):
        KIT.test_spec_fields_declared(env())


def test_a_listing_only_provider_declares_no_spec_fields(
    env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    KIT.test_spec_fields_declared(env())  # no submit, nothing declared: fine
    monkeypatch.setattr(FakeVendor, "spec_maps", frozenset({"keyword"}))
    with pytest.raises(AssertionError, match="does not implement submit"):
        KIT.test_spec_fields_declared(env())


# -- item: the times a provider fills ---------------------------------------------------


def _map_task(monkeypatch: pytest.MonkeyPatch, change: Callable[[Task], Task]) -> None:
    """Make the fake vendor build every task, then ``change`` it (a mapping bug)."""
    build = FakeVendor._task

    def mapped(self: FakeVendor, item: Any) -> Task:
        return change(build(self, item))

    monkeypatch.setattr(FakeVendor, "_task", mapped)


def _declare(monkeypatch: pytest.MonkeyPatch, **capabilities: Any) -> None:
    monkeypatch.setattr(FakeVendor, "capabilities", lambda self: Capabilities(**capabilities))


def test_a_provider_that_never_sets_created_at_fails_where_it_would_mislead(
    env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Apify plugin's first bug: no created_at anywhere. Every other check passes (a
    listing without a time bound is complete), so the checks of the time itself must
    fail, and not skip: `--since` bounds created_at by default and would list nothing."""
    _map_task(monkeypatch, lambda task: attrs.evolve(task, created_at=None))
    conformance = env()
    with pytest.raises(AssertionError, match=r"have no created_at"):
        KIT.test_declared_times_filled(conformance)
    with pytest.raises(Failed, match=r"no listed task carries created_at.*silent lie"):
        KIT.test_time_filters_honoured(conformance, "created_at")
    with pytest.raises(AssertionError, match=r"order='created_at' declared, but no listed task"):
        KIT.test_declared_order_holds(conformance)
    KIT.test_every_task_exactly_once(conformance)  # what let it through before


def test_a_declared_time_left_empty_is_named(
    env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    _declare(monkeypatch, order="created_at", times=frozenset({"created_at", "completed_at"}))
    KIT.test_declared_times_filled(env())  # true as declared
    _map_task(monkeypatch, lambda task: attrs.evolve(task, completed_at=None))
    with pytest.raises(AssertionError, match=r"tasks with status completed have no completed_at"):
        KIT.test_declared_times_filled(env())


def test_a_time_set_but_not_declared_is_named(
    env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    _declare(monkeypatch, order="created_at", times=frozenset({"created_at"}))
    with pytest.raises(AssertionError, match=r"carry completed_at .* does not declare it"):
        KIT.test_declared_times_filled(env())


def test_a_declared_time_too_sparse_to_check_fails_rather_than_skips(
    env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    _declare(monkeypatch, order="created_at", times=frozenset({"created_at", "completed_at"}))
    stamp = datetime(2026, 11, 1, 0, 30, tzinfo=UTC)  # every completion at one instant
    _map_task(
        monkeypatch,
        lambda task: task if task.completed_at is None else attrs.evolve(task, completed_at=stamp),
    )
    with pytest.raises(Failed, match=r"too few or too close together"):
        KIT.test_time_filters_honoured(env(), "completed_at")


def test_contradictory_declarations_are_refused_when_made() -> None:
    with pytest.raises(ValueError, match=r"times=\['started_at'\].* with order='created_at'"):
        Capabilities(order="created_at", times=frozenset({"started_at"}))
    with pytest.raises(ValueError, match=r"times=\['startedAt'\]: of \('created_at'"):
        Capabilities(times=frozenset({"startedAt"}))
    Capabilities(order="sort_time", times=frozenset({"completed_at"}))  # no time of its own
    described = Capabilities(order="started_at", times=frozenset({"started_at"})).describe()
    assert described["order"] == "started_at" and described["times"] == ["started_at"]
    assert Capabilities().describe()["times"] is None


# -- item: a vendor whose start time is its request time (the Apify worked example) -------


def _started_is_the_request_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The vendor's "created" is what Apify calls ``startedAt``: read by its name into
    started_at, leaving created_at empty, with the order declared over it."""
    _map_task(
        monkeypatch,
        lambda task: attrs.evolve(task, created_at=None, started_at=task.created_at),
    )
    _declare(monkeypatch, order="started_at", times=frozenset({"started_at", "completed_at"}))


def test_a_start_mapped_by_name_must_refuse_creation_bounds(
    env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    _started_is_the_request_time(monkeypatch)
    conformance = env()
    KIT.test_declared_times_filled(conformance)  # honest about what it fills...
    KIT.test_declared_order_holds(conformance)  # ... and started_at is an order it may declare
    with pytest.raises(Failed, match=r"silent lie"):  # ... but --since would list nothing
        KIT.test_time_filters_honoured(conformance, "created_at")

    def start(self: FakeVendor, query: TaskQuery) -> Position:
        if query.time_field == "created_at" and (query.since or query.until):
            raise seotasks.UnsupportedQuery("fakevendor reports no creation time")
        return {"offset": 0}

    monkeypatch.setattr(FakeVendor, "start", start)
    KIT.test_time_filters_honoured(conformance, "created_at")  # refused: no silent lie


def test_a_start_mapped_by_meaning_passes_the_whole_kit(
    env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    _declare(monkeypatch, order="created_at", times=frozenset({"created_at", "completed_at"}))
    skipped = run_kit(env())
    assert skipped.keys() == EXPECTED_SKIPS.keys(), skipped


# -- item: a sandbox honours `now` ----------------------------------------------------------


def test_a_sandbox_that_honours_now_passes(env: Callable[..., ConformanceEnv]) -> None:
    KIT.test_sandbox_honours_now(env())


def test_a_sandbox_that_ignores_now_is_caught(
    env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    @contextlib.contextmanager
    def fixed_day(cls: type[Provider], **_: Any) -> Iterator[Sandbox]:
        with EmulatorServer(FakeVendorApp(100)) as server:  # always November 2026
            yield Sandbox(settings={"base_url": server.url, "api_key": SECRET}, stop=server.stop)

    monkeypatch.setattr(FakeVendor, "sandbox", classmethod(fixed_day))
    with pytest.raises(Failed, match=r"the sandbox ignores `now`: started 1000 days later"):
        KIT.test_sandbox_honours_now(env())


def test_a_sandbox_that_is_not_reproducible_is_caught(
    env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    @contextlib.contextmanager
    def unseeded(
        cls: type[Provider], *, now: Callable[[], datetime], **_: Any
    ) -> Iterator[Sandbox]:
        jitter = timedelta(seconds=random.randint(1, 10**6))  # not drawn from the seed
        app = FakeVendorApp(100, origin=now() - timedelta(days=2) - jitter)
        with EmulatorServer(app) as server:
            yield Sandbox(settings={"base_url": server.url, "api_key": SECRET}, stop=server.stop)

    monkeypatch.setattr(FakeVendor, "sandbox", classmethod(unseeded))
    with pytest.raises(Failed, match=r"listed different tasks: task t000001 was"):
        KIT.test_sandbox_honours_now(env())


# -- item: collect answers any JSON value ---------------------------------------------------


def test_collect_may_answer_an_array_and_must_answer_json(
    env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    _declare(monkeypatch, order="created_at", collect=True)
    # Apify answers a dataset's items: a JSON array, stored as it is.
    monkeypatch.setattr(FakeVendor, "collect", lambda self, task: [{"id": task.id}, 1, None])
    KIT.test_collect_answers_json(env())
    monkeypatch.setattr(FakeVendor, "collect", lambda self, task: {"cost": Decimal("0.1")})
    with pytest.raises(AssertionError, match=r"values JSON cannot hold, at \['\$.cost \(a Decimal"):
        KIT.test_collect_answers_json(env())
    monkeypatch.setattr(FakeVendor, "collect", lambda self, task: [task.raw["state"]])
    with pytest.raises(Failed, match=r"rebuilt from its id and kind alone .* raised KeyError"):
        KIT.test_collect_answers_json(env())


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
            expected_ids=_expected(app),
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
    env: Callable[..., ConformanceEnv], app: FakeVendorApp
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

    with pytest.raises(AssertionError, match=r"tie hook must add tasks .* next to the anchor"):
        KIT.test_tie_at_page_boundary(env(tie=at_the_end))

    def a_second_later(task_id: str, count: int) -> list[str]:
        with app.lock:
            index = next(i for i, item in enumerate(app.items) if item["id"] == task_id)
            created = datetime.fromisoformat(app.items[index]["created"]) + timedelta(seconds=1)
            new = copies(task_id, count, created=created.strftime("%Y-%m-%d %H:%M:%S +00:00"))
            app.items[index + 1 : index + 1] = new
        return [item["id"] for item in new]

    with pytest.raises(AssertionError, match=r"it must copy every time"):
        KIT.test_tie_at_page_boundary(env(tie=a_second_later))


# -- callbacks: the receiver's only vendor knowledge reads any delivery safely ---------------


def _with_callbacks(monkeypatch: pytest.MonkeyPatch, read: Callable[..., Any]) -> None:
    monkeypatch.setattr(FakeVendor, "callbacks", {"postback": "POST", "pingback": "GET"})
    monkeypatch.setattr(FakeVendor, "read_callback", classmethod(read))


def test_callbacks_that_refuse_junk_with_value_error_pass(
    env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
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
    KIT.test_callbacks_read_any_delivery_safely(env())


def test_a_callback_reader_that_trips_on_junk_is_caught(
    env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    def trusting(cls: type[Provider], route: str, body: Any, query: Any) -> list[Any]:
        from seotasks.provider import CallbackEntry

        if route not in cls.callbacks:
            raise ValueError(route)
        return [CallbackEntry(task_id=body["tasks"][0]["id"])]  # KeyError, TypeError ...

    _with_callbacks(monkeypatch, trusting)
    with pytest.raises(Failed, match=r"must be a ValueError"):
        KIT.test_callbacks_read_any_delivery_safely(env())
