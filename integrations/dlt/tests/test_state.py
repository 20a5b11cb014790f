"""`ProviderState` alone: the cursor moves with its page; where the next listing starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from seotasks_dlt.state import CURSOR, DRAIN, FULL, SINCE, ProviderState, strategy_for

from seotasks.model import Page, Task, TaskStatus
from seotasks.provider import Capabilities

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _task(n: int, status: TaskStatus = TaskStatus.COMPLETED, minutes: int | None = None) -> Task:
    created = T0 + timedelta(minutes=n if minutes is None else minutes)
    return Task(provider="p", id=str(n), status=status, created_at=created)


def _page(tasks: list[Task], next_cursor: str | None) -> Page:
    return Page(tasks=tuple(tasks), next_cursor=next_cursor)


def _state(store: dict[str, Any], strategy: str, selection: str = "s") -> ProviderState:
    return ProviderState(store, selection=selection, strategy=strategy, overlap=timedelta(0))


def test_cursor_advances_with_each_page_and_clears_at_the_end() -> None:
    store: dict[str, Any] = {}
    state = _state(store, CURSOR)
    state.begin(None)
    state.page(_page([_task(1), _task(2)], "c2"))
    assert state.resume_cursor == "c2"
    state.page(_page([_task(3)], "c3"))
    assert state.resume_cursor == "c3"
    state.page(_page([_task(4)], None))
    assert state.resume_cursor is None
    assert state.start_cursor == "c3"  # the last page is read again, then what is new


def test_cursor_strategy_restarts_at_the_first_page_holding_an_unfinished_task() -> None:
    store: dict[str, Any] = {}
    state = _state(store, CURSOR)
    state.begin("c0")
    state.page(_page([_task(1)], "c1"))
    state.page(_page([_task(2, TaskStatus.RUNNING)], "c2"))
    state.page(_page([_task(3, TaskStatus.QUEUED)], None))
    assert state.start_cursor == "c1"


def test_newest_first_listing_keeps_no_start_cursor() -> None:
    store: dict[str, Any] = {}
    state = _state(store, CURSOR)
    state.begin(None)
    state.page(_page([_task(9), _task(8)], "c1"))
    state.page(_page([_task(2), _task(1)], None))
    assert state.start_cursor is None


def test_since_strategy_starts_at_the_oldest_unfinished_task() -> None:
    store: dict[str, Any] = {}
    state = _state(store, SINCE)
    state.begin(None)
    state.page(_page([_task(1), _task(5, TaskStatus.RUNNING)], "c1"))
    state.page(_page([_task(9)], None))
    assert state.start_since == T0 + timedelta(minutes=5)
    state.begin(None)
    state.page(_page([_task(5), _task(12)], None))
    assert state.start_since == T0 + timedelta(minutes=12)


def test_drain_strategy_always_starts_over_and_forgets_collected_marks() -> None:
    """A collected task leaves the drained list: its mark goes, unless the last page
    still lists it (that page is collected after `page`, and a second fetch consumes)."""
    store: dict[str, Any] = {}
    state = _state(store, DRAIN)
    state.begin(None)
    state.mark_collected("1", T0)
    state.mark_collected("2", T0)
    state.page(_page([_task(2)], None))
    assert state.start_cursor is None and state.start_since is None
    assert not state.was_collected("1")
    assert state.was_collected("2")


def test_the_last_pages_marks_outlive_the_end_of_the_listing() -> None:
    """The end of a listing comes with its last page, before that page is collected:
    the marks of its tasks stay, even those older than the next start (task 7, a run
    backfilled before listing it), and take the listing's creation time (task 8, marked
    with the destination's, a second earlier); the next listing drops what it misses."""
    store: dict[str, Any] = {}
    state = _state(store, SINCE)
    state.begin(None)
    state.mark_collected("7", T0 + timedelta(minutes=7))
    state.mark_collected("8", T0 + timedelta(minutes=8) - timedelta(seconds=1))
    state.page(_page([_task(7), _task(8), _task(9)], None))  # the next listing starts at 9
    assert state.was_collected("7") and state.was_collected("8")
    assert store["collected"]["8"] == (T0 + timedelta(minutes=8)).isoformat()
    state.begin(None)
    state.page(_page([_task(9)], None))
    assert not state.was_collected("7") and not state.was_collected("8")


def test_collected_marks_are_kept_only_where_the_next_listing_reads_again() -> None:
    store: dict[str, Any] = {}
    state = _state(store, SINCE)
    state.begin(None)
    state.page(_page([_task(1), _task(5, TaskStatus.RUNNING), _task(7)], None))
    state.mark_collected("1", T0 + timedelta(minutes=1))
    state.mark_collected("7", T0 + timedelta(minutes=7))
    state.begin(None)
    state.page(_page([_task(7), _task(8)], None))  # mark 8 - the next listing starts at 8
    assert not state.was_collected("1")
    state2 = _state(store, SINCE)
    assert state2.start_since == T0 + timedelta(minutes=8)


def test_another_selection_starts_over() -> None:
    store: dict[str, Any] = {}
    state = _state(store, CURSOR)
    state.begin(None)
    state.page(_page([_task(1)], "c1"))
    again = _state(store, CURSOR, selection="other")
    assert again.resume_cursor is None and again.reset_reason


def test_strategy_follows_the_vendor_listing() -> None:
    assert strategy_for(Capabilities(drains=True)) == DRAIN
    timed = Capabilities(server_filters=frozenset({"since", "until"}))
    assert strategy_for(timed) == SINCE
    assert strategy_for(timed, "completed_at") == FULL  # a creation mark does not apply
    assert strategy_for(Capabilities()) == CURSOR


def test_task_column_types_read_the_same_from_written_and_resolved_annotations() -> None:
    """``attrs.fields(Task)`` holds the types as written (``"float | None"``) until someone
    in the process calls `attrs.resolve_types` on `Task`, which rewrites them in place to
    the types themselves; the ``tasks`` columns must be typed the same either way (the
    load once failed with "no warehouse type for ''" after a test had resolved them)."""
    import typing

    import attrs
    from seotasks_dlt.rows import _BY_TYPE, _type_name

    from seotasks.model import Task

    resolved = typing.get_type_hints(Task)
    for field in attrs.fields(Task):
        if field.name == "_raw":
            continue  # not a column of its own type: `raw` is JSON
        written = _type_name(field.type)
        assert written in _BY_TYPE, (field.name, field.type)
        assert _type_name(resolved[field.name]) == written, (field.name, resolved[field.name])
