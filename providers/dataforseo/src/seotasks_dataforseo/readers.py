"""DataForSEO's two listings, item by item: each item read by its declaration, then a Task.

`items` declares what a ``tasks_ready`` and an ``id_list`` item hold and reads them
(cattrs; a malformed item is a `ResponseFormatError` naming its field path and id).
Here each read item becomes a plain `Task(...)`, with what the listing adds: the kind
(from the endpoint, or the task's ``url``), the status (id_list gives only the vendor's
message) and what the task was posted with (id_list ``metadata``). The few values that
repeat on every item of a page (kinds, statuses, engines) are worked out once each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

from seotasks.convert import is_ascii_digits
from seotasks.model import Task, TaskStatus

from .endpoints import Endpoint, HistoryFamily, is_token, kind_from_url
from .items import IdListItem, read_id_list, read_ready
from .wire import OK, PENDING, PROVIDER, SUCCESS_CODES

__all__ = ["HistoryReader", "ready_tasks", "status_for"]

_COMPLETED = TaskStatus.COMPLETED
_FAILED = TaskStatus.FAILED

#: id_list items carry only the status *message*. These are the vendor's own messages
#: for codes that change the status (GET /v3/appendix/errors); anything else with a
#: ``datetime_done`` is a failure, and without one a task still running.
_MESSAGE_CODES = {
    "ok.": OK,
    "no search results.": 40102,
    "task handed.": 40601,
    "task in queue.": 40602,
}
#: Distinct values the per-listing caches keep before they stop growing.
_CACHE_MAX = 4096


def ready_tasks(endpoint: Endpoint, items: Sequence[Any]) -> list[Task]:
    """Tasks from one ``tasks_ready`` result list: all completed, not yet collected.

    ``raw`` is a read-only view of the decoded item, which this page alone holds: the
    private copy ``Task(...)`` makes of a plain dict would be a second dict per task.
    """
    kinds: dict[tuple[str | None, str | None], str] = {}
    aggregate, family, fixed = endpoint.aggregate, endpoint.family, endpoint.name
    provider, view, completed = PROVIDER, MappingProxyType, _COMPLETED
    new, build = object.__new__, Task.__init__  # `Task(...)` in its two steps: see `Task`
    out: list[Task] = []
    append = out.append
    for raw, item in zip(items, read_ready.page(items), strict=True):
        se = item.se
        if aggregate:
            # Only a plain token names a kind; a list or a number leaves the family.
            se_type = item.se_type
            if type(se_type) is not str:
                se_type = None
            kind = kinds.get((se, se_type))
            if kind is None:
                kind = f"{family}/{se}/{se_type}" if is_token(se) and is_token(se_type) else family
                kinds[se, se_type] = kind
        else:
            kind = fixed
        task = new(Task)
        build(
            task,
            provider=provider,
            id=item.id,
            status=completed,
            progress=1.0,
            created_at=item.date_posted,
            kind=kind,
            tag=item.tag,
            engine=se,
            raw=view(raw),
        )
        append(task)
    return out


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


def _label(value: object) -> str | None:
    """A metadata value as a `Task` field: a non-empty string, an int as its decimal
    string, a list of one such value (``keywords_data`` echoes ``"device": ["desktop"]``)
    as that value, anything else nothing (metadata echoes what was posted, not a
    contract)."""
    if type(value) is list and len(value) == 1:
        value = value[0]
    if type(value) is str:
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _posted_with(
    meta: Mapping[str, Any],
) -> tuple[str | None, str | None, str | None, str | None, str | None, int | None]:
    """``(tag, engine, device, location, language, keywords_count)`` from an id_list
    item's ``metadata``; ``location_code`` before ``location_name``, and so for language.

    Runs once per item of a page: null and a non-empty string, the usual values, are
    taken as they are, and only other values go through `_label`.
    """
    get = meta.get
    tag, engine, device = get("tag"), get("se"), get("device")
    location, language = get("location_code"), get("language_code")
    # "" is a tag as posted: kept, as tasks_ready keeps it.
    if tag is not None and type(tag) is not str:
        tag = _label(tag)
    if engine is not None and not (type(engine) is str and engine):
        engine = _label(engine)
    if device is not None and not (type(device) is str and device):
        device = _label(device)
    if type(location) is int:  # the usual location_code; a few repeat on every page
        location = _CODES.get(location) or _code_text(location)
    elif not (type(location) is str and location):
        location = _label(location) or _label(get("location_name"))
    if not (type(language) is str and language):
        language = _label(language) or _label(get("language_name"))
    words = get("keywords")
    if type(words) is list:
        keywords: int | None = len(words)
    else:
        keywords = 1 if type(get("keyword")) is str else None
    return tag, engine, device, location, language, keywords


#: ``location_code`` -> its decimal text, for the codes already seen (bounded).
_CODES: dict[int, str] = {}


def _code_text(code: int) -> str:
    text = str(code)
    if len(_CODES) < _CACHE_MAX:
        _CODES[code] = text
    return text


_NOTHING_POSTED: tuple[None, None, None, None, None, None] = (None,) * 6


class HistoryReader:
    """Reads id_list items into `Task` objects, with per-listing caches.

    ``scrub`` redacts a failed task's status message before it becomes `Task.message`
    (vendor text may echo what was posted). The caches (url -> kind, kind -> wanted,
    kind -> engine, status text -> status) are bounded: the same few values repeat on
    every item of a page, so each is worked out once.
    """

    def __init__(self, scrub: Callable[[str], str] = str) -> None:
        self._scrub = scrub
        self._kinds: dict[str, str | None] = {}
        self._wanted: dict[tuple[HistoryFamily, str], bool] = {}
        self._statuses: tuple[dict[str | None, TaskStatus], dict[str | None, TaskStatus]] = ({}, {})
        self._engines: dict[str, str | None] = {}

    def kind(self, url: object) -> str | None:
        """The task kind a task's ``url`` names (None when it names none)."""
        if not isinstance(url, str):
            return None
        kind = self._kinds.get(url, "")
        if kind == "":
            kind = kind_from_url(url)
            if len(self._kinds) < _CACHE_MAX:
                self._kinds[url] = kind
        return kind

    def task(self, raw: object, index: int, family: HistoryFamily) -> Task | None:
        """One id_list item as a Task, or None when ``family`` does not want its kind."""
        return self.page([raw], family, first_index=index)[0]

    def page(
        self, items: Sequence[Any], family: HistoryFamily, *, first_index: int = 0
    ) -> list[Task | None]:
        """Every item of one id_list page as a Task (None where ``family`` skips its kind).

        An item whose readable ``id`` and ``url`` name a kind the listing does not want
        is skipped before its other fields are judged: it is not this listing's task.
        The caches are bound to local names: this loop runs once per item of a page.
        """
        default_kind = family.family
        kinds, engines = self._kinds, self._engines
        running, finished = self._statuses  # by status text, without / with datetime_done
        scrub, posted_with = self._scrub, _posted_with
        provider, view, completed, failed = PROVIDER, MappingProxyType, _COMPLETED, _FAILED
        new, build = object.__new__, Task.__init__  # `Task(...)` in its two steps: see `Task`
        out: list[Task | None] = []
        append = out.append
        for raw, item in zip(items, self._read(items, family, first_index), strict=True):
            if item is None:  # a kind this listing does not want
                append(None)
                continue
            url = item.url
            kind = kinds.get(url, "") if url is not None else None
            if kind == "":
                kind = self.kind(url)
            kind = kind or default_kind
            done = item.datetime_done
            text = item.status
            statuses = running if done is None else finished
            status = statuses.get(text)
            if status is None:
                status = status_for(text, done)[0]
                if len(statuses) < _CACHE_MAX:
                    statuses[text] = status
            meta = item.metadata
            tag, engine, device, location, language, keywords = (
                posted_with(meta) if meta else _NOTHING_POSTED
            )
            if engine is None:
                engine = engines.get(kind, "")
                if engine == "":
                    engine = kind.split("/", 2)[1] if kind.count("/") >= 2 else None
                    if len(engines) < _CACHE_MAX:
                        engines[kind] = engine
            task = new(Task)
            build(
                task,
                provider=provider,
                id=item.id,
                status=status,
                progress=1.0 if status is completed else None,
                created_at=item.datetime_posted,
                completed_at=done,
                kind=kind,
                tag=tag,
                cost=item.cost,
                engine=engine,
                device=device,
                location=location,
                language=language,
                keywords_count=keywords,
                message=scrub(text) if status is failed and text is not None else None,
                raw=view(raw),  # the page's own decoded item: see `ready_tasks`
            )
            append(task)
        return out

    def _read(
        self, items: Sequence[Any], family: HistoryFamily, first_index: int
    ) -> Sequence[IdListItem | None]:
        """The items read as one page, None for each one ``family`` skips (which is not
        read: a skipped item's other fields are not this listing's to judge)."""
        places = range(first_index, first_index + len(items))
        if not family.prefixes:
            return read_id_list.page(items, places)
        skipped = [self._skipped(raw, family) for raw in items]
        kept = [at for at, skip in zip(places, skipped, strict=True) if not skip]
        read = iter(read_id_list.page([items[at - first_index] for at in kept], kept))
        return [None if skip else next(read) for skip in skipped]

    def _skipped(self, raw: object, family: HistoryFamily) -> bool:
        if type(raw) is not dict:
            return False
        task_id, url = raw.get("id"), raw.get("url")
        if not (type(task_id) is str and task_id and (url is None or type(url) is str)):
            return False
        kind = self.kind(url) or family.family
        wanted = self._wanted.get((family, kind))
        if wanted is None:
            wanted = family.wants(kind)
            if len(self._wanted) < _CACHE_MAX:
                self._wanted[family, kind] = wanted
        return not wanted
