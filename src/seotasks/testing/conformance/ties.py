"""The tie check: tasks with the same time on both sides of a page boundary all arrive.

A keyset listing continues "after the last time seen". Written as ``time > last`` it
loses every task that shares the last time of a page but did not fit on it; written as
``time >= last`` without remembering the ids already delivered it repeats them. Vendors
stamp in whole seconds and post in batches, so ties are common in real data; in seeded
data they are rare, and a check that waits for the seed to put one at a page boundary
proves nothing. So the kit makes the tie itself: it takes the last task of the first
page and asks the emulator, through ``ConformanceEnv.tie``, for tasks exactly like it
(the same status, the same times) under new ids. However the vendor orders equal times,
the tied group then holds the last place of the first page and the first of the second,
and the whole listing must still hold every task exactly once.
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING

import pytest

from ...capabilities import TIME_NAMES
from ...merge import ORDER_VALUES
from ...model import Task, TaskQuery
from .asserts import assert_once, task_ids

if TYPE_CHECKING:
    from . import ConformanceEnv

__all__ = ["TieChecks"]

#: Tasks added next to the anchor: two, so that at least one sorts on each side of it
#: or both after it; either way the group spans the boundary.
_TWINS = 2


def _times(task: Task) -> tuple[datetime | None, ...]:
    return tuple(getattr(task, name) for name in TIME_NAMES)


def _when(task: Task) -> str:
    """The task's times as a message shows them: ``created_at=2026-11-20T10:00:00+00:00``."""
    times = zip(TIME_NAMES, _times(task), strict=True)
    return " ".join(f"{name}={value.isoformat()}" for name, value in times if value is not None)


class TieChecks:
    """Tied times at a page boundary (skipped without a ``tie`` hook)."""

    def test_tie_at_page_boundary(self, conformance: ConformanceEnv) -> None:
        """Tasks sharing the first page's last time, made by the ``tie`` hook, are all
        listed once, and the tie does span the boundary (the hook placed them right)."""
        if conformance.tie is None:
            pytest.skip(
                "no tie hook given (ConformanceEnv.tie): tied times at a page boundary "
                "are not checked"
            )
        with conformance.connect() as client:
            first = client.page(status="any")
        if first.next_cursor is None or not first.tasks:
            if conformance.min_pages > 1:
                pytest.fail(
                    "the first page was also the last: no page boundary to put a tie at",
                    pytrace=False,
                )
            pytest.skip("the whole listing fits one page (min_pages=1): no page boundary")
        anchor = first.tasks[-1]
        added = list(conformance.tie(anchor.id, _TWINS))
        assert len(added) == _TWINS and len(set(added)) == _TWINS, (
            f"the tie hook was asked for {_TWINS} new tasks and returned ids {added}"
        )
        assert anchor.id not in added, "the tie hook returned the anchor's own id as new"
        with conformance.connect() as client:
            pages = list(client.pages(status="any"))
            order = client.capabilities.order
        listed = [task for page in pages for task in page.tasks]
        assert_once(
            task_ids(listed),
            conformance.expected_ids(TaskQuery(status=None)),
            f"tied with {anchor.key} at the first page boundary",
        )
        by_id = {task.id: task for task in listed}
        for new in added:
            assert _times(by_id[new]) == _times(by_id[anchor.id]), (
                f"the tie hook made task {new} with times {_times(by_id[new])}, not those "
                f"of {anchor.id} ({_times(by_id[anchor.id])}): it must copy every time"
            )
        # The tie must be one run of the listing (tasks with the anchor's times, the
        # vendor may order others of the same time among them) across the boundary.
        group = {anchor.id, *added}
        at = [index for index, task in enumerate(listed) if task.id in group]
        run = listed[at[0] : at[-1] + 1]
        page_of = {task.id: index for index, page in enumerate(pages) for task in page.tasks}
        others = [task for task in run if _times(task) != _times(by_id[anchor.id])]
        assert not others and page_of[run[0].id] != page_of[run[-1].id], (
            f"the tied tasks {sorted(group)} were listed at places {at} (pages "
            f"{sorted({page_of[i] + 1 for i in group})}), not side by side across a page "
            f"boundary{_between(others)}: the tie hook must add tasks the listing orders "
            f"next to the anchor{_out_of_order(listed, order)}"
        )


def _between(others: list[Task]) -> str:
    """What came between the tied tasks, with their times, for the failure message."""
    if not others:
        return ""
    shown = ", ".join(f"{task.id} at {_when(task)}" for task in others[:3])
    return f", with {len(others)} task(s) of other times between them ({shown})"


def _out_of_order(listed: list[Task], order: str | None) -> str:
    """The other suspect, where the listing breaks its declared order: a provider that
    reorders the vendor's pages splits a tie its hook placed right."""
    if order is None:
        return ""
    value_of = ORDER_VALUES[order]
    values = [(task, value_of(task)) for task in listed]
    kept = [(task, value) for task, value in values if value is not None]
    for (before, early), (after, late) in pairwise(kept):
        if late < early:
            return (
                f"; or the provider reorders the vendor's pages: the listing is out of its "
                f"declared order ({order}): {before.id} at {_when(before)} came before "
                f"{after.id} at {_when(after)} (see test_declared_order_holds)"
            )
    return ""
