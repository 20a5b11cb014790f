"""Reading the fields of a position that came back in a caller's cursor.

Both listings (`ready`, `history`) check every field of a decoded position before using
it, with the same rules for the same kinds of field: here, once.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from seotasks.errors import CursorError
from seotasks.provider import Position

__all__ = ["int_field", "time_field"]

_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+00:00\Z")


def int_field(position: Position, key: str, low: int, high: int) -> int:
    """``position[key]``, an integer in ``low..high``, or `CursorError`."""
    value = position.get(key)
    if type(value) is not int or not low <= value <= high:
        raise CursorError(f"dataforseo cursor: {key!r} must be an integer in {low}..{high}")
    return value


def time_field(position: Position, key: str) -> datetime:
    """``position[key]``, a ``YYYY-MM-DD HH:MM:SS +00:00`` time, as UTC, or `CursorError`."""
    value = position.get(key)
    if not isinstance(value, str) or not _TIME.match(value):
        raise CursorError(f"dataforseo cursor: {key!r} must be a 'YYYY-MM-DD HH:MM:SS +00:00' time")
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        raise CursorError(f"dataforseo cursor: {key!r} is not a valid time") from None
