"""The churn check: paging stays exact while the data moves under the listing.

A vendor's task list is not a snapshot: tasks are added, expire, are drained and change
status while someone pages through it, and a provider whose paging is built on offsets
loses or repeats tasks then. With the ``churn`` hook of `ConformanceEnv` the kit moves
the emulator's data between pages (and resumes in a fresh client after the first page),
then checks that every task present throughout was listed, none twice, none invented,
and that the declared order held. It is its own module because it is the one check that
drives the data as well as the listing.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import pytest

from ...model import Task, TaskQuery, TaskStatus
from .asserts import REPEATS_ACROSS_CURSOR, task_ids

if TYPE_CHECKING:
    from . import ConformanceEnv

__all__ = ["ChurnChecks"]


class ChurnChecks:
    """Paging under moving data (skipped when no ``churn`` hook is given)."""

    @pytest.mark.parametrize("status", ["any", "completed"])
    def test_paging_under_churn(self, conformance: ConformanceEnv, status: str) -> None:
        """Tasks come, go and change status while a listing pages through them.

        Between pages the kit calls ``churn``; after the first page it moves to a fresh
        client with that page's cursor, as a resumed job would. Every task present from the first page to the
        last must be listed, none twice, and none the data never held.
        """
        if conformance.churn is None:
            pytest.skip(
                "no churn hook given: paging under changing data is not checked (offset "
                "paging over a list whose rows expire or move loses tasks unseen)"
            )
        from ...merge import ORDER_VALUES

        query = TaskQuery(status=None if status == "any" else TaskStatus.COMPLETED)
        listed: list[Task] = []
        every = TaskQuery(status=None)
        before = conformance.expected_ids(query)
        before_any = conformance.expected_ids(every)
        ever = set(before)
        moved = False
        emitted: list[str] = []
        with conformance.connect() as first:
            order = first.capabilities.order
            page = next(first.pages(status=status))
            emitted += task_ids(page.tasks)
            listed += page.tasks
            cursor = page.next_cursor
        count = 1
        if cursor is not None:
            conformance.churn()
            ever |= conformance.expected_ids(query)
            with conformance.connect() as second:
                for page in second.pages(cursor):
                    count += 1
                    emitted += task_ids(page.tasks)
                    listed += page.tasks
                    if page.next_cursor is not None:
                        conformance.churn()
                        now_any = conformance.expected_ids(every)
                        moved = moved or now_any != before_any
                        ever |= conformance.expected_ids(query)
        after = conformance.expected_ids(query)
        if status == "any" and count > 1:
            assert moved or conformance.expected_ids(every) != before_any, (
                "the churn hook added and removed no task the listing could see"
            )
        dupes = sorted({i for i in emitted if emitted.count(i) > 1})
        assert not dupes, (
            f"status={status}: listed twice under churn: {dupes[:10]} "
            f"(the kit resumes in a fresh client after the first page; {REPEATS_ACROSS_CURSOR})"
        )
        lost = (before & after) - set(emitted)
        if lost:
            # Blame the churn only for what a listing of the data standing still finds.
            # The data has moved since, and with it the page boundaries: a provider that
            # drops a task at each boundary loses other ones now, so any loss counts.
            with conformance.connect() as quiet:
                still = conformance.expected_ids(query) - {t.id for t in quiet.tasks(status=status)}
            why = (
                f"a listing of the data standing still loses {len(still)} tasks too, e.g. "
                f"{sorted(still)[:5]}: fix what test_every_task_exactly_once and "
                "test_completed_filter report first"
                if still
                else "a listing paged by offset or page number skips the rows that move "
                "up when older tasks leave: re-read the rows before the offset and skip to "
                "the last id listed, as the Serpstat provider's overlapping pages do, or "
                "page by a key the vendor offers"
            )
        assert not lost, (
            f"status={status}: {len(lost)} tasks present from the first page to the last "
            f"were lost under churn, e.g. {sorted(lost)[:5]} ({why})"
        )
        extra = set(emitted) - ever
        assert not extra, (
            f"status={status}: {len(extra)} listed tasks the data never held, "
            f"e.g. {sorted(extra)[:5]}"
        )
        if order is not None:  # the declared order is a promise while data moves too
            value_of = ORDER_VALUES[order]
            values = [(t.key, value_of(t)) for t in listed]
            known = [(key, value) for key, value in values if value is not None]
            for (_, before_value), (key, value) in itertools.pairwise(known):
                assert value >= before_value, (
                    f"status={status}: order={order!r} declared, but under churn {key} "
                    f"({value}) came after {before_value}"
                )
