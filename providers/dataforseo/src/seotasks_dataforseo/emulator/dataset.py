"""The emulator's synthetic account: seeded tasks and the indexes that answer fast.

Kept apart from the HTTP layer: the data rules (what is "ready", how history is ordered,
when a pending task finishes) are what the tests compare against (`DataForSEOEmulator`).

Scale: generation and every listing call stay fast at 100 000 tasks. Ready tasks sit in
per-kind insertion-ordered dicts (ordered by completion), removed in O(1) when
collected; history sits in one sorted key list per id_list family, sliced by bisect.
Tasks that finish later wait in a heap and are promoted when the clock passes them.

Standard library only (plus the provider's own catalogue): emulators start anywhere.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import random
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from ..endpoints import CATALOGUE, ID_LIST_FAMILIES, Endpoint
from .billing import task_cost
from .envelope import vendor_id

__all__ = ["HISTORY_KEEP", "READY_KEEP", "Callback", "Dataset", "EmuTask", "format_time"]

READY_KEEP = timedelta(days=3)
#: The emulator accepts datetime_from back to this (the vendor: six months).
HISTORY_KEEP = timedelta(days=183)
#: ... and back to this with include_metadata (the vendor: one month).
METADATA_KEEP = timedelta(days=31)
#: Results can be fetched with task_get for 30 days ...
RESULTS_KEEP = timedelta(days=30)
#: ... HTML results for 7 (the vendor's task_get/html pages: "you will be able to use it
#: within 7 days to request the results of the task").
HTML_KEEP = timedelta(days=7)

#: Kinds of the live-only APIs (history only, never in tasks_ready).
LIVE_KINDS = (
    "dataforseo_labs/google/ranked_keywords",
    "dataforseo_labs/google/keyword_ideas",
    "backlinks/summary",
    "domain_analytics/technologies/domain_technologies",
    "content_analysis/search",
)
#: Every kind that has a tasks_ready endpoint of its own.
READY_KINDS = tuple(ep.name for ep in CATALOGUE if not ep.aggregate)
#: The kinds a default dataset draws from: every kind, with Google organic results drawn
#: as often as a dozen others together (most SERP workloads are Google organic), so a
#: seeded account looks like a real one and the docs' examples have tasks to work on.
DEFAULT_KINDS = READY_KINDS + LIVE_KINDS + ("serp/google/organic",) * 12

MESSAGES = {
    20000: "Ok.",
    40101: "Internal SE Server Error.",
    40102: "No Search Results.",
    40103: "Task execution failed, resubmit",
    40501: "Invalid Field: 'keyword'.",
    40601: "Task Handed.",
    40602: "Task In Queue.",
}
#: Prices a seeded task is drawn at; a SERP task's decides its priority only, and it
#: costs what posting it at its type's default depth costs (`billing.task_cost`).
_COSTS = (0.0006, 0.0012, 0.002, 0.003, 0.05, 0.075)
#: How a seeded task fails: as it runs (a field the vendor refuses, 40501, is refused at
#: task_post, and no task is made), drawn one of three as before.
_FAILURES = (40101, 40103, 40103)
_DEVICES = ("desktop", "mobile")
#: Where a seeded task searches: a location and its language, drawn together (a German
#: query in Ukraine is rare) and weighted to US English like most SERP workloads, so the
#: migration recipe's example mapping (2840/en) covers most tasks, not one in 25.
_PLACES: tuple[tuple[int, str], ...] = (
    *((2840, "en"),) * 6,
    (2276, "de"),
    (2250, "fr"),
    (2724, "es"),
    (2804, "uk"),
)
_WORDS = ("shoes", "coffee", "laptop", "garden", "hotel", "bike", "phone", "tea", "books")


def format_time(when: datetime) -> str:
    """The vendor's ``YYYY-MM-DD HH:MM:SS +00:00`` (no strftime: this is a hot path)."""
    return (
        f"{when.year:04d}-{when.month:02d}-{when.day:02d} "
        f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} +00:00"
    )


class EmuTask:
    """One task of the synthetic account. ``code`` is the final outcome; until ``done``
    passes the task is pending (40601 handed, then 40602 in queue).

    ``callback`` is a posted task's pingback/postback (`Callback`), ``awaiting`` until its
    delivery was attempted. As the vendor's help centre has it
    (https://dataforseo.com/help-center/completed-tasks): "If you used a pingback option,
    but haven't made a GET request to our API to collect the results, its ID will appear
    on the list of completed tasks"; a postback task's ID "will not be provided in the
    list", except "within a small gap of time when the task is completed, but our system
    hasn't delivered the results to your server yet". So every completed task is listed;
    a postback delivered sets ``delivered`` and takes it off the list.
    ``request`` is a posted task's item as posted (nulls dropped), kept because the vendor
    echoes it in ``task_get`` and id_list ``data``/``metadata`` and shapes the result by it
    (depth, device, keywords); None for a seeded task (`task_echo` draws one for it).
    """

    __slots__ = (
        "awaiting",
        "callback",
        "code",
        "collected",
        "cost",
        "delivered",
        "device",
        "done",
        "done_s",
        "family",
        "id",
        "keyword",
        "kind",
        "language",
        "location",
        "posted",
        "posted_s",
        "request",
        "se",
        "se_type",
        "tag",
    )

    def __init__(
        self,
        task_id: str,
        kind: str,
        posted: datetime,
        done: datetime,
        code: int,
        rng: random.Random,
        *,
        delivered: bool = False,
    ) -> None:
        parts = kind.split("/")
        self.id = task_id
        self.kind = kind
        self.family = parts[0]
        self.se = parts[1] if len(parts) > 2 else None
        self.se_type = parts[2] if len(parts) > 2 else (parts[1] if len(parts) == 2 else None)
        posted = posted.replace(microsecond=0)
        self.posted = posted
        self.posted_s = format_time(posted)
        done = done.replace(microsecond=0)
        self.done = done
        self.done_s = format_time(done)
        self.code = code
        drawn = rng.choice(_COSTS)  # a SERP task's: its default depth at a priority (billing)
        serp = {"priority": 2 if _COSTS.index(drawn) % 2 else 1}
        self.cost = task_cost(serp, kind) if kind.startswith("serp/") else drawn
        self.tag = None if rng.random() < 0.3 else f"tag-{rng.randrange(50)}"
        self.keyword = rng.choice(_WORDS)
        self.device = _DEVICES[rng.randrange(2)]
        #: Codes, as the vendor answers (a posted name is stored as its code; None: unknown).
        place = _PLACES[rng.randrange(len(_PLACES))]  # drawn for every kind: the seed's data
        place = (2203, "cs") if kind.startswith("serp/seznam/") else place  # Czech only
        self.language: str | None = place[1]
        self.location: int | None = place[0]
        self.delivered = delivered
        self.callback: Callback | None = None
        self.awaiting = False
        self.collected = False
        self.request: dict[str, Any] | None = None

    def code_at(self, now: datetime) -> int:
        """The task's status code as the vendor would report it at ``now``: "received but
        not yet enqueued" (40601 Task Handed.) for its first minute, then "enqueued for
        processing" (40602 Task In Queue.) until it is done (the vendor's Errors page)."""
        if self.done <= now:
            return self.code
        return 40601 if (now - self.posted) < timedelta(seconds=60) else 40602

    @property
    def listable(self) -> bool:
        """Completed (with results, or 40102 "No Search Results."), has a tasks_ready
        endpoint, and no postback delivered its results."""
        return self.code in (20000, 40102) and not self.delivered and self.family in _READY_FAMILIES


class Callback:
    """A posted task's pingback (GET, ``data`` None) or postback (POST of ``data``)."""

    __slots__ = ("data", "how", "url")

    def __init__(self, how: str, url: str, data: str | None = None) -> None:
        self.how = how
        self.url = url
        self.data = data


_READY_FAMILIES = frozenset(ep.family for ep in CATALOGUE)


class Dataset:
    """All tasks of one emulated account, indexed for tasks_ready and id_list.

    Not thread-safe by itself: the emulator holds `lock` around every use.
    """

    def __init__(
        self,
        *,
        seed: int,
        size: int,
        now: Callable[[], datetime],
        span: timedelta = timedelta(days=120),
        recent: float = 0.5,
        kinds: Iterable[str] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self._now = now
        self._rng = random.Random(seed)
        self.kinds: tuple[str, ...] = tuple(kinds) if kinds else DEFAULT_KINDS
        for kind in self.kinds:
            if kind.split("/")[0] not in ID_LIST_FAMILIES:
                raise ValueError(f"unknown kind {kind!r}")
        self.span = span
        self.recent = recent
        self.by_id: dict[str, EmuTask] = {}
        #: kind -> {id: task}, completed and listable, ordered by completion.
        self.ready: dict[str, dict[str, EmuTask]] = {}
        #: id_list family -> sorted [(posted, id)].
        self.history: dict[str, list[tuple[datetime, str]]] = {f: [] for f in ID_LIST_FAMILIES}
        self._future: list[tuple[datetime, int, EmuTask]] = []
        self._seq = itertools.count()
        #: Completed tasks whose callback is still to be attempted (see `take_due`).
        self._due: list[EmuTask] = []
        self.add_random(size, initial=True)

    # -- building ------------------------------------------------------------------------

    def _random_task(self, rng: random.Random, now: datetime, posted: datetime | None) -> EmuTask:
        kind = self.kinds[rng.randrange(len(self.kinds))]
        if posted is None:
            if rng.random() < self.recent:
                posted = now - timedelta(seconds=rng.uniform(0, READY_KEEP.total_seconds() * 0.97))
            else:
                posted = now - timedelta(
                    seconds=rng.uniform(READY_KEEP.total_seconds(), self.span.total_seconds())
                )
        live = kind in LIVE_KINDS
        delay = timedelta(seconds=1 if live else rng.uniform(5, 900))
        roll = rng.random()
        code = 20000 if roll < 0.93 else (40102 if roll < 0.95 else _FAILURES[rng.randrange(3)])
        delivered = (not live) and rng.random() < 0.03
        return EmuTask(
            vendor_id(rng, None), kind, posted, posted + delay, code, rng, delivered=delivered
        )

    def add_random(
        self,
        count: int,
        *,
        initial: bool = False,
        kinds: Iterable[str] | None = None,
        posted: datetime | tuple[datetime, datetime] | None = None,
        code: int | None = None,
        delay: timedelta | None = None,
    ) -> list[str]:
        """Create ``count`` tasks; returns their ids in creation order."""
        rng = self._rng
        now = self._now()
        chosen = tuple(kinds) if kinds else None
        made: list[EmuTask] = []
        for _ in range(count):
            when: datetime | None
            if isinstance(posted, tuple):
                start, end = posted
                when = start + (end - start) * rng.random()
            else:
                when = posted
            task = self._random_task(rng, now, when)
            if chosen:
                task = EmuTask(
                    task.id,
                    chosen[rng.randrange(len(chosen))],
                    task.posted,
                    task.done,
                    task.code,
                    rng,
                )
            if code is not None:
                task.code = code
            if delay is not None:
                task.done = task.posted + delay
                task.done_s = format_time(task.done)
            made.append(task)
        if initial:
            made.sort(key=lambda t: t.done)
        with self.lock:
            for task in made:
                self._insert(task, now)
        return [t.id for t in made]

    def _insert(self, task: EmuTask, now: datetime) -> None:
        self.by_id[task.id] = task
        keys = self.history[task.family]
        key = (task.posted, task.id)
        if not keys or keys[-1] < key:
            keys.append(key)
        else:
            bisect.insort(keys, key)
        if task.done > now:
            heapq.heappush(self._future, (task.done, next(self._seq), task))
        else:
            self._finish(task)

    def _finish(self, task: EmuTask) -> None:
        """A task has completed: list it as ready, and hand it to its callback if it has one
        (a postback task stays listed only until its delivery succeeds)."""
        if task.awaiting:
            self._due.append(task)
        if task.listable and not task.collected:
            self.ready.setdefault(task.kind, {})[task.id] = task

    def promote(self, now: datetime) -> None:
        """Move tasks whose time has come into the ready lists (or to their callback)."""
        future = self._future
        while future and future[0][0] <= now:
            _, _, task = heapq.heappop(future)
            self._finish(task)

    # -- callbacks -----------------------------------------------------------------------

    def has_due(self) -> bool:
        return bool(self._due)

    def take_due(self) -> list[EmuTask]:
        """The completed tasks whose callback is to be attempted now (each once)."""
        due, self._due = self._due, []
        return due

    def delivered(self, task: EmuTask, ok: bool) -> None:
        """Record a callback's outcome. A postback delivered carried the results: the task
        leaves tasks_ready. A pingback only told the caller; the task stays listed until
        it is collected. A failed delivery of either leaves the task listed."""
        task.awaiting = False
        callback = task.callback
        if ok and callback is not None and callback.how == "postback":
            task.delivered = True
            bucket = self.ready.get(task.kind)
            if bucket is not None:
                bucket.pop(task.id, None)

    def resend(self, item: object, now: datetime) -> tuple[EmuTask | None, int, str]:
        """``webhook_resend`` of one ``{"id": ...}``: the task's callback due again if it
        has completed; (the task, 20100 "Task Created."), or 40401 for an id the account
        never posted."""
        task = self.by_id.get(str(item.get("id"))) if isinstance(item, dict) else None
        if task is None:
            return None, 40401, "Task Not Found."
        if task.callback is not None and task.done <= now:
            task.awaiting = True
            self._due.append(task)
        return task, 20100, "Task Created."

    # -- tasks_ready ---------------------------------------------------------------------

    def ready_for(self, endpoint: Endpoint, now: datetime) -> Iterator[EmuTask]:
        """Every task ``endpoint`` would list at ``now``, oldest completion first."""
        self.promote(now)
        oldest = now - READY_KEEP
        if endpoint.aggregate:
            lists = [d for kind, d in self.ready.items() if endpoint.covers(kind) and d]
        else:
            lists = [self.ready[endpoint.name]] if self.ready.get(endpoint.name) else []
        for d in lists:
            # Completion order: the front holds the stale ones; drop them for good.
            while d:
                first = next(iter(d.values()))
                if first.done >= oldest:
                    break
                del d[first.id]
        # Consumed at once under the emulator's lock, so no copy is needed.
        streams = [iter(d.values()) for d in lists]
        if len(streams) == 1:
            source: Iterable[EmuTask] = streams[0]
        else:
            source = heapq.merge(*streams, key=lambda t: t.done)
        for task in source:
            if task.done >= oldest:
                yield task

    def collect(self, task: EmuTask) -> None:
        task.collected = True
        bucket = self.ready.get(task.kind)
        if bucket is not None:
            bucket.pop(task.id, None)

    # -- id_list -------------------------------------------------------------------------

    def history_slice(
        self, family: str, start: datetime, end: datetime, *, offset: int, limit: int, desc: bool
    ) -> list[EmuTask]:
        """Tasks of ``family`` posted within [start, end], ordered by (posted, id)."""
        keys = self.history[family]
        lo = bisect.bisect_left(keys, (start, ""))
        hi = bisect.bisect_right(keys, (end, "\uffff"))
        if desc:
            top = hi - offset
            picked = keys[max(lo, top - limit) : max(lo, top)][::-1]
        else:
            picked = keys[lo + offset : min(hi, lo + offset + limit)]
        by_id = self.by_id
        return [by_id[task_id] for _, task_id in picked]

    # -- churn ---------------------------------------------------------------------------

    def finish_now(self, task: EmuTask, now: datetime) -> None:
        """A pending task completes at ``now`` (its status changes under a reader)."""
        if task.done <= now:
            return
        task.done = now.replace(microsecond=0)
        task.done_s = format_time(task.done)
        # The heap keeps its old entry; finishing twice is harmless (`_finish` is idempotent).
        self._finish(task)

    def forget(self, task: EmuTask) -> None:
        """The vendor no longer keeps ``task``: gone from id_list and tasks_ready."""
        self.by_id.pop(task.id, None)
        keys = self.history[task.family]
        at = bisect.bisect_left(keys, (task.posted, task.id))
        if at < len(keys) and keys[at] == (task.posted, task.id):
            del keys[at]
        bucket = self.ready.get(task.kind)
        if bucket is not None:
            bucket.pop(task.id, None)

    def pending(self, now: datetime) -> list[EmuTask]:
        """Tasks not yet completed at ``now``, in id order (for a reproducible choice)."""
        return sorted((t for _, _, t in self._future if t.done > now), key=lambda t: t.id)

    # -- ground truth --------------------------------------------------------------------

    def ready_ids(self, endpoints: Iterable[int], now: datetime) -> set[str]:
        ids: set[str] = set()
        for index in endpoints:
            ids.update(t.id for t in self.ready_for(CATALOGUE[index], now))
        return ids
