"""Several providers as one stream, ordered by sort_time then key, fetched lazily."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakevendor import BASE, FakeVendor, FakeVendorApp, connect_fake
from hypothesis import given
from hypothesis import strategies as st

import seotasks
from seotasks import Task, TaskStatus
from seotasks.paging import merge_key, reorder

pytestmark = pytest.mark.usefixtures("fake_registry")


class OtherVendor(FakeVendor):
    name = "othervendor"


class OtherPlugin:
    @seotasks.hookimpl
    def register_providers(self, register: Any) -> None:
        register(OtherVendor)


@pytest.fixture
def two(serve: Any) -> tuple[Any, Any]:
    """Two providers whose tasks interleave in time (the second 20 s later)."""
    seotasks.register_plugin(OtherPlugin(), "other")
    a = serve(FakeVendorApp(2500))
    b = serve(FakeVendorApp(2500, origin=BASE + timedelta(seconds=20)))
    return a, b


def test_merged_is_ordered_by_time_then_key(two: tuple[Any, Any]) -> None:
    a, b = two
    clients = [connect_fake(a.url, page_size=500), connect_fake(b.url, name="othervendor")]
    stream = list(seotasks.merged(clients, status="any"))
    assert len(stream) == 5000 and len({t.key for t in stream}) == 5000
    keys = [merge_key(t) for t in stream]
    assert keys == sorted(keys)
    providers = [t.provider for t in stream[:8]]
    assert "fakevendor" in providers and "othervendor" in providers  # interleaved


def test_ties_are_broken_by_key(fake_registry: None, serve: Any) -> None:
    seotasks.register_plugin(OtherPlugin(), "other")
    a, b = serve(FakeVendorApp(40)), serve(FakeVendorApp(40))
    stream = list(
        seotasks.merged(
            [connect_fake(b.url, name="othervendor"), connect_fake(a.url)], status="completed"
        )
    )
    assert [t.provider for t in stream[:4]] == ["fakevendor", "othervendor"] * 2
    assert stream[0].sort_time == stream[1].sort_time


def test_merged_passes_the_query_to_each_client(two: tuple[Any, Any]) -> None:
    a, b = two
    clients = [connect_fake(a.url), connect_fake(b.url, name="othervendor")]
    until = BASE + timedelta(minutes=41)
    stream = list(seotasks.merged(clients, status="failed", until=until))
    assert len(stream) == 20
    assert all(t.status is TaskStatus.FAILED for t in stream)


def test_merged_is_lazy(two: tuple[Any, Any]) -> None:
    a, b = two
    clients = [connect_fake(a.url), connect_fake(b.url, name="othervendor")]
    stream = seotasks.merged(clients, status="any", window=10)
    assert a.requests == [] and b.requests == []
    first = next(stream)
    assert first.key == "fakevendor:t000001"
    assert len(a.requests) == 1 and len(b.requests) == 1


def test_merged_with_the_default_window_reads_ahead_only_the_window(two: tuple[Any, Any]) -> None:
    a, b = two
    clients = [connect_fake(a.url), connect_fake(b.url, name="othervendor")]
    stream = seotasks.merged(clients, status="any")
    next(stream)
    # The reorder window holds 1000 tasks per source: 11 of the 25 pages, not all.
    assert len(a.requests) == len(b.requests) == 11


def task(n: int, when: datetime | None, provider: str = "p") -> Task:
    return Task(provider=provider, id=f"{n:04d}", status=TaskStatus.COMPLETED, completed_at=when)


def test_merged_accepts_task_iterables_and_puts_unknown_times_last() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    a = [task(1, t0), task(3, t0 + timedelta(hours=2)), task(5, None)]
    b = [task(2, t0 + timedelta(hours=1), "q"), task(4, None, "q")]
    assert [t.id for t in seotasks.merged([a, iter(b)])] == ["0001", "0002", "0003", "0005", "0004"]


def test_merged_consumes_sources_as_the_caller_goes() -> None:
    pulled: list[int] = []
    t0 = datetime(2026, 1, 1, tzinfo=UTC)

    def source(offset: int) -> Any:
        for i in itertools.count():
            pulled.append(i)
            yield task(2 * i + offset, t0 + timedelta(minutes=2 * i + offset))

    stream = seotasks.merged([source(0), source(1)], window=3)
    assert [int(next(stream).id) for _ in range(6)] == [0, 1, 2, 3, 4, 5]
    assert len(pulled) < 20  # infinite sources, bounded reading


@st.composite
def displaced(draw: st.DrawFn) -> tuple[list[Task], int]:
    """Sorted tasks, then shuffled in blocks so none moves more than ``d`` places."""
    n = draw(st.integers(min_value=0, max_value=60))
    d = draw(st.integers(min_value=1, max_value=8))
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    tasks = [task(i, t0 + timedelta(seconds=draw(st.integers(0, 3)) + 4 * i)) for i in range(n)]
    out: list[Task] = []
    for start in range(0, n, d):
        block = tasks[start : start + d]
        out += draw(st.permutations(block))
    return out, d


@given(displaced())
def test_reorder_sorts_anything_displaced_less_than_the_window(
    case: tuple[list[Task], int],
) -> None:
    tasks, d = case
    result = list(reorder(tasks, window=d))
    assert result == sorted(tasks, key=merge_key)


def test_reorder_cannot_fix_what_moved_further_than_the_window() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    tasks = [task(i, t0 + timedelta(minutes=i)) for i in range(1, 10)] + [task(0, t0)]
    assert next(iter(reorder(tasks, window=10))).id == "0000"
    late = list(reorder(tasks, window=3))
    # Out of order (it had moved 9 places), but not lost: it leaves with the heap's rest.
    assert [int(t.id) for t in late] == [1, 2, 3, 4, 5, 6, 0, 7, 8, 9]
    assert sorted(late, key=merge_key) == sorted(tasks, key=merge_key)
    assert list(reorder(tasks, window=1)) == tasks  # window 1: passed through as is
