"""The per-item readers of DataForSEO's two listings: one fast path per item kind.

A ``tasks_ready`` or ``id_list`` page is up to 1000 items, read once per item, so the
documented shape is read inline here, with per-listing caches and a
`Task.trusted_builder`; any item off that shape is handed to the careful reading
declared in `items` (cattrs, errors naming the field path and the item id). Property
tests hold the two to the same outcome on any input, ``raw`` included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, cast

from seotasks.convert import is_ascii_digits
from seotasks.model import Task, TaskStatus

from .endpoints import Endpoint, HistoryFamily, is_token, kind_from_url
from .items import read_id_list, read_ready
from .wire import OK, PENDING, PROVIDER, SUCCESS_CODES

__all__ = ["HistoryReader", "ready_tasks", "status_for"]

_INF = float("inf")

#: id_list items carry only the status *message*. These are the vendor's own messages
#: for codes that change the status (GET /v3/appendix/errors); anything else with a
#: ``datetime_done`` is a failure, and without one a task still running.
_MESSAGE_CODES = {
    "ok.": OK,
    "no search results.": 40102,
    "task handed.": 40601,
    "task in queue.": 40602,
}


def ready_tasks(endpoint: Endpoint, items: list[Any]) -> list[Task]:
    """Tasks from one ``tasks_ready`` result list: all completed, not yet collected.

    The loop runs once per item of every 1000-item page, so the documented item shape
    is read inline and built by a `Task.trusted_builder`; an item that deviates in any
    way (a missing id, a non-string field, a date in another shape) is re-read by
    `_ready_fields`, which handles it or raises the precise `ResponseFormatError`.
    """
    kinds: dict[tuple[object, object], str] = {}
    aggregate = endpoint.aggregate
    fixed_kind = endpoint.name
    family = endpoint.family
    parse = datetime.fromisoformat
    build = _build_ready
    utc = UTC
    out: list[Task] = []
    append = out.append
    for index, item in enumerate(items):
        try:
            get = item.get
            task_id = get("id")
            se = get("se")
            tag = get("tag")
            posted = get("date_posted")
            se_type = get("se_type")
            if (
                type(task_id) is not str
                or not task_id
                or (se is not None and type(se) is not str)
                or (tag is not None and type(tag) is not str)
                or type(posted) is not str
            ):
                raise TypeError
            parsed = parse(posted)
            if parsed.tzinfo is not utc:  # another offset, or none: the careful path
                raise ValueError
            created: datetime | None = parsed
        except (AttributeError, TypeError, ValueError):
            task_id, se, tag, created = _ready_fields(item, index)  # or raises
            se_type = item.get("se_type")
        if aggregate:
            if type(se_type) is not str:
                se_type = None  # a list, a number...: no token, so the family is the kind
            pair = (se, se_type)
            kind = kinds.get(pair)
            if kind is None:
                kind = f"{family}/{se}/{se_type}" if is_token(se) and is_token(se_type) else family
                kinds[pair] = kind
        else:
            kind = fixed_kind
        # A trusted build: progress 1.0, created_at with tzinfo UTC (checked above or
        # produced by parse_timestamp), and a freshly decoded dict nothing else holds.
        append(build(task_id, created, kind, tag, se, item))
    return out


#: ``build(id, created_at, kind, tag, engine, raw)``: a completed, uncollected task.
_build_ready = Task.trusted_builder(
    "id",
    "created_at",
    "kind",
    "tag",
    "engine",
    "raw",
    provider=PROVIDER,
    status=TaskStatus.COMPLETED,
    progress=1.0,
)


def _ready_fields(item: object, index: int) -> tuple[str, str | None, str | None, datetime | None]:
    """``(id, se, tag, created)`` of a tasks_ready item, read by the declared `ReadyItem`."""
    read = read_ready(item, index)
    return read.id, read.se, read.tag, read.date_posted


def status_for(message: object, done: datetime | None) -> tuple[TaskStatus, int | None]:
    """Status of an id_list item from its ``status`` text and ``datetime_done``.

    id_list gives no code, only the vendor's status message, so the message is looked
    up in the vendor's code table (exact, case-insensitive); a leading numeric code is
    honoured too.
    """
    text = message.strip() if isinstance(message, str) else ""
    code = _MESSAGE_CODES.get(text.lower())
    if code is None and is_ascii_digits(text[:5]):
        code = int(text[:5])
    if code in SUCCESS_CODES:
        return TaskStatus.COMPLETED, code
    if code in PENDING:
        return PENDING[code], code
    if done is None:
        return TaskStatus.RUNNING, code
    return TaskStatus.FAILED, code


#: Metadata keys read into `Task` fields, first non-empty one wins (``location_code``
#: before ``location_name``...). Ints are kept as their decimal string.
_METADATA_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tag", ("tag",)),
    ("engine", ("se",)),
    ("device", ("device",)),
    ("location", ("location_code", "location_name")),
    ("language", ("language_code", "language_name")),
)
#: Distinct values the per-listing caches keep before they stop growing.
_CACHE_MAX = 4096


def _metadata_value(meta: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = meta.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


def _metadata_fields(meta: Mapping[str, Any]) -> dict[str, Any]:
    """Task fields from an id_list item's ``metadata`` (what the task was posted with)."""
    fields: dict[str, Any] = {name: _metadata_value(meta, keys) for name, keys in _METADATA_FIELDS}
    words = meta.get("keywords")
    if isinstance(words, list):
        fields["keywords_count"] = len(words)
    elif isinstance(meta.get("keyword"), str):
        fields["keywords_count"] = 1
    return fields


#: The id_list item keys read on the fast path with one call (a missing one: careful path).
_HISTORY_REQUIRED = itemgetter("id", "url", "datetime_posted", "status")
#: ``build(...)`` of an id_list task: every field but ``provider``, in Task's order.
_build_history = Task.trusted_builder(
    "id",
    "status",
    "progress",
    "created_at",
    "completed_at",
    "kind",
    "tag",
    "cost",
    "engine",
    "device",
    "location",
    "language",
    "keywords_count",
    "message",
    "raw",
    provider=PROVIDER,
)


class HistoryReader:
    """Reads id_list items into `Task` objects, with per-listing caches.

    ``scrub`` redacts a failed task's status message before it becomes `Task.message`
    (vendor text may echo what was posted). The caches (url -> kind, kind -> wanted,
    kind -> engine, status text -> status, cost -> `Decimal`) are bounded: the same few
    values repeat on every item of a page, so each is worked out once.
    """

    def __init__(self, scrub: Callable[[str], str] = str) -> None:
        self._scrub = scrub
        self._kinds: dict[str, str | None] = {}
        self._wanted: dict[tuple[HistoryFamily, str], bool] = {}
        self._statuses: dict[tuple[str, bool], TaskStatus] = {}
        self._costs: dict[float, Decimal] = {}
        self._engines: dict[str, str | None] = {}

    def kind(self, url: object) -> str | None:
        if not isinstance(url, str):
            return None
        kind = self._kinds.get(url, "")
        if kind == "":
            kind = kind_from_url(url)
            if len(self._kinds) < _CACHE_MAX:
                self._kinds[url] = kind
        return kind

    def _wants(self, family: HistoryFamily, kind: str) -> bool:
        key = (family, kind)
        wanted = self._wanted.get(key)
        if wanted is None:
            wanted = family.wants(kind)
            if len(self._wanted) < _CACHE_MAX:
                self._wanted[key] = wanted
        return wanted

    def task(self, raw: object, index: int, family: HistoryFamily) -> Task | None:
        """One id_list item as a Task, or None when ``family`` does not want its kind."""
        return self.page([raw], family, first_index=index)[0]

    def page(
        self, items: Sequence[object], family: HistoryFamily, *, first_index: int = 0
    ) -> list[Task | None]:
        """Every item of one id_list page as a Task (None where ``family`` skips its kind).

        The loop runs once per item of a 1000-item page, so the documented item shape is
        read inline, with the caches bound to local names, and built by a trusted builder;
        any deviation (a blank or offset date, a string cost, an int tag...) goes through
        `_checked`, which handles it or raises the precise `ResponseFormatError`.
        """
        kinds = self._kinds
        statuses = self._statuses
        costs = self._costs
        engines = self._engines
        filtered = bool(family.prefixes)
        parse = datetime.fromisoformat
        build = _build_history
        required = _HISTORY_REQUIRED
        completed, failed = TaskStatus.COMPLETED, TaskStatus.FAILED
        utc = UTC
        out: list[Task | None] = []
        append = out.append
        for index, raw in enumerate(items, first_index):
            try:
                if type(raw) is not dict:
                    raise TypeError
                task_id, url, posted, status_text = required(raw)  # KeyError: careful path
                get = raw.get
                done_text = get("datetime_done")
                cost = get("cost")
                meta = get("metadata")
                if (
                    type(task_id) is not str
                    or not task_id
                    or type(url) is not str
                    or type(status_text) is not str
                ):
                    raise TypeError
                kind = kinds.get(url) or self.kind(url) or family.family
                if filtered and not self._wants(family, kind):
                    append(None)
                    continue
                created = parse(posted)
                if created.tzinfo is not utc:
                    raise ValueError
                if done_text is None:
                    done = None
                    status = statuses.get((status_text, True))
                else:
                    done = parse(done_text)
                    if done.tzinfo is not utc:
                        raise ValueError
                    status = statuses.get((status_text, False))
                if status is None:
                    status = status_for(status_text, done)[0]
                    if len(statuses) < _CACHE_MAX:
                        statuses[(status_text, done is None)] = status
                if cost is None:
                    price = None
                elif type(cost) is not float:
                    raise TypeError
                else:
                    price = costs.get(cost)
                    if price is None:
                        if not 0.0 < cost < _INF:  # also refuses NaN
                            raise ValueError
                        price = Decimal(repr(cost))
                        if len(costs) < _CACHE_MAX:
                            costs[cost] = price
                if meta is None:
                    tag = engine = device = location = language = keywords = None
                else:
                    mget = meta.get
                    tag = mget("tag")
                    engine = mget("se")
                    device = mget("device")
                    location = mget("location_code")
                    language = mget("language_code")
                    if location is None:
                        location = mget("location_name")
                    elif type(location) is int:
                        location = str(location)
                    if language is None:
                        language = mget("language_name")
                    # Each a non-empty string or None; anything else (an empty string
                    # falls back to the *_name key) is the careful path's to read.
                    if (
                        type(meta) is not dict
                        or not (tag is None or (type(tag) is str and tag))
                        or not (engine is None or (type(engine) is str and engine))
                        or not (device is None or (type(device) is str and device))
                        or not (location is None or (type(location) is str and location))
                        or not (language is None or (type(language) is str and language))
                    ):
                        raise TypeError
                    words = mget("keywords")
                    if type(words) is list:
                        keywords = len(words)
                    elif type(mget("keyword")) is str:
                        keywords = 1
                    else:
                        keywords = None
                if engine is None:
                    engine = engines.get(kind, "")
                    if engine == "":
                        engine = kind.split("/", 2)[1] if kind.count("/") >= 2 else None
                        if len(engines) < _CACHE_MAX:
                            engines[kind] = engine
            except (LookupError, AttributeError, TypeError, ValueError):
                append(self._checked(raw, index, family))
                continue
            # A trusted build: progress 1.0 or None, both datetimes with tzinfo UTC (checked
            # above), and a freshly decoded dict nothing else holds.
            append(
                build(
                    task_id,
                    status,
                    1.0 if status is completed else None,
                    created,
                    done,
                    kind,
                    tag,
                    price,
                    engine,
                    device,
                    location,
                    language,
                    keywords,
                    self._scrub(status_text) if status is failed else None,
                    raw,
                )
            )
        return out

    def _checked(self, raw: object, index: int, family: HistoryFamily) -> Task | None:
        """`task` for any item, read by the declared `IdListItem` (path-named errors).

        As on the fast path, an item whose readable ``id`` and ``url`` name a kind the
        listing does not want is skipped before its other fields are judged.
        """
        if type(raw) is dict:
            task_id, url = raw.get("id"), raw.get("url")
            readable = type(task_id) is str and task_id and (url is None or type(url) is str)
            if readable and not family.wants(self.kind(url) or family.family):
                return None
        item = read_id_list(raw, index)
        kind = self.kind(item.url) or family.family
        status, _ = status_for(item.status, item.datetime_done)
        fields = _metadata_fields(item.metadata) if item.metadata else {}
        if fields.get("engine") is None and kind.count("/") >= 2:
            fields["engine"] = kind.split("/", 2)[1]
        message = None
        if status is TaskStatus.FAILED and item.status is not None:
            message = self._scrub(item.status)
        return Task(
            provider=PROVIDER,
            id=item.id,
            status=status,
            progress=1.0 if status is TaskStatus.COMPLETED else None,
            created_at=item.datetime_posted,
            completed_at=item.datetime_done,
            kind=kind,
            cost=item.cost,
            message=message,
            raw=cast(dict[str, Any], raw),
            **fields,
        )
