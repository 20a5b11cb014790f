"""Checkpoints of a merged listing written in merge order keep no per-task state.

`ProviderProgress.track_sorted` replaces the per-key bookkeeping by the merge order:
it must reach exactly the same checkpoints (cursor, done, keys written but not yet
confirmed by a cursor) as the per-key bookkeeping, at every point of the output.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from seotasks import Page, Task, TaskStatus
from seotasks.merge import merge_key
from seotasks.resume import ProviderProgress

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def listings(draw: st.DrawFn) -> tuple[list[Page], set[str], int]:
    """Pages of one provider in any order, keys an earlier run wrote, and a stop point."""
    count = draw(st.integers(0, 60))
    minutes = draw(st.lists(st.integers(0, 30), min_size=count, max_size=count))
    tasks = [
        Task(
            provider="p",
            id=f"{i:03d}",
            status=TaskStatus.COMPLETED,
            completed_at=T0 + timedelta(minutes=m),
        )
        for i, m in enumerate(minutes)
    ]
    tasks = draw(st.permutations(tasks))
    size = draw(st.integers(1, 8))
    chunks = [tasks[i : i + size] for i in range(0, len(tasks), size)] or [[]]
    pages = [
        Page(tasks=tuple(chunk), next_cursor=None if n == len(chunks) - 1 else f"c{n + 1}")
        for n, chunk in enumerate(chunks)
    ]
    skip = {t.key for t in tasks if draw(st.integers(0, 4)) == 0}
    return pages, skip, draw(st.integers(0, count))


@settings(max_examples=200, deadline=None)
@given(listings())
def test_sorted_bookkeeping_reaches_the_same_checkpoints(
    case: tuple[list[Page], set[str], int],
) -> None:
    pages, skip, stop = case
    plain, fast, lean = ProviderProgress(), ProviderProgress(), ProviderProgress()
    fast.track_sorted(keep_keys=True)
    lean.track_sorted(keep_keys=False)
    kept: list[Task] = []
    for progress in (plain, fast, lean):
        progress.skip = set(skip)
    for page in pages:  # an exact merge of an unordered source reads every page first
        new = plain.page_arrived(page)
        assert fast.page_arrived(page) == lean.page_arrived(page) == new
        assert new == [t for t in page.tasks if t.key not in skip]
        kept += new
    for task in sorted(kept, key=merge_key)[:stop]:
        moved = [p.written(task) for p in (plain, fast, lean)]
        assert moved[0] == moved[1] == moved[2]
        assert plain.cursor == fast.cursor == lean.cursor
        assert plain.done == fast.done == lean.done
        assert plain.unconfirmed_written() == fast.unconfirmed_written()
        assert plain.unconfirmed_count() == fast.unconfirmed_count()
        assert plain.has_unconfirmed() == fast.has_unconfirmed() == lean.has_unconfirmed()
