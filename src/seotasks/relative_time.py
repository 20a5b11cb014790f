"""Times given as "that long ago": ``30m``, ``12h``, ``2d``, ``1w``.

Every command takes ``--since 12h`` as well as an ISO time, and so does the dlt
integration, where a relative ``since`` is a rolling window. One reading of the forms
serves both. Standard library only: ``seotasks --help`` reads the flags through it.
"""

from __future__ import annotations

from datetime import timedelta

__all__ = ["RELATIVE_UNITS", "is_relative_time", "parse_relative"]

#: Seconds per unit letter.
RELATIVE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def is_relative_time(value: str) -> bool:
    """``30m``, ``12h``, ``2d``, ``1w``: a time that far back from now."""
    text = value.strip().lower()
    return (
        len(text) > 1 and text[:-1].isdigit() and text[:-1].isascii() and text[-1] in RELATIVE_UNITS
    )


def parse_relative(value: str) -> timedelta | None:
    """How far back ``value`` reaches (``"12h"`` -> 12 hours), or None when it is not a
    relative time. A span past `timedelta`'s range (``99999999999d``) is `OverflowError`,
    for the caller to say in its own terms."""
    if not is_relative_time(value):
        return None
    text = value.strip().lower()
    return timedelta(seconds=int(text[:-1]) * RELATIVE_UNITS[text[-1]])
