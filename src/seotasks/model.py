"""The normalized, provider-neutral data model.

Every vendor's task turns into one `Task`; every listing call returns a `Page`.
The classes are frozen: tasks are values that can be hashed, shared between threads
and compared across providers during a migration. `Page` and `TaskQuery` are slotted
too; `Task` keeps its fields in an instance dict, which is what makes it cheap to build
(see its docstring).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs

__all__ = ["TIME_FIELDS", "Page", "Task", "TaskQuery", "TaskStatus"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class TaskStatus(enum.StrEnum):
    """Where a task is in its life. A `str` enum, so it serializes as its value."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


_Validator = Callable[[object, "attrs.Attribute[Any]", Any], None]


def _utc_or_none(name: str) -> _Validator:
    """An attrs validator: the datetime must carry a zero UTC offset, or be None."""

    def check(_inst: object, _attr: attrs.Attribute[Any], value: datetime | None) -> None:
        # ``tzinfo is UTC`` first: it is what every provider produces, and the identity
        # test is much cheaper than calling ``utcoffset()`` (a Task is built per item).
        if value is None or value.tzinfo is UTC:
            return
        if value.tzinfo is None or value.utcoffset() != _ZERO:
            raise ValueError(f"Task.{name} must be timezone-aware UTC, got {value!r}")

    return check


def _refuse_non_utc(name: str, value: datetime) -> None:
    """Raise unless ``value`` carries a zero UTC offset (any zone object saying so)."""
    if value.tzinfo is None or value.utcoffset() != _ZERO:
        raise ValueError(f"Task.{name} must be timezone-aware UTC, got {value!r}")


_ZERO = timedelta(0)


@attrs.frozen(slots=False, kw_only=True)
class Task:
    """One vendor task, normalized.

    ``id`` is the vendor's id verbatim (a string even where the vendor uses numbers),
    ``raw`` the vendor's item exactly as received, for anything not normalized here.
    Timestamps are timezone-aware UTC or ``None`` when the vendor gave nothing usable.
    ``started_at`` is when the run began, for vendors that report it; a vendor that tells
    when a run began but not when it ended leaves ``completed_at`` None rather than passing
    the start off as a completion.
    A task is built for every item of every page, so its construction is the largest
    single cost of reading a page. A frozen *slotted* attrs class sets each of the 17
    fields through ``object.__setattr__`` (a call each); a frozen class with an
    instance dict stores them straight into ``__dict__``, which attrs does for frozen
    dict classes: building 1000 tasks takes about 40 % less CPU (measured with
    ``benchmarks/``), for about 120 more bytes a task. Assignment is refused all the
    same (`attrs.exceptions.FrozenInstanceError`).
    The providers' page readers take ``Task(...)``'s two steps themselves:
    ``task = object.__new__(Task)``, then ``Task.__init__(task, provider=..., ...)`` - the
    same constructor with the same checks, nothing skipped. On CPython 3.11 a call of a
    class packs its keyword arguments into a dict for ``__init__`` (``type.__call__`` has
    no fast path for them), while a call of the ``__init__`` function passes them
    straight through: 1.2 against 0.85 us a task, a tenth of reading a Serpstat page.
    ``raw`` is handed out read-only. ``Task(raw=d)`` keeps its own copy of a dict, so the
    caller's later changes do not reach the task; a read-only view (``MappingProxyType``)
    is kept as it is, which is how a provider hands over an item its page alone holds
    without copying it.
    """

    provider: str
    id: str
    status: TaskStatus
    progress: float | None = None
    created_at: datetime | None = None
    completed_at: datetime | None = None
    kind: str | None = None
    tag: str | None = None
    cost: Decimal | None = None
    #: Search engine, as the vendor names it (``google``, ``bing``, ...).
    engine: str | None = None
    #: ``desktop`` or ``mobile`` where the vendor says.
    device: str | None = None
    #: Vendor location id or name, as a string.
    location: str | None = None
    #: Vendor language id or code, as a string.
    language: str | None = None
    #: How many keywords the task covers, where the vendor says.
    keywords_count: int | None = None
    #: The vendor's status message for a failed task (after redaction).
    message: str | None = None
    #: When the task's run began, where the vendor says (UTC); ``None`` otherwise.
    started_at: datetime | None = None
    _raw: Mapping[str, Any] = attrs.field(default=_EMPTY, alias="raw", eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        """What ``Task(...)`` checks and keeps, in one call: ``progress`` within 0.0..1.0,
        every time timezone-aware UTC, and ``raw`` its own (a dict is copied, a read-only
        view kept as it is).

        A task is built for every item of every page, and a validator per field is a
        call per field: with four validators and a converter, those calls were a fifth
        of building a task. The usual values (None, ``tzinfo`` exactly `datetime.UTC`, a
        read-only view) pass on an identity test; only the others are looked at again.
        """
        progress = self.progress
        if progress is not None and not 0.0 <= progress <= 1.0:
            raise ValueError(f"Task.progress must be within 0.0..1.0, got {progress!r}")
        created, completed, started = self.created_at, self.completed_at, self.started_at
        if created is not None and created.tzinfo is not UTC:
            _refuse_non_utc("created_at", created)
        if completed is not None and completed.tzinfo is not UTC:
            _refuse_non_utc("completed_at", completed)
        if started is not None and started.tzinfo is not UTC:
            _refuse_non_utc("started_at", started)
        raw = self._raw
        if type(raw) is not MappingProxyType:
            object.__setattr__(self, "_raw", dict(raw))

    @property
    def raw(self) -> Mapping[str, Any]:
        """The vendor's item exactly as received, read-only."""
        raw = self._raw
        return raw if type(raw) is MappingProxyType else MappingProxyType(raw)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle and `copy` support: ``raw`` is a read-only view, which pickle cannot
        store, so a Task travels as its field values with ``raw`` as a plain dict."""
        values = {name: getattr(self, name) for name in _INIT_NAMES if name != "raw"}
        return (_unpickle, (values, dict(self._raw)))

    @property
    def key(self) -> str:
        """``"<provider>:<id>"``: unique across providers."""
        return f"{self.provider}:{self.id}"

    @property
    def sort_time(self) -> datetime | None:
        """The time a merged stream orders by: completion, else creation."""
        return self.completed_at if self.completed_at is not None else self.created_at


#: Task's fields by their constructor names (``raw`` for the ``_raw`` slot).
_INIT_NAMES: tuple[str, ...] = tuple(a.alias or a.name for a in attrs.fields(Task))


def _unpickle(values: dict[str, Any], raw: dict[str, Any]) -> Task:
    return Task(**values, raw=raw)


#: The `Task` times a `TaskQuery` can bound with ``since`` / ``until``.
TIME_FIELDS = ("created_at", "completed_at")


@attrs.frozen(slots=True, kw_only=True)
class TaskQuery:
    """What to list. ``status=None`` means any status.

    ``since`` and ``until`` bound the time ``time_field`` names: ``since <= t < until``.
    ``created_at`` (the default) is when the task was posted, the one time every vendor
    can filter on; ``completed_at`` is when it finished ("what finished since T"). A task
    without that time (not finished, or the vendor does not say) does not match a
    bounded query. The core applies the bounds exactly, client-side, whatever the vendor
    filtered: `Capabilities.server_filters` says which the vendor applies itself.
    """

    status: TaskStatus | None = TaskStatus.COMPLETED
    since: datetime | None = attrs.field(default=None, validator=_utc_or_none("since"))
    until: datetime | None = attrs.field(default=None, validator=_utc_or_none("until"))
    time_field: str = attrs.field(default="created_at", validator=attrs.validators.in_(TIME_FIELDS))

    def __attrs_post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ValueError(f"since ({self.since}) must be before until ({self.until})")

    @property
    def by_completion(self) -> bool:
        """Whether ``since`` / ``until`` bound the completion time."""
        return self.time_field == "completed_at"

    def bounded_time(self, task: Task) -> datetime | None:
        """The time of ``task`` that ``since`` / ``until`` bound."""
        return task.completed_at if self.time_field == "completed_at" else task.created_at

    def matches(self, task: Task) -> bool:
        """Whether ``task`` belongs to this query (the client-side filter)."""
        if self.status is not None and task.status is not self.status:
            return False
        if self.since is not None or self.until is not None:
            when = task.completed_at if self.time_field == "completed_at" else task.created_at
            if when is None:
                return False
            if self.since is not None and when < self.since:
                return False
            if self.until is not None and when >= self.until:
                return False
        return True


@attrs.frozen(slots=True, kw_only=True)
class Page:
    """One page of a listing.

    ``next_cursor`` resumes the listing after this page (``None`` at the end), even in
    another process. ``capped`` is true when the vendor said it hid part of the list
    (DataForSEO's ``tasks_ready`` shows at most 1000 uncollected tasks); ``notes``
    carries such remarks for people.
    """

    tasks: tuple[Task, ...]
    next_cursor: str | None
    capped: bool = False
    notes: tuple[str, ...] = ()
