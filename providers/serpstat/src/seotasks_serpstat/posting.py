"""Serpstat's task-adding and result calls: what a `SerpTaskSpec` becomes in a
``tasks.addKeywordList`` call, and the bodies and answers of it and ``tasks.getTaskResult``.

Apart from `wire` (the getList envelope and rows) because submission has its own
rules: the answer creates and charges a task, so once a ``task_id`` is in it nothing
may raise (see `added_task`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from seotasks.account import Account, amount
from seotasks.convert import is_ascii_digits
from seotasks.errors import ResponseFormatError, UnsupportedQuery
from seotasks.jsoncodec import dumps

from .wire import PROVIDER, read_result

if TYPE_CHECKING:
    from seotasks.submit import SerpTaskSpec

__all__ = [
    "DEVICE_TYPES",
    "KEYWORDS_MAX",
    "SERP_TYPES",
    "SE_IDS",
    "UNEXPRESSIBLE",
    "added_task",
    "parsing_balance",
    "read_answer",
    "rpc_body",
    "task_params",
]

#: Keywords sent in one tasks.addKeywordList call. The vendor states no maximum; this
#: keeps a request body small and one task of a reasonable size (an assumption).
KEYWORDS_MAX: Final = 1000
#: Search engine ids (``seId``) the crawling API documents: 1 = Google.
SE_IDS: Final[Mapping[str, int]] = MappingProxyType({"google": 1})
#: Device ids (``typeId``).
DEVICE_TYPES: Final[Mapping[str, int]] = MappingProxyType({"desktop": 1, "mobile": 2})

#: Neutral ``serp_type`` -> the ``type`` parameter of tasks.addTask / addKeywordList
#: (docs/vendors/serpstat.md: "regular" default | "local" (Local Finder results, up to
#: 50) | "regular_aio"). ``organic`` sends nothing, i.e. the vendor's default "regular".
#: "regular_aio" (regular results plus AI Overview parsing) is not a kind of results page
#: but an option on the organic one, so it gets no neutral serp_type here.
SERP_TYPES: Final[Mapping[str, str | None]] = MappingProxyType(
    {"organic": None, "local_finder": "local"}
)
#: Spec fields tasks.addKeywordList has no parameter for.
UNEXPRESSIBLE: Final = (
    "depth",
    "priority",
    "tag",
    "pingback_url",
    "postback_url",
    "postback_data",
)


def task_params(spec: SerpTaskSpec) -> dict[str, int | str]:
    """addKeywordList parameters (all but ``keywords``) for ``spec``, or `UnsupportedQuery`."""
    unsupported = [name for name in UNEXPRESSIBLE if getattr(spec, name) is not None]
    if unsupported:
        raise UnsupportedQuery(
            f"serpstat: tasks.addKeywordList cannot express {', '.join(unsupported)}"
        )
    se_id = SE_IDS.get(spec.engine)
    if se_id is None:
        raise UnsupportedQuery(f"serpstat: crawling supports google only, not {spec.engine!r}")
    if spec.serp_type not in SERP_TYPES:
        hint = ""
        if spec.serp_type in ("local", "regular", "regular_aio"):
            hint = " (that is Serpstat's own name; use a neutral one)"
        raise UnsupportedQuery(
            f"serpstat: no SERP type {spec.serp_type!r}{hint}; "
            f"known: {', '.join(sorted(SERP_TYPES))}"
        )
    params: dict[str, int | str] = {"seId": se_id, "typeId": DEVICE_TYPES[spec.device]}
    serp_type = SERP_TYPES[spec.serp_type]
    if serp_type is not None:
        params["type"] = serp_type
    location = spec.location
    if isinstance(location, int):
        params["countryId"] = location
    else:
        country, slash, region = location.partition("/")
        if not (slash and is_ascii_digits(country) and is_ascii_digits(region)):
            what = "is no '<countryId>/<regionId>' pair" if slash else "is a name"
            raise UnsupportedQuery(
                f"serpstat: location {location!r} {what}; Serpstat takes a numeric "
                "countryId (e.g. 23) or '<countryId>/<regionId>' (e.g. '23/21176')"
            )
        params["countryId"] = int(country)
        if int(region):
            params["regionId"] = int(region)
    country_id = int(params["countryId"])
    if not 1 <= country_id <= 247:
        raise UnsupportedQuery(f"serpstat: countryId {country_id} is outside 1..247")
    if spec.language is not None:
        if not isinstance(spec.language, int):
            raise UnsupportedQuery(
                f"serpstat: language {spec.language!r} is not a numeric langId (1..48)"
            )
        if not 1 <= spec.language <= 48:
            raise UnsupportedQuery(f"serpstat: langId {spec.language} is outside 1..48")
        params["langId"] = spec.language
    return params


def rpc_body(request_id: str, method: str, params: Mapping[str, Any]) -> bytes:
    """The JSON-RPC body of one call of any ``tasks.*`` method."""
    return dumps({"id": request_id, "method": method, "params": dict(params)})


def read_answer(
    body: Mapping[str, object], *, expected_id: str, scrub: Callable[[str], str] = str
) -> Mapping[str, Any]:
    """The ``result`` object of a decoded answer, or the typed error the answer stands for.

    Same checks as `read_result` (id echo, error objects), for methods whose ``result``
    is an object (``tasks.addKeywordList``, ``tasks.getTaskResult``).
    """
    if body.get("error") is not None:
        read_result(body, expected_id=expected_id, scrub=scrub)  # raises the typed error
    answer_id = body.get("id")
    if isinstance(answer_id, bool) or str(answer_id) != expected_id:
        shown = scrub(repr(answer_id))[:60]
        raise ResponseFormatError(
            f"{PROVIDER}: answer id {shown} does not match request id {expected_id!r}",
            field="id",
        )
    result = body.get("result")
    if not isinstance(result, Mapping):
        kind = "missing" if "result" not in body else f"a {type(result).__name__}"
        raise ResponseFormatError(
            f"{PROVIDER}: 'result' should be an object, got {kind}", field="result"
        )
    return result


#: Keys of a ``blocked_keywords`` object that may hold the keyword, and its reason.
_BLOCKED_KEYWORD_KEYS = ("keyword", "name", "value", "text")
_BLOCKED_REASON_KEYS = ("reason", "message", "error")


def _blocked_entry(entry: object) -> tuple[str, str | None] | None:
    """``(keyword, reason)`` of one ``blocked_keywords`` entry, or ``None`` if unreadable."""
    if isinstance(entry, str):
        return entry, None
    if isinstance(entry, Mapping):
        keyword = next(
            (entry[k] for k in _BLOCKED_KEYWORD_KEYS if isinstance(entry.get(k), str)), None
        )
        if keyword is None:
            return None
        reason = next(
            (entry[k] for k in _BLOCKED_REASON_KEYS if isinstance(entry.get(k), str)), None
        )
        return keyword, reason
    return None


def added_task(result: Mapping[str, Any]) -> tuple[str, dict[str, str | None], bool]:
    """``(task_id, blocked, readable)`` from a tasks.addTask / addKeywordList result.

    ``blocked`` maps each keyword the vendor refused to its reason, when it gave one.
    The pages show ``blocked_keywords`` as a list of strings; answers also carry objects
    (``{"keyword": ..., "reason": ...}``), so both are read. The task exists and is
    charged once ``task_id`` is here, so nothing after it may raise: an entry that is
    neither form makes ``readable`` false (the caller says so) instead of losing the id.
    """
    task_id = result.get("task_id")
    if isinstance(task_id, int) and not isinstance(task_id, bool):
        task_id = str(task_id)
    if not isinstance(task_id, str) or not is_ascii_digits(task_id.strip()):
        raise ResponseFormatError(
            f"{PROVIDER}: task_id is {task_id!r}, not a numeric string", field="result.task_id"
        )
    raw = result.get("blocked_keywords")
    entries = raw if isinstance(raw, list) else []
    readable = raw is None or isinstance(raw, list)
    blocked: dict[str, str | None] = {}
    for entry in entries:
        read = _blocked_entry(entry)
        if read is None:
            readable = False
        else:
            blocked[read[0]] = read[1]
    return task_id.strip(), blocked, readable


def parsing_balance(result: Mapping[str, Any]) -> Account:
    """The `Account` of a ``tasks.getParsingBalance`` result: ``available_usd``,
    ``serp_parsing_cost`` and ``volume_parsing_cost``, decimal strings in USD (vendor
    page "tasks.getParsingBalance"). The balance must be there; a price that is missing
    or unreadable is left out (it is only shown)."""
    balance = amount(result.get("available_usd"))
    if balance is None:
        raise ResponseFormatError(
            f"{PROVIDER}: available_usd is {result.get('available_usd')!r}, not an amount",
            field="result.available_usd",
        )
    limits = []
    for field, what in (("serp_parsing_cost", "SERP"), ("volume_parsing_cost", "volume")):
        price = amount(result.get(field))
        if price is not None:
            limits.append(f"{price} USD a {what} keyword")
    return Account(balance=balance, currency="USD", limits=tuple(limits))
