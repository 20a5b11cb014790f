"""The normalized, provider-neutral data model.

Every vendor's task turns into one `Task`; every listing call returns a `Page`.
The classes are frozen: tasks are values that can be hashed, shared between threads
and compared across providers during a migration. `Page` and `TaskQuery` are slotted
too; `Task` keeps its fields in an instance dict, which is what makes it cheap to build
(see its docstring).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs

from .terms import TIME_FIELDS, TaskStatus

__all__ = ["TIME_FIELDS", "Page", "Task", "TaskQuery", "TaskStatus"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


_Validator = Callable[[object, "attrs.Attribute[Any]", Any], None]


def _utc_or_none(name: str) -> _Validator:
    """An attrs validator: the datetime must carry a zero UTC offset, or be None."""

    def check(_inst: object, _attr: attrs.Attribute[Any], value: object) -> None:
        if value is None:
            return
        if not isinstance(value, datetime):
            raise TypeError(
                f"TaskQuery.{name} must be a datetime or None, got {type(value).__name__} "
                "(Client.tasks and Client.page read text such as '2026-11-20' or '2d')"
            )
        if value.tzinfo is not UTC and (value.tzinfo is None or value.utcoffset() != _ZERO):
            raise ValueError(f"TaskQuery.{name} must be timezone-aware UTC, got {value!r}")

    return check


def _status(_inst: object, _attr: attrs.Attribute[Any], value: object) -> None:
    """An attrs validator: a `TaskStatus` or None. The text ``"completed"`` equals
    ``TaskStatus.COMPLETED`` (a `str` enum) but `TaskQuery.matches` compares identities,
    so a query built with it matched no task at all, silently."""
    if value is not None and type(value) is not TaskStatus:
        raise TypeError(
            f"TaskQuery.status must be a TaskStatus or None, got {value!r} (TaskStatus"
            "(text) reads one; Client.tasks and Client.page take the text itself)"
        )


def _time_field(_inst: object, _attr: attrs.Attribute[Any], value: object) -> None:
    """An attrs validator: one of `TIME_FIELDS`, said in a sentence (attrs' own ``in_``
    message is a tuple that carries the whole attribute's repr)."""
    if value not in TIME_FIELDS:
        raise ValueError(
            f"TaskQuery.time_field must be one of {', '.join(TIME_FIELDS)}, got {value!r}"
        )


def _refuse_non_utc(task: tuple[str, str], name: str, value: datetime) -> None:
    """Raise unless ``value`` carries a zero UTC offset (any zone object saying so).

    ``task`` is the task's provider and id: the check runs inside a plugin's ``fetch``,
    whose error the CLI reports as an internal one, so the message names whose task it
    was and, for a naive time, what the plugin left out.
    """
    if value.tzinfo is None or value.utcoffset() != _ZERO:
        what = (
            "naive: attach the zone the vendor means (seotasks.convert.parse_timestamp reads it)"
            if value.tzinfo is None
            else "convert it with .astimezone(UTC)"
        )
        raise ValueError(
            f"Task {task[0]}:{task[1]}: {name} must be timezone-aware UTC, got {value!r} ({what})"
        )


def _refuse_non_datetime(task: tuple[str, str], times: Mapping[str, object]) -> None:
    """Raise naming the first of ``times`` that is not a `datetime` (a vendor's epoch
    number or string passed on as it came)."""
    for name, value in times.items():
        if value is not None and not isinstance(value, datetime):
            raise TypeError(
                f"Task {task[0]}:{task[1]}: {name} must be a datetime, got "
                f"{type(value).__name__} {value!r} (read vendor times with seotasks.convert)"
            ) from None  # the AttributeError that led here says less
    raise TypeError(f"Task {task[0]}:{task[1]}: a time is not a datetime") from None


def _refuse_id_or_status(provider: str, id: object, status: object) -> None:
    """Raise naming the mistake: a vendor's numeric id passed on as a number (it never
    equals the strings a caller, a cursor or a journal holds), or its status word
    instead of a `TaskStatus` (``"completed"`` equals ``TaskStatus.COMPLETED`` as a
    string, yet every status filter compares identities and would drop the task)."""
    if type(provider) is not str or not provider:  # the right type, empty: a ValueError
        raise (TypeError if type(provider) is not str else ValueError)(
            f"Task {provider!r}:{id}: provider must be a non-empty str, the provider's "
            "registered name (it makes the task's key with its id)"
        )
    if type(id) is not str:
        raise TypeError(
            f"Task {provider}:{id}: id must be a str, got {type(id).__name__} {id!r} "
            "(Task.id is the vendor's id as text: str() it)"
        )
    if type(status) is not TaskStatus:
        raise TypeError(
            f"Task {provider}:{id}: status must be a TaskStatus, got {type(status).__name__} "
            f"{status!r} (map the vendor's status to one: TaskStatus.COMPLETED, ...)"
        )
    if not id:
        raise ValueError(
            f"Task {provider}:: id is empty (a task without an id has no key: every "
            "'already done' rule, a cursor and a result file go by provider:id)"
        )


def _refuse_count(task: tuple[str, str], count: object) -> None:
    """``keywords_count`` is a whole number of keywords, 0 or more (a bool is a flag)."""
    kind = TypeError if type(count) is not int else ValueError
    raise kind(
        f"Task {task[0]}:{task[1]}: keywords_count must be an int of 0 or more (or None), "
        f"got {type(count).__name__} {count!r}"
    )


def _checked_progress(task: tuple[str, str], progress: object) -> float:
    """``progress`` as a float, or raise: a whole 0 or 1 becomes 0.0 or 1.0 (every task
    holds a float, whatever the plugin wrote); a bool is refused, since ``True`` would
    pass for 1.0 and is a flag read where a ratio belongs."""
    if isinstance(progress, (int, float)) and not isinstance(progress, bool):
        if 0.0 <= progress <= 1.0:
            return float(progress)
        raise ValueError(
            f"Task {task[0]}:{task[1]}: progress must be within 0.0..1.0 (a ratio: a vendor's "
            f"percentage goes through seotasks.convert.parse_progress), got {progress!r}"
        )
    raise TypeError(
        f"Task {task[0]}:{task[1]}: progress must be a float within 0.0..1.0, got "
        f"{type(progress).__name__} {progress!r}"
    )


def _refuse_cost(task: tuple[str, str], cost: object) -> None:
    """Raise for a cost that is no finite `Decimal`: a float has already rounded the
    vendor's figure (read it with ``parse_float=Decimal``), and a NaN or an infinity
    would poison every sum of costs."""
    if type(cost) is not Decimal:
        raise TypeError(
            f"Task {task[0]}:{task[1]}: cost must be a Decimal, got {type(cost).__name__} "
            f"{cost!r} (read the vendor's number as written: seotasks.convert.parse_decimal, "
            "Decimal(str), or json.loads(..., parse_float=Decimal))"
        )
    raise ValueError(f"Task {task[0]}:{task[1]}: cost must be a finite number, got {cost!r}")


_ZERO = timedelta(0)


@attrs.frozen(slots=False, kw_only=True, init=False)
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
    same (`attrs.exceptions.FrozenInstanceError`). ``__init__`` is written out below
    rather than generated by attrs (``init=False``), for the reasons its docstring gives;
    everything else (eq, hash, repr, the frozen ``__setattr__``) is attrs'.
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

    #: The provider's registered name (``dataforseo``, ``serpstat``): with ``id``, the
    #: task's `key` across providers.
    provider: str
    #: The vendor's id verbatim, always a string (Serpstat's numeric ids included).
    id: str
    #: Where the task is in its life, mapped from the vendor's own states.
    status: TaskStatus
    #: How far the run is, 0.0 to 1.0 (Serpstat's ``"45%"`` is 0.45); ``None`` where the
    #: vendor does not say.
    progress: float | None = None
    #: When the task was posted (UTC).
    created_at: datetime | None = None
    #: When the run finished, successfully or not (UTC); the merged stream's order.
    completed_at: datetime | None = None
    #: What the task does, in the vendor's own path form (``serp/google/organic``,
    #: ``keywords_data/bing/search_volume``); DataForSEO's result fetch is routed by it.
    kind: str | None = None
    #: The caller's tag as posted with the task, where the vendor echoes it.
    tag: str | None = None
    #: What the task cost, exactly as the vendor wrote it (a `Decimal`, never a float),
    #: in the account's currency.
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

    def __init__(
        self,
        *,
        provider: str,
        id: str,
        status: TaskStatus,
        progress: float | None = None,
        created_at: datetime | None = None,
        completed_at: datetime | None = None,
        kind: str | None = None,
        tag: str | None = None,
        cost: Decimal | None = None,
        engine: str | None = None,
        device: str | None = None,
        location: str | None = None,
        language: str | None = None,
        keywords_count: int | None = None,
        message: str | None = None,
        started_at: datetime | None = None,
        raw: Mapping[str, Any] = _EMPTY,
    ) -> None:
        """Check and keep the fields: ``id`` a non-empty `str`, ``status`` a `TaskStatus`,
        ``progress`` a float within 0.0..1.0 (a whole 0 or 1 made one), ``cost`` a finite
        `Decimal`, every time timezone-aware UTC, and ``raw`` its own
        (a dict is copied, a read-only view kept as it is). The usual values (None,
        ``tzinfo`` exactly `datetime.UTC`, a read-only view) pass on an identity test;
        only the others are looked at again.

        Written out, not generated: attrs' ``__init__`` for a frozen class first binds
        ``object.__setattr__`` to the instance (an object made per call, unused by a dict
        class), then stores the fields and calls ``__attrs_post_init__`` for the checks,
        which reads five of them back. Here the checks run on the arguments and the
        fields go straight into ``__dict__``, in the declared order: 1000 tasks 1.04
        against 0.82 ms (interleaved, best of 300), the same checks made. The parameters
        are the fields' constructor names and defaults in declaration order, as attrs'
        would be (``tests/test_core_model.py`` compares them with ``attrs.fields``).
        """
        if (
            type(id) is not str
            or not id
            or type(status) is not TaskStatus
            or type(provider) is not str
            or not provider
        ):
            _refuse_id_or_status(provider, id, status)
        if keywords_count is not None and (type(keywords_count) is not int or keywords_count < 0):
            _refuse_count((provider, id), keywords_count)
        if type(progress) is not float:
            if progress is not None:
                progress = _checked_progress((provider, id), progress)
        elif not 0.0 <= progress <= 1.0:
            _checked_progress((provider, id), progress)
        if cost is not None and (type(cost) is not Decimal or not cost.is_finite()):
            _refuse_cost((provider, id), cost)
        try:  # free while nothing is raised: the usual values pass on identity tests
            if created_at is not None and created_at.tzinfo is not UTC:
                _refuse_non_utc((provider, id), "created_at", created_at)
            if completed_at is not None and completed_at.tzinfo is not UTC:
                _refuse_non_utc((provider, id), "completed_at", completed_at)
            if started_at is not None and started_at.tzinfo is not UTC:
                _refuse_non_utc((provider, id), "started_at", started_at)
        except AttributeError:  # no tzinfo, or no utcoffset: not a datetime
            times = {"created_at": created_at, "completed_at": completed_at}
            _refuse_non_datetime((provider, id), {**times, "started_at": started_at})
        if type(raw) is not MappingProxyType:
            try:
                raw = dict(raw)
            except (TypeError, ValueError):  # dict's own message named no field
                raise TypeError(
                    f"Task {provider}:{id}: raw must be a mapping (the vendor's item), "
                    f"got {type(raw).__name__}"
                ) from None
        fields = self.__dict__
        fields["provider"] = provider
        fields["id"] = id
        fields["status"] = status
        fields["progress"] = progress
        fields["created_at"] = created_at
        fields["completed_at"] = completed_at
        fields["kind"] = kind
        fields["tag"] = tag
        fields["cost"] = cost
        fields["engine"] = engine
        fields["device"] = device
        fields["location"] = location
        fields["language"] = language
        fields["keywords_count"] = keywords_count
        fields["message"] = message
        fields["started_at"] = started_at
        fields["_raw"] = raw

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

    status: TaskStatus | None = attrs.field(default=TaskStatus.COMPLETED, validator=_status)
    since: datetime | None = attrs.field(default=None, validator=_utc_or_none("since"))
    until: datetime | None = attrs.field(default=None, validator=_utc_or_none("until"))
    time_field: str = attrs.field(default="created_at", validator=_time_field)

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


def _tasks_tuple(tasks: Iterable[Task]) -> tuple[Task, ...]:
    """A page's tasks as a tuple (a list given stays the caller's), each a `Task`."""
    kept = tuple(tasks)
    for index, task in enumerate(kept):
        if not isinstance(task, Task):
            raise TypeError(f"Page.tasks[{index}] is a {type(task).__name__}, not a Task")
    return kept


def as_notes(notes: Iterable[str]) -> tuple[str, ...]:
    """The notes, one text each: a single text given (``notes="capped"``, a plugin's
    `Batch` note) is one note, not a note a character."""
    if isinstance(notes, str):
        return (notes,)
    kept = tuple(notes)
    for note in kept:
        if not isinstance(note, str):
            raise TypeError(f"a note is a str, not a {type(note).__name__}: {note!r:.80}")
    return kept


@attrs.frozen(slots=True, kw_only=True)
class Page:
    """One page of a listing.

    ``next_cursor`` resumes the listing after this page (``None`` at the end), even in
    another process. ``capped`` is true when the vendor said it hid part of the list
    (DataForSEO's ``tasks_ready`` shows at most 1000 uncollected tasks); ``notes``
    carries such remarks for people.
    """

    tasks: tuple[Task, ...] = attrs.field(converter=_tasks_tuple)
    next_cursor: str | None = attrs.field(
        validator=attrs.validators.optional(attrs.validators.instance_of(str))
    )
    capped: bool = False
    notes: tuple[str, ...] = attrs.field(default=(), converter=as_notes)
