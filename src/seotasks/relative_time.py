"""Times given as "that long ago": ``30m``, ``12h``, ``2d``, ``1w``.

Every command takes ``--since 12h`` as well as an ISO time, and so does the dlt
integration, where a relative ``since`` is a rolling window. One reading of the forms
serves both. Standard library only: ``seotasks --help`` reads the flags through it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = [
    "RELATIVE_UNITS",
    "check_reach",
    "is_relative_time",
    "parse_relative",
    "reach_back",
    "relative_form",
]

#: The earliest moment a span may reach: the calendar's first day, with a day in hand so
#: that the moment still reads as a date in any time zone (a vendor's local-time filter).
_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)

#: Seconds per unit letter.
RELATIVE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def is_relative_time(value: str) -> bool:
    """``30m``, ``12h``, ``2d``, ``1w``: a time that far back from now."""
    text = value.strip().lower()
    return (
        len(text) > 1 and text[:-1].isdigit() and text[:-1].isascii() and text[-1] in RELATIVE_UNITS
    )


def relative_form(span: timedelta) -> str:
    """``span`` as the command line writes it back from now (30 days -> ``"30d"``), in
    the largest unit that divides it (whole seconds; `parse_relative` reads it back)."""
    seconds = int(span.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds % RELATIVE_UNITS[unit] == 0 and seconds >= RELATIVE_UNITS[unit]:
            return f"{seconds // RELATIVE_UNITS[unit]}{unit}"
    return f"{seconds}s"


def parse_relative(value: str) -> timedelta | None:
    """How far back ``value`` reaches (``"12h"`` -> 12 hours), or None when it is not a
    relative time. A span past `timedelta`'s range (``99999999999d``) is `OverflowError`,
    for the caller to say in its own terms."""
    if not is_relative_time(value):
        return None
    text = value.strip().lower()
    return timedelta(seconds=int(text[:-1]) * RELATIVE_UNITS[text[-1]])


def check_reach(span: timedelta, now: datetime) -> datetime:
    """``now - span``: the moment a span back from ``now`` reaches. `ValueError` where
    that passes the calendar's first year, which `datetime` cannot hold: the CLI and the
    dlt source both refuse such a span up front, each naming its own flag or argument,
    rather than fail on an overflow deep in a later subtraction."""
    if span >= now - _EARLIEST:
        raise ValueError("that reaches back before the year 1")
    return now - span


def reach_back(value: str, now: datetime) -> datetime | None:
    """The moment a relative ``value`` (``"12h"``) names, counted back from ``now``, or
    None for any other form. `ValueError` as `check_reach`, a span past `timedelta`'s
    own range (``99999999999d``) included."""
    try:
        span = parse_relative(value)
    except OverflowError:
        span = timedelta.max
    return None if span is None else check_reach(span, now)
