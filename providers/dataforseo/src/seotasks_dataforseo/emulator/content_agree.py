"""Values drawn one field at a time, made to agree where the fields state one fact.

The builders value most fields independently (`result_values`), which is right for a
field that stands alone and wrong for fields that describe one thing: an estimate's
``low`` above its ``high``, an ad first shown after it was last shown, a ``cost`` that
is not ``clicks`` times ``average_cpc``, a review "5 days ago" whose ``timestamp`` is 70
days before the result. A user's sanity check (or date arithmetic) fails on such a
result though the vendor never sends one, so one pass over every finished result puts
them in agreement.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

__all__ = ["agree"]

#: Pairs of fields where the first is never above the second.
_ORDERED = (
    ("low", "high"),
    ("min", "max"),
    ("first_shown", "last_shown"),
    ("first_seen", "last_seen"),
)
#: Fields saying how long ago their item's ``timestamp`` was.
_AGO = ("time_ago", "publication_date")
_TIME = "%Y-%m-%d %H:%M:%S %z"


def agree(done: datetime, value: Any) -> Any:
    """``value`` (a result, or any part of one) with its related fields in agreement;
    ``done`` is when the task completed, the moment "ago" counts back from."""
    if isinstance(value, list):
        for item in value:
            agree(done, item)
    elif isinstance(value, dict):
        _agree_fields(done, value)
        for item in value.values():
            if isinstance(item, dict | list):
                agree(done, item)
    return value


def _agree_fields(done: datetime, item: dict[str, Any]) -> None:
    for low, high in _ORDERED:
        a: Any = item.get(low)
        b: Any = item.get(high)
        if (
            type(a) is type(b) and type(a) in (int, float, str) and a > b
        ):  # the vendor's times sort as text: one format, UTC
            item[low], item[high] = b, a
    clicks: Any = item.get("clicks")
    cpc: Any = item.get("average_cpc")
    if "cost" in item and _number(clicks) and _number(cpc):
        item["cost"] = round(clicks * cpc, 2)
    stamp = item.get("timestamp")
    for name in _AGO:
        said = item.get(name)
        if isinstance(stamp, str) and isinstance(said, str) and said.endswith(" ago"):
            try:
                when = datetime.strptime(stamp, _TIME)
            except ValueError:
                continue
            item[name] = _ago((done - when).total_seconds())


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _ago(seconds: float) -> str:
    """``3 hours ago``, ``5 days ago``, ``2 months ago``: as the vendor's pages word it."""
    for unit, size in (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n > 1 else ''} ago"
    hours = max(1, int(seconds // 3600))
    return f"{hours} hour{'s' if hours > 1 else ''} ago"
