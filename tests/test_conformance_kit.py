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
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from fakevendor import FakeVendor, FakeVendorApp, connect_fake
from kitenv import EXPECTED_SKIPS, KIT, Failed, expected_ids, map_task, run_kit, serving

import seotasks
from seotasks.emulation import (
    EmulatorApp,
    EmulatorServer,
    Fault,
    HttpRequest,
    HttpResponse,
)
from seotasks.model import TaskQuery
from seotasks.provider import Batch, Capabilities, Position, Provider, Sandbox
from seotasks.sandbox import SandboxRequest
from seotasks.testing import ConformanceEnv


def test_the_fake_vendor_passes_the_kit_without_churn(
    kit_env: Callable[..., ConformanceEnv],
) -> None:
    skipped = run_kit(kit_env())
    assert skipped.keys() == EXPECTED_SKIPS.keys(), skipped
    for name, reason in EXPECTED_SKIPS.items():
        assert reason in skipped[name], (name, skipped[name])


def test_offset_paging_loses_tasks_under_churn_and_the_kit_says_so(
    kit_env: Callable[..., ConformanceEnv], app: FakeVendorApp
) -> None:
    def expire_front() -> None:  # the oldest tasks leave: every offset moves back by 3
        with app.lock:
            del app.items[:3]

    with pytest.raises(AssertionError, match="lost under churn") as info:
        KIT.test_paging_under_churn(kit_env(churn=expire_front), "any")
    assert "re-read the rows before the offset" in str(info.value)  # what to change


def test_keyset_safe_churn_passes(
    kit_env: Callable[..., ConformanceEnv], app: FakeVendorApp
) -> None:
    # Tasks appended at the end and a status change shift no offset: nothing is lost.
    def append() -> None:
        app.add(2)
        with app.lock:
            app.items[-1] = dict(app.items[-1], state="failed", pct="100%", finished="")

    for status in ("any", "completed"):
        KIT.test_paging_under_churn(kit_env(churn=append), status)


def test_a_declared_order_broken_under_churn_is_reported(
    kit_env: Callable[..., ConformanceEnv], app: FakeVendorApp
) -> None:
    # The fake vendor declares order="created_at"; a task appended with an old creation
    # time (a backfill) breaks the promise only while the data moves.
    count = iter(range(1000))

    def backfill() -> None:
        with app.lock:
            old = dict(app.items[0], id=f"late{next(count):03d}")
            app.items.append(old)

    with pytest.raises(AssertionError, match="order='created_at' declared, but under churn"):
        KIT.test_paging_under_churn(kit_env(churn=backfill), "any")


def test_a_churn_hook_that_changes_nothing_is_reported(
    kit_env: Callable[..., ConformanceEnv],
) -> None:
    with pytest.raises(AssertionError, match="added and removed no task"):
        KIT.test_paging_under_churn(kit_env(churn=lambda: None), "any")


def test_a_provider_without_check_position_is_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FakeVendor, "check_position", Provider.check_position)
    with pytest.raises(Failed, match="check_position accepted a forged position") as info:
        KIT.test_forged_position_refused(kit_env())
    assert "KeyError" in str(info.value)


def test_a_connect_that_hands_back_one_client_is_named(
    kit_env: Callable[..., ConformanceEnv], server: EmulatorServer
) -> None:
    """``connect=lambda: client``, one client made up front, is an easy slip: every
    "fresh client" check would then run in the one client, proving nothing about a
    cursor taken to a new process. The kit names it."""
    shared = connect_fake(server.url)
    with pytest.raises(AssertionError, match=r"returned the same client .* twice"):
        KIT.test_cursor_resumes_in_fresh_client(attrs.evolve(kit_env(), connect=lambda: shared))


def test_a_secret_in_a_cursor_is_located_not_printed(
    kit_env: Callable[..., ConformanceEnv],
) -> None:
    # The listing option `source` is recorded in cursors; call its value a secret.
    conformance = kit_env(secrets=("not-this", "archive"), options={"source": "archive"})
    with pytest.raises(Failed) as info:
        KIT.test_cursor_carries_no_secret(conformance)
    message = str(info.value)
    assert "secret #2 of 2" in message and "$.l.source" in message
    assert not any("archive"[i : i + 4] in message for i in range(4)), message
    assert "archive" not in repr(conformance)


def test_a_one_page_listing_has_its_cursor_checked(kit_env: Callable[..., ConformanceEnv]) -> None:
    one_page = kit_env(min_pages=1, options={"page_size": 1000})
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
        KIT.test_cursor_resumes_in_fresh_client(kit_env(options={"page_size": 1000}))


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
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    def submit(self: Provider, specs: object) -> list[object]:
        return []

    monkeypatch.setattr(FakeVendor, "submit", submit)
    monkeypatch.setattr(FakeVendor, "spec_maps", frozenset({"keyword", "location"}))
    with pytest.raises(AssertionError, match=r"\['depth'.*neither in spec_maps nor"):
        KIT.test_spec_fields_declared(kit_env())
    monkeypatch.setattr(FakeVendor, "spec_refuses", frozenset({"keyword", "colour"}))
    with pytest.raises(AssertionError, match="does not have: \\['colour'\\]"):
        KIT.test_spec_fields_declared(kit_env())
    monkeypatch.setattr(FakeVendor, "spec_refuses", frozenset({"keyword"}))
    with pytest.raises(AssertionError, match="both mapped and refused"):
        KIT.test_spec_fields_declared(kit_env())


def test_a_listing_only_provider_declares_no_spec_fields(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    KIT.test_spec_fields_declared(kit_env())  # no submit, nothing declared: fine
    monkeypatch.setattr(FakeVendor, "spec_maps", frozenset({"keyword"}))
    with pytest.raises(AssertionError, match="does not implement submit"):
        KIT.test_spec_fields_declared(kit_env())


# -- item: the times a provider fills ---------------------------------------------------


def _declare(monkeypatch: pytest.MonkeyPatch, **capabilities: Any) -> None:
    monkeypatch.setattr(FakeVendor, "capabilities", lambda self: Capabilities(**capabilities))


def test_a_provider_that_never_sets_created_at_fails_where_it_would_mislead(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Apify plugin's first bug: no created_at anywhere. Every other check passes (a
    listing without a time bound is complete), so the checks of the time itself must
    fail, and not skip: `--since` bounds created_at by default and would list nothing."""
    map_task(monkeypatch, lambda task: attrs.evolve(task, created_at=None))
    conformance = kit_env()
    with pytest.raises(AssertionError, match=r"have no created_at"):
        KIT.test_declared_times_filled(conformance)
    with pytest.raises(Failed, match=r"no listed task carries created_at.*silent lie"):
        KIT.test_time_filters_honoured(conformance, "created_at")
    with pytest.raises(AssertionError, match=r"order='created_at' declared, but no listed task"):
        KIT.test_declared_order_holds(conformance)
    KIT.test_every_task_exactly_once(conformance)  # what let it through before


def test_a_declared_time_left_empty_is_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    _declare(monkeypatch, order="created_at", times=frozenset({"created_at", "completed_at"}))
    KIT.test_declared_times_filled(kit_env())  # true as declared
    map_task(monkeypatch, lambda task: attrs.evolve(task, completed_at=None))
    with pytest.raises(AssertionError, match=r"tasks with status completed have no completed_at"):
        KIT.test_declared_times_filled(kit_env())


def test_a_time_set_but_not_declared_is_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    _declare(monkeypatch, order="created_at", times=frozenset({"created_at"}))
    with pytest.raises(AssertionError, match=r"carry completed_at .* does not declare it"):
        KIT.test_declared_times_filled(kit_env())


def test_a_declared_time_too_sparse_to_check_fails_rather_than_skips(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    _declare(monkeypatch, order="created_at", times=frozenset({"created_at", "completed_at"}))
    stamp = datetime(2026, 11, 1, 0, 30, tzinfo=UTC)  # every completion at one instant
    map_task(
        monkeypatch,
        lambda task: task if task.completed_at is None else attrs.evolve(task, completed_at=stamp),
    )
    with pytest.raises(Failed, match=r"too few or too close together"):
        KIT.test_time_filters_honoured(kit_env(), "completed_at")


def test_contradictory_declarations_are_refused_when_made() -> None:
    # Each message says what is wrong ("times=[...]: of (...), with order=..." did not).
    lacks = r"times=\['started_at'\] lacks the order's time, 'created_at'"
    with pytest.raises(ValueError, match=lacks):
        Capabilities(order="created_at", times=frozenset({"started_at"}))
    with pytest.raises(
        ValueError, match=r"times=\['startedAt'\]: each must be one of \('created_at'"
    ):
        Capabilities(times=frozenset({"startedAt"}))
    Capabilities(order="sort_time", times=frozenset({"completed_at"}))  # no time of its own
    described = Capabilities(order="started_at", times=frozenset({"started_at"})).describe()
    assert described["order"] == "started_at" and described["times"] == ["started_at"]
    assert Capabilities().describe()["times"] is None


# -- item: a vendor whose start time is its request time (the Apify worked example) -------


def _started_is_the_request_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The vendor's "created" is what Apify calls ``startedAt``: read by its name into
    started_at, leaving created_at empty, with the order declared over it."""
    map_task(
        monkeypatch,
        lambda task: attrs.evolve(task, created_at=None, started_at=task.created_at),
    )
    _declare(monkeypatch, order="started_at", times=frozenset({"started_at", "completed_at"}))


def test_a_start_mapped_by_name_must_refuse_creation_bounds(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    _started_is_the_request_time(monkeypatch)
    conformance = kit_env()
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
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    _declare(monkeypatch, order="created_at", times=frozenset({"created_at", "completed_at"}))
    skipped = run_kit(kit_env())
    assert skipped.keys() == EXPECTED_SKIPS.keys(), skipped


# -- item: a sandbox honours `now` ----------------------------------------------------------


def test_a_sandbox_that_honours_now_passes(kit_env: Callable[..., ConformanceEnv]) -> None:
    KIT.test_sandbox_honours_now(kit_env())


def _fixed_day(now: Callable[[], datetime]) -> FakeVendorApp:
    """Ignores ``now``: always November 2026."""
    return FakeVendorApp(100)


def _unseeded(now: Callable[[], datetime]) -> FakeVendorApp:
    """Honours ``now`` but is not reproducible: its jitter is not drawn from the seed."""
    jitter = timedelta(seconds=random.randint(1, 10**6))
    return FakeVendorApp(100, origin=now() - timedelta(days=2) - jitter)


@pytest.mark.parametrize(
    ("app", "failure"),
    [
        (_fixed_day, r"the sandbox ignores `now`: started 1000 days later"),
        (_unseeded, r"listed different tasks: task t000001 was"),
    ],
)
def test_a_sandbox_that_ignores_now_or_is_not_reproducible_is_caught(
    kit_env: Callable[..., ConformanceEnv],
    monkeypatch: pytest.MonkeyPatch,
    app: Callable[[Callable[[], datetime]], FakeVendorApp],
    failure: str,
) -> None:
    def faulty(
        cls: type[Provider], request: SandboxRequest
    ) -> contextlib.AbstractContextManager[Sandbox]:
        assert request.now is not None, "the kit stands the sandbox at a fixed now"
        return serving(app(request.now))

    monkeypatch.setattr(FakeVendor, "sandbox", classmethod(faulty))
    with pytest.raises(Failed, match=failure):
        KIT.test_sandbox_honours_now(kit_env())


# -- item: collect answers any JSON value ---------------------------------------------------


def test_collect_may_answer_an_array_and_must_answer_json(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    _declare(monkeypatch, order="created_at", collect=True)
    # Apify answers a dataset's items: a JSON array, stored as it is.
    monkeypatch.setattr(FakeVendor, "collect", lambda self, task: [{"id": task.id}, 1, None])
    KIT.test_collect_answers_json(kit_env())
    monkeypatch.setattr(FakeVendor, "collect", lambda self, task: {"cost": Decimal("0.1")})
    with pytest.raises(AssertionError, match=r"values JSON cannot hold, at \['\$.cost \(a Decimal"):
        KIT.test_collect_answers_json(kit_env())
    monkeypatch.setattr(FakeVendor, "collect", lambda self, task: [task.raw["state"]])
    with pytest.raises(Failed, match=r"rebuilt from its id and kind alone .* raised KeyError"):
        KIT.test_collect_answers_json(kit_env())


# -- item: a page that repeats the last rows of the one before ------------------------------


def test_a_position_that_repeats_rows_is_named_where_the_core_cannot_hide_it(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages that overlap by three rows: one client drops the repeats at each boundary,
    so the plain listing passes, but a fresh client resuming from the cursor has no
    memory of the page before, and the kit's failure says so."""
    fetch = FakeVendor.fetch

    def overlapping(self: FakeVendor, query: TaskQuery, position: Position) -> Batch:
        batch = fetch(self, query, position)
        if batch.next is None:
            return batch
        offset = batch.next["offset"]
        assert isinstance(offset, int)
        return Batch(tasks=batch.tasks, next={"offset": offset - 3})

    monkeypatch.setattr(FakeVendor, "fetch", overlapping)
    conformance = kit_env()
    KIT.test_every_task_exactly_once(conformance)  # one client: repeats dropped
    with pytest.raises(AssertionError, match=r"resumed: tasks listed twice") as info:
        KIT.test_cursor_resumes_in_fresh_client(conformance)
    assert "fresh client" in str(info.value) and "lead past" in str(info.value)


# -- item: an expected_ids that answers keys or numbers ------------------------------------


@pytest.mark.parametrize(
    ("spell", "said"),
    [
        (lambda i: f"fakevendor:{i}", r"returns keys \('fakevendor:t000001'\).*Task\.id"),
        (lambda i: int(i[1:]), r"returned 1 \(of type int\).*strings, as Task\.id"),
    ],
)
def test_an_expected_ids_spelled_unlike_task_ids_is_named(
    kit_env: Callable[..., ConformanceEnv],
    app: FakeVendorApp,
    spell: Callable[[str], object],
    said: str,
) -> None:
    """The ground truth must be the ids a listing yields (`Task.id`, strings): one that
    answers keys or numbers would fail every listing check with "every task missing",
    and the kit says what is wrong with the ground truth instead."""
    truth = expected_ids(app)
    conformance = kit_env()
    broken = attrs.evolve(conformance, expected_ids=lambda q: {spell(i) for i in truth(q)})
    with pytest.raises(AssertionError, match=said):
        KIT.test_every_task_exactly_once(broken)
