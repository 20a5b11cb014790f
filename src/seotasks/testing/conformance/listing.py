"""The listing checks: the plugin is found, and a listing holds exactly the right tasks.

This is the heart of the contract, checked on a quiet emulator: the provider is
registered through its entry point, a full listing spans the pages it should and yields
every seeded task exactly once, the default ``completed`` filter and the time bounds on
creation or completion return exactly what the ground truth says, and every task is
self-consistent (UTC times in order, progress 1.0 once completed). Paging while the data
moves is `ChurnChecks`; resuming from a cursor is `CursorChecks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from ...errors import UnsupportedQuery
from ...model import TaskQuery, TaskStatus
from ...plugins import provider_infos
from .asserts import assert_once, task_ids

if TYPE_CHECKING:
    from . import ConformanceEnv

__all__ = ["ListingChecks"]


class ListingChecks:
    """Loading through the entry point, completeness, filters and task consistency."""

    def test_loads_through_entry_point(self, conformance: ConformanceEnv) -> None:
        infos = {info.name: info for info in provider_infos()}
        assert conformance.provider in infos, f"{conformance.provider} is not registered"
        assert infos[conformance.provider].distribution, (
            "the provider was registered directly, not through a `seotasks` entry point"
        )

    def test_every_task_exactly_once(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as client:
            pages = list(client.pages(status="any"))
        tasks = [t for p in pages for t in p.tasks]
        assert len(pages) >= conformance.min_pages, "the listing did not span several pages"
        assert_once(task_ids(tasks), conformance.expected_ids(TaskQuery(status=None)), "any")

    def test_completed_filter(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as client:
            tasks = list(client.tasks())  # the default is status=completed
        assert all(t.status is TaskStatus.COMPLETED for t in tasks)
        expected = conformance.expected_ids(TaskQuery(status=TaskStatus.COMPLETED))
        assert_once(task_ids(tasks), expected, "completed")

    def test_tasks_are_consistent(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as client:
            tasks = list(client.tasks(status="any"))
        assert tasks, "the emulator should be seeded with tasks"
        for task in tasks:
            assert task.provider == conformance.provider
            assert isinstance(task.id, str) and task.id
            assert task.key == f"{conformance.provider}:{task.id}"
            assert isinstance(task.status, TaskStatus)
            if task.progress is not None:
                assert 0.0 <= task.progress <= 1.0
            if task.status is TaskStatus.COMPLETED:
                assert task.progress == 1.0, f"{task.key} completed with progress {task.progress}"
            for when in (task.created_at, task.started_at, task.completed_at):
                if when is not None:
                    assert when.tzinfo is not None and when.utcoffset() == timedelta(0)
            if task.created_at and task.completed_at:
                assert task.created_at <= task.completed_at, f"{task.key} completed before created"
            if task.started_at and task.created_at:
                assert task.created_at <= task.started_at, f"{task.key} started before created"
            if task.started_at and task.completed_at:
                assert task.started_at <= task.completed_at, f"{task.key} completed before started"
            assert isinstance(task.raw, Mapping)

    @pytest.mark.parametrize("time_field", ["created_at", "completed_at"])
    def test_time_filters_honoured(self, conformance: ConformanceEnv, time_field: str) -> None:
        """``since`` / ``until`` on the creation or the completion time: exactly the
        expected tasks, whatever the vendor filtered itself (the core filters the rest).

        A provider that cannot answer completion bounds completely (its vendor reports no
        completion time) refuses them with `UnsupportedQuery`; the check is skipped then.
        """
        probe = TaskQuery(status=None, time_field=time_field)
        with conformance.connect() as client:
            every = [t for t in client.tasks(status="any") if probe.bounded_time(t) is not None]
            times = sorted(t for t in map(probe.bounded_time, every) if t is not None)
            if not times and time_field == "completed_at":
                # No task says when it finished: a completion bound cannot be answered,
                # and an empty listing would be a silent lie. It must be refused.
                with pytest.raises(UnsupportedQuery):
                    since = datetime.now(UTC) - timedelta(days=1)
                    list(client.tasks(status="any", since=since, time_field=time_field))
                return
            if len(times) < 4:
                pytest.skip(f"too few tasks with {time_field} to test time filters")
            since, until = times[len(times) // 4], times[(3 * len(times)) // 4]
            if since >= until:
                pytest.skip(f"seeded {time_field} times are not spread enough")
            query = TaskQuery(status=None, since=since, until=until, time_field=time_field)
            try:
                got = list(
                    client.tasks(status="any", since=since, until=until, time_field=time_field)
                )
            except UnsupportedQuery as exc:
                if time_field == "created_at":
                    raise
                pytest.skip(f"the provider refuses completion bounds: {exc}")
        assert all(query.matches(t) for t in got)
        assert_once(task_ids(got), conformance.expected_ids(query), f"since/until on {time_field}")
