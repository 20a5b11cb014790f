"""The catalogue: which DataForSEO endpoints list tasks, as one table of data.

Why a table and not code: the vendor adds endpoints often, and the same facts are
needed by the provider (which ``tasks_ready`` to call, how to build a ``task_get``
path, how to name a task's ``kind``), by the emulator (which kinds to generate and
which endpoint lists which) and by cursor validation (an index in a cursor must name
an endpoint of this table, so an edited cursor cannot point anywhere else).

Facts from the vendor's generated client (v2.1.5) and docs, see
``docs/vendors/dataforseo.md``. One assumption is made explicit here: a
family-level ``tasks_ready`` (``/v3/serp/tasks_ready``) lists the tasks of every
endpoint of that family (its items carry ``se``/``se_type`` for that reason), so a
selection never calls both it and one of its engine endpoints.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import attrs

__all__ = [
    "CATALOGUE",
    "DEFAULT_FAMILIES",
    "HISTORY_DEFAULT_FAMILIES",
    "ID_LIST_FAMILIES",
    "READY_FAMILIES",
    "READY_OPT_IN",
    "Endpoint",
    "HistoryFamily",
    "default_families",
    "is_token",
    "kind_from_url",
    "resolve_history",
    "resolve_ready",
]

_TOKEN = re.compile(r"[a-z0-9_]{1,48}\Z")


def is_token(value: object) -> bool:
    """A lower-case path segment (``google``, ``search_volume``): safe inside a URL path."""
    return isinstance(value, str) and _TOKEN.match(value) is not None


@attrs.frozen(slots=True)
class Endpoint:
    """One ``GET /v3/<name>/tasks_ready`` endpoint.

    ``shape`` names the set of result-item fields (see `SHAPES`). ``aggregate``: a
    family-level list covering every engine endpoint of the family (the kind then comes
    from the item's ``se``/``se_type``). ``flavour`` is the ``task_get`` result flavour
    put before the id when a collect path must be built (``None``: plain ``task_get/<id>``;
    ``"summary"``: On-Page's ``/v3/on_page/summary/<id>``).
    """

    name: str
    shape: str
    aggregate: bool = False
    default: bool = False
    flavour: str | None = "advanced"

    @property
    def family(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def path(self) -> str:
        return f"/v3/{self.name}/tasks_ready"

    def covers(self, kind: str) -> bool:
        """Whether a task of ``kind`` is listed by this endpoint."""
        if kind == self.name:
            return True
        return self.aggregate and kind.startswith(self.name + "/")


#: Result-item fields per shape (all strings or null on the wire).
SHAPES: dict[str, tuple[str, ...]] = {
    "serp": (
        "id",
        "se",
        "se_type",
        "date_posted",
        "tag",
        "endpoint_regular",
        "endpoint_advanced",
        "endpoint_html",
    ),
    "keywords": ("id", "se", "se_type", "date_posted", "tag", "endpoint"),
    "keywords_fn": ("id", "se", "se_type", "date_posted", "tag", "endpoint", "function"),
    "merchant": ("id", "se", "se_type", "date_posted", "tag", "endpoint_advanced", "endpoint_html"),
    "scraper_fn": (
        "id",
        "se",
        "function",
        "date_posted",
        "tag",
        "endpoint_advanced",
        "endpoint_html",
    ),
    "on_page": ("id", "target", "date_posted", "tag"),
    "lighthouse": ("id", "tag", "endpoint_json"),
}


def _many(
    prefix: str,
    names: Iterable[str],
    shape: str,
    *,
    default: bool = False,
    flavour: str | None = "advanced",
) -> list[Endpoint]:
    return [Endpoint(f"{prefix}/{n}", shape, default=default, flavour=flavour) for n in names]


_SERP_GOOGLE = (
    "organic",
    "ai_mode",
    "maps",
    "local_finder",
    "news",
    "images",
    "search_by_image",
    "jobs",
    "autocomplete",
    "dataset_search",
    "dataset_info",
    "ads_advertisers",
    "ads_search",
    "finance_explore",
    "finance_markets",
    "finance_quote",
    "finance_ticker_search",
)
_BUSINESS_GOOGLE = (
    "my_business_info",
    "my_business_updates",
    "hotel_searches",
    "hotel_info",
    "reviews",
    "extended_reviews",
    "questions_and_answers",
)
_APP = ("app_searches", "app_list", "app_info", "app_reviews")

#: Endpoints the vendor retired, and when: a selector naming one is refused with this
#: text; a cursor naming one fails its name check (`CursorError`), never misread.
RETIRED: dict[str, str] = {
    "serp/google/events": "the vendor retired the Google Events SERP API on 2026-09-15",
}

#: Every ``tasks_ready`` endpoint. Order is the listing order; append, never reorder
#: (cursor positions hold indexes into the resolved selection, checked by name too, so a
#: retired endpoint's removal makes an old cursor fail clearly rather than shift).
CATALOGUE: tuple[Endpoint, ...] = (
    Endpoint("serp", "serp", aggregate=True, default=True),
    *_many("serp/google", _SERP_GOOGLE, "serp"),
    Endpoint("serp/bing/organic", "serp"),
    *_many("serp/youtube", ("organic", "video_info", "video_subtitles", "video_comments"), "serp"),
    *(Endpoint(f"serp/{se}/organic", "serp") for se in ("yahoo", "baidu", "naver", "seznam")),
    Endpoint("serp/yandex/organic", "serp"),
    *_many(
        "keywords_data/google_ads",
        ("search_volume", "keywords_for_site", "keywords_for_keywords", "ad_traffic_by_keywords"),
        "keywords",
        default=True,
        flavour=None,
    ),
    Endpoint("keywords_data/google_trends/explore", "keywords", default=True, flavour=None),
    *_many(
        "keywords_data/bing",
        ("search_volume_history", "audience_estimation"),
        "keywords",
        default=True,
        flavour=None,
    ),
    *_many(
        "keywords_data/bing",
        ("search_volume", "keywords_for_site", "keywords_for_keywords", "keyword_performance"),
        "keywords_fn",
        default=True,
        flavour=None,
    ),
    Endpoint("on_page", "on_page", default=True, flavour="summary"),
    Endpoint("on_page/lighthouse", "lighthouse", default=True, flavour="json"),
    Endpoint("merchant", "merchant", aggregate=True, default=True),
    *_many("merchant/amazon", ("products", "asin", "sellers"), "merchant"),
    *_many("merchant/google", ("products", "sellers", "product_info"), "merchant"),
    Endpoint("business_data", "keywords", aggregate=True, default=True, flavour=None),
    *_many("business_data/google", _BUSINESS_GOOGLE[:3], "keywords", flavour=None),
    # Hotel Info is collected with task_get/advanced or /html (the official client), not a
    # plain task_get/<id> like the rest of Business Data.
    Endpoint("business_data/google/hotel_info", "keywords"),
    *_many("business_data/google", _BUSINESS_GOOGLE[4:], "keywords", flavour=None),
    *_many("business_data/tripadvisor", ("search", "reviews"), "keywords", flavour=None),
    *_many("business_data/trustpilot", ("search", "reviews"), "keywords", flavour=None),
    Endpoint("app_data", "merchant", aggregate=True, default=True),
    *_many("app_data/google", _APP, "merchant"),
    *_many("app_data/apple", _APP, "merchant"),
    Endpoint("ai_optimization/chat_gpt/llm_responses", "keywords", default=True, flavour=None),
    Endpoint("ai_optimization/chat_gpt/llm_scraper", "scraper_fn", default=True),
    Endpoint("ai_optimization/claude/llm_responses", "keywords", default=True, flavour=None),
    Endpoint("ai_optimization/gemini/llm_responses", "keywords", default=True, flavour=None),
    Endpoint("ai_optimization/gemini/llm_scraper", "scraper_fn", default=True),
)

BY_NAME: dict[str, int] = {ep.name: i for i, ep in enumerate(CATALOGUE)}

#: APIs with ``POST /v3/<family>/id_list`` (the last four are live-only: no tasks_ready).
ID_LIST_FAMILIES: tuple[str, ...] = (
    "serp",
    "keywords_data",
    "on_page",
    "merchant",
    "business_data",
    "app_data",
    "ai_optimization",
    "dataforseo_labs",
    "backlinks",
    "domain_analytics",
    "content_analysis",
)

#: id_list families that the vendor's documented id_list list (and its official client)
#: do not include, though the API family exists and has tasks_ready. They stay in the
#: default listing, but where the vendor answers "not found" for one of them, a
#: listing that did not name it skips it with a page note instead of failing.
UNDOCUMENTED_ID_LIST: frozenset[str] = frozenset({"ai_optimization"})

#: Every API that has ``tasks_ready`` (derived from the catalogue).
READY_FAMILIES: tuple[str, ...] = tuple(
    f for f in ID_LIST_FAMILIES if any(ep.family == f for ep in CATALOGUE)
)

#: The live-only APIs (Labs, Backlinks, Domain Analytics, Content Analysis): listed by
#: ``id_list``, answered live, with no ``task_get`` to fetch a result again.
LIVE_ONLY_FAMILIES: frozenset[str] = frozenset(ID_LIST_FAMILIES) - frozenset(READY_FAMILIES)

#: ``tasks_ready`` families listed only when named. AI Optimization has no family-level
#: ``tasks_ready``: its five engine endpoints are five calls, and with them a default
#: pass is 21 calls against the vendor's 20 ``tasks_ready`` calls a minute, so every
#: default listing would stall about a minute. Without them a pass is 16 calls and fits
#: one window, with room for the extra rounds of capped lists. Name it to list it
#: (``families=...,ai_optimization``); its history (``source=history``) is listed by default.
READY_OPT_IN: frozenset[str] = frozenset({"ai_optimization"})

#: What ``families`` means for ``source=ready`` when not set: every API that has
#: ``tasks_ready`` but those in `READY_OPT_IN` (a family added to the catalogue is
#: listed by default too).
DEFAULT_FAMILIES: tuple[str, ...] = tuple(f for f in READY_FAMILIES if f not in READY_OPT_IN)

#: What ``families`` means for ``source=history`` when not set: every ``id_list``
#: family. Labs, Backlinks, Domain Analytics and Content Analysis are live-only APIs
#: with no ``tasks_ready``: their ``id_list`` is the only list of their tasks there is,
#: so a history listing that left them out would miss them without a word. The cost:
#: one full pass is at least one call per family, 11 calls at the vendor's 10 a minute.
HISTORY_DEFAULT_FAMILIES: tuple[str, ...] = ID_LIST_FAMILIES


def default_families(source: str) -> tuple[str, ...]:
    """The families a listing of ``source`` (``ready`` or ``history``) covers by default."""
    return HISTORY_DEFAULT_FAMILIES if source == "history" else DEFAULT_FAMILIES


def _check_selector(selector: object) -> str:
    if not isinstance(selector, str) or not selector:
        raise ValueError(f"family selector must be a non-empty string, got {selector!r}")
    parts = selector.strip("/").split("/")
    retired = RETIRED.get("/".join(parts))
    if retired is not None:
        raise ValueError(f"{selector!r}: {retired}")
    if len(parts) > 4 or not all(is_token(p) for p in parts):
        raise ValueError(
            f"family selector {selector!r} must look like 'serp' or 'serp/google/organic'"
        )
    return "/".join(parts)


def resolve_ready(selectors: Sequence[str]) -> tuple[int, ...]:
    """Catalogue indexes to call for ``selectors`` (family names or endpoint paths).

    A family with a family-level endpoint selects just that one (it lists them all);
    an endpoint covered by another selected endpoint is dropped, so no task is listed
    twice. Raises ValueError naming what is unknown.
    """
    chosen: set[int] = set()
    for raw in selectors:
        selector = _check_selector(raw)
        exact = BY_NAME.get(selector)
        if exact is not None:
            chosen.add(exact)
            continue
        prefix = selector + "/"
        matches = [i for i, ep in enumerate(CATALOGUE) if ep.name.startswith(prefix)]
        if not matches:
            if selector.split("/")[0] in ID_LIST_FAMILIES:
                raise ValueError(
                    f"{selector!r} has no tasks_ready endpoint (a live-only API): "
                    "use source=history"
                )
            raise ValueError(f"unknown DataForSEO family or endpoint {selector!r}")
        chosen.update(matches)
    aggregates = [CATALOGUE[i] for i in chosen if CATALOGUE[i].aggregate]
    kept = [
        i
        for i in sorted(chosen)
        if not any(agg is not CATALOGUE[i] and agg.covers(CATALOGUE[i].name) for agg in aggregates)
    ]
    return tuple(kept)


@attrs.frozen(slots=True, cache_hash=True)
class HistoryFamily:
    """One ``id_list`` call target and the kinds wanted from it (empty: all of them)."""

    family: str
    prefixes: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return f"/v3/{self.family}/id_list"

    def wants(self, kind: str | None) -> bool:
        if not self.prefixes:
            return True
        if kind is None:
            return False
        return any(kind == p or kind.startswith(p + "/") for p in self.prefixes)


def resolve_history(selectors: Sequence[str]) -> tuple[HistoryFamily, ...]:
    """The ``id_list`` families for ``selectors``, in `ID_LIST_FAMILIES` order."""
    wanted: dict[str, set[str] | None] = {}
    for raw in selectors:
        selector = _check_selector(raw)
        family, _, rest = selector.partition("/")
        if family not in ID_LIST_FAMILIES:
            raise ValueError(f"unknown DataForSEO family {family!r} (no id_list endpoint)")
        if not rest:
            wanted[family] = None
        elif family not in wanted:
            wanted[family] = {selector}
        else:
            current = wanted[family]
            if current is not None:
                current.add(selector)
    return tuple(
        HistoryFamily(f, () if wanted[f] is None else tuple(sorted(wanted[f] or ())))
        for f in ID_LIST_FAMILIES
        if f in wanted
    )


_FUNCTIONS = frozenset(
    {"task_post", "task_get", "tasks_ready", "live", "regular", "advanced", "html", "json"}
)


def kind_from_url(url: object) -> str | None:
    """``serp/google/organic`` from the ``url`` of an id_list item.

    The vendor's documents show that ``url`` in three forms, all read the same: an
    absolute URL (``https://api.dataforseo.com/v3/serp/google/organic/task_post``), a
    rooted path (``/v3/serp/google/organic/task_post``) and a bare path
    (``v3/serp/google/organic/task_post``, as the id_list examples print it). The kind
    is the run of path segments after ``v3`` up to the first function name
    (``task_post``, ``live``...) or anything that is not a plain lower-case token.
    """
    if not isinstance(url, str):
        return None
    text = url.strip().split("?", 1)[0].split("#", 1)[0]
    scheme, sep, rest = text.partition("://")
    if sep:
        if not scheme.isalpha():
            return None
        text = rest.partition("/")[2]  # drop the host
    segments = text.strip("/").split("/")
    if len(segments) < 2 or segments[0] != "v3":
        return None
    parts: list[str] = []
    for segment in segments[1:]:
        if segment in _FUNCTIONS or not is_token(segment):
            break
        parts.append(segment)
    return "/".join(parts) or None


def _agreed(pairs: Iterable[tuple[str, str | None]]) -> dict[str, str | None]:
    """The flavour each key's endpoints all share (a key whose endpoints differ: left out)."""
    seen: dict[str, set[str | None]] = {}
    for key, flavour in pairs:
        seen.setdefault(key, set()).add(flavour)
    return {key: flavours.pop() for key, flavours in seen.items() if len(flavours) == 1}


#: A kind the catalogue does not list (an id_list task of an API without tasks_ready, a
#: newer engine) is collected as its family's endpoints of the same function are
#: (``ai_optimization/perplexity/llm_responses`` as the other ``llm_responses``), else as
#: all of its family's are (Keywords Data and Business Data: a plain ``task_get/<id>``).
_BY_FUNCTION = _agreed(
    (f"{ep.family}/{ep.name.rsplit('/', 1)[-1]}", ep.flavour) for ep in CATALOGUE if "/" in ep.name
)
_BY_FAMILY = _agreed((ep.family, ep.flavour) for ep in CATALOGUE)


def flavour_for(kind: str) -> str | None:
    """The ``task_get`` flavour of the catalogue endpoint that lists ``kind``.

    A kind not in the catalogue takes the flavour its family's endpoints of the same
    function share, else its family's own endpoint's, else the one all its family's
    endpoints share (see `_BY_FUNCTION`); ``advanced`` where nothing says otherwise, the
    flavour every API with flavours serves.
    """
    index = BY_NAME.get(kind)
    if index is not None:
        return CATALOGUE[index].flavour
    family, _, rest = kind.partition("/")
    function = f"{family}/{rest.rsplit('/', 1)[-1]}"
    if rest and function in _BY_FUNCTION:
        return _BY_FUNCTION[function]
    index = BY_NAME.get(family)
    if index is not None:
        return CATALOGUE[index].flavour
    return _BY_FAMILY.get(family, "advanced")
