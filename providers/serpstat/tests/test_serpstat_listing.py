"""Listing over real loopback HTTP: exact sets while the vendor's pages shift, resumes, fields."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from seotasks_serpstat.emulator import SerpstatEmulator

import seotasks
from seotasks import TaskStatus
from seotasks.clock import FakeClock
from seotasks.emulation import Fault

Connect = Callable[..., seotasks.Client]
MakeEmulator = Callable[..., SerpstatEmulator]


def assert_shifted_listing(
    got: list[str], initial: set[str], expired: set[str], added: set[str]
) -> None:
    """Exactly once each; every task listed from start to end is there; nothing foreign."""
    assert len(got) == len(set(got)), "a task was listed twice"
    must = initial - expired
    missing = must - set(got)
    assert not missing, f"{len(missing)} tasks lost, e.g. {sorted(missing)[:5]}"
    foreign = set(got) - initial - added
    assert not foreign, f"unknown tasks listed: {sorted(foreign)[:5]}"


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_full_listing_while_tasks_arrive_and_expire(
    make_emulator: MakeEmulator, connect: Connect, order: str
) -> None:
    emulator = make_emulator(seed=11, size=12_000, order=order)
    initial = set(emulator.task_ids())
    client = connect(emulator)
    got: list[str] = []
    added: set[str] = set()
    expired: set[str] = set()
    pages = 0
    last_added: set[str] = set()
    # Small moves (absorbed by the overlap) and big ones (more than the overlap,
    # forcing a step back or forward) between pages, then a few quiet pages.
    moves = [(3, 2), (0, 40), (1500, 0), (5, 600), (0, 0), (250, 250), (1, 1), (900, 0), (0, 90)]
    for page in client.pages(status="any"):
        got.extend(t.id for t in page.tasks)
        add, drop = moves[pages] if pages < len(moves) else (0, 0)
        last_added = set(emulator.add_tasks(add))
        added |= last_added
        expired |= set(emulator.expire(drop))
        pages += 1
    assert_shifted_listing(got, initial, expired, added)
    assert pages >= 12
    if order == "asc":
        # Oldest first: tasks that arrived before the last request are read too.
        assert added - last_added - expired <= set(got)


def test_resume_from_cursor_in_fresh_client_after_interruption(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emulator = make_emulator(seed=12, size=10_500)
    initial = set(emulator.task_ids())
    got: list[str] = []
    added: set[str] = set()
    expired: set[str] = set()
    first = connect(emulator)
    cursor: str | None = None
    with pytest.raises(seotasks.TransientError) as info:
        for index, page in enumerate(first.pages(status="any")):
            got.extend(t.id for t in page.tasks)
            added |= set(emulator.add_tasks(17))
            expired |= set(emulator.expire(30))
            if index == 3:
                emulator.server.faults.inject(Fault.HTTP_503, 50)  # outlasts the retries
    first.close()
    cursor = info.value.resume_cursor
    assert cursor is not None
    emulator.server.faults.clear()
    added |= set(emulator.add_tasks(400))
    expired |= set(emulator.expire(700))  # the list moved a lot while we were away
    second = connect(emulator)  # a new process, as far as the listing is concerned
    for page in second.pages(cursor):
        got.extend(t.id for t in page.tasks)
        expired |= set(emulator.expire(5))
    assert_shifted_listing(got, initial, expired, added)
    assert len(got) > 9_000


def test_every_page_cursor_resumes_exactly(make_emulator: MakeEmulator, connect: Connect) -> None:
    """Stop after each page, resume from its cursor in another client: same listing."""
    emulator = make_emulator(seed=13, size=3_300, rps=None)
    expected = emulator.task_ids()
    got: list[str] = []
    cursor: str | None = None
    while True:
        page = connect(emulator).page(cursor, status="any")
        got.extend(t.id for t in page.tasks)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert got == expected


def test_a_cursor_resumes_exactly_under_another_page_size(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    """The position holds an offset in rows, not a page number: a cursor made with one
    ``page_size`` resumes in a client given another, losing and repeating nothing."""
    emulator = make_emulator(seed=16, size=2_500, rps=None)
    sizes = iter([100, 1000, 300, 700, 130, 1000, 100, 500] * 10)
    got: list[str] = []
    cursor: str | None = None
    while True:
        page = connect(emulator, page_size=next(sizes)).page(cursor, status="any")
        got.extend(t.id for t in page.tasks)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert got == emulator.task_ids()


def test_hundred_thousand_tasks(
    make_emulator: MakeEmulator, connect: Connect, clock: FakeClock
) -> None:
    emulator = make_emulator(seed=14, size=100_000, max_rows=None)  # the paging, uncapped
    got = [t.id for t in connect(emulator).tasks(status="any")]
    assert got == emulator.task_ids()
    # 1 request a second, paced on the fake clock: ~100 pages took ~100 clock seconds.
    assert emulator.app.rate_limited == 0
    assert clock.monotonic() >= emulator.requests - 1


def test_status_and_time_filters(
    make_emulator: MakeEmulator, connect: Connect, now: datetime
) -> None:
    emulator = make_emulator(seed=15, size=3_000)
    client = connect(emulator)
    for status in ("completed", "running", "queued"):
        got = [t.id for t in client.tasks(status=status)]
        assert got == emulator.task_ids(status), status
        assert got, f"the seeded data should have {status} tasks"
    since, until = now - timedelta(days=3), now - timedelta(days=1)
    got = [t.id for t in client.tasks(status="any", since=since, until=until)]
    expected = [i for i in emulator.task_ids() if since <= emulator.truth(i).created_at < until]
    assert got == expected and len(got) > 100
    with pytest.raises(seotasks.UnsupportedQuery):
        client.page(status="any", since=datetime.now(UTC) - timedelta(days=30))
    # No failed state at Serpstat: nothing to list, and nothing asked. The whole list was
    # read, filtered to nothing, with a cursor to go on that the next call refused.
    asked = emulator.requests
    page = client.page(status="failed")
    assert page.tasks == () and page.next_cursor is None
    assert page.notes == (
        "serpstat reports no failed tasks (its statuses: completed, queued, running)",
    )
    assert list(client.tasks(status="failed")) == [] and emulator.requests == asked


def test_fields_match_ground_truth(make_emulator: MakeEmulator, connect: Connect) -> None:
    emulator = make_emulator(seed=16, size=2_000)
    tasks = list(connect(emulator).tasks(status="any"))
    assert len(tasks) == 2_000
    for task in tasks:
        truth = emulator.truth(task.id)
        assert task.status.value == truth.status
        assert task.progress == pytest.approx(truth.percent / 100)
        assert task.created_at == truth.created_at
        assert task.completed_at == truth.completed_at
        assert task.keywords_count == truth.keywords_count
        assert task.engine == {"1": "google"}.get(truth.se_id, truth.se_id)
        assert task.device == {"1": "desktop", "2": "mobile"}[truth.device_type_id]
        assert task.language == truth.lang_id
        assert task.location is not None and task.location.startswith(truth.country_id)
        assert task.raw["task_id"] == task.id and task.raw["progress"] == f"{truth.percent}%"


def _kyiv_reading(utc: datetime) -> datetime:
    """What a naive Kyiv wall-clock string of ``utc`` reads back as (first of a repeat)."""
    kyiv = ZoneInfo("Europe/Kyiv")
    naive = utc.astimezone(kyiv).replace(tzinfo=None, fold=0)
    return naive.replace(tzinfo=kyiv).astimezone(UTC)


def test_timezone_option_across_a_dst_boundary(
    make_emulator: MakeEmulator, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Data time just after Kyiv fell back (2026-10-25 04:00 EEST -> 03:00 EET).
    data_now = datetime(2026, 10, 26, 6, 0, tzinfo=UTC)
    emulator = make_emulator(seed=17, size=6_000, timezone="Europe/Kyiv", now=lambda: data_now)
    kyiv = list(connect(emulator, timezone="Europe/Kyiv").tasks(status="any"))
    utc = {t.id: t for t in connect(emulator, timezone="UTC").tasks(status="any")}
    assert len(kyiv) == 6_000
    summer = winter = ambiguous = 0
    for task in kyiv:
        truth = emulator.truth(task.id)
        assert task.created_at == _kyiv_reading(truth.created_at)
        if truth.completed_at is not None:  # the first pass, unless before the creation
            first = _kyiv_reading(truth.completed_at)
            assert task.created_at is not None
            seen = first if first >= task.created_at else truth.completed_at
            assert task.completed_at == seen
        offset = truth.created_at.astimezone(ZoneInfo("Europe/Kyiv")).utcoffset()
        summer += offset == timedelta(hours=3)
        winter += offset == timedelta(hours=2)
        if task.created_at != truth.created_at:
            ambiguous += 1  # the repeated hour: a naive string cannot tell which one
            assert truth.created_at - task.created_at == timedelta(hours=1)
        # The same strings read as UTC are off by exactly the zone's offset.
        other = utc[task.id].created_at
        assert other is not None and task.created_at is not None
        assert other - task.created_at in (timedelta(hours=2), timedelta(hours=3))
    assert summer > 100 and winter > 100 and ambiguous >= 1


def test_a_completion_in_the_repeated_hour_never_precedes_its_creation(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    """When Kyiv falls back, 03:00-04:00 happens twice and a naive time in it is read as
    the first. A task created in the first pass and completed in the second came out
    completed before it was created (14 of 20 000 tasks here, negative turnarounds in a
    migration's comparison). A completion cannot precede its creation: such a one is the
    second pass, and is read so."""
    data_now = datetime(2026, 10, 27, tzinfo=UTC)
    emulator = make_emulator(seed=3, size=20_000, timezone="Europe/Kyiv", now=lambda: data_now)
    early, restored = [], 0
    for task in connect(emulator, timezone="Europe/Kyiv").tasks(status="completed"):
        created, completed = task.created_at, task.completed_at
        truth = emulator.truth(task.id).completed_at
        assert created is not None and completed is not None and truth is not None
        if completed < created:
            early.append(task.id)
        if completed != _kyiv_reading(truth):
            assert completed == truth  # the second pass, exactly
            restored += 1
    assert early == []
    assert restored >= 10


@pytest.mark.parametrize("pending", ["", "0000-00-00 00:00:00"])
def test_blank_parsed_at_variants_over_http(
    make_emulator: MakeEmulator, connect: Connect, pending: str
) -> None:
    emulator = make_emulator(seed=18, size=1_500, pending_parsed_at=pending)
    tasks = list(connect(emulator).tasks(status="any"))
    unfinished = [t for t in tasks if t.status is not TaskStatus.COMPLETED]
    assert unfinished and all(t.completed_at is None for t in unfinished)
    assert all(t.raw["parsed_at"] == pending for t in unfinished)


def test_small_page_size_and_alternative_base(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emulator = make_emulator(seed=19, size=1_234, path="/v4/", rps=None)
    got = [t.id for t in connect(emulator, page_size=100).tasks(status="any")]
    assert got == emulator.task_ids()
    sizes = [json.loads(r.body)["params"]["pageSize"] for r in emulator.server.requests]
    assert sizes[0] == 100 and all(100 <= s <= 125 for s in sizes)
    assert all(r.path == "/v4/" and r.method == "POST" for r in emulator.server.requests)


def test_request_shape(emulator: SerpstatEmulator, connect: Connect) -> None:
    list(connect(emulator).tasks(status="any"))
    ids: list[Any] = []
    for request in emulator.server.requests:
        body = json.loads(request.body)
        assert set(body) == {"id", "method", "params"} and body["method"] == "tasks.getList"
        assert isinstance(body["id"], str)
        ids.append(body["id"])
        assert request.query["token"] == [emulator.token]
        assert request.headers["content-type"] == "application/json"
    assert len(ids) == len(set(ids)) >= 3, "every request needs its own id"
