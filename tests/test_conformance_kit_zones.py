"""The conformance kit's zone check judged on the fake vendor: a provider that reads its
times in the machine's local zone passes every other check on a machine set to UTC."""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from fakevendor import FakeVendor, FakeVendorApp
from kitenv import KIT, Failed

from seotasks.emulation import Fault, HttpRequest, HttpResponse
from seotasks.model import Task, TaskQuery
from seotasks.provider import Batch, Capabilities, Position
from seotasks.testing import ConformanceEnv
from seotasks.transport import Request, Transport

_read = FakeVendor._task


def _in_local_time(self: FakeVendor, item: Any) -> Task:
    """The classic slip: epoch seconds read with ``datetime.fromtimestamp(value)``."""
    task = _read(self, item)
    created = task.created_at
    assert created is not None
    local = datetime.fromtimestamp(created.timestamp()).replace(tzinfo=UTC)
    return attrs.evolve(task, created_at=local)


def test_times_read_in_the_machines_zone_are_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = os.environ.get("TZ")
    KIT.test_times_do_not_depend_on_the_machines_zone(kit_env())
    monkeypatch.setattr(FakeVendor, "_task", _in_local_time)
    with pytest.raises(Failed, match=r"created_at is .* on a machine set to UTC and") as info:
        KIT.test_times_do_not_depend_on_the_machines_zone(kit_env())
    assert "datetime.fromtimestamp(value, UTC)" in str(info.value)
    assert os.environ.get("TZ") == before  # the zone the check set is undone


# -- a creation bound the vendor applies, sent in the machine's zone -----------------------

_handle = FakeVendorApp.handle
_call = Transport.call
_WIRE = "%Y-%m-%d %H:%M:%S"


def _filtering(self: FakeVendorApp, request: HttpRequest, fault: Fault | None) -> HttpResponse:
    """The vendor keeps the tasks created at ``after`` (UTC) or later."""
    after = request.query.get("after", [None])[0]
    if after is None:
        return _handle(self, request, fault)
    kept = [i for i in self.items if i["created"][:19] >= after]
    every, self.items = self.items, kept
    try:
        return _handle(self, request, fault)
    finally:
        self.items = every


def _sending(local: bool) -> Callable[[Transport, Request, Any], Any]:
    def call(self: Transport, request: Request, parse: Any) -> Any:
        since = _SINCE.get()
        if since is not None:
            bound = datetime.fromtimestamp(since.timestamp()) if local else since.astimezone(UTC)
            request = attrs.evolve(request, url=f"{request.url}&after={bound:{_WIRE}}")
        return _call(self, request, parse)

    return call


_SINCE: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("since", default=None)
_fetch = FakeVendor.fetch


def _fetch_with_since(self: FakeVendor, query: TaskQuery, position: Position) -> Batch:
    token = _SINCE.set(query.since)
    try:
        return _fetch(self, query, position)
    finally:
        _SINCE.reset(token)


@pytest.mark.parametrize("local", [False, True])
def test_a_bound_sent_in_the_machines_zone_is_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch, local: bool
) -> None:
    declared = Capabilities(order="created_at", max_page_size=1000, server_filters={"since"})
    monkeypatch.setattr(FakeVendor, "capabilities", lambda self: declared)
    monkeypatch.setattr(FakeVendor, "fetch", _fetch_with_since)
    monkeypatch.setattr(FakeVendorApp, "handle", _filtering)
    monkeypatch.setattr(Transport, "call", _sending(local))
    if not local:
        KIT.test_times_do_not_depend_on_the_machines_zone(kit_env())
        KIT.test_time_filters_honoured(kit_env(), "created_at")  # the vendor's filter holds
        return
    with pytest.raises(Failed, match=r"a listing bounded by since at .* on a machine set to UTC"):
        KIT.test_times_do_not_depend_on_the_machines_zone(kit_env())
