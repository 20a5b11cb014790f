"""The server-filter check: what `Capabilities.server_filters` declares reaches the vendor.

A filter declared as the vendor's own but never sent passes every other check: the core
filters every listing again on its side, so the tasks come out right. But ``seotasks
providers`` then says the vendor filters what it does not, and each filtered listing
reads the whole list. The check records the requests of a first page (`Transport.on_send`)
with the filter and without it, and requires them to differ, as the submission check does
for a spec's fields.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest

from ...model import TaskStatus
from .asserts import failures_only
from .submission import differing, first_page_sent, steady_noise

if TYPE_CHECKING:
    from . import ConformanceEnv

__all__ = ["FilterChecks"]


def asked_for(name: str, middle: datetime | None) -> dict[str, Any]:
    """The ``page`` arguments that ask for filter ``name``, a time bound at ``middle``."""
    if name == "status":
        return {"status": TaskStatus.COMPLETED}
    asked: dict[str, Any] = {"since" if name.endswith("since") else "until": middle}
    if name.startswith("completed_"):
        asked["time_field"] = "completed_at"
    return asked


def middle_of(times: list[datetime]) -> datetime | None:
    """A whole second among ``times`` (the vendors' resolution), or None without any."""
    if not times:
        return None
    middle = sorted(times)[len(times) // 2]
    return middle.replace(microsecond=0) + timedelta(seconds=1)


class FilterChecks:
    """Every filter the provider declares the vendor's own is sent to the vendor."""

    def test_server_filters_reach_the_vendor(self, conformance: ConformanceEnv) -> None:
        __tracebackhide__ = failures_only
        with conformance.connect() as client:
            declared = sorted(client.capabilities.server_filters)
            if not declared:
                pytest.skip("the provider declares no server filter")
            listed = list(client.tasks(status="any"))
        created = [t.created_at for t in listed if t.created_at is not None]
        completed = [t.completed_at for t in listed if t.completed_at is not None]
        unsent = []
        # The unfiltered first page (and what differs every time between two of them: a
        # nonce, a signature, which says nothing of a filter), once per time field.
        plain: dict[str | None, tuple[dict[str, str], set[str]]] = {}
        for name in declared:
            middle = middle_of(completed if name.startswith("completed_") else created)
            if middle is None and name != "status":
                continue  # no time to bound by: `test_declared_times_filled` says so
            asked = asked_for(name, middle)
            field = asked.get("time_field")
            if field not in plain:
                without = {} if field is None else {"time_field": field}
                first = first_page_sent(conformance.connect, without)
                plain[field] = (
                    first,
                    steady_noise(partial(first_page_sent, conformance.connect, without)),
                )
            sent, noise = plain[field]
            if not differing(first_page_sent(conformance.connect, asked), sent) - noise:
                unsent.append(name)
        if unsent:
            pytest.fail(
                f"the provider declares {', '.join(unsent)} in Capabilities.server_filters, "
                "but a first page asked with it sent the vendor what one without it sends "
                "(beyond what differs between two of those): send the filter (the "
                "vendor's parameter), or leave it out of server_filters (the core "
                "filters every listing itself)",
                pytrace=False,
            )
