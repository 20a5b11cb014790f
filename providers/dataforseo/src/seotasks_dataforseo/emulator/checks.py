"""The emulator's request checks: which task_post and task_get paths exist, and whether a
posted task is one the vendor would accept (fields, names, codes, callback URLs).

Separate from the routing so the rules the emulator holds requests to can be read (and
changed with the vendor) in one place. The field lists come from `vendor_shapes` (the
official client's models), `documented_fields` (what the vendor's newer pages document
and the client lacks) and `serp_types` (what the provider maps specs with); the places and
languages known by name from `locations`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar
from urllib.parse import unquote_plus, urlsplit

from .. import serp_types
from ..endpoints import (
    BY_NAME,
    CATALOGUE,
)
from . import documented_fields, locations, vendor_shapes
from .dataset import HISTORY_KEEP, METADATA_KEEP

_C = TypeVar("_C", covariant=True)

#: task_post: most tasks per call, keyword length, accepted fields, known names.
POST_MAX = 100
#: Fields every SERP task_post takes; a `serp_types.SerpType` adds its device and depth field.
_POST_COMMON = frozenset(
    {
        "keyword",
        "location_code",
        "location_name",
        "location_coordinate",
        "language_code",
        "language_name",
        "priority",
        "tag",
        "postback_url",
        "postback_data",
        "pingback_url",
        "se_domain",
    }
)
#: ... and for an endpoint outside the table (search_by_image, naver ...): the organic set.
_POST_FIELDS = _POST_COMMON | {"device", "os", "depth"}
_URL_MAX = 2048
#: Country codes the vendor no longer serves: every DataForSEO locations page says "All
#: locations in Russia and Belarus are no longer supported across all DataForSEO services"
#: (their names are not in `locations` either, so a name is refused too).
UNSUPPORTED_LOCATION_CODES = frozenset({2643, 2112})


def posts(kind_parts: list[str]) -> bool:
    """Whether ``POST /v3/<kind>/task_post`` exists: an endpoint of the catalogue with a
    documented task_post (or a SERP endpoint the official client does not know)."""
    kind = "/".join(kind_parts)
    index = BY_NAME.get(kind)
    if index is None or CATALOGUE[index].aggregate:
        return False
    return vendor_shapes.post_fields(kind) is not None or kind_parts[0] == "serp"


#: Result flavours of an endpoint the official client does not know (the SERP three).
_LEGACY_FLAVOURS = frozenset({"regular", "advanced", "html"})


def offered_flavours(kind: str) -> frozenset[str]:
    """The task_get flavours ``kind`` has: those the official client offers for it."""
    known = vendor_shapes.flavours(kind)
    if known is not None:
        return known
    return _LEGACY_FLAVOURS if kind.startswith("serp/") else frozenset({""})


def collect_route(parts: list[str]) -> tuple[str, str] | None:
    """``(kind, flavour)`` of a task_get (or On-Page summary) path, or None: not found.

    Only the flavours the vendor offers for the endpoint exist (``""`` is a plain
    ``task_get/<id>``); any other flavour is the vendor's 404.
    """
    if parts[1:3] == ["on_page", "summary"] and len(parts) == 4:
        return "on_page", "summary"
    if "task_get" not in parts:
        return None
    at = parts.index("task_get")
    kind = "/".join(parts[1:at])
    rest = parts[at + 1 :]
    if kind not in BY_NAME or len(rest) not in (1, 2):
        return None
    flavour = rest[0] if len(rest) == 2 else ""
    return (kind, flavour) if flavour in offered_flavours(kind) else None


def keyword_of(item: Mapping[str, Any]) -> str:
    """What the task is about, decoded as the vendor decodes ``keyword`` (%## and '+')."""
    keyword = item.get("keyword")
    if isinstance(keyword, str):
        return unquote_plus(keyword)
    for name in ("keywords", "targets"):
        value = item.get(name)
        if isinstance(value, list) and value and isinstance(value[0], str):
            return value[0]
    for name in ("target", "url", "app_id", "asin", "product_id", "video_id", "dataset_id"):
        value = item.get(name)
        if isinstance(value, str):
            return value
    return "task"


def location_of(item: Mapping[str, Any]) -> int | None:
    """The location *code* of a posted task (a name is answered with its code)."""
    code = _code(item.get("location_code"))
    return _given_or_named(code, item.get("location_name"), locations.location_by_name)


def _code(value: object) -> int | None:
    """A location code: an integer, or (Google Trends' request model types it as a
    string) a string of ASCII digits; None for anything else."""
    if type(value) is int:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 10:
        return int(value)
    return None


def language_of(item: Mapping[str, Any]) -> str | None:
    """The language *code* of a posted task (a name is answered with its ISO code)."""
    code = item.get("language_code")
    given = code if isinstance(code, str) else None
    return _given_or_named(given, item.get("language_name"), locations.language_by_name)


class _Coded(Protocol[_C]):
    """A known place or language: what a name is answered with is its ``code``."""

    @property
    def code(self) -> _C: ...


def _given_or_named(
    code: _C | None, name: object, by_name: Callable[[str], _Coded[_C] | None]
) -> _C | None:
    """The code a task gives, else the code of the known place or language it names
    (the vendor answers a name with its code); None when neither is known."""
    if code is not None:
        return code
    found = by_name(name) if isinstance(name, str) else None
    return None if found is None else found.code


def check_post(
    item: object,
    serp: serp_types.SerpType | None,
    documented: Mapping[str, tuple[str, bool]] | None,
    *,
    kind: str | None = None,
) -> tuple[int, str] | None:
    """The vendor's per-task validation of one task_post item (None: accepted).

    ``documented`` is the endpoint's row of `vendor_shapes` (every documented field, its
    type, whether it is required); ``serp`` the endpoint's row of
    `serp_types.SERP_TYPES` (devices, depth limits and field, postback flavours) where the
    provider can post to it. Without a documented row (an endpoint the official client
    does not know) the organic set of fields is allowed. null values were dropped before:
    null is "not set".

    The fields the vendor's pages document beyond the client's model
    (`documented_fields`) are accepted too, with their types and allowed values: the pages
    are newer than the client. ``kind`` names the endpoint; when not given it is found from
    ``serp`` and ``documented`` (`documented_fields.kind_of`).
    """
    if not isinstance(item, dict):
        return 40503, "POST Data Is Invalid."
    kind = kind or documented_fields.kind_of(serp, documented)
    extras = documented_fields.extra_fields(kind) if kind is not None else {}
    if extras:
        documented = {
            **(documented or {}),
            **{name: (f.json_type, f.required) for name, f in extras.items()},
        }
    if documented is not None:
        allowed: frozenset[str] | set[str] = set(documented)
    elif serp is not None:
        allowed = _POST_COMMON | ({"device", "os"} if serp.device_field else set())
        if serp.depth_field is not None:
            allowed = allowed | {serp.depth_field}
    else:
        allowed = _POST_FIELDS
    unknown = sorted(set(item) - allowed)
    if unknown:
        return 40506, f"Unknown Fields in POST Data: {', '.join(unknown)}."
    for name, (json_type, required) in (documented or {}).items():
        if name in item and not vendor_shapes.matches(item[name], json_type):
            return 40501, f"Invalid Field: '{name}'."
        if required and name not in item:
            return 40501, f"Invalid Field: '{name}'."
    for name, extra in extras.items():
        if name in item and extra.allowed is not None and item[name] not in extra.allowed:
            return 40501, f"Invalid Field: '{name}'."
    fields = set(documented) if documented is not None else set(allowed)
    if "keyword" in item or (documented is None and "keyword" in fields):
        keyword = item.get("keyword")
        if not isinstance(keyword, str) or not keyword.strip() or len(keyword) > 700:
            return 40501, "Invalid Field: 'keyword'."
    problem = _check_place(item, serp, fields)
    if problem is not None:
        return problem
    if serp is not None or documented is None:
        device = item.get("device", "desktop")
        devices = serp.devices if serp is not None else ("desktop", "mobile", "tablet")
        if device not in devices:
            return 40501, "Invalid Field: 'device'."
        depth_field = serp.depth_field if serp is not None else "depth"
        if depth_field is not None and depth_field in item:
            depth = item[depth_field]
            most = serp.depths[device].most if serp is not None else 700
            if type(depth) is not int or not 1 <= depth <= most:
                return 40501, f"Invalid Field: '{depth_field}'."
    if item.get("priority", 1) not in (1, 2) or type(item.get("priority", 1)) is not int:
        return 40501, "Invalid Field: 'priority'."
    tag = item.get("tag")
    if tag is not None and (not isinstance(tag, str) or len(tag) > 255):
        return 40501, "Invalid Field: 'tag'."
    for field in ("pingback_url", "postback_url"):
        if field in item and not _callback_url(item[field]):
            return 40501, f"Invalid Field: '{field}'."
    # postback_data names the flavour a postback carries, where the endpoint has flavours
    # (Keywords Data, Business Data, LLM responses document no such field: one result).
    if "postback_url" in item and (documented is None or "postback_data" in documented):
        flavours = serp.postback_data if serp is not None else serp_types.ALL_FLAVOURS
        if item.get("postback_data") not in flavours:
            return 40501, "Invalid Field: 'postback_data'."
    return None


def _check_place(
    item: Mapping[str, Any], serp: serp_types.SerpType | None, fields: set[str]
) -> tuple[int, str] | None:
    """Location and language, where the endpoint has them.

    One of ``location_code`` / ``location_name`` / ``location_coordinate`` is needed
    ("required field if you don't specify" the others); the vendor's pages say a caller
    "doesn't need to" send more than one, not that more is refused, so several are
    accepted: the code wins, then the name, then the coordinate, and a code and a name
    must agree (below). The same for the language.

    A name must be one the vendor lists (`locations`: every country, capitals and largest
    cities, every language); a code and a name sent together must name the same place (or
    language), else 40501 names the name. A code alone is any positive code (the vendor
    knows 266,897 places, the bundled list a few thousand), except the countries the vendor
    no longer serves.
    """
    ways = [f for f in ("location_code", "location_name", "location_coordinate") if f in fields]
    if ways and not any(f in item for f in ways) and serp is not None:
        return 40501, "Invalid Field: 'location_name'."
    code, name = _code(item.get("location_code")), item.get("location_name")
    if "location_code" in item and (code is None or code < 1 or code in UNSUPPORTED_LOCATION_CODES):
        return 40501, "Invalid Field: 'location_code'."
    if name is not None:
        place = locations.location_by_name(name) if isinstance(name, str) else None
        if place is None or (code is not None and place.code != code):
            return 40501, "Invalid Field: 'location_name'."
    coordinate = item.get("location_coordinate")
    if coordinate is not None and not _coordinate(coordinate):
        return 40501, "Invalid Field: 'location_coordinate'."
    tongue, tongue_name = item.get("language_code"), item.get("language_name")
    languages = [f for f in ("language_code", "language_name") if f in fields]
    required = serp is not None and serp.language_required
    if languages and required and tongue is None and tongue_name is None:
        return 40501, "Invalid Field: 'language_name'."
    if tongue is not None and (
        not isinstance(tongue, str) or locations.language_by_code(tongue) is None
    ):  # a code of the vendor's list, in any case
        return 40501, "Invalid Field: 'language_code'."
    if tongue_name is not None:
        language = locations.language_by_name(tongue_name) if isinstance(tongue_name, str) else None
        if language is None or (
            isinstance(tongue, str) and language.code.casefold() != tongue.casefold()
        ):
            return 40501, "Invalid Field: 'language_name'."
        tongue = language.code
    one_language = serp is not None and serp.languages  # an engine of one (Seznam: cs)
    if one_language and isinstance(tongue, str) and tongue.casefold() not in one_language:
        named = "language_code" if "language_code" in item else "language_name"
        return 40501, f"Invalid Field: '{named}'."
    return None


def _coordinate(value: object) -> bool:
    """``latitude,longitude[,radius|zoom]`` as the vendor documents it."""
    if not isinstance(value, str):
        return False
    parts = value.split(",")
    if len(parts) not in (2, 3):
        return False
    try:
        lat, lon = float(parts[0]), float(parts[1])
        if len(parts) == 3:
            float(parts[2].rstrip("mz"))
    except ValueError:
        return False
    return -90 <= lat <= 90 and -180 <= lon <= 180


def _callback_url(value: object) -> bool:
    """An absolute http(s) URL of sane length (what the vendor can call)."""
    if not isinstance(value, str) or not 0 < len(value) <= _URL_MAX:
        return False
    try:
        split = urlsplit(value)
    except ValueError:
        return False
    return split.scheme in ("http", "https") and bool(split.hostname)


def parse_when(value: object) -> datetime | None:
    """A request datetime (``yyyy-mm-dd hh:mm:ss +00:00``), or None when malformed."""
    if not isinstance(value, str) or len(value) < 19 or value[10] != " ":
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


#: id_list: the most ids a call returns, the fields it takes, how far ahead it may ask.
CAP = 1000
_ID_LIST_FIELDS = frozenset(
    {"datetime_from", "datetime_to", "limit", "offset", "sort", "include_metadata"}
)
_FUTURE_SLACK = timedelta(seconds=60)


def check_id_list(params: Mapping[str, Any], now: datetime) -> tuple[int, str] | None:
    """The vendor's (code, message) for an id_list call it refuses at ``now``, else None."""
    unknown = sorted(set(params) - _ID_LIST_FIELDS)
    if unknown:
        return 40506, f"Unknown Fields in POST Data: {', '.join(unknown)}."
    metadata = params.get("include_metadata", False)
    if not isinstance(metadata, bool):
        return 40501, "Invalid Field: 'include_metadata'."
    start = parse_when(params.get("datetime_from"))
    if start is None:
        return 40501, "Invalid Field: 'datetime_from'."
    end = parse_when(params.get("datetime_to"))
    if end is None:
        return 40501, "Invalid Field: 'datetime_to'."
    keep = METADATA_KEEP if metadata else HISTORY_KEEP
    if start < now - keep or start > now + _FUTURE_SLACK:
        return 40501, "Invalid Field: 'datetime_from'. Out of the allowed date range."
    if end > now + _FUTURE_SLACK:
        return 40501, "Invalid Field: 'datetime_to'. Out of the allowed date range."
    if end <= start:
        return 40501, "Invalid Field: 'datetime_to'. Must be greater than 'datetime_from'."
    limit = params.get("limit", CAP)
    if type(limit) is not int or not 1 <= limit <= CAP:
        return 40501, "Invalid Field: 'limit'."
    offset = params.get("offset", 0)
    if type(offset) is not int or not 0 <= offset <= 100_000_000:
        return 40501, "Invalid Field: 'offset'."
    if params.get("sort", "asc") not in ("asc", "desc"):
        return 40501, "Invalid Field: 'sort'."
    return None
