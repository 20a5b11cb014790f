"""Seeded synthetic Serpstat tasks, the emulator's data and the tests' ground truth.

Tasks are kept as parallel lists ordered by creation (ids grow with it, as in the
vendor's examples), so 100 000 tasks are generated in a fraction of a second and a
page is a slice found by bisection. What a task looks like is a function of the
dataset's clock (``now``): it is queued until its start, running with a growing
percentage, then done with a ``parsed_at`` -- so the same data shows all three states
and moves on as time passes. Tasks older than 7 days leave the list by themselves;
`Dataset.expire` drops the oldest at once, `Dataset.add` posts new ones. Standard
library only: emulators must start wherever the library does.
"""

from __future__ import annotations

import random
import re
import threading
import time
import unicodedata
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo

import attrs

from .words import seeded_keywords

__all__ = ["TOP_SIZE", "WINDOW_SECONDS", "Dataset", "TaskTruth", "keyword_data"]

WINDOW_SECONDS: Final = 7 * 86400
MAX_ROWS: Final = 60_000  # the API intro page: no method returns more rows
_STATUSES: Final = ("queued", "running", "completed")
# (country_id, lang_id, region_id): USA/English/Texas, USA without region, a few others.
_PLACES: Final = (
    ("23", "1", "21176"),
    ("23", "1", "0"),
    ("23", "1", "0"),
    ("2", "1", "0"),
    ("228", "38", "0"),
    ("80", "5", "1001"),
)


@attrs.frozen(slots=True, kw_only=True)
class TaskTruth:
    """What the emulator knows about one task at the dataset's current time."""

    id: str
    status: str  # "queued" | "running" | "completed"
    percent: int
    created_at: datetime  # UTC
    completed_at: datetime | None  # UTC, set when completed
    se_id: str
    country_id: str
    lang_id: str
    region_id: str
    device_type_id: str
    keywords_count: int


def _zone(name: str) -> tzinfo:
    return UTC if name.upper() == "UTC" else ZoneInfo(name)


class Dataset:
    """The task list of one Serpstat account. Thread-safe."""

    def __init__(
        self,
        *,
        seed: int = 0,
        size: int = 1500,
        now: Callable[[], datetime] | None = None,
        timezone: str = "UTC",
        pending_parsed_at: str | None = None,
        max_rows: int | None = MAX_ROWS,
    ) -> None:
        if size < 0:
            raise ValueError("size must be >= 0")
        self._now = now or (lambda: datetime.now(UTC))
        self._tz = _zone(timezone)
        self._utc = self._tz is UTC
        self.pending_parsed_at = pending_parsed_at
        self.max_rows = max_rows  # the rows tasks.getList serves at most (None: all)
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self.ids: list[int] = []
        self.created: list[int] = []
        self._start: list[int] = []
        self._done: list[int] = []
        self._attrs: list[tuple[str, str, str, str, str, str]] = []
        self._first = 0  # everything before this index was expired explicitly
        #: Keywords of the tasks posted through tasks.addTask / addKeywordList, by id.
        self.keywords: dict[int, list[str]] = {}
        self._next_id = 2_000_000 + self._rng.randrange(1_000_000)
        t0 = self.now_epoch()
        span = WINDOW_SECONDS - 3600  # nothing expires in the first hour
        rnd = self._rng.random
        recent = min(size, max(5, size // 50))
        times = [t0 - int(rnd() * span) for _ in range(size - recent)]
        times += [t0 - int(rnd() * 3600) for _ in range(recent)]
        times.sort()
        for created in times:
            self._append(created)

    # -- generation ---------------------------------------------------------------------------

    def _append(self, created: int) -> int:
        rnd = self._rng.random
        self._next_id += 1 + int(rnd() * 40)  # global vendor counter: other users' tasks between
        roll = rnd()
        if roll < 0.80:
            delay = int(rnd() * 60)
        elif roll < 0.95:
            delay = 60 + int(rnd() * 1140)
        else:
            delay = 3600 + int(rnd() * 5 * 3600)
        roll = rnd()
        if roll < 0.85:
            duration = 60 + int(rnd() * 840)
        elif roll < 0.97:
            duration = 3600 + int(rnd() * 7 * 3600)
        else:
            duration = 86400 + int(rnd() * 86400)
        place = _PLACES[int(rnd() * len(_PLACES))]
        rnd()  # was the engine's draw; every task is Google's, all tasks.addTask takes
        device = "1" if rnd() < 0.7 else "2"
        # Most crawls are small (a median of 3 keywords, a few of 30+): each keyword's
        # result carries its top 10, so a sandbox's results stay the size tests and
        # demos can hold (the vendor's limit per task is far higher).
        keywords = 1 + int(rnd() ** 4 * 40)
        self.ids.append(self._next_id)
        self.created.append(created)
        self._start.append(created + delay)
        self._done.append(created + delay + duration)
        self._attrs.append(("1", place[0], place[1], place[2], device, str(keywords)))
        return self._next_id

    def now_epoch(self) -> int:
        return int(self._now().timestamp())

    def add(self, count: int) -> list[str]:
        """Post ``count`` new tasks now (queued); their ids, oldest first."""
        with self._lock:
            now = max(self.now_epoch(), self.created[-1] if self.created else 0)
            return [str(self._append(now)) for _ in range(count)]

    def add_posted(
        self,
        keywords: list[str],
        *,
        se_id: int,
        country_id: int,
        lang_id: int,
        region_id: int,
        device: int,
        delay: int,
        duration: int,
    ) -> str:
        """A task posted now with these settings: queued ``delay`` s, then running
        ``duration`` s; its id."""
        with self._lock:
            now = max(self.now_epoch(), self.created[-1] if self.created else 0)
            self._next_id += 1 + int(self._rng.random() * 40)
            self.ids.append(self._next_id)
            self.created.append(now)
            self._start.append(now + delay)
            self._done.append(now + delay + max(1, duration))
            self._attrs.append(
                (
                    str(se_id),
                    str(country_id),
                    str(lang_id),
                    str(region_id),
                    str(device),
                    str(len(keywords)),
                )
            )
            self.keywords[self._next_id] = list(keywords)
            return str(self._next_id)

    def result(self, task_id: int) -> tuple[int, dict[str, str], list[str]] | None:
        """``(percent, task_meta, keywords)`` of a task at the current time, or None."""
        now = self.now_epoch()
        with self._lock:
            try:
                index = self._index(str(task_id))
            except (KeyError, ValueError):
                return None
            se_id, country, _lang, region, device, count = self._attrs[index]
            words = self.keywords.get(task_id) or seeded_keywords(task_id, int(count))
            meta = dict(se_id=se_id, country_id=country, region_id=region, device_type_id=device)
            return self._percent(index, now), meta, words

    def expire(self, count: int) -> list[str]:
        """Drop the ``count`` oldest visible tasks at once; their ids."""
        with self._lock:
            lo, hi = self._bounds(self.now_epoch())
            stop = min(hi, lo + count)
            self._first = stop
            return [str(i) for i in self.ids[lo:stop]]

    def finish(self, count: int, rng: random.Random) -> list[str]:
        """Finish ``count`` unfinished visible tasks now (chosen by ``rng``); their ids."""
        with self._lock:
            now = self.now_epoch()
            lo, hi = self._bounds(now)
            open_ = [i for i in range(lo, hi) if self._percent(i, now) < 100]
            chosen = rng.sample(open_, min(count, len(open_)))
            for index in chosen:
                self._start[index] = min(self._start[index], now)
                self._done[index] = now
            return [str(self.ids[i]) for i in chosen]

    # -- reading -------------------------------------------------------------------------------

    def _bounds(self, now: int) -> tuple[int, int]:
        """Index range of the visible tasks: created within the last 7 days, not expired."""
        lo = max(self._first, bisect_left(self.created, now - WINDOW_SECONDS))
        hi = bisect_right(self.created, now)
        return lo, max(lo, hi)

    def visible(self, now: int | None = None) -> range:
        with self._lock:
            return range(*self._bounds(self.now_epoch() if now is None else now))

    def __len__(self) -> int:
        return len(self.visible())

    def _text(self, epoch: int) -> str:
        if self._utc:
            y, mo, d, h, mi, s = time.gmtime(epoch)[:6]
        else:
            y, mo, d, h, mi, s = datetime.fromtimestamp(epoch, self._tz).timetuple()[:6]
        return f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}"

    def day(self, when: datetime) -> str:
        """``when`` as ``YYYY-MM-DD`` in the zone the timestamps are written in."""
        return self._text(int(when.timestamp()))[:10]

    def _percent(self, index: int, now: int) -> int:
        start, done = self._start[index], self._done[index]
        if now >= done:
            return 100
        if now < start:
            return 0
        keywords = int(self._attrs[index][5])  # the share of them crawled: 1 is 0% or 100%
        return (now - start) * keywords // (done - start) * 100 // keywords

    def row(self, index: int, now: int) -> dict[str, Any]:
        """Task ``index`` as a ``tasks.getList`` row: every value a string, as documented."""
        se_id, country, lang, region, device, keywords = self._attrs[index]
        percent = self._percent(index, now)
        return {
            "task_id": str(self.ids[index]),
            "se_id": se_id,
            "country_id": country,
            "lang_id": lang,
            "region_id": region,
            "device_type_id": device,
            "progress": f"{percent}%",
            "keywords_count": keywords,
            "created_at": self._text(self.created[index]),
            "parsed_at": self._text(self._done[index])
            if percent == 100
            else self.pending_parsed_at,
        }

    def page(self, page: int, size: int, *, descending: bool = False) -> list[dict[str, Any]]:
        """Rows of ``page`` (1-based) at the current time; ``[]`` past the end."""
        now = self.now_epoch()
        with self._lock:
            lo, hi = self._bounds(now)
            skip = (page - 1) * size
            if self.max_rows is not None:  # the vendor's cap: cut at its last row
                size = max(0, min(size, self.max_rows - skip))
            if descending:
                top = hi - skip
                indices = range(top - 1, max(lo, top - size) - 1, -1)
            else:
                indices = range(lo + skip, min(hi, lo + skip + size))
            return [self.row(i, now) for i in indices]

    def _index(self, task_id: str) -> int:
        number = int(task_id)
        index = bisect_left(self.ids, number)
        if index == len(self.ids) or self.ids[index] != number:
            raise KeyError(task_id)
        return index

    def truth(self, task_id: str) -> TaskTruth:
        """Ground truth for one task (visible or not) at the current time."""
        now = self.now_epoch()
        with self._lock:
            index = self._index(task_id)
            percent = self._percent(index, now)
            se_id, country, lang, region, device, keywords = self._attrs[index]
            return TaskTruth(
                id=task_id,
                status="completed" if percent == 100 else "queued" if percent == 0 else "running",
                percent=percent,
                created_at=datetime.fromtimestamp(self.created[index], UTC),
                completed_at=datetime.fromtimestamp(self._done[index], UTC)
                if percent == 100
                else None,
                se_id=se_id,
                country_id=country,
                lang_id=lang,
                region_id=region,
                device_type_id=device,
                keywords_count=int(keywords),
            )

    def task_ids(self, status: str | None = None) -> list[str]:
        """Ids of the visible tasks, oldest first, optionally only those in ``status``."""
        now = self.now_epoch()
        with self._lock:
            lo, hi = self._bounds(now)
            if status is None:
                return [str(i) for i in self.ids[lo:hi]]
            if status not in _STATUSES:
                raise ValueError(f"status must be one of {_STATUSES}, got {status!r}")
            wanted = {"queued": 0, "completed": 100}.get(status)
            out = []
            for index in range(lo, hi):
                percent = self._percent(index, now)
                if percent == wanted or (wanted is None and 0 < percent < 100):
                    out.append(str(self.ids[index]))
            return out

    def all_ids(self) -> list[str]:
        """Every task ever posted, expired ones included, oldest first."""
        with self._lock:
            return [str(i) for i in self.ids]


# -- tasks.getTaskResult content ---------------------------------------------------------------

#: Organic results per keyword in a ``tasks.getTaskResult`` answer. The vendor crawls
#: deeper; the reference's example shows one, the emulator answers a first page of ten.
TOP_SIZE: Final = 10
_SUFFIXES: Final = ("", "guide", "shop", "hub", "reviews", "online", "world", "direct", "central")
_TLDS: Final = ("com", "com", "com", "org", "net", "io", "co")
_PATHS: Final = ("", "{s}/", "blog/{s}", "products/{s}", "{s}.html", "c/{s}/best")
_TITLES: Final = (
    "{K} - {S}",
    "Best {K} | {S}",
    "{K}: Buying Guide and Reviews - {S}",
    "Shop {K} Online | {S}",
)
_SNIPPETS: Final = (
    "Compare {k} from trusted sellers. Read reviews, check prices and find the right one.",
    "Everything you need to know about {k}: types, sizes, care tips and what to avoid.",
    "Free shipping on {k}. Discover new arrivals, best sellers and exclusive deals.",
)
#: Between a breadcrumb's parts (a single right-pointing angle quote, as the vendor shows).
_CRUMB: Final = " \u203a "


def _label(keyword: str) -> str:
    """``keyword`` as a host label: ASCII letters, digits, single hyphens, never empty.

    Keywords posted with ``tasks.addKeywordList`` may hold commas, spaces and any letters;
    a host made of them would not parse, so they are folded once here.
    """
    folded = unicodedata.normalize("NFKD", keyword).encode("ascii", "ignore").decode().lower()
    label = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:24].strip("-")
    return label or f"q{zlib.crc32(keyword.encode()):08x}"


def _page(rng: random.Random, label: str, n: int) -> tuple[str, str, str, str]:
    """One result page: (url, domain, subdomain, breadcrumbs)."""
    suffix = _SUFFIXES[n % len(_SUFFIXES)]
    name = label if not suffix else f"{label}-{suffix}"
    if n >= len(_SUFFIXES):
        name += str(n // len(_SUFFIXES) + 1)
    domain = f"{name}.{rng.choice(_TLDS)}"
    subdomain = f"www.{domain}" if rng.random() < 0.7 else domain
    path = rng.choice(_PATHS).format(s=label)
    crumbs = _CRUMB.join([f"https://{subdomain}", *[p for p in path.split("/") if p]])
    return f"https://{subdomain}/{path}", domain, subdomain, crumbs


def keyword_data(task_id: int, keyword: str) -> dict[str, Any]:
    """One keyword's ``keyword_data`` as the reference example shapes it: ``top`` ranked
    1..`TOP_SIZE` on distinct hosts, ``ads`` by block, ``right_spell`` ``""`` (no
    correction), ``target_fields`` the string ``"[]"``. Drawn from the task id and the
    keyword: the same task always answers the same."""
    rng = random.Random(f"serpstat/{task_id}/{keyword}")
    label = _label(keyword)
    top = []
    for n in range(TOP_SIZE):
        url, domain, subdomain, crumbs = _page(rng, label, n)
        site = domain.split(".")[0].replace("-", " ").title()
        title = rng.choice(_TITLES).format(K=keyword.title(), S=site)
        snippet = rng.choice(_SNIPPETS).format(k=keyword)
        top.append(
            {
                "url": url,
                "domain": domain,
                "subdomain": subdomain,
                "position": n + 1,
                "title": title,
                "title_length": len(title),
                "snippet": snippet,
                "snippet_length": len(snippet),
                "breadcrumbs": crumbs,
                "types": ["snip_breadcrumbs"],
                "spec_elements": [
                    {
                        "anchor": None,
                        "content": crumbs,
                        "href": None,
                        "sort_number": 0,
                        "type": "snip_breadcrumbs",
                    }
                ],
            }
        )
    ads: dict[str, list[dict[str, Any]]] = {"1": [], "2": [], "3": []}
    types = ["related_search"]
    if rng.random() < 0.5:
        url, domain, subdomain, _ = _page(rng, label, TOP_SIZE + 1)
        ads["1"].append(
            {
                "url": url,
                "domain": domain,
                "subdomain": subdomain,
                "position": 1,
                "title": f"{keyword.title()} - Official Store",
                "text": f"Buy {keyword} online. Fast delivery and easy returns.",
                "breadcrumbs": f"https://{subdomain}",
            }
        )
        types.append("ads_top")
    return {
        "top": top,
        "ads": ads,
        "results": rng.randrange(10_000, 500_000_000),
        "right_spell": "",
        "types": types,
        "top_features_content": [],
        "target_fields": "[]",
    }
