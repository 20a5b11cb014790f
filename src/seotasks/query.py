"""Queries from the loose values callers pass: statuses, times, the time field.

`Client` takes ``status="completed"``, ``since="2026-11-20"`` or a ``date`` and so on;
this module turns them into a `TaskQuery` (and says what is wrong in the caller's own
terms), and writes query values back the way a person writes them, for messages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, TypedDict

from .errors import ConfigError
from .model import TIME_FIELDS, TaskQuery, TaskStatus

__all__ = [
    "PARSE",
    "UNSET",
    "Listing",
    "build_query",
    "check_listing",
    "parse_status",
    "parse_time_field",
    "parse_when",
    "shown",
]


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


UNSET: Any = _Unset()


def parse_when(value: datetime | date | str | None, name: str = "time") -> datetime | None:
    """A timezone-aware UTC datetime from a datetime, a date, or an ISO 8601 string.

    Naive values are UTC; a bare date means its midnight UTC.
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ConfigError(
                f"{name}: {value!r} is not ISO 8601 (try 2026-11-20 or 2026-11-20T10:00:00+00:00)"
            ) from None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise ConfigError(
        f"{name}: expected a datetime, a date or a string, got {type(value).__name__}"
    )


def parse_status(value: TaskStatus | str | None) -> TaskStatus | None:
    if value is None or isinstance(value, TaskStatus):
        return value
    text = str(value).strip().lower()
    if text in {"any", "all", ""}:
        return None
    try:
        return TaskStatus(text)
    except ValueError:
        known = ", ".join(s.value for s in TaskStatus)
        raise ConfigError(f"status must be one of {known} or any; got {value!r}") from None


def parse_time_field(value: str | None) -> str:
    """``created_at`` / ``completed_at`` (``created`` / ``completed`` accepted too)."""
    if value is None:
        return "created_at"
    text = str(value).strip().lower()
    name = {"created": "created_at", "completed": "completed_at"}.get(text, text)
    if name not in TIME_FIELDS:
        raise ConfigError(
            f"time_field must be created_at or completed_at (what since/until bound); got {value!r}"
        )
    return name


def build_query(
    status: TaskStatus | str | None = TaskStatus.COMPLETED,
    since: datetime | date | str | None = None,
    until: datetime | date | str | None = None,
    time_field: str | None = None,
) -> TaskQuery:
    """A `TaskQuery` from the loose values callers pass (strings, dates, naive times)."""
    field = parse_time_field(time_field)
    try:
        return TaskQuery(
            status=parse_status(status),
            since=parse_when(since, "since"),
            until=parse_when(until, "until"),
            time_field=field,
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def shown(value: Any, field: str) -> str:
    """A query value as a person writes it: ``any`` (not None) for a status, ISO times."""
    if value is None:
        return "any" if field == "status" else "none"
    if isinstance(value, TaskStatus):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class Listing(TypedDict, total=False):
    """What a listing asks for (`TaskQuery`), as `Client.page`, `Client.pages`,
    `Client.tasks` and `Client.check_cursor` take it: ``status`` (default ``completed``;
    ``"any"`` or None for all), ``since`` / ``until`` (bounds of ``time_field``:
    ``created_at``, the default, or ``completed_at``). A name not given (or given
    `query.UNSET`) is not asked: with a cursor, the cursor's query holds; a name given
    must agree with it."""

    status: TaskStatus | str | None
    since: datetime | date | str | None
    until: datetime | date | str | None
    time_field: str


#: How each `Listing` value given with a cursor is read, to compare with the cursor's.
PARSE: dict[str, Callable[[Any], Any]] = {
    "status": parse_status,
    "since": lambda value: parse_when(value, "since"),
    "until": lambda value: parse_when(value, "until"),
    "time_field": parse_time_field,
}


def check_listing(asked: Mapping[str, object], also: tuple[str, ...] = ()) -> None:
    """A `TypeError` for a name in ``asked`` that is no `Listing` key (nor one of ``also``,
    the caller's own keywords), as Python says of a keyword a signature does not take."""
    unknown = sorted(set(asked) - set(PARSE) - set(also))
    if unknown:
        takes = ", ".join([*PARSE, *also])
        raise TypeError(f"unexpected keyword argument {unknown[0]!r}; a listing takes {takes}")
