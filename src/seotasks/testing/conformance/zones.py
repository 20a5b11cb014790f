"""The zone check: a task's times do not depend on the time zone of the machine.

A provider that reads epoch seconds with ``datetime.fromtimestamp(value)`` (no ``tz``),
or turns a naive time into an aware one with ``.astimezone()``, reads them in the
machine's local zone. On a machine set to UTC, as most CI machines are, every other
check passes; a user in another zone gets every time shifted by their offset, and
``--since`` windows shifted with them. This check lists the provider twice, once with
the process's zone set to UTC and once to UTC+05:45 (a POSIX ``TZ`` rule, which needs
no zone database, and an offset no rounding to the hour hides), and compares each time
a task holds in both listings; and, for each time bound the vendor applies itself
(`Capabilities.server_filters`), the tasks a listing bounded at one instant gives in
each zone: a bound sent as the machine's local time moves the vendor's window.

A zone read once, when the provider's module is imported (a module-level
``tzlocal()``), is out of this check's reach: the process's zone changes only after it.
Read every time in UTC or in the vendor's declared zone, never the machine's.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from .asserts import failures_only
from .filters import asked_for, middle_of

if TYPE_CHECKING:
    from . import ConformanceEnv

__all__ = ["ZoneChecks"]

#: UTC+05:45 (POSIX writes the offset west of Greenwich, hence the minus).
_FAR = "XST-5:45"
_FAR_OFFSET = 5 * 3600 + 45 * 60
_FIELDS = ("created_at", "started_at", "completed_at")

_Times = dict[str, tuple[datetime | None, ...]]


@contextlib.contextmanager
def _zone(rule: str) -> Iterator[bool]:
    """The process's local zone set to ``rule`` for the block; yields whether it took
    (``time.tzset`` exists on Unix only)."""
    tzset = getattr(time, "tzset", None)
    if tzset is None:
        yield False
        return
    before = os.environ.get("TZ")
    os.environ["TZ"] = rule
    tzset()
    try:
        yield True
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        tzset()


def _times(conformance: ConformanceEnv) -> tuple[_Times, frozenset[str]]:
    """Each listed task's times, and the filters the provider declares the vendor's own."""
    with conformance.connect() as client:
        times = {
            task.id: tuple(getattr(task, name) for name in _FIELDS)
            for task in client.tasks(status="any")
        }
        return times, client.capabilities.server_filters


def _bounded_field(name: str) -> int:
    """Where in a task's `_FIELDS` the time filter ``name`` bounds: completion or creation."""
    return _FIELDS.index("completed_at" if name.startswith("completed_") else "created_at")


def _bounds(declared: frozenset[str], times: _Times) -> dict[str, dict[str, Any]]:
    """The ``page`` arguments of a listing bounded by each time filter ``declared`` (the
    vendor applies it), at an instant inside the listing."""
    bounds = {}
    for name in sorted(declared - {"status"}):
        index = _bounded_field(name)
        held = [when for t in times.values() if (when := t[index]) is not None]
        middle = middle_of(held)
        if middle is not None:
            bounds[name] = asked_for(name, middle)
    return bounds


def _bounded(conformance: ConformanceEnv, bounds: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    with conformance.connect() as client:
        return {
            name: {task.id for task in client.tasks(**{"status": "any", **asked})}
            for name, asked in bounds.items()
        }


class ZoneChecks:
    """Times are read the same on a machine in any time zone."""

    def test_times_do_not_depend_on_the_machines_zone(self, conformance: ConformanceEnv) -> None:
        __tracebackhide__ = failures_only
        with _zone("UTC0") as took:
            if not took:
                pytest.skip("this platform cannot change the process's time zone (no tzset)")
            in_utc, declared = _times(conformance)
            bounds = _bounds(declared, in_utc)
            bounded_in_utc = _bounded(conformance, bounds)
        with _zone(_FAR):
            if time.localtime(0).tm_gmtoff != _FAR_OFFSET:
                pytest.skip(f"the C library did not take the zone rule {_FAR!r}")
            far = _times(conformance)[0]
            bounded_far = _bounded(conformance, bounds)
        for name, every in bounded_in_utc.items():
            # Only tasks whose bounded time both plain listings hold alike: a task that
            # finished between the listings moves across a completion bound by itself.
            index = _bounded_field(name)
            stable = {
                i
                for i, t in in_utc.items()
                if t[index] is not None and i in far and far[i][index] == t[index]
            }
            ids, there = every & stable, bounded_far[name] & stable
            if ids != there:
                at = next(iter(bounds[name].values()))
                pytest.fail(
                    f"a listing bounded by {name} at {at.isoformat()} gave {len(ids)} tasks "
                    f"on a machine set to UTC and {len(there)} on one set to "
                    "UTC+05:45: the bound reaches the vendor in the machine's local zone "
                    "(a naive .timestamp(), fromtimestamp or strftime of it). Convert it "
                    "to UTC, or to the vendor's declared zone, before sending it",
                    pytrace=False,
                )
        held = 0
        for task_id, utc_times in in_utc.items():
            # Only times both listings hold: a task may finish between the two.
            for name, ours, theirs in zip(_FIELDS, utc_times, far.get(task_id, ()), strict=False):
                if ours is None or theirs is None:
                    continue
                held += 1
                if ours != theirs:
                    pytest.fail(
                        f"task {task_id}: {name} is {ours.isoformat()} on a machine set to "
                        f"UTC and {theirs.isoformat()} on one set to UTC+05:45: a time is "
                        "read in the machine's local zone (datetime.fromtimestamp without "
                        "tz=UTC, a naive datetime's .astimezone(), time.mktime). Read epoch "
                        "seconds with datetime.fromtimestamp(value, UTC), or declare the "
                        "vendor's zone (seotasks.convert)",
                        pytrace=False,
                    )
        if not held:
            pytest.skip("no task holds a time in both listings: nothing to compare")
