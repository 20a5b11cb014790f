"""Time bounds on creation or completion, and the optional ``started_at``.

``TaskQuery.time_field`` says which time ``since`` / ``until`` bound; cursors carry it
(and stay byte-identical for the default), a cursor refuses a contradicting one, and the
core filters exactly whatever the provider filtered itself.
"""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from clihere import run_here
from clirun import cli_env
from fakevendor import FakeVendorApp

import seotasks
from seotasks import cursor as cursor_codec
from seotasks.client import build_query
from seotasks.export import COLUMNS, task_record
from seotasks.model import Task, TaskQuery, TaskStatus
from seotasks.provider import Capabilities, require_window

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _task(created: int, completed: int | None) -> Task:
    return Task(
        provider="p",
        id=f"{created}-{completed}",
        status=TaskStatus.COMPLETED if completed is not None else TaskStatus.RUNNING,
        created_at=T0 + timedelta(hours=created),
        completed_at=None if completed is None else T0 + timedelta(hours=completed),
    )


def test_completion_bounds_match_completion_only() -> None:
    since, until = T0 + timedelta(hours=10), T0 + timedelta(hours=20)
    by_done = TaskQuery(status=None, since=since, until=until, time_field="completed_at")
    by_created = TaskQuery(status=None, since=since, until=until)
    early_late = _task(2, 15)  # created before since, finished inside: "finished since"
    inside_open = _task(12, None)  # created inside, not finished
    assert by_done.matches(early_late) and not by_created.matches(early_late)
    assert by_created.matches(inside_open) and not by_done.matches(inside_open)
    assert not by_done.matches(_task(12, 20))  # until is exclusive
    with pytest.raises(ValueError):
        TaskQuery(time_field="started_at")


def test_build_query_reads_loose_names() -> None:
    assert build_query("any", "2026-11-01", None, "completed").time_field == "completed_at"
    assert build_query("any").time_field == "created_at"
    with pytest.raises(seotasks.ConfigError, match="created_at or completed_at"):
        build_query("any", None, None, "finished")


def test_cursors_carry_the_time_field_and_old_ones_stay_valid() -> None:
    plain = TaskQuery(status=None, since=T0)
    token = cursor_codec.encode(provider="p", listing={}, query=plain, position={"n": 1})
    assert b"time_field" not in cursor_codec._unb64(token.split(".")[1])
    done = TaskQuery(status=None, since=T0, time_field="completed_at")
    token = cursor_codec.encode(provider="p", listing={}, query=done, position={"n": 1})
    assert cursor_codec.decode(token).query == done


def test_a_cursor_refuses_another_time_field(client: seotasks.Client) -> None:
    page = client.page(status="any", since="2026-11-01", time_field="completed_at")
    assert page.next_cursor
    assert all(t.completed_at is not None for t in page.tasks)
    with pytest.raises(seotasks.CursorError, match="time_field=completed_at"):
        client.page(page.next_cursor, time_field="created_at")
    rest = list(client.tasks(page.next_cursor))  # the cursor's own field applies
    assert rest and all(t.completed_at is not None for t in rest)


def test_the_core_filters_completion_bounds_exactly(
    client: seotasks.Client, app: FakeVendorApp
) -> None:
    # The fake vendor filters nothing itself: every bound is the core's.
    since, until = T0 + timedelta(hours=1), T0 + timedelta(hours=3)
    got = {
        t.id
        for t in client.tasks(status="any", since=since, until=until, time_field="completed_at")
    }
    expected = set()
    for item in app.items:
        if item["finished"]:
            done = datetime.fromisoformat(item["finished"])
            if since <= done < until:
                expected.add(item["id"])
    assert got == expected and got


def test_server_filters_vocabulary_is_checked() -> None:
    caps = Capabilities(server_filters=frozenset({"status", "completed_since"}))
    assert "completed_until" in caps.describe()["client_filters"]
    with pytest.raises(ValueError):
        Capabilities(server_filters=frozenset({"finished_since"}))


def test_started_at_is_a_checked_optional_field() -> None:
    started = T0 + timedelta(minutes=1)
    task = Task(provider="p", id="1", status=TaskStatus.RUNNING, created_at=T0, started_at=started)
    assert task.started_at == started and _task(1, 2).started_at is None
    with pytest.raises(ValueError, match="started_at"):
        Task(provider="p", id="1", status=TaskStatus.RUNNING, started_at=datetime(2026, 11, 1))
    assert pickle.loads(pickle.dumps(task)) == task
    record = task_record(task)
    assert list(record) == list(COLUMNS) and COLUMNS[-1] == "started_at"
    assert record["started_at"] == started.isoformat()


@pytest.mark.parametrize(("provider", "since"), [("dataforseo", "3d"), ("serpstat", "8d")])
def test_since_as_long_ago_as_the_vendor_keeps_is_accepted(
    provider: str, since: str, tmp_path: Path
) -> None:
    """``--since 3d`` asks for what DataForSEO's ``tasks_ready`` keeps (3 days); it is
    counted from the moment the command line is read, so it was some milliseconds older
    than the window when the provider started, and refused with "since=T is older than
    T" (two equal times)."""
    done = run_here(
        ["tasks", "--sandbox", "-p", provider, "--since", since, "-L", "1"], cli_env(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1


def test_a_since_older_than_the_vendor_keeps_names_its_window() -> None:
    """Serpstat lists 7 days and accepts a day more (its window's edge is not exact):
    the refusal named 8 days, a retention the vendor does not have."""
    now = datetime(2026, 11, 20, tzinfo=UTC)
    old = TaskQuery(status=None, since=now - timedelta(days=9), until=None)
    with pytest.raises(seotasks.UnsupportedQuery) as refused:
        require_window(
            old, window=timedelta(days=7), now=now, what="serpstat", grace=timedelta(days=1)
        )
    assert str(refused.value) == (
        "serpstat keeps tasks for 7 days; since=2026-11-11T00:00:00+00:00 is older than the "
        "oldest accepted, 2026-11-11T23:59:00+00:00 (7 days back, with a day plus a minute "
        "to spare)"
    )  # it said "older than 2026-11-11T23:59:00": 8 days and a minute, unexplained
    edge = TaskQuery(status=None, since=now - timedelta(days=7, seconds=30), until=None)
    require_window(edge, window=timedelta(days=7), now=now, what="serpstat")


def test_a_lone_until_before_the_window_is_refused_not_listed_empty() -> None:
    """``tasks --until 2026-11-20`` past Serpstat's 7 days listed nothing, exit 0: an empty
    listing reads as "no tasks then". A ``--since`` that old was refused already."""
    now = datetime(2026, 11, 20, tzinfo=UTC)
    old = TaskQuery(status=None, since=None, until=now - timedelta(days=9))
    with pytest.raises(seotasks.UnsupportedQuery, match="so nothing could be listed"):
        require_window(
            old, window=timedelta(days=7), now=now, what="serpstat", grace=timedelta(days=1)
        )
    inside = TaskQuery(status=None, since=None, until=now - timedelta(days=7))
    require_window(
        inside, window=timedelta(days=7), now=now, what="serpstat", grace=timedelta(days=1)
    )


def test_a_relative_time_reaches_back_to_the_calendars_second_day_at_most(tmp_path: Path) -> None:
    """One check, shared by the CLI and the dlt source: the last span that still leaves a
    day of the year 1 in hand is taken, one day more is refused, as is a span past
    `timedelta`'s own range; any other form is not a relative time (None)."""
    from seotasks.relative_time import reach_back

    now = datetime.now(UTC)
    days = (now - datetime(1, 1, 2, tzinfo=UTC)).days
    assert reach_back(f"{days}d", now) == now - timedelta(days=days)
    for value in (f"{days + 1}d", "99999999999d"):
        with pytest.raises(ValueError, match="before the year 1"):
            reach_back(value, now)
    assert reach_back("2026-01-01", now) is None
    # Two days more: the command's own clock reads a moment later than the test's.
    done = run_here(["tasks", "-p", "serpstat", "--since", f"{days + 2}d"], cli_env(tmp_path))
    assert done.returncode == 2
    assert f"--since {days + 2}d: that reaches back before the year 1" in done.stderr
