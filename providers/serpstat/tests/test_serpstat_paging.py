"""The shift-proof paging plan, against a simulated list that moves between requests.

The simulation is the vendor's behaviour reduced to its essence: a list of increasing
ids served by page number (oldest or newest first), with new ids arriving at the new
end and old ids expiring from the old end between any two requests. Whatever the
moves, every id present from the first request to the last must be emitted exactly
once, and nothing else may be emitted twice.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seotasks_serpstat import paging
from seotasks_serpstat.paging import State, Window, advance, plan, size_band

from seotasks import CursorError, ResponseFormatError, TransientError


class MovingList:
    def __init__(self, size: int, *, descending: bool) -> None:
        self.ids = [1000 + 3 * i for i in range(size)]  # sparse, like a global counter
        self.descending = descending

    def page(self, window: Window) -> list[str]:
        view = self.ids[::-1] if self.descending else self.ids
        return [str(i) for i in view[window.start : window.start + window.size]]

    def add(self, count: int) -> None:
        top = self.ids[-1] if self.ids else 1000
        self.ids.extend(top + 5 * (k + 1) for k in range(count))

    def expire(self, count: int) -> None:
        del self.ids[:count]


def run(
    moving: MovingList, page_size: int, moves: list[tuple[int, int]]
) -> tuple[list[str], set[str], set[str], int]:
    """List ``moving``; before request ``k`` apply ``moves[k]`` (added, expired)."""
    initial = {str(i) for i in moving.ids}
    ever = set(initial)
    gone: set[str] = set()
    emitted: list[str] = []
    state: State | None = State()
    requests = 0
    while state is not None:
        if requests and requests - 1 < len(moves):
            added, expired = moves[requests - 1]
            gone |= {str(i) for i in moving.ids[:expired]}
            moving.expire(expired)
            moving.add(added)
            ever |= {str(i) for i in moving.ids}
        window = plan(state, page_size)
        ids = moving.page(window)
        requests += 1
        step = advance(state, window, ids)
        emitted.extend(ids[step.emit_from :])
        state = step.next
        assert requests < 10_000
    return emitted, initial - gone, ever, requests


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("size", [0, 1, 99, 100, 999, 1000, 1001, 4321])
def test_static_lists_are_read_exactly(size: int, descending: bool) -> None:
    emitted, must, _, requests = run(MovingList(size, descending=descending), 1000, [])
    assert sorted(emitted, key=int) == sorted(must, key=int)
    assert len(emitted) == len(set(emitted))
    # The overlap costs a little: never more than one extra request per 20 pages.
    assert requests <= size // 1000 + 1 + size // 20_000 + 1


@settings(max_examples=120, deadline=None)
@given(
    size=st.integers(min_value=0, max_value=2500),
    page_size=st.sampled_from([100, 130, 400, 1000]),
    descending=st.booleans(),
    moves=st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 40))
        | st.tuples(st.just(0), st.integers(0, 95)),
        max_size=40,
    ),
)
def test_shifting_lists_lose_and_repeat_nothing(
    size: int, page_size: int, descending: bool, moves: list[tuple[int, int]]
) -> None:
    moving = MovingList(size, descending=descending)
    emitted, must, ever, _ = run(moving, page_size, moves)
    assert len(emitted) == len(set(emitted)), "a task was emitted twice"
    assert must <= set(emitted), f"lost {sorted(must - set(emitted), key=int)[:5]}"
    assert set(emitted) <= ever


def test_large_expiry_steps_back_and_recovers() -> None:
    moving = MovingList(5000, descending=False)
    # 600 expire before the second request: more than the overlap, less than a page.
    emitted, must, _, requests = run(moving, 1000, [(0, 600)])
    assert must <= set(emitted) and len(emitted) == len(set(emitted))
    assert requests >= 6  # one step back at least


def test_burst_of_new_tasks_in_front_steps_forward() -> None:
    moving = MovingList(3000, descending=True)
    emitted, must, _, _ = run(moving, 1000, [(2500, 0)])
    assert must <= set(emitted) and len(emitted) == len(set(emitted))


def test_plan_overlaps_and_progresses() -> None:
    low, high = size_band(1000)
    assert (low, high) == (750, 1000)
    assert size_band(100) == (100, 125)
    assert plan(State(), 1000) == Window(page=1, size=1000, start=0)
    for offset in [1, 7, 8, 9, 100, 999, 1000, 1001, 5_000, 77_777, 9_999_999]:
        state = State(offset=offset, anchor="5", order="asc")
        window = plan(state, 1000)
        assert low <= window.size <= high
        assert window.start == (window.page - 1) * window.size
        assert window.start <= offset - 1, "the page must reach back to the anchor"
        assert window.start + window.size > offset, "the page must bring new rows"
        if offset > 100:
            assert window.start <= offset - paging.OVERLAP
            assert window.start + window.size - offset >= 700


def test_disordered_pages_are_refused() -> None:
    state = State(offset=3, anchor="30", order="asc")
    window = Window(page=1, size=100, start=0)
    with pytest.raises(ResponseFormatError):
        advance(state, window, ["50", "40", "20"])
    with pytest.raises(ResponseFormatError):
        advance(state, window, ["10", "30", "20"])


@pytest.mark.parametrize("anchor", [None, "1000"])
def test_a_page_out_of_order_inside_is_refused_before_any_row(anchor: str | None) -> None:
    """Only the first and last rows were compared: 1001, 1002, 1004, 1003, 1005 was
    written as it came, and a whole shuffled first page was written before the second
    was refused, the message quoting an ascending pair."""
    state = State(offset=0 if anchor is None else 5, anchor=anchor, order="asc")
    window = Window(page=1, size=5, start=0)
    with pytest.raises(ResponseFormatError, match=r"row 4 \(1003\) after 1004"):
        advance(state, window, ["1001", "1002", "1004", "1003", "1005"])
    with pytest.raises(ResponseFormatError, match=r"row 3 repeats 1002\)"):
        advance(state, window, ["1001", "1002", "1002", "1003", "1005"])


def test_a_page_longer_than_its_size_is_refused() -> None:
    """A server ignoring pageSize (every row on every page) was read as a list changing
    faster than it could be read, after 25 useless calls."""
    state = State(offset=0, anchor=None, order="asc")
    with pytest.raises(ResponseFormatError, match="more than its pageSize 3"):
        advance(state, Window(page=1, size=3, start=0), ["1", "2", "3", "4"])


def test_a_list_outrunning_the_reader_stops_with_a_resumable_error() -> None:
    state = State(offset=5000, anchor="5", order="asc", misses=paging.MAX_MISSES)
    window = plan(state, 1000)
    with pytest.raises(TransientError):
        advance(state, window, [str(10_000 + i) for i in range(window.size)])


GOOD: dict[str, Any] = {"offset": 1000, "anchor": "5484945", "order": "asc", "misses": 0}


@pytest.mark.parametrize(
    "edit",
    [
        {"offset": -1},
        {"offset": paging.MAX_OFFSET + 1},
        {"offset": 1.5},
        {"offset": True},
        {"offset": "1000"},
        {"anchor": "abc"},
        {"anchor": "1" * 21},
        {"anchor": ""},
        {"anchor": 5484945},
        {"anchor": "\uff15"},  # a full-width digit five: isdigit() but not ASCII
        {"order": "sideways"},
        {"misses": -1},
        {"misses": paging.MAX_MISSES + 1},
        {"offset": 0},  # an anchor without an offset
        {"anchor": None},  # an offset without an anchor
        {"order": None},
        {"page": 3},
        {"base_url": "http://evil.example/"},
    ],
)
def test_positions_are_validated_field_by_field(edit: dict[str, Any]) -> None:
    position = {**GOOD, **edit}
    with pytest.raises(CursorError):
        State.from_position(position)


def test_valid_positions_round_trip() -> None:
    assert State.from_position(dict(GOOD)).to_position() == GOOD
    start = State().to_position()
    assert State.from_position(start) == State()
    with pytest.raises(CursorError):
        State.from_position({**start, "misses": 1})
