"""The ``history`` listing: ``POST /v3/<family>/id_list``, family after family.

Each family's history is read forward in time by keyset: windows the vendor accepts
(``datetime_from``/``datetime_to``), and within a window the last ``datetime_posted``
seen plus the ids already delivered at that instant, so tasks added while paging shift
nothing. Too many ids at one instant to remember switch that instant to an offset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any, cast

import attrs

from seotasks.convert import parse_timestamp
from seotasks.errors import CursorError, Interrupted, ProviderError, ResponseFormatError
from seotasks.model import Task
from seotasks.provider import Batch, Position
from seotasks.transport import Transport

from . import wire
from .endpoints import UNDOCUMENTED_ID_LIST, HistoryFamily
from .positions import int_field, time_field
from .readers import HistoryReader
from .result_paths import TASK_ID

__all__ = ["FEWER_FAMILIES", "SEEN_MAX", "HistoryListing", "HistoryPosition", "id_list_advice"]

#: One second, the vendor's time resolution.
_SECOND = timedelta(seconds=1)

#: Ids delivered at one instant kept in a position; beyond this, paging at that instant
#: switches to an offset (keeps cursors small).
SEEN_MAX = 50
_MAX_OFFSET = 100_000_000
#: "Not found" as the vendor says it: 40400 Not Found, 40402 Invalid Path, a bare HTTP 404.
_NOT_FOUND = frozenset({40400, 40402, 404})
#: ``(datetime_posted of each item, id of each item)`` of one id_list page.
_Instants = tuple[list[datetime | None], list[str]]
_posted_of = attrgetter("created_at")
_id_of = attrgetter("id")

#: ``call(method, path, endpoint, body)``: the provider's authenticated, paced vendor call.
Call = Callable[[str, str, str, object], dict[str, Any]]


def stoppable_pause(transport: Transport) -> Callable[[float], None]:
    """`HistoryListing`'s pause on ``transport``: its ``interrupt`` ends the wait, with
    `Interrupted` (the position stays where it is, for a run that goes on from it), or
    the closed client's ``ValueError``. Ended quietly, the listing went on to the next
    family, and a stopped run's resume file said it was done."""

    def pause(seconds: float) -> None:
        if transport.interrupt.wait(seconds):
            transport.check_open()
            raise Interrupted(
                "dataforseo: stopped while waiting for the end of the listing's last second, "
                "before reading the rest of it"
            )

    return pause


def _ids_at(instants: _Instants, when: datetime) -> list[str]:
    """The ids of the page's items posted at ``when``, in page order.

    The vendor sorts by time, so they are the page's tail when ``when`` is its last
    instant: counted and checked by C loops; any other layout is scanned.
    """
    posted, ids = instants
    count = posted.count(when)
    if count and posted[-1] == when and posted[-count:].count(when) == count:
        return ids[-count:]
    return [i for p, i in zip(posted, ids, strict=True) if p == when]


def _check_order(posted: list[datetime | None], path: str) -> None:
    """Refuse a page not in ``datetime_posted`` order. The paging keys on it (the next
    window starts at the page's last time posted), read from the vendor's "sort by
    execution time" and its windows on the time a task was created; were its order
    another (completion, say), the keyset would skip and repeat tasks without a word.
    Said instead, with the position kept, rather than a listing quietly wrong."""
    previous: datetime | None = None
    for index, when in enumerate(posted):
        if when is None:
            continue
        if previous is not None and when < previous:
            raise ResponseFormatError(
                f"dataforseo: {path} answered a page not in the order of datetime_posted "
                f"({wire.format_time(when)} after {wire.format_time(previous)}), which "
                "the history listing pages by; list with -o source=ready, or report it",
                field=f"tasks[0].result[{index}].datetime_posted",
            )
        previous = when


@attrs.frozen(slots=True)
class HistoryPosition:
    """Where a history listing stands: the ``fam``-th selected family (named, so an edited
    index cannot point elsewhere), the listing's bounds ``since``..``end``, the keyset
    ``after`` with the ids already delivered at that instant (``seen``), or an offset
    into that instant (``skip``) when there were too many to remember."""

    fam: int
    name: str
    since: datetime
    after: datetime
    end: datetime
    seen: tuple[str, ...] = ()
    skip: int = 0

    def to_json(self) -> Position:
        return {
            "fam": self.fam,
            "name": self.name,
            "since": wire.format_time(self.since),
            "after": wire.format_time(self.after),
            "end": wire.format_time(self.end),
            "seen": list(self.seen),
            "skip": self.skip,
        }


@attrs.define(eq=False)
class HistoryListing:
    """Pages through the id_list of each selected family.

    ``keeps`` is how far back the vendor keeps tasks (six months, one with metadata),
    ``window`` the span of one request, ``default_families`` whether the caller named
    no family (an undocumented family's "not found" is then skipped with a note).
    A service object, not a value: compared by identity (``eq=False``).
    """

    families: tuple[HistoryFamily, ...]
    _call: Call
    _scrub: Callable[[str], str]
    _now: Callable[[], datetime] = attrs.field(kw_only=True)
    _keeps: timedelta = attrs.field(kw_only=True)
    _window: timedelta = attrs.field(kw_only=True)
    _page_size: int = attrs.field(kw_only=True)
    _metadata: bool = attrs.field(kw_only=True)
    _default_families: bool = attrs.field(kw_only=True)
    #: Waits the seconds given for the end of the second a listing ends in (`fetch`);
    #: raises when the client stops or closes meanwhile (`stoppable_pause`).
    _pause: Callable[[float], None] = attrs.field(kw_only=True)
    _reader: HistoryReader = attrs.field(init=False)

    @_reader.default
    def _read_with_scrub(self) -> HistoryReader:
        return HistoryReader(self._scrub)

    def position(
        self,
        index: int,
        since: datetime,
        after: datetime,
        end: datetime,
        seen: Sequence[str] = (),
        skip: int = 0,
    ) -> HistoryPosition:
        name = self.families[index].family
        return HistoryPosition(index, name, since, after, end, tuple(seen), skip)

    def start(self, since: datetime, end: datetime) -> HistoryPosition:
        return self.position(0, since, since, end)

    def check(self, position: Position) -> HistoryPosition:
        """A position from a caller-held cursor, each field checked (`CursorError`)."""
        if set(position) != {"fam", "name", "since", "after", "end", "seen", "skip"}:
            raise CursorError("dataforseo cursor: not an id_list position")
        index = int_field(position, "fam", 0, len(self.families) - 1)
        if position["name"] != self.families[index].family:
            raise CursorError("dataforseo cursor: family does not match this client's families")
        since = time_field(position, "since")
        after = time_field(position, "after")
        end = time_field(position, "end")
        if not since <= after <= end:
            raise CursorError("dataforseo cursor: times out of order (since <= after <= end)")
        if end > self._now() + timedelta(minutes=5):
            raise CursorError("dataforseo cursor: 'end' lies in the future")
        if since < self._now() - timedelta(days=366):
            raise CursorError("dataforseo cursor: 'since' is older than id_list keeps tasks")
        seen = position["seen"]
        if not isinstance(seen, list) or len(seen) > SEEN_MAX:
            raise CursorError(f"dataforseo cursor: 'seen' must be a list of at most {SEEN_MAX} ids")
        if not all(isinstance(s, str) and TASK_ID.match(s) for s in seen):
            raise CursorError("dataforseo cursor: 'seen' holds something that is not a task id")
        skip = int_field(position, "skip", 0, _MAX_OFFSET)
        if skip and seen:
            raise CursorError("dataforseo cursor: 'seen' and 'skip' are exclusive")
        return self.position(index, since, after, end, [str(s) for s in seen], skip)

    def load(self, position: Position) -> HistoryPosition:
        """A position this listing made (or `check` passed) back from its JSON form."""
        return self.check(position)

    def fetch(self, at: HistoryPosition) -> Batch:
        family = self.families[at.fam]
        after, seen_list, skip = at.after, list(at.seen), at.skip
        now = self._now()
        notes: tuple[str, ...] = ()
        floor = (now - self._keeps + timedelta(minutes=1)).replace(microsecond=0)
        if after < floor:
            # The vendor no longer keeps this part: restart at what it accepts.
            notes = (f"{family.path}: tasks before {wire.format_time(floor)} are no longer kept",)
            after, seen_list, skip = floor, [], 0
        to = min(after + self._window, at.end, now.replace(microsecond=0))
        crowded = to == after and bool(seen_list or skip)
        wait = (after + _SECOND - now).total_seconds()
        if crowded and wait > 0:  # a listing ending "now": the end of the second it
            self._pause(wait)  # started in is less than 1 s away
            now = self._now()
        if crowded and after + _SECOND <= now:
            # A full page stopped inside the listing's last second (an ``until`` with a
            # fraction, cut to its second, or the second it started in): ended there, the
            # tasks after that page were lost without a word. The vendor takes no window
            # of one instant (its ``datetime_to`` must be later, and not after now), so
            # the next second comes too; the core's exact ``until`` drops what lies past.
            to = after + _SECOND
        elif to <= after:  # (or a clock standing still: ended, not waited on for ever)
            return Batch(tasks=(), next=self._next_family(at), notes=notes)
        request = {
            "datetime_from": wire.format_time(after),
            "datetime_to": wire.format_time(to),
            "limit": self._page_size,
            "offset": skip,
            "sort": "asc",
            "include_metadata": self._metadata,
        }
        try:
            body = self._call("POST", family.path, "id_list", [request])
        except ProviderError as exc:
            if not self._skippable(family, exc):
                raise
            skipped = f"{family.path}: skipped, the vendor answered {exc.code} {exc.message}"
            return Batch(tasks=(), next=self._next_family(at), notes=(*notes, skipped))
        task = wire.first_task(body, family.path, self._scrub)
        items = wire.result_items(task)
        seen = set(seen_list)
        tasks, instants = self._read_page(items, family, after, seen)
        _check_order(instants[0], family.path)
        if to > at.end:  # the last second's window, which reaches into the next second
            posted = instants[0]
            if len(items) < self._page_size or (posted[-1] or after) > at.end:
                # The last second is read whole; what lies past the end is not this
                # listing's (a position past it is no position: `check` refuses it).
                kept = [t for t in tasks if t.created_at is None or t.created_at <= at.end]
                return Batch(tasks=kept, next=self._next_family(at), notes=notes)
        if len(items) < self._page_size:
            # This window is exhausted: continue at its end (inclusive on both sides,
            # so the ids at exactly `to` are remembered).
            if to >= at.end:
                return Batch(tasks=tasks, next=self._next_family(at), notes=notes)
            at_end = _ids_at(instants, to)
            return Batch(tasks=tasks, next=self._keyset(at, to, at_end, 0), notes=notes)
        last = instants[0][-1]
        if last is None:
            raise ResponseFormatError(
                "dataforseo: id_list item without datetime_posted",
                field=f"tasks[0].result[{len(items) - 1}].datetime_posted",
            )
        at_last = _ids_at(instants, last)
        if last == after:
            if skip:
                return Batch(
                    tasks=tasks, next=self._keyset(at, after, [], skip + len(items)), notes=notes
                )
            at_last = sorted(seen | set(at_last))
        return Batch(tasks=tasks, next=self._keyset(at, last, at_last, 0), notes=notes)

    def _skippable(self, family: HistoryFamily, error: ProviderError) -> bool:
        """Whether a "not found" for ``family``'s id_list may be skipped: only for a family
        the vendor does not document, in a listing that did not ask for it by name."""
        return (
            self._default_families
            and family.family in UNDOCUMENTED_ID_LIST
            and error.code in _NOT_FOUND
        )

    def _read_page(
        self, items: list[Any], family: HistoryFamily, after: datetime, seen: set[str]
    ) -> tuple[list[Task], _Instants]:
        """The page's tasks (less those already listed at ``after``) and its paging landmarks.

        The landmarks are every item's ``(datetime_posted, id)``, kept as two parallel
        lists so the usual page (a family that skips no kind) is read by C loops.
        """
        reads = self._reader.page(items, family)
        if not family.prefixes:  # no kind is skipped: every read is a Task
            tasks = cast(list[Task], reads)
            posted = list(map(_posted_of, tasks))
            ids = list(map(_id_of, tasks))
        else:
            tasks, posted, ids = [], [], []
            for raw, read in zip(items, reads, strict=True):
                if read is None:  # a kind this family skips: still a paging landmark
                    posted.append(parse_timestamp(raw.get("datetime_posted")))
                    ids.append(str(raw["id"]))
                    continue
                posted.append(read.created_at)
                ids.append(read.id)
                tasks.append(read)
        if seen and after in posted:
            tasks = [t for t in tasks if not (t.created_at == after and t.id in seen)]
        return tasks, (posted, ids)

    def _keyset(
        self, at: HistoryPosition, after: datetime, at_instant: list[str], skip: int
    ) -> Position:
        if skip or len(at_instant) > SEEN_MAX or len(at_instant) >= self._page_size:
            # Too many at one instant to remember by id: page that instant by offset
            # (the vendor orders by time then id, so the first ones are those seen).
            moved = self.position(at.fam, at.since, after, at.end, (), skip or len(at_instant))
        else:
            moved = self.position(at.fam, at.since, after, at.end, at_instant, 0)
        return moved.to_json()

    def _next_family(self, at: HistoryPosition) -> Position | None:
        if at.fam + 1 >= len(self.families):
            return None
        return self.position(at.fam + 1, at.since, at.since, at.end).to_json()


#: The advice on a wait for a listing of several families (tasks_ready's too).
FEWER_FAMILIES = "name fewer with -o families=... (e.g. -o families=serp)"


def id_list_advice(page_size: int, families: int, cap: int) -> str:
    """What would shorten a history listing's waits for the vendor's 10 id_list calls a
    minute: a page is one call per family, so larger pages (up to ``cap``) and fewer
    families; with neither left to change, only a narrower window."""
    ways = []
    if page_size < cap:
        ways.append(f"raise -o page_size (now {page_size}; up to {cap}, the default)")
    if families > 1:
        ways.append(FEWER_FAMILIES)
    if not ways:
        return f"each page of {cap} is one id_list call: ask for a narrower window (--since)"
    each = "each family is one id_list call a page" if families > 1 else "each page is one call"
    return f"{each}; {' or '.join(ways)}"
