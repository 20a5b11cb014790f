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
