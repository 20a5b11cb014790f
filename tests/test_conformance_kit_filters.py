"""The conformance kit's server-filter check judged on the fake vendor: a filter declared
the vendor's own but never sent passed the whole kit (the core filters every listing
again), while ``seotasks providers`` said the vendor filters by it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fakevendor import FakeVendor
from kitenv import KIT, Failed

from seotasks.provider import Capabilities
from seotasks.testing import ConformanceEnv


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
