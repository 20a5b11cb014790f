"""Reading a page-numbered list that moves underneath us, without losing or repeating a task.

``tasks.getList`` only has ``page`` and ``pageSize``: an *offset* into a list that is
ordered by ``task_id`` (ascending in the vendor's examples; a descending list is
handled the same way) and that changes while we read it:

* new tasks arrive at the new end (after the last page if the list is ascending, in
  front of page 1 if descending: every later row moves back);
* tasks older than 7 days fall off the old end (in front of page 1 if ascending: every
  later row moves *forward*, so a plain ``page + 1`` silently skips rows).

De-duplicating ids catches rows that moved back, but nothing in a plain next page shows
that rows moved forward: ids are global vendor counters, not contiguous, so "the first
row of the next page is the successor of the last one seen" cannot be checked. So each
page is planned to **overlap** the previous one by a few rows: the position keeps the
offset just after the last row seen (``offset``) and that row's id (``anchor``), and
the next request picks a ``pageSize`` (within a band below the configured page size)
whose page boundary falls a few rows before ``offset``. Then:

* the anchor is on the page -> everything after it is new, whatever the shift;
* every row is on the unseen side of the anchor -> rows moved forward past us: step
  back a page (at the list's head, nothing can be missing: take them all);
* every row is on the seen side -> rows moved back past us: step forward;
* rows on both sides but no anchor (it expired) -> the unseen side is new;
* an empty page beyond the head -> the list shrank under us: step back.

The end is a short page that reached the anchor (or the head); because pages overlap,
a naturally ending list never yields an empty page, so "empty" is never mistaken for
"done" while rows are still unread. Everything a resumed listing needs is in the
position (no id set is kept), so a cursor resumes exactly in a fresh process.
``misses`` counts consecutive requests that made no progress, so a list moving faster
than it can be read stops with an error instead of chasing it forever.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence
from typing import Final

import attrs

from seotasks.convert import is_ascii_digits
from seotasks.errors import CursorError, ResponseFormatError, TransientError
from seotasks.provider import Position

__all__ = [
    "MAX_MISSES",
    "MAX_OFFSET",
    "MAX_PAGE_SIZE",
    "MAX_ROWS",
    "MIN_PAGE_SIZE",
    "OVERLAP",
    "State",
    "Step",
    "Window",
    "advance",
    "plan",
    "size_band",
]

MIN_PAGE_SIZE: Final = 100
MAX_PAGE_SIZE: Final = 1000
#: The API intro page: no method returns more than 60,000 rows (pages past them: none).
MAX_ROWS: Final = 60_000
#: Rows re-read at the start of each page: shifts up to this size cost no extra request.
OVERLAP: Final = 8
#: Consecutive requests without a new row before giving up (the list outruns us).
MAX_MISSES: Final = 25
#: Far beyond any 7-day task list; bounds what a cursor can ask for.
MAX_OFFSET: Final = 10_000_000
_MAX_ID_DIGITS: Final = 20
_ORDERS: Final = ("asc", "desc")


@attrs.frozen(slots=True)
class State:
    """Where a listing stands; the JSON form is the cursor's position."""

    offset: int = 0
    anchor: str | None = None
    order: str | None = None
    misses: int = 0

    def to_position(self) -> Position:
        return {
            "offset": self.offset,
            "anchor": self.anchor,
            "order": self.order,
            "misses": self.misses,
        }

    @classmethod
    def from_position(cls, position: Position) -> State:
        """A state from a position, checking every field: cursors come from callers."""
        if not isinstance(position, dict) or set(position) != {
            "offset",
            "anchor",
            "order",
            "misses",
        }:
            raise CursorError("serpstat cursor position has the wrong fields")
        offset, anchor = position["offset"], position["anchor"]
        order, misses = position["order"], position["misses"]
        if type(offset) is not int or not 0 <= offset <= MAX_OFFSET:
            raise CursorError("serpstat cursor offset is out of range")
        if type(misses) is not int or not 0 <= misses <= MAX_MISSES:
            raise CursorError("serpstat cursor miss count is out of range")
        if anchor is not None and not (
            type(anchor) is str and len(anchor) <= _MAX_ID_DIGITS and is_ascii_digits(anchor)
        ):
            raise CursorError("serpstat cursor anchor is not a task id")
        if order is not None and order not in _ORDERS:
            raise CursorError("serpstat cursor order is not 'asc' or 'desc'")
        started = anchor is not None
        if started != (offset > 0) or started != (order is not None) or (not started and misses):
            raise CursorError("serpstat cursor position is inconsistent")
        return cls(offset=offset, anchor=anchor, order=order, misses=misses)


@attrs.frozen(slots=True)
class Window:
    """One request: ``page`` of ``size`` rows, covering offsets ``start`` .. ``start+size``."""

    page: int
    size: int
    start: int


@attrs.frozen(slots=True)
class Step:
    """What a fetched page means: emit ``rows[emit_from:]``, continue at ``next``."""

    emit_from: int
    next: State | None
    note: str | None = None


def size_band(page_size: int) -> tuple[int, int]:
    """The page sizes a request may use: up to a quarter below ``page_size``.

    The variation is what lets pages overlap. For the smallest sizes the band reaches a
    little above ``page_size`` (``100`` -> ``100..125``), because a single size can
    never overlap itself.
    """
    width = max(page_size // 4, 25)
    low = max(MIN_PAGE_SIZE, page_size - width)
    high = min(MAX_PAGE_SIZE, max(page_size, low + 25))
    return low, high


def plan(state: State, page_size: int) -> Window:
    """The request that reads on from ``state``: page 1 first, then overlapping pages.

    Picks the size in `size_band` whose page, starting at least `OVERLAP` rows before
    ``state.offset`` (at least one row if no size allows that), brings the most new
    rows. Pure and deterministic: the same state always asks for the same page.
    """
    if state.anchor is None:
        return Window(page=1, size=page_size, start=0)
    low, high = size_band(page_size)
    x = state.offset
    for need in (OVERLAP, 1):
        best: Window | None = None
        best_new = 0
        limit = max(x - need, 0)
        for size in range(high, low - 1, -1):
            start = (limit // size) * size
            new = start + size - x
            if new > best_new:
                best, best_new = Window(page=start // size + 1, size=size, start=start), new
        if best is not None:
            return best
    # Every size divides the offset (not reachable below MAX_OFFSET): read on without overlap.
    return Window(page=x // high + 1, size=high, start=(x // high) * high)


def _number(task_id: str) -> int:
    return int(task_id)


def _detect_order(ids: Sequence[str]) -> str | None:
    if len(ids) < 2:
        return None
    return "asc" if _number(ids[-1]) > _number(ids[0]) else "desc"


def advance(state: State, window: Window, ids: Sequence[str]) -> Step:
    """Interpret the ``ids`` that ``window`` returned (see the module docstring)."""
    n = len(ids)
    if n > window.size:  # all 5000 rows for every page: "the list changed", 25 calls later
        raise ResponseFormatError(
            f"serpstat: page {window.page} holds {n} rows, more than its pageSize {window.size}: "
            "the server does not page tasks.getList as the vendor does",
            field="result[]",
        )
    _check_order(ids, window, state.order or _detect_order(ids) or "asc")
    full = n >= window.size
    if state.anchor is None:
        if not full:
            return Step(0, None)
        return Step(0, State(offset=n, anchor=ids[-1], order=_detect_order(ids) or "asc"))
    anchor = state.anchor
    ascending = state.order != "desc"
    a = _number(anchor)

    def unseen(task_id: str) -> bool:
        value = _number(task_id)
        return value > a if ascending else value < a

    if n == 0:
        if window.start == 0:
            return Step(0, None)  # the whole list is gone: nothing left to read
        return _step_back(state, window, 0, "the list shrank under the listing; stepping back")
    try:
        emit_from = ids.index(anchor) + 1
    except ValueError:
        first, last = unseen(ids[0]), unseen(ids[-1])
        if first and last:
            if window.start > 0:
                return _step_back(state, window, n, "rows moved forward; stepping back")
            emit_from = 0  # at the head: the anchor and all before it have expired
        elif not first and not last:
            if not full:
                return Step(n, None)  # the anchor was the last row and it is gone
            return _step_forward(state, window, n)
        elif last:
            emit_from = next(i for i in range(n) if unseen(ids[i]))  # the anchor expired
        else:
            raise _disorder(ids, window) from None
    if emit_from < n and not (unseen(ids[emit_from]) and unseen(ids[-1])):
        raise _disorder(ids, window)
    if not full:
        return Step(emit_from, None)
    progressed = emit_from < n
    return Step(
        emit_from,
        State(
            offset=window.start + n,
            anchor=ids[-1] if progressed else anchor,
            order=state.order,
            misses=0 if progressed else _missed(state),
        ),
    )


def _missed(state: State) -> int:
    misses = state.misses + 1
    if misses > MAX_MISSES:
        raise TransientError(
            f"serpstat: the task list changed faster than it could be read "
            f"({MAX_MISSES} requests in a row brought no new task); resume later"
        )
    return misses


def _step_back(state: State, window: Window, n: int, note: str) -> Step:
    offset = max(1, window.start - window.size + OVERLAP)
    return Step(
        n,  # nothing is emitted: the rows before these are read first
        State(offset=offset, anchor=state.anchor, order=state.order, misses=_missed(state)),
        note,
    )


def _step_forward(state: State, window: Window, n: int) -> Step:
    return Step(
        n,
        State(
            offset=min(window.start + n + 1, MAX_OFFSET),
            anchor=state.anchor,
            order=state.order,
            misses=_missed(state),
        ),
        "rows moved back; stepping forward",
    )


def _check_order(ids: Sequence[str], window: Window, order: str) -> None:
    """Every row of the page after the one before it, in ``order``: comparing the first
    and last rows alone let a page out of order inside be written (1001, 1002, 1004, 1003)."""
    numbers = list(map(_number, ids))
    before = operator.lt if order != "desc" else operator.gt
    if all(map(before, numbers, itertools.islice(numbers, 1, None))):
        return  # the usual page, judged in C; the row out of place is looked for only now
    at = next(i for i in range(1, len(numbers)) if not before(numbers[i - 1], numbers[i]))
    raise _disorder(ids, window, at)


def _disorder(ids: Sequence[str], window: Window, at: int | None = None) -> ResponseFormatError:
    if at is None:
        where = f"first {ids[0]}, last {ids[-1]}"
    elif ids[at] == ids[at - 1]:
        where = f"row {at + 1} repeats {ids[at]}"
    else:
        where = f"row {at + 1} ({ids[at]}) after {ids[at - 1]}"
    return ResponseFormatError(
        f"serpstat: page {window.page} (pageSize {window.size}) is not ordered by task_id "
        f"({where}); cannot page through it safely",
        field="result[].task_id",
    )
