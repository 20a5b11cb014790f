"""Several providers as one stream, ordered by sort_time then key, fetched lazily."""

from __future__ import annotations

import contextlib
import itertools
import os
import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from fakevendor import BASE, FakeVendorApp, OtherVendor, PluginOf, connect_fake
from hypothesis import given, settings
from hypothesis import strategies as st

import seotasks
from seotasks import Task, TaskStatus, merge, spill
from seotasks.merge import Source, merge_key

pytestmark = pytest.mark.usefixtures("fake_registry")


@pytest.fixture
def two(serve: Any) -> tuple[Any, Any]:
    """Two providers whose tasks interleave in time (the second 20 s later)."""
    seotasks.register_plugin(PluginOf(OtherVendor), "other")
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
    seotasks.register_plugin(PluginOf(OtherVendor), "other")
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
    stream = seotasks.merged(clients, status="any")
    assert a.requests == [] and b.requests == []
    first = next(stream)
    assert first.key == "fakevendor:t000001"
    # Both declare order="created_at": the first task leaves after each one's first page.
    assert len(a.requests) == 1 and len(b.requests) == 1


def test_an_unordered_source_is_read_to_its_end_before_its_first_task(
    two: tuple[Any, Any],
) -> None:
    a, b = two
    ordered = connect_fake(b.url, name="othervendor")
    unordered = Source(connect_fake(a.url).tasks(status="any"))  # no declared order
    stream = seotasks.merged([unordered, ordered], status="any")
    next(stream)
    assert len(a.requests) == 25  # the whole listing (2500 tasks, 100 a page)
    assert len(b.requests) == 1


def task(n: int, when: datetime | None, provider: str = "p") -> Task:
    return Task(provider=provider, id=f"{n:04d}", status=TaskStatus.COMPLETED, completed_at=when)


def test_merged_accepts_task_iterables_and_puts_unknown_times_last() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    a = [task(1, t0), task(3, t0 + timedelta(hours=2)), task(5, None)]
    b = [task(2, t0 + timedelta(hours=1), "q"), task(4, None, "q")]
    assert [t.id for t in seotasks.merged([a, iter(b)])] == ["0001", "0002", "0003", "0005", "0004"]


def test_merged_consumes_ordered_sources_as_the_caller_goes() -> None:
    pulled: list[int] = []
    t0 = datetime(2026, 1, 1, tzinfo=UTC)

    def source(offset: int) -> Any:
        for i in itertools.count():
            pulled.append(i)
            yield task(2 * i + offset, t0 + timedelta(minutes=2 * i + offset))

    stream = seotasks.merged(
        [Source(source(0), "sort_time"), Source(source(1), "completed_at")], buffer=3
    )
    assert [int(next(stream).id) for _ in range(6)] == [0, 1, 2, 3, 4, 5]
    assert len(pulled) < 20  # infinite sources, bounded reading


# -- exact order at any size, in bounded memory ------------------------------------------------

T0 = datetime(2026, 1, 1, tzinfo=UTC)


#: One task's times, in minutes after T0: creation (None: unknown), then completion's
#: delay after it (None: not completed). Built once: hypothesis validates a strategy the
#: first time it draws from it, so strategies built inside the composite cost that for
#: every task of every example.
_TIMES = st.tuples(st.none() | st.integers(0, 300), st.none() | st.integers(0, 90))
_SOURCE_TIMES = st.lists(_TIMES, max_size=120)


@st.composite
def arrangements(draw: st.DrawFn) -> list[Source]:
    """Sources of tasks in any order: sorted, reversed, shuffled, or in family blocks.

    Times are drawn from a small range so ties (broken by key) and unknown times occur.
    A source is declared ordered (by a field it really is sorted by) only when it is.
    """
    count = draw(st.integers(min_value=0, max_value=5))
    sources = []
    for number in range(count):
        provider = f"p{number}"
        tasks = []
        for i, (minute, delay) in enumerate(draw(_SOURCE_TIMES)):
            created = None if minute is None else T0 + timedelta(minutes=minute)
            done = None
            if created is not None and delay is not None:
                done = created + timedelta(minutes=delay)
            status = TaskStatus.COMPLETED if done is not None else TaskStatus.RUNNING
            tasks.append(
                Task(
                    provider=provider,
                    id=f"{i:04d}",
                    status=status,
                    created_at=created,
                    completed_at=done,
                    raw={"i": i},
                )
            )
        layout = draw(st.sampled_from(["sorted", "created", "reversed", "shuffled", "blocks"]))
        declared: str | None = None
        if layout == "sorted":
            tasks.sort(key=merge_key)
            declared = draw(st.sampled_from([None, "sort_time"]))
        elif layout == "created":
            tasks = [t for t in tasks if t.created_at is not None]
            tasks.sort(key=lambda t: (t.created_at, t.id))
            declared = draw(st.sampled_from([None, "created_at"]))
        elif layout == "reversed":
            tasks.sort(key=merge_key, reverse=True)
        elif layout == "shuffled":
            tasks = draw(st.permutations(tasks))
        else:  # families: each block sorted by creation, the blocks interleaving in time
            families = draw(st.integers(min_value=1, max_value=4))
            blocks: list[list[Task]] = [[] for _ in range(families)]
            which = draw(
                st.lists(st.integers(0, families - 1), min_size=len(tasks), max_size=len(tasks))
            )
            for t, block in zip(tasks, which, strict=True):
                blocks[block].append(t)
            tasks = []
            for block in blocks:
                tasks += sorted(block, key=lambda t: (t.created_at or T0, t.id))
        sources.append(Source(tasks, declared, provider))
    return sources


@settings(max_examples=100, deadline=None)
@given(arrangements(), st.integers(min_value=1, max_value=40))
def test_merged_is_exact_for_any_order_and_any_buffer(
    tmp_path_factory: pytest.TempPathFactory, sources: list[Source], buffer: int
) -> None:
    everything = [t for s in sources for t in s.tasks]
    tmp = tmp_path_factory.mktemp("spill")
    out = list(seotasks.merged(sources, buffer=buffer, tmpdir=tmp))
    assert out == sorted(everything, key=merge_key)
    assert [t.key for t in out] == [t.key for t in sorted(everything, key=merge_key)]
    assert [dict(t.raw) for t in out] == [dict(t.raw) for t in sorted(everything, key=merge_key)]
    assert list(tmp.iterdir()) == []  # every spill directory removed


def test_many_runs_are_merged_in_passes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(spill, "FAN_IN", 3)
    tasks = [task(i, T0 + timedelta(seconds=(i * 7919) % 1000)) for i in range(500)]
    seen: list[spill.SpillDir] = []
    real = spill.SpillDir

    def recording(*args: Any, **kwargs: Any) -> spill.SpillDir:
        made = real(*args, **kwargs)
        seen.append(made)
        return made

    monkeypatch.setattr(merge, "SpillDir", recording)
    out = list(seotasks.merged([list(reversed(tasks)), tasks[::2]], buffer=7, tmpdir=tmp_path))
    assert out == sorted(tasks + tasks[::2], key=merge_key)
    # 500/7 + 250/7 first runs, then passes of 3: more runs written than read at once.
    assert sum(s.runs_written for s in seen) > 110
    assert list(tmp_path.iterdir()) == []


def test_spill_files_are_private_and_removed_on_error_and_close(tmp_path: Path) -> None:
    tasks = [task(i, T0 + timedelta(minutes=-i)) for i in range(50)]

    def failing() -> Any:
        yield from tasks
        raise seotasks.TransientError("vendor went away")

    stream = seotasks.merged([failing()], buffer=10, tmpdir=tmp_path)
    with pytest.raises(seotasks.TransientError):
        next(stream)
    assert list(tmp_path.iterdir()) == []

    stream = seotasks.merged([tasks, tasks[:20]], buffer=10, tmpdir=tmp_path)
    next(stream)
    (directory,) = tmp_path.iterdir()
    assert directory.name.startswith("seotasks-merge-")
    assert directory.stat().st_mode & 0o777 == 0o700
    assert len(list(directory.iterdir())) > 1
    stream.close()
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_temporary_directory_is_a_clear_error(tmp_path: Path) -> None:
    tasks = [task(i, T0 + timedelta(minutes=-i)) for i in range(50)]
    missing = tmp_path / "no-such-dir"
    with pytest.raises(seotasks.StorageError, match="TMPDIR") as caught:
        list(seotasks.merged([tasks], buffer=10, tmpdir=missing))
    assert str(missing) in str(caught.value) and "order='arrival'" in str(caught.value)
    # Within the buffer nothing is written, so the same setting works for a short list.
    assert len(list(seotasks.merged([tasks], buffer=100, tmpdir=missing))) == 50


def test_merge_key_is_sort_time_then_key() -> None:
    done = Task(provider="p", id="1", status=TaskStatus.COMPLETED, created_at=T0, completed_at=T0)
    running = Task(provider="q", id="2", status=TaskStatus.RUNNING, created_at=T0)
    unknown = Task(provider="r", id="3", status=TaskStatus.QUEUED)
    for t in (done, running, unknown):
        when = t.sort_time or datetime.max.replace(tzinfo=UTC)
        assert merge_key(t) == (when, t.key)


def test_spill_files_are_removed_on_ctrl_c(tmp_path: Path) -> None:
    tasks = [task(i, T0 + timedelta(minutes=-i)) for i in range(50)]

    def interrupted() -> Any:
        yield from tasks
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        list(seotasks.merged([interrupted()], buffer=5, tmpdir=tmp_path))
    assert list(tmp_path.iterdir()) == []


def _open_files_under(folder: Path) -> list[str]:
    """The files this process holds open below ``folder`` (deleted ones included)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # closed between the listing and the readlink
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith(str(folder)):
                found.append(target)
    return found


def test_ctrl_c_while_runs_merge_in_passes_leaves_no_file_open(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A Ctrl-C landing while a pass merges runs into a longer one (in its write): the
    runs being read are closed with the merge, not whenever the garbage collector frees
    the traceback that holds them (a ResourceWarning, an open file meanwhile)."""
    monkeypatch.setattr(spill, "FAN_IN", 3)
    dump, dumps = pickle.dump, itertools.count(1)

    def interrupted(*args: Any, **kwargs: Any) -> None:
        # 20 runs of 5 tasks, one task a chunk: the 103rd chunk is in the first pass.
        if next(dumps) == 103:
            raise KeyboardInterrupt
        dump(*args, **kwargs)

    monkeypatch.setattr(spill.pickle, "dump", interrupted)
    tasks = [task(i, T0 + timedelta(minutes=-i)) for i in range(100)]
    with pytest.raises(KeyboardInterrupt) as caught:
        list(seotasks.merged([tasks], buffer=5, tmpdir=tmp_path))
    assert caught.traceback  # held, as a notebook or a caller's handler holds it
    assert _open_files_under(tmp_path) == []
    assert list(tmp_path.iterdir()) == []


def test_a_source_breaking_its_declared_order_is_an_error_not_a_wrong_order() -> None:
    tasks = [task(i, T0 + timedelta(minutes=i)) for i in range(10)] + [task(99, T0)]
    with pytest.raises(seotasks.ResponseFormatError, match="not in the order") as caught:
        list(seotasks.merged([Source(tasks, "sort_time", "acme")], buffer=100))
    assert "p:0099" in str(caught.value) and "order='arrival'" in str(caught.value)
    # ... unless the buffer still held everything due after it: then it is simply exact.
    late = [task(i, T0 + timedelta(minutes=i)) for i in range(1, 10)] + [task(0, T0)]
    created = [Task(**{**_fields(t), "created_at": T0}) for t in late]  # declared bound T0
    assert list(seotasks.merged([Source(created, "created_at")])) == sorted(created, key=merge_key)


def _fields(t: Task) -> dict[str, Any]:
    return {
        "provider": t.provider,
        "id": t.id,
        "status": t.status,
        "completed_at": t.completed_at,
    }


def test_arrival_order_keeps_each_source_as_delivered() -> None:
    a = [task(i, T0 + timedelta(minutes=10 - i)) for i in range(5)]
    b = [task(i, T0 + timedelta(minutes=i), "q") for i in range(5)]
    out = list(seotasks.merged([a, b], order="arrival"))
    assert [t for t in out if t.provider == "p"] == a  # reversed, as delivered
    assert sorted(out, key=merge_key) != out
    assert sorted(out, key=merge_key) == list(seotasks.merged([a, b]))


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="order"):
        seotasks.merged([], order="approximate")
    with pytest.raises(ValueError, match="buffer"):
        seotasks.merged([], buffer=0)
    with pytest.raises(ValueError, match="order"):
        Source([], "updated_at")
    with pytest.raises(ValueError, match="order"):
        seotasks.Capabilities(order="newest_first")


@pytest.mark.parametrize("order", ["exact", "arrival"])
def test_an_item_that_is_no_task_is_a_type_error_naming_it(order: str) -> None:
    """It was ``AttributeError: 'int' object has no attribute 'completed_at'``."""
    done = Task(provider="p", id="a", status=TaskStatus.COMPLETED)
    with pytest.raises(TypeError, match=r"^merged: item 1 of source is a int, not a Task"):
        list(seotasks.merged([[done, 2]], order=order))
    with pytest.raises(TypeError, match=r"^merged: item 0 of mine is a str, not a Task"):
        list(seotasks.merged([Source(["x"], name="mine")], order=order))


@pytest.mark.parametrize("source", [42, None, 1.5])
def test_a_source_that_is_no_stream_is_refused_at_the_call(source: Any) -> None:
    """``merged([42])`` failed only when iterated, as ``'int' object is not iterable``."""
    with pytest.raises(TypeError, match=r"^merged takes clients, Sources or iterables of Tasks"):
        seotasks.merged([source])


# -- the spill format round-trips every field -------------------------------------------------

_RAW = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.decimals(allow_nan=False)
    | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
_TIME = st.none() | st.datetimes(timezones=st.just(UTC))
# Built once, like the others: a strategy built in the composite is validated every task.
_TEXT = st.none() | st.text()
_PROGRESS = st.none() | st.floats(0.0, 1.0)
_COST = st.none() | st.decimals(allow_nan=False, allow_infinity=False)
_COUNT = st.none() | st.integers(min_value=0)
_NAME = st.text(min_size=1)
_RAWS = st.dictionaries(st.text(), _RAW, max_size=4)


@st.composite
def any_task(draw: st.DrawFn) -> Task:
    return Task(
        provider=draw(_NAME),
        id=draw(_NAME),
        status=draw(st.sampled_from(TaskStatus)),
        progress=draw(_PROGRESS),
        created_at=draw(_TIME),
        completed_at=draw(_TIME),
        kind=draw(_TEXT),
        tag=draw(_TEXT),
        cost=draw(_COST),
        engine=draw(_TEXT),
        device=draw(_TEXT),
        location=draw(_TEXT),
        language=draw(_TEXT),
        keywords_count=draw(_COUNT),
        message=draw(_TEXT),
        started_at=draw(_TIME),
        raw=draw(_RAWS),
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(any_task(), max_size=12), st.integers(1, 5))
def test_spilled_tasks_round_trip_exactly(
    tmp_path_factory: pytest.TempPathFactory, tasks: list[Task], chunk: int
) -> None:
    directory = spill.SpillDir(tmp_path_factory.mktemp("rt"), chunk=chunk)
    try:
        back = list(directory.write(tasks))
    finally:
        directory.close()
    assert back == tasks
    for before, after in zip(tasks, back, strict=True):
        assert spill.task_row(after) == spill.task_row(before)  # every field, raw too
        assert len(spill.task_row(after)) == len(attrs.fields(Task))
        assert dict(after.raw) == dict(before.raw)
        assert repr(after.raw) == repr(before.raw)  # same types: Decimal stays Decimal
        assert after.cost == before.cost and type(after.cost) is type(before.cost)
        for name in ("created_at", "completed_at"):
            a, b = getattr(after, name), getattr(before, name)
            assert a == b and (a is None or a.tzinfo is UTC)
    assert directory.path is None or not directory.path.exists()
