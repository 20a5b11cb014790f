"""What a posted task's answer must hold beyond its types: the vendor's documented values.

The official models prove that an answer *parses*; they cannot tell an empty shell, a
competition of ``"competition-29"`` or an index of 419 on a 0-100 scale from a real
answer. These checks read the answer as JSON (the official models have already parsed
it) against what the vendor documents, each rule taken from the official model's field
description (quoted where it is used) or the vendor's page:

* every posted task: ``data.function`` is ``task_get`` (``live`` for a live call) and
  every field posted (not null) comes back in ``data`` as posted - names kept, lists as
  lists ("contains the same parameters that you specified in the POST request");
* SERP Google organic / maps / news and Bing organic: one result per task, items non
  empty and counted, ``rank_absolute`` 1..N and ``rank_group`` 1..k per element type,
  no more results of the endpoint's own type than the posted ``depth`` (or the documented
  default), urls and domains that parse (a domain is its url's host), a ``check_url``
  that parses, ``device`` and ``os`` echoed, keyword and codes as posted;
* Keywords Data search volume (Google Ads, Bing): one result per keyword posted
  ("the keywords you specify will be converted to a lowercase format"), Google Ads
  ``competition`` in ``HIGH``/``MEDIUM``/``LOW`` and ``competition_index`` 0..100, Bing
  ``competition`` one of ``0.1``/``0.5``/``0.9``, Bing ``device`` as posted (default
  ``all``), ``search_partners`` as posted (default false), months that exist;
* On-Page summary: ``max_crawl_pages`` as posted and never more pages crawled than that,
  ``crawl_progress`` and ``crawl_stop_reason`` among the documented values;
* Labs ranked / related keywords (live): ``competition`` 0..1 with a ``competition_level``
  in ``LOW``/``MEDIUM``/``HIGH``, ``keyword_difficulty`` 0..100, no more items than the
  posted ``limit``, related keywords no deeper than the posted ``depth``, ranked keywords'
  SERP elements on the posted target.

Each rule is one `Check`; the suite counts them ("value checks passed n/n").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus, urlsplit

__all__ = [
    "DEFAULT_DEPTH",
    "LABS_LIVE",
    "VALUE_KINDS",
    "Check",
    "check",
    "echo_checks",
    "labs_checks",
    "result_checks",
]


@dataclass(frozen=True)
class Check:
    """One documented rule applied to one answer: its name, whether it held, and why not."""

    name: str
    ok: bool
    detail: str = ""


#: Per SERP endpoint whose content is checked (docs/vendor-truth.md): the element type its ``depth`` counts.
SERP_RANKED: dict[str, str] = {
    "serp/google/organic": "organic",
    "serp/bing/organic": "organic",
    "serp/google/maps": "maps_search",
    "serp/google/news": "news_search",
}
KEYWORDS_VOLUME = frozenset(
    {"keywords_data/google_ads/search_volume", "keywords_data/bing/search_volume"}
)
#: The families whose values are checked beyond the echo (the families people use most, docs/vendor-truth.md).
VALUE_KINDS = frozenset({*SERP_RANKED, *KEYWORDS_VOLUME, "on_page"})
#: The Labs live endpoints of item 5 (no task_post: the answer carries the result).
LABS_LIVE = ("dataforseo_labs/google/ranked_keywords", "dataforseo_labs/google/related_keywords")
#: ``depth`` when none is posted: "default value: `10`" (organic, news), "`100`" (maps).
DEFAULT_DEPTH = {"serp/google/organic": 10, "serp/bing/organic": 10, "serp/google/news": 10}
DEFAULT_DEPTH["serp/google/maps"] = 100
#: "return results for a specific device type ... default value: `desktop`"; "if you
#: specify `desktop` ... default value: `windows` ... `mobile` ... default value: `android`".
DEFAULT_OS = {"desktop": "windows", "mobile": "android"}
_LEVELS = frozenset({"HIGH", "MEDIUM", "LOW"})
#: Bing: "Possible values: `0.1`, `0.5`,`0.9`" (low, medium, high competition).
_BING_COMPETITION = frozenset({0.1, 0.5, 0.9})
_CRAWL_PROGRESS = frozenset({"in_progress", "finished"})
_STOP_REASONS = frozenset(
    {"limit_exceeded", "empty_queue", "force_stopped", "unexpected_exception"}
)
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
#: Location and language names the contract suite posts, by the code the vendor lists.
_CODES = {"United States": 2840, "English": "en", "Czech": "cs"}


# -- small readers ------------------------------------------------------------------------


def host_parses(host: object) -> bool:
    """A DNS host name: two or more labels of letters, digits and inner hyphens."""
    if not isinstance(host, str) or not 3 <= len(host) <= 253:
        return False
    labels = host.lower().split(".")
    return len(labels) >= 2 and all(_LABEL.match(label) for label in labels)


def url_parses(url: object) -> bool:
    """An absolute http(s) URL with a host that parses and no raw whitespace."""
    if not isinstance(url, str) or any(c.isspace() for c in url):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and host_parses(parts.hostname)


def check(name: str, problems: Iterable[str]) -> Check:
    found = list(problems)
    return Check(name, not found, "; ".join(found[:3]) + (" ..." if len(found) > 3 else ""))


def _in_range(value: object, low: float, high: float) -> bool:
    if value is None:
        return True
    return isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high


def posted_code(posted: Mapping[str, Any], field: str) -> Any:
    """The location or language code a posted task names (by code or by name), or None."""
    code = posted.get(f"{field}_code")
    if code is not None:
        return int(code) if field == "location" and isinstance(code, str) else code
    return _CODES.get(posted.get(f"{field}_name", ""))


# -- every posted task --------------------------------------------------------------------


def echo_checks(task: Mapping[str, Any], posted: Mapping[str, Any], function: str) -> list[Check]:
    """``data`` names the call and holds every posted field as posted.

    ``function`` is what ``data.function`` must say (``task_get``, ``live``), or ``""``
    where the vendor's pages show no example to hold it to (On-Page ``summary``).
    """
    data = task.get("data") or {}
    checks = []
    if function:
        checks.append(
            check(
                f"data.function is {function}",
                [] if data.get("function") == function else [f"got {data.get('function')!r}"],
            )
        )
    changed = [
        f"{name}: posted {value!r}, echoed {data.get(name, '<absent>')!r}"
        for name, value in posted.items()
        if data.get(name, _ABSENT) != value
    ]
    checks.append(check("posted fields echoed as posted", changed))
    return checks


_ABSENT = object()


# -- results of the item 5 families -------------------------------------------------------


def result_checks(
    kind: str, flavour: str, task: Mapping[str, Any], posted: Mapping[str, Any]
) -> list[Check]:
    """The documented values of one task_get answer of ``kind``'s family (none for the
    families outside those)."""
    result = task.get("result") or []
    if kind in SERP_RANKED:
        return _serp(kind, flavour, result, task.get("data") or {}, posted)
    if kind in KEYWORDS_VOLUME:
        return _volume(kind, result, posted)
    if kind == "on_page":
        return _on_page(result, posted)
    return []


def _serp(
    kind: str,
    flavour: str,
    result: list[Any],
    data: Mapping[str, Any],
    posted: Mapping[str, Any],
) -> list[Check]:
    checks = [check("one result per task", [] if len(result) == 1 else [f"{len(result)}"])]
    device = posted.get("device")
    os = posted.get("os")
    echoed = []
    if device is not None and data.get("device") != device:
        echoed.append(f"device posted {device!r}, echoed {data.get('device')!r}")
    if os is not None and data.get("os") != os:
        echoed.append(f"os posted {os!r}, echoed {data.get('os')!r}")
    if device is None and data.get("device") not in (None, "desktop"):
        echoed.append(f"device defaults to desktop, echoed {data.get('device')!r}")
    if os is None and data.get("os") not in (None, DEFAULT_OS.get(device or "desktop")):
        echoed.append(f"os default for {device or 'desktop'}, echoed {data.get('os')!r}")
    checks.append(check("device and os echoed", echoed))
    if not result:
        return checks
    first = result[0]
    items = first.get("items") or []
    checks.append(
        check(
            "items non-empty and counted",
            []
            if items and first.get("items_count") == len(items)
            else [f"{len(items)} items, items_count {first.get('items_count')}"],
        )
    )
    wanted = {
        "keyword": unquote_plus(posted.get("keyword", "")),
        "location_code": posted_code(posted, "location"),
        "language_code": posted_code(posted, "language"),
    }
    checks.append(
        check(
            "keyword and codes as posted",
            [
                f"{k} {first.get(k)!r}, posted {v!r}"
                for k, v in wanted.items()
                if v is not None and v != "" and first.get(k) != v
            ],
        )
    )
    if flavour == "html":  # raw pages: no ranks, urls or depth to read
        return checks
    checks.append(check("ranks 1..N", _rank_problems(items)))
    own = SERP_RANKED[kind]
    depth = posted.get("depth") or DEFAULT_DEPTH[kind]
    count = sum(1 for item in items if item.get("type") == own)
    checks.append(
        check(
            "depth bounds the items",
            [] if 0 < count <= depth else [f"{count} {own} items for depth {depth}"],
        )
    )
    bad = (
        [f"check_url {first.get('check_url')!r}"] if not url_parses(first.get("check_url")) else []
    )
    for item in items:
        bad.extend(_link_problems(item))
    checks.append(check("urls and domains parse", bad))
    return checks


def _rank_problems(items: list[Mapping[str, Any]]) -> list[str]:
    """``rank_absolute`` runs 1..N over the SERP, ``rank_group`` 1..k within each type."""
    problems = []
    absolute = [item.get("rank_absolute") for item in items]
    if absolute != list(range(1, len(items) + 1)):
        problems.append(f"rank_absolute {absolute[:12]}")
    groups: dict[str, list[Any]] = defaultdict(list)
    for item in items:
        groups[str(item.get("type"))].append(item.get("rank_group"))
    for kind, ranks in groups.items():
        if ranks != list(range(1, len(ranks) + 1)):
            problems.append(f"rank_group of {kind} {ranks[:12]}")
    return problems


def _link_problems(item: Mapping[str, Any]) -> list[str]:
    """An item's ``url`` and ``domain`` parse, and the domain is the url's host."""
    url, domain = item.get("url"), item.get("domain")
    problems = []
    if url is not None and not url_parses(url):
        problems.append(f"url {url!r}")
    if domain is not None and not host_parses(domain):
        problems.append(f"domain {domain!r}")
    if url_parses(url) and host_parses(domain) and urlsplit(url).hostname != domain:
        problems.append(f"domain {domain!r} is not the host of {url!r}")
    return problems


def _volume(kind: str, result: list[Any], posted: Mapping[str, Any]) -> list[Check]:
    keywords = [str(k).lower() for k in posted.get("keywords") or []]
    got = [r.get("keyword") for r in result]
    checks = [
        check(
            "one result per keyword posted",
            [] if sorted(got) == sorted(keywords) else [f"results for {got}, posted {keywords}"],
        )
    ]
    bing = kind.startswith("keywords_data/bing/")
    values = []
    for r in result:
        competition = r.get("competition")
        if bing:
            if competition is not None and competition not in _BING_COMPETITION:
                values.append(f"{r.get('keyword')}: competition {competition!r}")
        else:
            if competition is not None and competition not in _LEVELS:
                values.append(f"{r.get('keyword')}: competition {competition!r}")
            index = r.get("competition_index")
            if not (index is None or (type(index) is int and 0 <= index <= 100)):
                values.append(f"{r.get('keyword')}: competition_index {index!r}")
    checks.append(
        check(
            "competition in its documented values" + ("" if bing else ", competition_index 0..100"),
            values,
        )
    )
    partners = posted.get("search_partners", False)
    codes = [
        ("location_code", posted_code(posted, "location")),
        ("language_code", posted_code(posted, "language")),
    ]
    echoed = [
        f"{r.get('keyword')}: search_partners {r.get('search_partners')!r}"
        for r in result
        if r.get("search_partners") != partners
    ]
    echoed.extend(
        f"{r.get('keyword')}: {name} {r.get(name)!r}, posted {code!r}"
        for r in result
        for name, code in codes
        if code is not None and r.get(name) != code
    )
    if bing:
        device = posted.get("device", "all")
        echoed.extend(
            f"{r.get('keyword')}: device {r.get('device')!r}, posted {device!r}"
            for r in result
            if r.get("device") != device
        )
    checks.append(check("posted options reflected per keyword", echoed))
    months = []
    for r in result:
        if not _in_range(r.get("search_volume"), 0, 1e12) or not _in_range(r.get("cpc"), 0, 1e6):
            months.append(f"{r.get('keyword')}: search_volume/cpc")
        for month in r.get("monthly_searches") or []:
            if not (
                type(month.get("year")) is int
                and 2000 <= month["year"] <= 2100
                and month.get("month") in range(1, 13)
                and _in_range(month.get("search_volume"), 0, 1e12)
            ):
                months.append(f"{r.get('keyword')}: {month}")
    checks.append(check("volumes, cpc and months in range", months))
    return checks


def _on_page(result: list[Any], posted: Mapping[str, Any]) -> list[Check]:
    checks = [check("one result per task", [] if len(result) == 1 else [f"{len(result)}"])]
    if not result:
        return checks
    first = result[0]
    status = first.get("crawl_status") or {}
    limit = posted.get("max_crawl_pages")
    crawled = status.get("pages_crawled")
    pages = []
    if status.get("max_crawl_pages") != limit:
        pages.append(f"max_crawl_pages {status.get('max_crawl_pages')!r}, posted {limit!r}")
    if not (type(crawled) is int and type(limit) is int and 0 <= crawled <= limit):
        pages.append(f"pages_crawled {crawled!r} of {limit!r}")
    if not _in_range(status.get("pages_in_queue"), 0, 1e9):
        pages.append(f"pages_in_queue {status.get('pages_in_queue')!r}")
    checks.append(check("no more pages crawled than max_crawl_pages", pages))
    states = []
    if first.get("crawl_progress") not in _CRAWL_PROGRESS:
        states.append(f"crawl_progress {first.get('crawl_progress')!r}")
    if first.get("crawl_stop_reason") not in (*_STOP_REASONS, None):
        states.append(f"crawl_stop_reason {first.get('crawl_stop_reason')!r}")
    name = (first.get("domain_info") or {}).get("name")
    if not host_parses(name):
        states.append(f"domain_info.name {name!r}")
    checks.append(check("crawl state in its documented values", states))
    return checks


# -- Labs live ----------------------------------------------------------------------------


def labs_checks(kind: str, task: Mapping[str, Any], posted: Mapping[str, Any]) -> list[Check]:
    """The documented values of a Labs ranked / related keywords live answer."""
    result = task.get("result") or []
    checks = [check("one result per task", [] if len(result) == 1 else [f"{len(result)}"])]
    if not result:
        return checks
    first = result[0]
    items = first.get("items") or []
    limit = posted.get("limit", 100)
    checks.append(
        check(
            "items non-empty, counted, within limit",
            []
            if items and first.get("items_count") == len(items) and len(items) <= limit
            else [f"{len(items)} items, items_count {first.get('items_count')}, limit {limit}"],
        )
    )
    subject = "target" if kind.endswith("ranked_keywords") else "seed_keyword"
    wanted = posted.get("target") if subject == "target" else posted.get("keyword")
    codes = {
        subject: wanted,
        "location_code": posted_code(posted, "location"),
        "language_code": posted_code(posted, "language"),
    }
    checks.append(
        check(
            "subject and codes as posted",
            [f"{k} {first.get(k)!r}" for k, v in codes.items() if first.get(k) != v],
        )
    )
    metrics = []
    for item in items:
        data = item.get("keyword_data") or {}
        info = data.get("keyword_info") or {}
        props = data.get("keyword_properties") or {}
        word = data.get("keyword")
        if not _in_range(info.get("competition"), 0, 1):
            metrics.append(f"{word}: competition {info.get('competition')!r}")
        if info.get("competition_level") not in (*_LEVELS, None):
            metrics.append(f"{word}: competition_level {info.get('competition_level')!r}")
        if not _in_range(props.get("keyword_difficulty"), 0, 100):
            metrics.append(f"{word}: keyword_difficulty {props.get('keyword_difficulty')!r}")
        if not _in_range(info.get("search_volume"), 0, 1e12):
            metrics.append(f"{word}: search_volume {info.get('search_volume')!r}")
    checks.append(check("keyword metrics on their documented scales", metrics))
    if subject == "target":
        target = str(posted.get("target"))
        placed = []
        for item in items:
            serp = (item.get("ranked_serp_element") or {}).get("serp_item") or {}
            domain = serp.get("domain")
            if not (
                isinstance(domain, str) and (domain == target or domain.endswith("." + target))
            ):
                placed.append(f"serp_item.domain {domain!r}")
            placed.extend(_link_problems(serp))
            rank = serp.get("rank_group")
            if not (type(rank) is int and rank >= 1):
                placed.append(f"rank_group {rank!r}")
        checks.append(check("ranked SERP elements on the posted target", placed))
    else:
        depth = posted.get("depth", 1)
        deep = [
            f"{(i.get('keyword_data') or {}).get('keyword')}: depth {i.get('depth')!r}"
            for i in items
            if not (type(i.get("depth")) is int and 0 <= i["depth"] <= depth)
        ]
        checks.append(check("related keywords within the posted depth", deep))
    return checks
