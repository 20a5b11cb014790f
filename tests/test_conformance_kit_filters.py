"""The conformance kit's server-filter check judged on the fake vendor: a filter declared
the vendor's own but never sent passed the whole kit (the core filters every listing
again), while ``seotasks providers`` said the vendor filters by it."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from fakevendor import FakeVendor
from kitenv import KIT, Failed

from seotasks.provider import Capabilities
from seotasks.testing import ConformanceEnv
from seotasks.transport import Request, Transport


def test_a_declared_server_filter_never_sent_is_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    declared = Capabilities(order="created_at", max_page_size=1000, server_filters={"status"})
    monkeypatch.setattr(FakeVendor, "capabilities", lambda self: declared)
    with pytest.raises(Failed, match=r"declares status in Capabilities.server_filters, but"):
        KIT.test_server_filters_reach_the_vendor(kit_env())
    KIT.test_every_task_exactly_once(kit_env())  # what let it through: the core filters
    # (the providers that send theirs, DataForSEO's and the acme example's, pass it in
    # their own suites)


def test_a_filter_never_sent_is_named_beside_a_nonce_in_every_request(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A vendor whose requests carry a value of their own each time (a nonce, a
    signature's time) made every two first pages differ, filter or not: the check
    passed a filter never sent."""
    declared = Capabilities(order="created_at", max_page_size=1000, server_filters={"status"})
    monkeypatch.setattr(FakeVendor, "capabilities", lambda self: declared)
    monkeypatch.setattr(Transport, "call", _with_nonce)
    with pytest.raises(Failed, match=r"declares status in Capabilities.server_filters, but"):
        KIT.test_server_filters_reach_the_vendor(kit_env())


_call = Transport.call


def _with_nonce(self: Transport, request: Request, parse: Any) -> Any:
    nonced = attrs.evolve(request, url=f"{request.url}&nonce={secrets.token_hex(8)}")
    return _call(self, nonced, parse)


def test_a_sent_filter_passes_when_a_second_turns_between_the_plain_pages(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A vendor whose requests carry "now" at whole seconds (DataForSEO's ``datetime_to``):
    a second that turned between the two unfiltered first pages made the time a place of
    noise, and a filter sent in the same kind of place was called unsent (a CI run on a
    busy machine failed the DataForSEO kit so)."""
    declared = Capabilities(order="created_at", max_page_size=1000, server_filters={"status"})
    monkeypatch.setattr(FakeVendor, "capabilities", lambda self: declared)
    asked: list[str] = []
    fetch = FakeVendor.fetch

    def fetch_saying_status(self: FakeVendor, query: Any, position: Any) -> Any:
        asked.append("any" if query.status is None else query.status.value)
        return fetch(self, query, position)

    first_pages = 0

    def at_whole_seconds(self: Transport, request: Request, parse: Any) -> Any:
        nonlocal first_pages
        first_pages += "offset=0&" in request.url
        # The check lists everything, then asks two unfiltered first pages: the second
        # turns between those two.
        second = 0 if first_pages <= 2 else 1
        sent = f"{request.url}&window={asked[-1]}:{second}"  # the filter and "now", one place
        return _call(self, attrs.evolve(request, url=sent), parse)

    monkeypatch.setattr(FakeVendor, "fetch", fetch_saying_status)
    monkeypatch.setattr(Transport, "call", at_whole_seconds)
    KIT.test_server_filters_reach_the_vendor(kit_env())  # passes: the filter is sent
    assert "completed" in asked and first_pages >= 4
