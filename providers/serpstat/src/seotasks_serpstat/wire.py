"""Serpstat's wire format: the JSON-RPC envelope and ``tasks.getList`` rows -> `Task`.

Everything that knows how Serpstat spells things lives here (see the vendor facts in
``docs/vendors/serpstat.md``):

* the request is ``{"id": <string>, "method": "tasks.getList", "params": {...}}`` POSTed
  with the token in the query string; the answer carries the ``id`` back as a *string*
  and either ``result`` or ``error`` -- errors arrive with HTTP 200, so the body is
  classified here, not the status line;
* every row value is a string: ``progress`` is ``"45%"``, timestamps are naive
  ``"YYYY-MM-DD HH:MM:SS"`` in an undocumented zone (the ``timezone`` option), and
  ``parsed_at`` is JSON null (or blank / zeros) until the task is done.

A row is read by its declaration in `items` (cattrs, so an error names the field path
and the task id); `normalize_rows` turns each read row into a `Task`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from types import MappingProxyType
from typing import Any, Final, cast

from seotasks.convert import ConversionError, is_ascii_digits
from seotasks.errors import (
    AuthError,
    ProviderError,
    RateLimited,
    ResponseFormatError,
    SeotasksError,
    TransientError,
)
from seotasks.jsoncodec import dumps
from seotasks.model import Task, TaskStatus

from .items import row_reader

__all__ = [
    "ENGINES",
    "METHOD",
    "PROVIDER",
    "classify_error",
    "normalize_rows",
    "read_result",
    "request_body",
    "row_ids",
    "task_kind",
]

PROVIDER: Final = "serpstat"
METHOD: Final = "tasks.getList"

#: ``se_id`` -> engine name. Only 1 = Google is confirmed by the current docs (older pages
#: said 2 = Yandex, a newer note says 2 = Bing), so other ids are kept as the id string.
ENGINES: Final[Mapping[str, str]] = MappingProxyType({"1": "google"})
#: ``device_type_id`` -> device (documented range 1..2).
DEVICES: Final[Mapping[str, str]] = MappingProxyType({"1": "desktop", "2": "mobile"})
_KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {se: f"serp/{name}" for se, name in ENGINES.items()}
)
_NO_REGION: Final = frozenset({"", "0"})


#: The kind of a task whose engine id `_KINDS` does not know.
_UNKNOWN_KIND: Final = "serp"


def task_kind(se_id: str) -> str:
    """The ``Task.kind`` `normalize_rows` gives a task of engine ``se_id``: what
    `SerpstatProvider.submit` reports for the tasks it creates, so that the kind a
    submission prints is the one the task is later listed with."""
    return _KINDS.get(se_id, _UNKNOWN_KIND)


_COMPLETED = TaskStatus.COMPLETED
_RUNNING = TaskStatus.RUNNING
_QUEUED = TaskStatus.QUEUED


# -- the envelope ---------------------------------------------------------------------------


def request_body(request_id: str, page: int, page_size: int) -> bytes:
    """The JSON-RPC body of one ``tasks.getList`` call.

    No ``"jsonrpc": "2.0"`` member: the official client does not send one either.
    """
    return dumps(
        {"id": request_id, "method": METHOD, "params": {"page": page, "pageSize": page_size}}
    )


def classify_error(code: int, message: str) -> SeotasksError:
    """The typed error for a JSON-RPC ``error`` object, split by what the caller does next.

    Serpstat uses HTTP-like positive codes inside the body: 403 (and 400 "missing token")
    is a credential or an account problem (a blocked user, a plan without the method:
    said as the account's, "refused the token" only when the phrase names the token),
    except "not enough credits", the balance, a `ProviderError` as 402 is; 429 is the rate limit and 500 a server fault (both retried by
    the transport because they are raised from the parse step), everything else (402
    credits, 404 empty, 32xxx ...) is final.

    Only the vendor's own phrase, before any ``:``, decides whether a 400 is about the
    token: what follows is the caller's data it quotes ("You have no keywords after
    filtrating, blocked keywords: api token<>" is a refused keyword, not a credential
    problem).
    """
    phrase = message.split(":", 1)[0].lower()
    if code == 403 and "credit" in phrase:  # "not enough credits for this query": the
        return ProviderError(code, message, provider=PROVIDER)  # balance, not the token
    if code == 403 and "token" not in phrase:  # blocked, a plan without the method
        return AuthError(f"{PROVIDER} refused this account the request (error 403: {message})")
    if code == 403 or (code == 400 and "token" in phrase):
        return AuthError(f"{PROVIDER} refused the token (error {code}: {message})")
    if code == 429:
        return RateLimited(f"{PROVIDER}: query frequency exceeded (error 429: {message})")
    if code == 500:
        return TransientError(f"{PROVIDER}: server error (error 500: {message})")
    return ProviderError(code, message, provider=PROVIDER)


def read_result(
    body: Mapping[str, object],
    *,
    expected_id: str,
    scrub: Callable[[str], str] = str,
) -> list[Any]:
    """The ``result`` list of a decoded answer, or the typed error the answer stands for.

    ``scrub`` redacts vendor text before it reaches an exception message (a vendor may
    quote the request URL, token included).
    """
    error = body.get("error")
    result = body.get("result")
    answer_id = body.get("id")
    if error is not None and result is not None:
        raise ResponseFormatError(
            f"{PROVIDER}: answer carries both 'result' and 'error'", field="result"
        )
    # An error about an unreadable request may come back without an id; anything else
    # must answer *this* request, or it is somebody else's answer.
    if not (error is not None and answer_id is None) and (
        isinstance(answer_id, bool)
        or not isinstance(answer_id, str | int)
        or str(answer_id) != expected_id
    ):
        shown = scrub(repr(answer_id))[:60]
        raise ResponseFormatError(
            f"{PROVIDER}: answer id {shown} does not match request id {expected_id!r}",
            field="id",
        )
    if error is not None:
        if not isinstance(error, Mapping):
            raise ResponseFormatError(f"{PROVIDER}: 'error' is not an object", field="error")
        code = error.get("code")
        if isinstance(code, str) and is_ascii_digits(code.strip().removeprefix("-")):
            code = int(code)
        if not isinstance(code, int) or isinstance(code, bool):
            raise ResponseFormatError(
                f"{PROVIDER}: error code {scrub(repr(code))[:40]} is not a whole number",
                field="error.code",
            )
        message = error.get("message")
        if message is None:
            message = "(no message)"
        text = scrub(message if isinstance(message, str) else repr(message))[:300]
        raise classify_error(code, text)
    if not isinstance(result, list):
        kind = "missing" if "result" not in body else f"a {type(result).__name__}"
        raise ResponseFormatError(
            f"{PROVIDER}: {METHOD} 'result' should be a list of tasks, got {kind}",
            field="result",
        )
    return result


# -- rows -----------------------------------------------------------------------------------


def row_ids(rows: Sequence[object]) -> list[str]:
    """The ``task_id`` of every row, as strings of digits, in the vendor's order.

    Paging compares ids numerically (the list is ordered by them), so a row without a
    numeric ``task_id`` cannot be placed and is a `ResponseFormatError` naming it.
    """
    # The common case in one comprehension; the loop below runs only to name a bad row.
    assumed = cast("Sequence[Mapping[str, Any]]", rows)
    try:
        ids = [row["task_id"] for row in assumed]
    except (TypeError, KeyError, IndexError):
        ids = []
        for index, row in enumerate(rows):
            if not isinstance(row, Mapping):
                raise ResponseFormatError(
                    f"{PROVIDER}: task row is a {type(row).__name__}, not an object",
                    field=f"result[{index}]",
                ) from None
            if "task_id" not in row:
                raise ResponseFormatError(
                    f"{PROVIDER}: task row without task_id", field=f"result[{index}].task_id"
                ) from None
            ids.append(row["task_id"])
    try:
        # The documented case in two C loops: every id a string of ASCII digits.
        if all(map(str.isdigit, ids)) and "".join(ids).isascii():
            return ids
    except TypeError:  # a non-string id: the loop below names it (or converts an int)
        pass
    out: list[str] = ids
    for index, value in enumerate(ids):
        if is_ascii_digits(value):
            continue
        if type(value) is int and value >= 0:
            out[index] = str(value)  # lenient: a number where a numeric string is documented
            continue
        raise ConversionError(
            f"result[{index}].task_id", value, "a numeric task id like '5484945'"
        ).located(PROVIDER, field=f"result[{index}].task_id", item_id=None)
    return out


#: The row's ids -> names, as plain dicts (a mappingproxy's ``get`` is a second call):
#: ``se_id`` -> ``(kind, engine)``; ``device_type_id`` -> device.
_KIND_ENGINE: Final[dict[str, tuple[str, str]]] = {
    se: (kind, ENGINES[se]) for se, kind in _KINDS.items()
}
_DEVICES: Final[dict[str, str]] = dict(DEVICES)


def second_pass(when: datetime, tz: tzinfo) -> datetime:
    """``when``, read from a naive ``tz`` time as the first of an hour the zone repeats
    (clocks going back), as the second: a naive string cannot say which, but a task
    cannot complete before it was created, so a completion read so is the second (Kyiv's
    ``2026-10-25 03:30`` is 00:30 UTC, or 01:30). Any other time is returned as it is."""
    return when.astimezone(tz).replace(fold=1).astimezone(UTC)


def normalize_rows(
    rows: Sequence[Any],
    *,
    tz: tzinfo = UTC,
    ids: Sequence[str] | None = None,
    start: int = 0,
) -> list[Task]:
    """``rows[start:]`` as tasks. ``ids`` (from `row_ids`) saves reading them twice.

    Each row is read by its declaration (`items.GetListRow`; a malformed row is a
    `ResponseFormatError` naming the field and the task), then mapped:
    ``status``: ``0%`` -> queued; between -> running; ``100%`` with a ``parsed_at`` ->
    completed. ``100%`` *without* ``parsed_at`` is reported as running (progress 1.0):
    the vendor writes ``parsed_at`` when the results are stored, and until then
    ``tasks.getTaskResult`` is not documented to work. ``completed_at`` is only set for
    completed tasks. ``kind`` is ``"serp/google"`` (getList does not say whether a task
    is regular, local or AI-overview), ``"serp"`` for an unknown engine id. A completion
    read before its creation is in an hour the zone repeats: see `second_pass`. ``raw`` is
    a read-only view of the decoded row, which this page alone holds (``Task(...)``
    would otherwise keep a copy of it).
    """
    if ids is None:
        ids = row_ids(rows)
    read = row_reader(tz)
    kind_engine, devices, no_region = _KIND_ENGINE, _DEVICES, _NO_REGION
    completed, queued, running = _COMPLETED, _QUEUED, _RUNNING
    provider, view = PROVIDER, MappingProxyType
    new, build = object.__new__, Task.__init__  # `Task(...)` in its two steps: see `Task`
    out: list[Task] = []
    append = out.append
    rows, ids = rows[start:], ids[start:]
    items = read.page(rows, range(start, start + len(rows)))
    for item, row, task_id in zip(items, rows, ids, strict=True):
        ratio = item.progress
        finished: datetime | None = item.parsed_at
        if ratio == 1.0 and finished is not None:
            status = completed
            created = item.created_at
            if created is not None and finished < created:
                finished = second_pass(finished, tz)
        else:
            status = queued if ratio == 0.0 else running
            finished = None
        se_id = item.se_id
        if se_id is None:
            kind, engine = "serp", None
        else:
            kind, engine = kind_engine.get(se_id) or (_UNKNOWN_KIND, se_id)
        country = item.country_id
        location: str | None
        if not country:
            location = None
        else:
            region = item.region_id
            location = country if region is None or region in no_region else f"{country}/{region}"
        device = item.device_type_id
        task = new(Task)
        build(
            task,
            provider=provider,
            id=task_id,
            status=status,
            progress=ratio,
            created_at=item.created_at,
            completed_at=finished,
            kind=kind,
            engine=engine,
            device=None if device is None else devices.get(device, device),
            location=location,
            language=item.lang_id or None,
            keywords_count=item.keywords_count,
            raw=view(row),
        )
        append(task)
    return out
