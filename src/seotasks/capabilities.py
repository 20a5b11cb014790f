"""`Capabilities`: what a provider's listing can do, declared by the provider.

The core and the conformance kit read it to know what to expect of a listing: which
filters the vendor applies itself, how far back it keeps tasks, the order it lists in,
whether collecting drains it, which times it fills, how long results are kept.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs

from .model import TaskStatus
from .retention import positive_span

__all__ = ["FILTER_NAMES", "ORDER_NAMES", "TIME_NAMES", "Capabilities"]

#: What `Capabilities.server_filters` may name: ``since`` / ``until`` bound the creation
#: time, ``completed_since`` / ``completed_until`` the completion time (see `TaskQuery`).
FILTER_NAMES = frozenset({"status", "since", "until", "completed_since", "completed_until"})
#: The `Task` times a provider may fill (`Capabilities.times`), in the order reached.
TIME_NAMES = ("created_at", "started_at", "completed_at")
#: The time each time filter bounds: a filter on a time the listing never fills is
#: refused (`UnsupportedQuery`), not applied.
_BOUNDS = {
    "since": "created_at",
    "until": "created_at",
    "completed_since": "completed_at",
    "completed_until": "completed_at",
}
#: The values `Capabilities.order` may take besides ``None`` (see `seotasks.merge`).
ORDER_NAMES = ("created_at", "completed_at", "sort_time", "started_at")


def _days(span: timedelta | None) -> float | None:
    return None if span is None else span.total_seconds() / 86400


@attrs.frozen(slots=True, kw_only=True)
class Capabilities:
    """What a provider's listing can do, so callers and the conformance kit know what to expect.

    ``server_filters`` are the filters the vendor applies itself: ``status``, ``since`` and
    ``until`` on the creation time, ``completed_since`` and ``completed_until`` on the
    completion time (a query with ``time_field="completed_at"``); the core applies every
    filter client-side anyway, exactly, so the difference is only cost. ``window`` is how
    far back the vendor keeps tasks (``None``: no stated limit). ``order`` names the
    `Task` field the whole listing is sorted by, ascending (one of `ORDER_NAMES`), or
    ``None`` when the order is unknown or another: `seotasks.merged` relies on it to deliver in order without reading the whole listing
    first, and refuses a listing that breaks it, so declare it only when the vendor
    documents it across every page (not per family or per endpoint, and not newest
    first).
    ``drains``: tasks leave the listing once collected (DataForSEO ``tasks_ready``).
    ``cap``: the vendor hides entries beyond this many (``None``: never).
    ``times``: the `TIME_NAMES` the listing fills, by meaning, on every task that reached
    them (the kit checks it; ``None``: undeclared, ``created_at`` is then required). A
    bound on a time never filled must be refused: answered, it lists nothing.
    ``results_kept``: how long the vendor keeps a finished task's result (``None``: no
    stated limit); older tasks are not collected (`collect_reach`): each would be an error.
    """

    statuses: frozenset[TaskStatus] = frozenset(TaskStatus)
    server_filters: frozenset[str] = attrs.field(
        default=frozenset(),
        validator=attrs.validators.deep_iterable(attrs.validators.in_(FILTER_NAMES)),
    )
    window: timedelta | None = attrs.field(default=None, validator=positive_span)
    order: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.in_(ORDER_NAMES))
    )
    max_page_size: int = 1000
    drains: bool = False
    cap: int | None = None
    collect: bool = False
    notes: tuple[str, ...] = ()
    times: frozenset[str] | None = None
    results_kept: timedelta | None = attrs.field(default=None, validator=positive_span)

    def __attrs_post_init__(self) -> None:
        times = self.times  # a contradiction is refused here, not found empty later
        if times is not None and not times <= set(TIME_NAMES):
            raise ValueError(f"times={sorted(times)}: each must be one of {TIME_NAMES}")
        if times is not None and self.order in TIME_NAMES and self.order not in times:
            raise ValueError(f"times={sorted(times)} lacks the order's time, {self.order!r}")

    def describe(self) -> dict[str, Any]:
        """A JSON-able summary, for ``seotasks providers``. ``client_filters`` are the
        filters the core applies itself: not those the vendor does, nor a bound on a
        time `times` says the listing never fills (refused: no task could match it)."""
        held = self.times
        answered = {f for f in FILTER_NAMES if held is None or _BOUNDS.get(f) in (None, *held)}
        return {
            "statuses": sorted(s.value for s in self.statuses),
            "server_filters": sorted(self.server_filters),
            "client_filters": sorted(answered - self.server_filters),
            "window_days": _days(self.window),
            "order": self.order,
            "max_page_size": self.max_page_size,
            "drains": self.drains,
            "cap": self.cap,
            "collect": self.collect,
            "notes": list(self.notes),
            "times": None if self.times is None else [t for t in TIME_NAMES if t in self.times],
            "results_kept_days": _days(self.results_kept),
        }

    def unreported(self, status: TaskStatus | None) -> str | None:
        """Why a listing of ``status`` could only be empty (``reports no failed tasks (its
        statuses: completed)``), or None: a status the provider never reports, which an
        empty answer would pass off as a vendor with no such task."""
        if status is None or status in self.statuses:
            return None
        has = ", ".join(sorted(s.value for s in self.statuses)) or "none"
        return f"reports no {status.value} tasks (its statuses: {has})"

    def collect_reach(self) -> timedelta | None:
        """How far back to list tasks to collect, given no ``since``: ``results_kept`` where
        the listing reaches further (DataForSEO history lists 181 days), else None."""
        kept = self.results_kept
        return None if kept is None or (self.window is not None and self.window <= kept) else kept
