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

A row has two readers that must agree (property tests hold them to it on any input,
``raw`` included): the careful one, `normalize_row`, structures the row into its
declaration in `items` (cattrs, so an error names the field path and the task id);
the fast one, `normalize_rows`, reads the documented shape inline with pre-built
lookup tables, since a page is 1000 rows, and hands any other row to the careful one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from operator import itemgetter
from types import MappingProxyType
from typing import Any, Final

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

from .items import read_row

__all__ = [
    "ENGINES",
    "METHOD",
    "PROVIDER",
    "classify_error",
    "normalize_row",
    "normalize_rows",
    "read_result",
    "request_body",
    "row_ids",
]

PROVIDER: Final = "serpstat"
METHOD: Final = "tasks.getList"

#: ``se_id`` -> engine name. Only 1 = Google is confirmed by the current docs (older pages
#: said 2 = Yandex, a newer note says 2 = Bing), so other ids are kept as the id string.
ENGINES: Final[Mapping[str, str]] = MappingProxyType({"1": "google"})
#: ``device_type_id`` -> device (documented range 1..2).
DEVICES: Final[Mapping[str, str]] = MappingProxyType({"1": "desktop", "2": "mobile"})
#: ``"0%"``..``"100%"`` -> (ratio, percent): the documented shape, looked up, not parsed.
_PERCENT: Final[Mapping[str, tuple[float, int]]] = MappingProxyType(
    {f"{n}%": (n / 100.0, n) for n in range(101)}
)
_KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {se: f"serp/{name}" for se, name in ENGINES.items()}
)
_NO_REGION: Final = frozenset({"", "0"})

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
    is a credential problem, 429 is the rate limit and 500 a server fault (both retried by
    the transport because they are raised from the parse step), everything else (402
    credits, 404 empty, 32xxx ...) is final.
    """
    if code == 403 or (code == 400 and "token" in message.lower()):
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
                f"{PROVIDER}: error code {scrub(repr(code))[:40]} is not a number",
                field="error.code",
            )
        message = error.get("message")
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
    try:
        ids = [row["task_id"] for row in rows]  # type: ignore[index]
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
        raise ConversionError(f"result[{index}].task_id", value, "a numeric task id like '5484945'")
    return out


def normalize_row(
    row: Mapping[str, Any],
    *,
    task_id: str,
    tz: tzinfo = UTC,
    index: int = 0,
) -> Task:
    """One ``tasks.getList`` row as a `Task`, or a `ResponseFormatError` naming the field.

    The row is read by its declaration (`items.GetListRow`), then mapped:
    ``status``: ``0%`` -> queued; between -> running; ``100%`` with a ``parsed_at`` ->
    completed. ``100%`` *without* ``parsed_at`` is reported as running (progress 1.0):
    the vendor writes ``parsed_at`` when the results are stored, and until then
    ``tasks.getTaskResult`` is not documented to work. ``completed_at`` is only set for
    completed tasks. ``kind`` is ``"serp/google"`` (getList does not say whether a task
    is regular, local or AI-overview), ``"serp"`` for an unknown engine id.
    """
    read = read_row(row, index, tz)
    ratio = read.progress
    finished = read.parsed_at
    if ratio == 1.0 and finished is not None:
        status = _COMPLETED
    else:
        status = _QUEUED if ratio == 0.0 else _RUNNING
        finished = None
    se_id, country, region, device = (
        read.se_id,
        read.country_id,
        read.region_id,
        read.device_type_id,
    )
    location: str | None
    if country is None or country == "":
        location = None
    elif region is None or region in _NO_REGION:
        location = country
    else:
        location = f"{country}/{region}"
    return Task(
        provider=PROVIDER,
        id=task_id,
        status=status,
        progress=ratio,
        created_at=read.created_at,
        completed_at=finished,
        kind=_KINDS.get(se_id, "serp") if se_id is not None else "serp",
        engine=None if se_id is None else ENGINES.get(se_id, se_id),
        device=None if device is None else DEVICES.get(device, device),
        location=location,
        language=read.lang_id or None,
        keywords_count=read.keywords_count,
        raw=MappingProxyType(row) if type(row) is dict else row,  # no copy: the row is ours
    )


#: The hot loop's tables as plain dicts (a mappingproxy's ``get`` costs a second call).
_FAST_PERCENT: Final[dict[str, tuple[float, int]]] = dict(_PERCENT)
_FAST_ENGINES: Final[dict[str, tuple[str, str]]] = {
    se: (kind, ENGINES[se]) for se, kind in _KINDS.items()
}
_FAST_DEVICES: Final[dict[str, str]] = dict(DEVICES)
#: ``keywords_count`` strings of the usual sizes, looked up rather than parsed (``int()``
#: of a string cost ~140 ns a row, a dict hit ~30 ns).
_COUNTS: Final[dict[str, int]] = {str(n): n for n in range(1001)}
#: A row's values the hot loop reads, in one call.
_ROW_FIELDS: Final = itemgetter(
    "progress",
    "created_at",
    "parsed_at",
    "se_id",
    "country_id",
    "region_id",
    "device_type_id",
    "lang_id",
    "keywords_count",
)

#: ``build(...)`` of a getList row's task (no tag, cost or message: getList has none).
_build_row = Task.trusted_builder(
    "id",
    "status",
    "progress",
    "created_at",
    "completed_at",
    "kind",
    "engine",
    "device",
    "location",
    "language",
    "keywords_count",
    "raw",
    provider=PROVIDER,
)


def normalize_rows(
    rows: Sequence[Mapping[str, Any]],
    *,
    tz: tzinfo = UTC,
    ids: Sequence[str] | None = None,
    start: int = 0,
) -> list[Task]:
    """``rows[start:]`` as tasks. ``ids`` (from `row_ids`) saves reading them twice.

    The loop is the hot path of a listing, so the documented row shape is handled
    inline with local names; any row that deviates in the slightest (another progress
    spelling, a blank date, a number where a string belongs) goes through
    `normalize_row`, which handles it or raises the precise error.
    """
    if ids is None:
        ids = row_ids(rows)
    out: list[Task] = []
    append = out.append
    fields = _ROW_FIELDS
    percents, engines, devices, counts = _FAST_PERCENT, _FAST_ENGINES, _FAST_DEVICES, _COUNTS
    no_region = _NO_REGION
    parse = datetime.fromisoformat
    utc = tz is UTC
    build = _build_row
    for index in range(start, len(rows)):
        row = rows[index]
        try:
            progress, created_text, parsed_text, se_id, country, region, device, lang, count = (
                fields(row)  # a missing key (KeyError): the careful path
            )
            ratio, percent = percents[progress]  # off the 0..100 % table: careful path
            kind_engine = engines.get(se_id)
            if kind_engine is None:
                if type(se_id) is not str:
                    raise TypeError
                kind_engine = ("serp", se_id)  # an engine id not documented: kept as is
            device_name = devices.get(device)
            if device_name is None:
                if type(device) is not str:
                    raise TypeError
                device_name = device
            keywords = counts.get(count)  # a hit proves a digit string: no more checks
            if keywords is None:
                if not is_ascii_digits(count):
                    raise ValueError
                keywords = int(count)
            if (
                len(created_text) != 19
                or type(country) is not str
                or not country
                or type(region) is not str
                or type(lang) is not str
                or not lang
            ):
                raise ValueError
            if parsed_text is not None and len(parsed_text) != 19:
                raise ValueError
            if utc:
                # Appending the offset makes fromisoformat return an aware datetime with
                # tzinfo UTC at once: about 7x cheaper than ``.replace(tzinfo=UTC)``, and
                # a value that already had an offset no longer parses (the careful path).
                # A non-string fails the concatenation (TypeError): the careful path.
                created = parse(created_text + "+00:00")
                finished = None if parsed_text is None else parse(parsed_text + "+00:00")
            else:
                created = parse(created_text)
                finished = None if parsed_text is None else parse(parsed_text)
                if created.tzinfo is not None or (
                    finished is not None and finished.tzinfo is not None
                ):
                    raise ValueError
                created = created.replace(tzinfo=tz).astimezone(UTC)
                if finished is not None:
                    finished = finished.replace(tzinfo=tz).astimezone(UTC)
        except (LookupError, ValueError, TypeError, AttributeError):
            append(normalize_row(row, task_id=ids[index], tz=tz, index=index))
            continue
        if percent == 100 and finished is not None:
            status = _COMPLETED
        else:
            status = _QUEUED if percent == 0 else _RUNNING
            finished = None
        # A trusted build: the checks it skips hold here by construction (a ratio from
        # the 0..100 % table, datetimes with tzinfo=UTC, a row dict nothing else holds).
        append(
            build(
                ids[index],
                status,
                ratio,
                created,
                finished,
                kind_engine[0],
                kind_engine[1],
                device_name,
                country if region in no_region else f"{country}/{region}",
                lang,
                keywords,
                row if type(row) is dict else dict(row),
            )
        )
    return out
