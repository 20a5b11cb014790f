"""The conformance kit judged on a provider that breaks the contract in known ways.

The kit's tests are called directly with a `ConformanceEnv` for the fake vendor (offset
paging, served over loopback), so what is checked here is the kit's verdict and what it
says: a lost task under churn is caught, a forged position gets a message naming
``check_position``, a leaked secret is located without being printed, and a listing that
fits one page still has its cursors checked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from fakevendor import SECRET, FakeVendor, FakeVendorApp, connect_fake

import seotasks
from seotasks.clock import FakeClock
from seotasks.emulation import EmulatorApp, EmulatorServer, Fault, HttpRequest, HttpResponse
from seotasks.model import TaskQuery, TaskStatus
from seotasks.provider import Provider
from seotasks.testing import ConformanceEnv, ProviderConformance

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


@pytest.fixture
def env(
    fake_registry: None, server: EmulatorServer, app: FakeVendorApp
) -> Iterator[Callable[..., ConformanceEnv]]:
    def make(**fields: object) -> ConformanceEnv:
        options = {"page_size": 40, **fields.pop("options", {})}  # type: ignore[dict-item]
        fields.setdefault("secrets", (SECRET,))
        return ConformanceEnv(
            provider="fakevendor",
            connect=lambda: connect_fake(server.url, clock=FakeClock(), **options),
            expected_ids=_expected(app),
            faults=server.faults,
            **fields,  # type: ignore[arg-type]
        )

    yield make


def test_the_fake_vendor_passes_the_kit_without_churn(env: Callable[..., ConformanceEnv]) -> None:
    conformance = env()
    for name in dir(KIT):
        if name.startswith("test_") and name not in {
            "test_loads_through_entry_point",  # registered directly, not by entry point
            "test_paging_under_churn",
        }:
            test = getattr(KIT, name)
            with contextlib.suppress(pytest.skip.Exception):
                if name == "test_time_filters_honoured":
                    test(conformance, "created_at")
                    test(conformance, "completed_at")
                else:
                    test(conformance)


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
