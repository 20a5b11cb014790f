"""The conformance kit run on the fake vendor (`fakevendor`, offset paging over
loopback): the `ConformanceEnv` the kit's own tests give it, what it expects, and the
kit run whole. Shared by ``test_conformance_kit`` and ``test_conformance_kit_ties``."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakevendor import SECRET, FakeVendor, FakeVendorApp, connect_fake

from seotasks.clock import FakeClock
from seotasks.emulation import (
    EmulatorServer,
)
from seotasks.model import Task, TaskQuery, TaskStatus
from seotasks.provider import Provider, Sandbox
from seotasks.sandbox import SandboxRequest
from seotasks.testing import ConformanceEnv, ProviderConformance

_STATUS = {"done": TaskStatus.COMPLETED, "running": TaskStatus.RUNNING, "failed": TaskStatus.FAILED}

Failed = pytest.fail.Exception
KIT = ProviderConformance()


def expected_ids(app: FakeVendorApp) -> Callable[[TaskQuery], set[str]]:
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


def expected_task(app: FakeVendorApp) -> Callable[[str], dict[str, object]]:
    """The fake vendor's fields of a task, read from its item as its documentation would
    state them: the state's status, the percentage as a ratio, the times in UTC."""

    def expected(task_id: str) -> dict[str, object]:
        with app.lock:
            item = next(item for item in app.items if item["id"] == task_id)
        finished = item["finished"]
        return {
            "status": _STATUS[item["state"]],
            "progress": int(item["pct"].rstrip("%")) / 100,
            "created_at": datetime.fromisoformat(item["created"]),
            "completed_at": datetime.fromisoformat(finished) if finished else None,
        }

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
def fake_sandbox(cls: type[Provider], request: SandboxRequest) -> Iterator[Sandbox]:
    """A sandbox for the fake vendor that draws its tasks in the two days before
    ``request.now``."""
    now = datetime.now(UTC) if request.now is None else request.now()
    origin = now - timedelta(days=2)
    app = FakeVendorApp(request.size or 100, origin=origin.replace(second=0, microsecond=0))
    with serving(app) as sandbox:
        yield sandbox


@contextlib.contextmanager
def serving(app: FakeVendorApp) -> Iterator[Sandbox]:
    """``app`` served on loopback as a sandbox (its URL, the fake vendor's key): what
    `fake_sandbox` gives, and what the kit's tests of a faulty sandbox give instead."""
    with EmulatorServer(app) as server:
        yield Sandbox(settings={"base_url": server.url, "api_key": SECRET}, stop=server.stop)


#: The kit's checks that the fake vendor's env gives no input to, and why each skips.
#: Any other skip is a check that silently stopped checking: the kit's own tests fail.
EXPECTED_SKIPS = {
    "test_unsupported_query_refused": "declares no unsupported query",
    "test_bad_credentials_are_auth_errors": "no bad_connect given",
    "test_refused_spec_fields_are_refused": "refuses no spec field",
    "test_submitted_kind_is_the_listed_kind": "does not submit",
    "test_mapped_spec_fields_reach_the_vendor": "does not submit",
    "test_collect_answers_json": "declares no collect",
    "test_results_kept_holds": "declares no Capabilities.results_kept",
    "test_callbacks_read_any_delivery_safely": "declares no callbacks",
    "test_callbacks_read_the_vendors_deliveries": "declares no callbacks",
    "test_server_filters_reach_the_vendor": "declares no server filter",
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


def kit_env(
    server: EmulatorServer, app: FakeVendorApp, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., ConformanceEnv]:
    """``make(**fields)``: a `ConformanceEnv` of the fake vendor served by ``server``
    (pages of 40, and of 23 for `ConformanceEnv.connect_other_size`; its secret,
    `tie_hook`, `expected_task`), ``fields`` overriding; its sandbox is
    `fake_sandbox`."""
    monkeypatch.setattr(FakeVendor, "sandbox", classmethod(fake_sandbox))

    def make(**fields: object) -> ConformanceEnv:
        options = {"page_size": 40, **fields.pop("options", {})}  # type: ignore[dict-item]
        fields.setdefault("secrets", (SECRET,))
        fields.setdefault("tie", tie_hook(app))
        fields.setdefault("expected_task", expected_task(app))
        other = {**options, "page_size": options["page_size"] // 2 + 3}
        return ConformanceEnv(
            provider="fakevendor",
            connect=lambda: connect_fake(server.url, clock=FakeClock(), **options),
            connect_other_size=lambda: connect_fake(server.url, clock=FakeClock(), **other),
            expected_ids=expected_ids(app),
            faults=server.faults,
            **fields,  # type: ignore[arg-type]
        )

    return make


def map_task(monkeypatch: pytest.MonkeyPatch, change: Callable[[Task], Task]) -> None:
    """Make the fake vendor build every task, then ``change`` it (a mapping bug)."""
    build = FakeVendor._task

    def mapped(self: FakeVendor, item: Any) -> Task:
        return change(build(self, item))

    monkeypatch.setattr(FakeVendor, "_task", mapped)
