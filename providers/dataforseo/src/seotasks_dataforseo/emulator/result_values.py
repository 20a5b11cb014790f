"""The values an emulated result is made of: sites, urls, titles, times, places, scalars.

Split from the shapes (`result_content`) because every family needs the same few rules,
and each rule is what a caller would check first: a url parses and has a host, a host is
letters, digits, hyphens and dots (keywords bring spaces, commas and ``%``), a time is
the vendor's ``YYYY-MM-DD HH:MM:SS +00:00`` and lies before the task completed, an
index stays on its documented scale. Everything is drawn from a `Job`'s generators,
which are seeded by the task id: the same task gives the same values in every run and
process, and no global random state is touched.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import quote, urlencode

from .. import serp_types
from . import locations
from .dataset import EmuTask, format_time
from .task_echo import DEFAULT_OS, rng_of, slug

__all__ = ["PLACES", "SE_DOMAINS", "Job", "Place", "Site", "level_of", "scalar"]


@dataclass(frozen=True, slots=True)
class Place:
    """Where a location code is: what maps, addresses and ``gl=`` need."""

    country: str
    city: str
    region: str
    latitude: float
    longitude: float
    zip: str


#: The locations the seeded account draws and the common ones callers post (by code).
PLACES: dict[int, Place] = {
    2840: Place("US", "New York", "New York", 40.7128, -74.0060, "10001"),
    2826: Place("GB", "London", "England", 51.5072, -0.1276, "EC1A 1BB"),
    1006886: Place("GB", "London", "England", 51.5072, -0.1276, "EC1A 1BB"),
    2276: Place("DE", "Berlin", "Berlin", 52.5200, 13.4050, "10115"),
    2250: Place("FR", "Paris", "Ile-de-France", 48.8566, 2.3522, "75001"),
    2724: Place("ES", "Madrid", "Community of Madrid", 40.4168, -3.7038, "28001"),
    2804: Place("UA", "Kyiv", "Kyiv", 50.4501, 30.5234, "01001"),
}
#: Each engine's own domain (``se`` of the task's path), where it is not ``<se>.com``.
SE_DOMAINS = {
    "google_trends": "trends.google.com",
    "google_ads": "ads.google.com",
    "chat_gpt": "chatgpt.com",
    "gemini": "gemini.google.com",
    "claude": "claude.ai",
    "apple": "apps.apple.com",
    "seznam": "seznam.cz",
}
#: Engine domains that are hosts themselves (no ``www.`` in front).
_OWN_HOSTS = frozenset(
    {"trends.google.com", "ads.google.com", "gemini.google.com", "apps.apple.com", "claude.ai"}
)
_SUFFIXES = ("", "hub", "guide", "shop", "reviews", "online", "world", "central", "direct")
_MORE = ("expert", "club", "daily", "pro", "zone", "lab", "store", "today", "insider")
_TLDS = ("com", "com", "com", "org", "net", "io", "co", "info")
_PATHS = ("", "{s}/", "blog/{s}", "products/{s}", "guide/{s}-{y}", "{s}.html", "c/{s}/best")
_TITLES = (
    "{K} - {S}",
    "Best {K} of {Y} | {S}",
    "{K}: Buying Guide and Reviews - {S}",
    "Shop {K} Online | {S}",
    "{K} for Every Budget - {S}",
    "Top 10 {K} Compared ({Y}) | {S}",
)
_SNIPPETS = (
    "Compare {k} from trusted sellers. Read reviews, check prices and find the right one.",
    "Everything you need to know about {k}: types, sizes, care tips and what to avoid.",
    "Our experts tested {k} for months. Here are the ones worth your money in {y}.",
    "Free shipping on {k}. Discover new arrivals, best sellers and exclusive deals.",
    "Looking for {k}? See ratings, photos and answers from people who bought them.",
)


@dataclass(frozen=True, slots=True)
class Site:
    """One search result's page: ``host`` parses as a hostname, ``url`` as an absolute
    https URL on it."""

    host: str
    url: str
    path: str
    name: str

    @property
    def domain(self) -> str:
        return self.host

    @property
    def main_domain(self) -> str:
        return self.host.removeprefix("www.")

    @property
    def breadcrumb(self) -> str:
        parts = [p for p in self.path.split("/") if p]
        return " \u203a ".join([f"https://{self.host}", *parts])


class Job:
    """One result being built: the task, what it was posted with, the flavour asked."""

    def __init__(self, task: EmuTask, request: dict[str, Any], flavour: str) -> None:
        self.task = task
        self.request = request
        self.flavour = flavour

    def rng(self, salt: str) -> random.Random:
        return rng_of(self.task.id, salt)

    @property
    def keyword(self) -> str:
        return self.task.keyword

    @cached_property
    def keywords(self) -> list[str]:
        """Every keyword posted (in order, duplicates kept: one result each)."""
        posted = self.request.get("keywords")
        if isinstance(posted, list) and posted and all(isinstance(k, str) for k in posted):
            return list(posted)
        return [self.keyword]

    @property
    def device(self) -> str:
        value = self.request.get("device")
        if isinstance(value, str):
            return value
        if isinstance(value, list) and value and isinstance(value[0], str):
            return value[0]
        return self.task.device if self.task.device in DEFAULT_OS else "desktop"

    @property
    def os(self) -> str:
        value = self.request.get("os")
        return value if isinstance(value, str) else DEFAULT_OS.get(self.device, "windows")

    @cached_property
    def place(self) -> Place:
        """Where the task searched: the table above, else the emulator's location list
        (country and name right; a point drawn from the code, as no coordinates are
        bundled), else the United States."""
        code = self.task.location or 0
        known = PLACES.get(code)
        if known is not None:
            return known
        found = locations.location_by_code(code)
        if found is None:
            return PLACES[2840]
        parts = found.name.split(",")
        rng = rng_of(str(code), "place")
        return Place(
            found.country,
            parts[0],
            parts[1] if len(parts) > 2 else parts[-1],
            round(rng.uniform(-50, 60), 4),
            round(rng.uniform(-150, 150), 4),
            f"{rng.randrange(10000, 99999)}",
        )

    @property
    def language(self) -> str:
        return self.task.language or "en"

    @property
    def se(self) -> str:
        return self.task.se or "google"

    @property
    def se_domain(self) -> str:
        """The posted ``se_domain``, else the engine's own domain."""
        value = self.request.get("se_domain")
        if isinstance(value, str) and value:
            return value
        return SE_DOMAINS.get(self.se, f"{self.se.replace('_', '')}.com")

    @property
    def se_host(self) -> str:
        """The host a search page is on: ``www.`` before a registered domain
        (``google.co.uk``), an engine's own host (``trends.google.com``) as it is."""
        domain = self.se_domain
        own = domain.startswith("www.") or domain in _OWN_HOSTS
        return domain if own else f"www.{domain}"

    def depth(self, default: int) -> int:
        """How many results the task asked for: its posted depth (the field its SERP type
        names), else the vendor's default for its device, else ``default``."""
        task = self.task
        serp = serp_types.find(task.se or "", task.se_type or "") if task.family == "serp" else None
        name = serp.depth_field if serp is not None and serp.depth_field else "depth"
        posted = self.request.get(name)
        if type(posted) is int and posted > 0:
            return posted
        if serp is not None:
            limits = serp.depths.get(self.device)
            if limits is not None and limits.default:
                return limits.default
        return default

    @property
    def done(self) -> datetime:
        return self.task.done

    def before_done(self, rng: random.Random, most: timedelta) -> str:
        """A vendor-format time between ``most`` before completion and completion."""
        seconds = rng.uniform(0, most.total_seconds())
        return format_time(self.task.done - timedelta(seconds=seconds))

    def check_url(self, **extra: str | int) -> str:
        """The search page's URL, every query value percent-encoded (a keyword's spaces,
        ``+`` and ``%`` included), so it opens in a browser and parses."""
        host = self.se_host
        query: dict[str, str | int] = {"q": self.keyword, **extra}
        return f"https://{host}/search?{urlencode(query, quote_via=quote)}"

    def sites(self, count: int, salt: str) -> list[Site]:
        """``count`` distinct result pages for the keyword (hosts never repeat)."""
        rng = self.rng(salt)
        base = slug(self.keyword, limit=24)
        year = self.done.year
        start = rng.randrange(len(_SUFFIXES))
        labels = _SUFFIXES[start:] + _SUFFIXES[:start] + _MORE
        sites = []
        for n in range(count):
            suffix = labels[n % len(labels)]
            label = base if not suffix else f"{base}-{suffix}"
            if n >= len(labels):
                label = f"{label}{n // len(labels) + 1}"
            host = ("www." if rng.random() < 0.7 else "") + f"{label}.{rng.choice(_TLDS)}"
            path = rng.choice(_PATHS).format(s=base, y=year)
            name = label.replace("-", " ").title()
            sites.append(Site(host, f"https://{host}/{quote(path)}", path, name))
        return sites

    def title(self, rng: random.Random, site: Site) -> str:
        text = rng.choice(_TITLES)
        return text.format(K=self.keyword.title(), S=site.name, Y=self.done.year)

    def snippet(self, rng: random.Random) -> str:
        return rng.choice(_SNIPPETS).format(k=self.keyword, y=self.done.year)


def level_of(index: int) -> str:
    """Google Ads' competition level for a 0-100 competition index (its thirds)."""
    return "LOW" if index < 34 else ("MEDIUM" if index < 67 else "HIGH")


def scalar(job: Job, name: str, json_type: str, rng: random.Random) -> Any:
    """A plausible value of ``json_type`` for a field nothing else describes, kept on the
    scale its name implies (an index 0-100, a rating 1-5, an hour 0-23, a status code, a
    url, a time before completion, a place near the task's location)."""
    if json_type == "int":
        return _int(job, name, rng)
    if json_type == "float":
        return _float(job, name, rng)
    if json_type == "bool":
        return rng.random() < 0.5
    if json_type == "str":
        return _str(job, name, rng)
    if json_type in ("dict", "object"):
        return {}
    return None


#: Integer fields with a documented (or physical) range, by name.
_INT_RANGES: dict[str, tuple[int, int]] = {
    "hour": (0, 23),
    "minute": (0, 59),
    "second": (0, 59),
    "day": (1, 28),
    "stars": (1, 5),
    "rating_max": (5, 5),
    "visitors": (1, 4),
    "certificate_version": (3, 3),
}


def _int(job: Job, name: str, rng: random.Random) -> int:
    if name in _INT_RANGES:
        low, high = _INT_RANGES[name]
        return rng.randint(low, high)
    if "index" in name or "score" in name or "difficulty" in name:
        return rng.randrange(101)
    if name.endswith("status_code"):
        return rng.choice((200, 200, 301, 404))
    if name == "year":
        return job.done.year
    if name == "month":
        return job.done.month
    if "rank" in name or "position" in name or name == "page":
        return 1
    return rng.randrange(1, 5000)


def _float(job: Job, name: str, rng: random.Random) -> float:
    if name == "competition" or name.endswith("_rate") or name == "ctr":
        return round(rng.random(), 2)
    if "score" in name:
        return round(rng.uniform(40, 100), 2)
    if "rating" in name or name == "value":  # a rating's value, on its 5-point scale
        return round(rng.uniform(1, 5), 1)
    if "latitude" in name:
        return round(job.place.latitude + rng.uniform(-0.05, 0.05), 7)
    if "longitude" in name:
        return round(job.place.longitude + rng.uniform(-0.05, 0.05), 7)
    return round(rng.uniform(0.05, 50), 2)


#: Documented enumerations, by field name: one of the documented values, not free text.
_ENUMS: dict[str, tuple[str, ...]] = {
    "period": ("day", "week", "month"),
    "match": ("exact", "broad", "phrase"),
    "date_interval": ("next_week", "next_month", "next_quarter"),
    "position": ("left",),
    "rating_type": ("Max5",),
    "main_intent": ("informational", "commercial", "transactional", "navigational"),
}
_TIME_WORDS = frozenset({"date", "time", "timestamp", "datetime", "in", "out"})
_IMAGE_WORDS = frozenset({"image", "images", "thumbnail", "logo", "icon", "photo"})
#: Identifiers a task is posted with, answered back in its result under the same name.
POSTED_IDS = frozenset(
    {
        "app_id",
        "asin",
        "product_id",
        "video_id",
        "dataset_id",
        "cid",
        "place_id",
        "hotel_identifier",
    }
)


def _str(job: Job, name: str, rng: random.Random) -> str:
    parts = name.split("_")
    if name in _ENUMS:
        return rng.choice(_ENUMS[name])
    if name in POSTED_IDS and isinstance(job.request.get(name), str):
        return str(job.request[name])
    if name.endswith("url") or name.endswith("link") or name == "href":
        return job.sites(1, f"url:{name}")[0].url
    if parts[-1] in _IMAGE_WORDS:
        site = job.sites(1, "images")[0]
        return f"https://{site.host}/images/{slug(job.keyword)}.jpg"
    if name in ("domain", "main_domain", "subdomain", "target") or name.endswith("_domain"):
        return job.sites(1, f"host:{name}")[0].host
    if name == "time_ago" or name.endswith("_time_ago"):
        return f"{rng.randrange(1, 30)} days ago"
    if parts[-1] in _TIME_WORDS or parts[0] in ("date", "time"):
        return job.before_done(rng, timedelta(days=30))
    if name == "cid":
        return str(rng.randrange(10**18, 10**19))
    if name == "id" or parts[-1] in ("id", "identifier"):
        return "".join(rng.choice("0123456789abcdef") for _ in range(16))
    if name == "competition" or name.endswith("competition_level"):
        return level_of(rng.randrange(101))
    if name == "currency":
        return "USD"
    if "language" in name:
        return job.language
    if name == "country_code":
        return job.place.country
    if name == "phone":
        return f"+1{rng.randrange(2000000000, 9999999999)}"
    if "address" in parts:
        return f"{rng.randrange(1, 400)} Main St, {job.place.city}, {job.place.zip}"
    if name in ("city", "neighborhood"):
        return job.place.city
    if name == "location":
        return f"{job.place.city}, {job.place.country}"
    if name in ("keyword", "title", "query", "seed_keyword"):
        return job.keyword
    return f"{job.keyword} {name.replace('_', ' ')}"
