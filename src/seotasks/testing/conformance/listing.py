"""The listing checks: the plugin is found, and a listing holds exactly the right tasks.

This is the heart of the contract, checked on a quiet emulator: the provider is
registered through its entry point, a full listing spans the pages it should and yields
every seeded task exactly once, the default ``completed`` filter and the time bounds on
creation or completion return exactly what the ground truth says, and every task is
self-consistent (UTC times in order, progress 1.0 once completed), listed under the
status the ground truth gives it, with the fields ``expected_task`` gives. Paging while
the data moves is `ChurnChecks`; resuming from a cursor is `CursorChecks`.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import attrs
import pytest

from ...cursor import position_json
from ...errors import UnknownProvider, UnsupportedQuery
from ...model import Task, TaskQuery, TaskStatus
from ...plugins import get_provider, provider_infos
from ...provider import Position
from .asserts import assert_once, failures_only, held_times, scrubbed, task_ids

if TYPE_CHECKING:
    from . import ConformanceEnv

__all__ = ["ListingChecks"]


class ListingChecks:
    """Loading through the entry point, completeness, filters and task consistency."""

    def test_loads_through_entry_point(self, conformance: ConformanceEnv) -> None:
        __tracebackhide__ = failures_only
        infos = {info.name: info for info in provider_infos()}
        if conformance.provider not in infos:
            # UnknownProvider says why: a plugin of that name that failed to load (with
            # its error), SEOTASKS_LOAD_PLUGINS, or the names that are registered.
            try:
                get_provider(conformance.provider)
            except UnknownProvider as exc:
                pytest.fail(f"{conformance.provider} is not registered: {exc}", pytrace=False)
        assert infos[conformance.provider].distribution, (
            "the provider was registered directly, not through a `seotasks` entry point"
        )

    def test_every_task_exactly_once(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as client:
            pages = list(client.pages(status="any"))
        tasks = [t for p in pages for t in p.tasks]
        assert len(pages) >= conformance.min_pages, (
            f"the listing spanned {len(pages)} {'page' if len(pages) == 1 else 'pages'}, but "
            f"min_pages={conformance.min_pages}: seed more tasks or connect with a smaller "
            "page size (and check that fetch sends the page_size option to the vendor); a "
            "vendor whose listing always fits one page sets min_pages=1"
        )
        assert_once(task_ids(tasks), conformance.expected_ids(TaskQuery(status=None)), "any")

    def test_each_page_and_position_as_fetched(self, conformance: ConformanceEnv) -> None:
        """The listing walked as the provider's own hooks give it, under the client: no
        page holds a task twice (the client drops the repeat unsaid, but a page read twice
        over is a reader's bug), and ``check_position`` gives back each position as
        ``start`` or ``fetch`` made it (one it changes resumes a listing elsewhere than it
        stood, and the kit would blame ``fetch``'s positions for what is its fault)."""
        __tracebackhide__ = failures_only
        query = TaskQuery(status=None)
        with conformance.connect() as client:
            provider = client.provider
            position: Position | None = provider.start(query)
            made_by = "start"
            seen: set[str] = set()
            while position is not None:
                written = position_json(position)
                if written in seen:  # the client stops there; so does this
                    pytest.fail(
                        f"fetch returned a position it had already been given "
                        f"({scrubbed(written, conformance.secrets)[:200]}): "
                        "paging that does not advance would loop for ever; the client stops "
                        "with 'paging did not advance'",
                        pytrace=False,
                    )
                seen.add(written)
                back = provider.check_position(json.loads(written))
                if position_json(back) != written:
                    pytest.fail(
                        f"check_position changed the position {made_by} made: "
                        f"{scrubbed(written, conformance.secrets)[:200]} came "
                        f"back as {scrubbed(position_json(back), conformance.secrets)[:200]}; "
                        "it must return a position it accepts as it is (or raise CursorError)",
                        pytrace=False,
                    )
                batch = provider.fetch(query, position)
                twice = sorted(k for k, n in Counter(t.key for t in batch.tasks).items() if n > 1)
                if twice:
                    pytest.fail(
                        f"fetch returned {len(twice)} task(s) twice in one page ({twice[0]}, "
                        "...): the client drops the repeat, but a page read twice over is the "
                        "page reader's bug",
                        pytrace=False,
                    )
                position, made_by = batch.next, "fetch"

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

    def test_each_status_holds_its_tasks(self, conformance: ConformanceEnv) -> None:
        """Each task under the status the ground truth gives it: a listing of every status,
        grouped by `Task.status`, against ``expected_ids`` of each status; then a listing
        filtered on each status the provider declares. A vendor state mapped to the wrong
        status (an error read as done) passes every other check, and a ``failed`` listing
        comes back empty."""
        with conformance.connect() as client:
            every = list(client.tasks(status="any"))
            for status in TaskStatus:
                assert_once(
                    [t.id for t in every if t.status is status],
                    conformance.expected_ids(TaskQuery(status=status)),
                    f"the tasks listed as {status.value}",
                    explain=_statuses_explained(every, status),
                )
            for status in sorted(client.capabilities.statuses):
                got = list(client.tasks(status=status.value))
                assert all(t.status is status for t in got), f"status={status.value} listed others"
                expected = conformance.expected_ids(TaskQuery(status=status))
                assert_once(task_ids(got), expected, f"the listing of status={status.value}")

    def test_fields_match_the_ground_truth(self, conformance: ConformanceEnv) -> None:
        """Every field ``expected_task`` gives, on every listed task: a progress read as a
        percentage where the vendor writes a ratio, a time read in another zone, a kind or
        a cost mapped from the wrong field."""
        __tracebackhide__ = failures_only
        if conformance.expected_task is None:
            pytest.skip(
                "no expected_task: the fields are checked against no ground truth (a "
                "progress or a time read on the wrong scale passes)"
            )
        names = {str(a.alias) for a in attrs.fields(Task)} - {"raw"}
        with conformance.connect() as client:
            every = list(client.tasks(status="any"))
        wrong: list[str] = []
        checked = 0
        for task in every:
            for name, value in conformance.expected_task(task.id).items():
                assert name in names, (
                    f"expected_task gives {name!r}, which is no Task field (one of "
                    f"{', '.join(sorted(names))})"
                )
                assert not (isinstance(value, datetime) and value.tzinfo is None), (
                    f"expected_task gives {name} of {task.id} as a naive datetime "
                    f"({value.isoformat()}): give it aware (tzinfo=UTC), as a Task holds it"
                )
                got = getattr(task, name)
                checked += 1
                if not _same(got, value):
                    wrong.append(f"{task.key} {name}: listed {got!r}, expected {value!r}")
        assert checked, "expected_task gave no field for any listed task"
        assert not wrong, (
            f"{len(wrong)} of {checked} fields differ from the ground truth, e.g. "
            + "; ".join(wrong[:5])
        )

    @pytest.mark.parametrize("time_field", ["created_at", "completed_at"])
    def test_time_filters_honoured(self, conformance: ConformanceEnv, time_field: str) -> None:
        """``since`` / ``until`` on the creation or the completion time: exactly the
        expected tasks, whatever the vendor filtered itself (the core filters the rest).

        A provider whose tasks never carry the bounded time must refuse the bound with
        `UnsupportedQuery`: answering it lists nothing, whatever the data, which is the
        silent lie the kit exists to catch (``--since`` bounds ``created_at`` by
        default). A time the provider fills (`Capabilities.times`, or ``created_at``
        without a declaration) must be spread over enough tasks to be checked: that fails
        rather than skips. A provider may refuse completion bounds it cannot answer
        completely; the check is skipped then.
        """
        __tracebackhide__ = failures_only
        probe = TaskQuery(status=None, time_field=time_field)
        with conformance.connect() as client:
            promised = time_field in held_times(client.capabilities)
            every = [t for t in client.tasks(status="any") if probe.bounded_time(t) is not None]
            times = sorted(t for t in map(probe.bounded_time, every) if t is not None)
            if not times:
                since = client.transport.now() - timedelta(days=1)
                try:
                    got = list(client.tasks(status="any", since=since, time_field=time_field))
                except UnsupportedQuery:
                    return
                pytest.fail(
                    f"no listed task carries {time_field}, yet a listing bounded on it was "
                    f"answered ({len(got)} tasks) instead of refused with UnsupportedQuery: "
                    "such a listing is empty whatever the data, a silent lie. Fill "
                    f"{time_field} from the vendor time that means it, or refuse bounds on "
                    "it in start()",
                    pytrace=False,
                )
            if len(times) < 4 or times[len(times) // 4] >= times[(3 * len(times)) // 4]:
                what = f"{len(times)} tasks carry {time_field}, over {times[0]}..{times[-1]}"
                if promised:
                    pytest.fail(
                        f"{what}: too few or too close together to check its bounds; seed "
                        f"the emulator with more tasks whose {time_field} differ",
                        pytrace=False,
                    )
                pytest.skip(f"{what}: too few or not spread enough to test time filters")
            since, until = times[len(times) // 4], times[(3 * len(times)) // 4]
            listed = {t.id: t for t in every}
            # At the listed times, then half a second outside them: vendors stamp whole
            # seconds, so only a fraction shows a bound cut to the second (until cut down
            # loses the tasks of its last second).
            for what, half in (("", timedelta(0)), (", half a second outside", _HALF)):
                query = TaskQuery(
                    status=None, since=since - half, until=until + half, time_field=time_field
                )
                refusal = None
                try:
                    got = list(
                        client.tasks(
                            status="any",
                            since=query.since,
                            until=query.until,
                            time_field=time_field,
                        )
                    )
                except UnsupportedQuery as exc:
                    refusal = scrubbed(str(exc), conformance.secrets)
                if refusal is not None and time_field == "completed_at":
                    pytest.skip(f"the provider refuses completion bounds: {refusal}")
                if refusal is not None:  # failed outside the handler: no chain shown
                    pytest.fail(
                        f"the provider refused since/until on created_at ({query.since}.."
                        f"{query.until}), between times its own listing holds: {refusal}. "
                        "since/until bound created_at by default (seotasks tasks --since): "
                        "refuse only what the vendor cannot answer completely (a since "
                        "older than it keeps)",
                        pytrace=False,
                    )
                assert all(query.matches(t) for t in got)
                assert_once(
                    task_ids(got),
                    conformance.expected_ids(query),
                    f"since/until on {time_field}{what} ({query.since}..{query.until})",
                    explain=_bounds_explained(listed, query),
                )


def _same(got: object, value: object) -> bool:
    """Equal, a float within a rounding of another (``0.45`` read from ``"45%"``)."""
    if isinstance(got, float) and isinstance(value, float):
        return math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-12)
    return got == value


def _statuses_explained(
    every: list[Task], status: TaskStatus
) -> Callable[[set[str], set[str]], str]:
    """Under which status the tasks ``expected_ids`` gives ``status`` were listed."""

    def explain(missing: set[str], extra: set[str]) -> str:
        notes = []
        listed_as = sorted({t.status.value for t in every if t.id in missing})
        if listed_as:
            notes.append(
                f"tasks the ground truth says are {status.value} are listed as "
                + ", ".join(listed_as)
            )
        if extra:
            notes.append(f"tasks listed as {status.value} are not {status.value} by the truth")
        return (
            "; ".join(notes) + ": check how the vendor's states map to TaskStatus" if notes else ""
        )

    return explain


#: How far outside the listed times the second bounded listing reaches.
_HALF = timedelta(milliseconds=500)


def _bounds_explained(
    listed: Mapping[str, Task], query: TaskQuery
) -> Callable[[set[str], set[str]], str]:
    """Why a bounded listing differs from the ground truth, from the unbounded listing's
    times: a task listed outside the bounds that ``expected_ids`` holds (or inside, and
    left out) has a time the vendor does not give it; one listed inside, and missing,
    was dropped by a bound sent to the vendor."""
    field = query.time_field

    def explain(missing: set[str], extra: set[str]) -> str:
        notes = []
        for task_id in sorted(missing | extra):
            task = listed.get(task_id)
            when = None if task is None else query.bounded_time(task)
            if task is None or when is None:
                continue
            inside = query.matches(task)
            if (task_id in missing) != inside:
                where = "inside" if inside else "outside"
                holds = "holds it" if task_id in missing else "leaves it out"
                notes.append(
                    f"{task.key} is listed with {field} {when}, {where} the bounds, but "
                    f"expected_ids {holds}: the provider's {field} disagrees with the "
                    "vendor's (read in another time zone or epoch unit, or mapped from a "
                    "time that means something else)"
                )
            else:
                notes.append(
                    f"{task.key} is listed with {field} {when}, inside the bounds, yet the "
                    "bounded listing lost it: a bound sent to the vendor drops it (round "
                    "bounds outward to the vendor's resolution: since down, until up)"
                )
            if len(notes) == 2:
                break
        return "; ".join(notes)

    return explain
