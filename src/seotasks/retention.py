"""`require_window`: the usual check of a provider's ``start``, that ``since`` lies within
what the vendor keeps; `positive_span`, the check of the spans a provider declares.

A module of its own so `seotasks.provider`, which re-exports both names (where plugins
import them from), stays about the contract itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .errors import UnsupportedQuery

if TYPE_CHECKING:
    import attrs

    from .model import TaskQuery

__all__ = ["WINDOW_EDGE", "positive_span", "require_window"]

#: How much older than the window a ``since`` may be and still pass `require_window`: a
#: relative ``--since 3d`` is counted from the moment the command line was read (and to
#: the whole second), before the provider takes its own "now", so "as long ago as the
#: vendor keeps" came out a few milliseconds older than the window and was refused.
WINDOW_EDGE = timedelta(minutes=1)


def require_window(
    query: TaskQuery,
    *,
    window: timedelta,
    now: datetime,
    what: str,
    grace: timedelta = timedelta(0),
    hint: str = "",
) -> None:
    """Raise `UnsupportedQuery` when ``query.since`` is older than the vendor keeps, or a
    lone ``query.until`` ends before it (a listing that could only be empty).

    ``what`` names the listing, first in the message (``"serpstat"``, ``"DataForSEO
    tasks_ready"``: "serpstat keeps tasks for 30 days; ..."). ``now`` is the provider's
    wall clock, ``self.transport.now()``, not the system's: a client standing at a
    sandbox's fixed day (``connect(now=...)``) counts back from it.
    ``window`` is the retention the vendor documents, and the one the message names;
    ``grace`` is how much older a ``since`` is still accepted where the window's edge is
    not exact (the core filters client-side), so the refusal does not name a retention
    the vendor does not have. `WINDOW_EDGE` is added to every window. ``hint`` ends the
    message with where older tasks can be listed, when the provider has such a listing:
    the refusal is what a user meets first, so it says how to get the answer.
    """
    oldest = now - window - grace - WINDOW_EDGE
    if query.since is not None and query.since < oldest:
        days = window.total_seconds() / 86400
        spare = "a minute" if not grace else f"{_span(grace)} plus a minute"
        raise UnsupportedQuery(
            f"{what} keeps tasks for {days:g} days; since={query.since.isoformat()} is older "
            f"than the oldest accepted, {oldest.isoformat(timespec='seconds')} ({days:g} days "
            f"back, with {spare} to spare)" + (f"; {hint}" if hint else "")
        )
    if query.since is None and query.until is not None and query.until <= oldest:
        # It could only list nothing, and an empty listing reads as "no tasks then".
        days = window.total_seconds() / 86400
        raise UnsupportedQuery(
            f"{what} keeps tasks for {days:g} days; until={query.until.isoformat()} ends "
            f"before the oldest kept, {oldest.isoformat(timespec='seconds')}, so nothing "
            "could be listed" + (f"; {hint}" if hint else "")
        )


def _span(span: timedelta) -> str:
    """``a day``, ``2 days``, ``3 hours``: the grace of a window, as the message says it."""
    for unit, seconds in (("day", 86400), ("hour", 3600), ("minute", 60)):
        count = span.total_seconds() / seconds
        if count >= 1:
            return f"a {unit}" if count == 1 else f"{count:g} {unit}s"
    return f"{span.total_seconds():g} seconds"


def positive_span(_owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """The attrs validator of `Capabilities.window` and ``results_kept``: None or a
    positive `timedelta`. A bare number (``window=30``, meaning days) is refused where it is
    declared; accepted, it passed the conformance kit and then failed ``seotasks
    providers`` and ``collect``, far from the declaration."""
    if value is None:
        return
    if not isinstance(value, timedelta):
        raise TypeError(f"'{attribute.name}' must be a datetime.timedelta, got {value!r}")
    if value <= timedelta(0):
        raise ValueError(f"'{attribute.name}' must be a positive timedelta, got {value!r}")
