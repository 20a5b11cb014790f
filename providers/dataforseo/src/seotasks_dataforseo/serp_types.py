"""Which SERP types DataForSEO's ``task_post`` takes from a `SerpTaskSpec`, as a table of data.

Why a table: the same facts decide what the provider sends (`posting.post_item`) and
what the emulator accepts (`emulator.checks.check_post`), so a spec the client lets through is
one the emulator - and, as far as the sources go, the vendor - accepts, and a refusal
names the same limit on both sides. Per ``(engine, serp_type)``: the devices the endpoint
serves, each device's default depth (the first page, which is also what one billing unit
covers) and its largest accepted depth, the field that carries the depth, whether the
request has a ``device`` field at all, the ``postback_data`` flavours, and whether a
language is required.

Sources (recorded above each row below):

* ``client``: the request models of the vendor's generated Python client,
  github.com/dataforseo/PythonClient, ``dataforseo_client/models/
  serp_<engine>_<type>_task_post_request_info.py`` (their field descriptions are the
  docs' ``task_post`` field tables), at commit 00dfe411 unless another is named;
* ``help:mobile``: help center "Can I get mobile rankings with SERP API?" - mobile for
  Google Organic, Google Maps, Bing Organic, Baidu Organic, Naver Organic; "Yahoo, Bing
  Local Pack, Google News/Images/Search by Image are currently available for desktop only";
* ``help:depth``: help center "Can I get more than 100 results with SERP API?" - 700 is the
  theoretical maximum depth; billing per 10 results for organic Google/Bing/Yahoo/Baidu/
  Seznam, Jobs and Events; per 100 for News, Images, Search by Image; Local Finder 20
  desktop / 10 mobile; Maps 100 desktop / 20 mobile; Dataset Search 20; Naver 15; YouTube 20;
* ``update:local_finder``: vendor update "Desktop Depth Changes in Google Local Finder SERP
  API" (2026-09-25): default depth 10 and maximum 350, the same for desktop and mobile;
* ``update:news``: vendor update "Google News & Bing Local Pack Depth Changes": Google News
  default depth 10 (the first page).

Live endpoints (max depth 200 for organic since 2025-09-29) are not used here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

from .endpoints import RETIRED

__all__ = [
    "NOT_EXPRESSIBLE",
    "SERP_TYPES",
    "Depth",
    "SerpType",
    "depth_problem",
    "device_problem",
    "find",
    "known_types",
    "why_unknown",
]

#: Every result flavour a SERP endpoint can have.
ALL_FLAVOURS = ("regular", "advanced", "html")


@attrs.frozen(slots=True)
class Depth:
    """One device's depth figures: ``default`` results when none is asked (the first page,
    ``None`` where no source gives it) and the ``most`` the vendor accepts."""

    default: int | None
    most: int


def _frozen(depths: Mapping[str, Depth]) -> Mapping[str, Depth]:
    return MappingProxyType(dict(depths))


@attrs.frozen(slots=True, kw_only=True)
class SerpType:
    """What ``POST /v3/serp/<engine>/<serp_type>/task_post`` takes, as far as a spec goes.

    ``depths`` maps each device the endpoint serves to its `Depth`; ``depth_field`` is the
    request field that carries a depth (``None``: the endpoint takes none);
    ``device_field`` whether the request has a ``device`` field (desktop-only endpoints
    without one get nothing); ``postback_data`` the flavours a postback can carry.
    """

    engine: str
    serp_type: str
    depths: Mapping[str, Depth] = attrs.field(converter=_frozen)
    depth_field: str | None = "depth"
    device_field: bool = True
    postback_data: tuple[str, ...] = ALL_FLAVOURS
    language_required: bool = True
    #: The only language codes the engine takes (lower case); empty: any the vendor lists.
    languages: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return f"serp/{self.engine}/{self.serp_type}"

    @property
    def devices(self) -> tuple[str, ...]:
        return tuple(self.depths)

    @property
    def default_postback_data(self) -> str:
        """``advanced`` where offered (the structured result), else the first flavour."""
        return "advanced" if "advanced" in self.postback_data else self.postback_data[0]


def _both(default: int, most: int, mobile_default: int | None = None) -> dict[str, Depth]:
    return {
        "desktop": Depth(default, most),
        "mobile": Depth(default if mobile_default is None else mobile_default, most),
    }


def _desktop(default: int | None, most: int) -> dict[str, Depth]:
    return {"desktop": Depth(default, most)}


def _row(kind: str, depths: Mapping[str, Depth], **differs: Any) -> SerpType:
    """One row of the table: ``kind`` is ``engine/serp_type``; ``differs``, what is not
    the usual (a ``depth`` field, a ``device`` field, every postback flavour, a language)."""
    engine, serp_type = kind.split("/")
    return SerpType(engine=engine, serp_type=serp_type, depths=depths, **differs)


def _no_depth(*devices: str) -> dict[str, Depth]:
    """Devices of an endpoint without a depth field (``depth_field=None``)."""
    return {device: Depth(None, 0) for device in devices}


_ROWS = (
    # client (default 10, max 700, desktop/mobile, postback regular/advanced/html);
    # help:mobile; help:depth (per 10)
    _row("google/organic", _both(10, 700)),
    # client (default 100, max 700, 'for mobile device, only 20 results are returned for
    # every SERP', postback advanced); help:mobile; help:depth (100 desktop, 20 mobile); no
    # per-device maximum given: 700 for both
    _row("google/maps", _both(100, 700, mobile_default=20), postback_data=("advanced",)),
    # update:local_finder (default 10, max 350 on both devices; the client's older figures
    # were desktop 20/500, mobile 10/350); client (desktop/mobile, postback advanced/html)
    _row("google/local_finder", _both(10, 350), postback_data=("advanced", "html")),
    # client (default 10, max 700, no device field: 'this API provides results for desktop
    # only'); update:news (default 10); help:mobile (desktop only); help:depth's 'per 100'
    # predates the update
    _row("google/news", _desktop(10, 700), device_field=False, postback_data=("advanced", "html")),
    # client (default 100, max 700, desktop only, no device field); help:mobile; help:depth
    # (per 100)
    _row(
        "google/images", _desktop(100, 700), device_field=False, postback_data=("advanced", "html")
    ),
    # client (default 10, max 200, no device field, postback regular/advanced/html);
    # help:depth (per 10)
    _row("google/jobs", _desktop(10, 200), device_field=False),
    # client (no depth field, desktop/mobile, postback advanced/html)
    _row(
        "google/ai_mode",
        _no_depth("desktop", "mobile"),
        depth_field=None,
        postback_data=("advanced", "html"),
    ),
    # client at 0d255895 (default 10, max 700, desktop/mobile, postback
    # regular/advanced/html); help:mobile; help:depth (per 10)
    _row("bing/organic", _both(10, 700)),
    # client at 0d255895 (max 700, device desktop/mobile; its default 6 predates the 2025-10
    # 'Billing & Fewer/More Results Per Page' update: the first page, up to 10); docs 'Yahoo
    # SERP API: Overview' lists mobile and the Regular, Advanced and HTML functions.
    # help:mobile still says desktop only: the API reference is followed (a refused mobile
    # task would come back as 40501 per task, never silently)
    _row("yahoo/organic", _both(10, 700)),
    # client at 0d255895 (default 10, max 700, desktop/mobile/tablet - tablet has no neutral
    # name - postback regular/html); help:mobile; help:depth (per 10)
    _row("baidu/organic", _both(10, 700), postback_data=("regular", "html")),
    # client at 0d255895 (default 10, maximum 500, desktop/mobile, postback
    # regular/advanced/html); help:depth (per 10). Czech only: "Seznam SERP API supports
    # only the Czech language ("language_code": "cs")" (help center, "How do I get SERP
    # data from Seznam?"; the task_post and languages pages say the same)
    _row("seznam/organic", _both(10, 500), languages=("cs",)),
    # client at cd54af3a (block_depth: 'number of blocks of results', default 20, max 700;
    # device desktop/mobile; postback advanced); help:depth (per 20)
    _row("youtube/organic", _both(20, 700), depth_field="block_depth", postback_data=("advanced",)),
    # no task_post figures found (the endpoint is in the catalogue from the docs'
    # tasks_ready page): both devices and the general 700 maximum kept as before, default
    # assumed 10 like the other organic endpoints; unverified
    _row("yandex/organic", _both(10, 700)),
)

#: ``(engine, serp_type)`` -> `SerpType`, for every type a spec can be posted to.
SERP_TYPES: Mapping[tuple[str, str], SerpType] = MappingProxyType(
    {(row.engine, row.serp_type): row for row in _ROWS}
)

#: Catalogue SERP endpoints a spec cannot express, and why (so the refusal says so).
NOT_EXPRESSIBLE: Mapping[str, str] = MappingProxyType(
    {
        "serp/naver/organic": "its task_post takes no location or language",
        "serp/google/dataset_search": "its task_post takes no location",
        "serp/google/dataset_info": "it takes a dataset_id, not a keyword",
        "serp/google/search_by_image": "it takes an image_url, not a keyword",
        "serp/google/autocomplete": "its request fields are not verified here",
        "serp/google/ads_advertisers": "it searches advertisers, not a results page",
        "serp/google/ads_search": "it takes an advertiser or target, not a keyword",
        "serp/google/finance_explore": "it takes no keyword",
        "serp/google/finance_markets": "it takes a market type, not a keyword",
        "serp/google/finance_quote": "it takes a ticker, not a keyword",
        "serp/google/finance_ticker_search": "it searches tickers, not a results page",
        "serp/youtube/video_info": "it takes a video_id, not a keyword",
        "serp/youtube/video_subtitles": "it takes a video_id, not a keyword",
        "serp/youtube/video_comments": "it takes a video_id, not a keyword",
    }
)


def find(engine: str, serp_type: str) -> SerpType | None:
    return SERP_TYPES.get((engine, serp_type))


def known_types(engine: str) -> list[str]:
    """The SERP types a spec can be posted to for ``engine``, sorted."""
    return sorted(t for e, t in SERP_TYPES if e == engine)


def why_unknown(engine: str, serp_type: str) -> str:
    """Why ``(engine, serp_type)`` has no row: the message of the refusal."""
    kind = f"serp/{engine}/{serp_type}"
    retired = RETIRED.get(kind)
    if retired is not None:
        return f"{kind} cannot be posted: {retired}"
    reason = NOT_EXPRESSIBLE.get(kind)
    if reason is not None:
        return f"{kind} cannot be posted from a SerpTaskSpec: {reason}"
    types = known_types(engine)
    if types:
        return (
            f"no SERP type {serp_type!r} for engine {engine!r} "
            f"(known for {engine}: {', '.join(types)})"
        )
    engines = sorted({e for e, _ in SERP_TYPES})
    return f"no SERP endpoint for engine {engine!r} (known engines: {', '.join(engines)})"


def device_problem(serp: SerpType, device: str) -> str | None:
    """Why ``device`` cannot be asked of ``serp`` (``None``: it can)."""
    if device in serp.depths:
        return None
    return f"{serp.kind} serves {', '.join(serp.devices)} only, not {device}"


def depth_problem(serp: SerpType, device: str, depth: int) -> str | None:
    """Why ``depth`` cannot be asked of ``serp`` on ``device`` (``None``: it can)."""
    if serp.depth_field is None:
        return f"{serp.kind} takes no depth (the vendor decides how many results)"
    limits = serp.depths.get(device)
    if limits is None:
        return device_problem(serp, device)
    if not 1 <= depth <= limits.most:
        return f"depth {depth} is outside 1..{limits.most} for {serp.kind} on {device}"
    return None
