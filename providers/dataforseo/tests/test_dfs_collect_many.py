"""`Client.collect_many` over real HTTP: concurrent, paced, retried, failures isolated.

Every test runs the emulator and the client on one `FakeClock`: the emulator enforces
the vendor's 2000 task_get calls a minute for real, so ``emu.rate_limited == 0`` proves
the workers together never went above it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from seotasks import Collected, Journal, NoResult, TransientError
from seotasks.emulation import Fault
from seotasks.model import Task, TaskStatus
from seotasks.testing.faults import RETRIED_FAULTS

from .conftest import Connect, MakeEmulator

KIND = "serp/google/organic"


def _tasks(ids: list[str], kind: str = KIND) -> list[Task]:
    return [Task(provider="dataforseo", id=i, status=TaskStatus.COMPLETED, kind=kind) for i in ids]


def _done_ids(emu: object, count: int) -> list[str]:
    return emu.add_tasks(  # type: ignore[attr-defined,no-any-return]
        count, posted=datetime.now(UTC) - timedelta(hours=1), code=20000
    )


def test_drains_a_capped_ready_list_beyond_the_limit_without_refusals(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=5, size=2600, kinds=(KIND,), recent=1.0)
    truth = emu.ready_ids(["serp"])
    assert len(truth) > 2000  # more than one minute's task_get allowance, beyond the 1000 cap
    client = connect(emu, families=["serp"])
    results = list(client.collect_many(client.tasks(), workers=8))
    ids = [r.task.id for r in results]
    assert Counter(ids).most_common(1)[0][1] == 1, "a task was collected twice"
    assert set(ids) == truth and all(r.ok for r in results)
    assert all(r.result is not None and r.result["tasks"][0]["id"] == r.task.id for r in results)
    assert emu.rate_limited == 0
    assert emu.ready_ids(["serp"]) == set() and emu.collected_ids() == truth
    assert sorted(r.index for r in results) == list(range(len(results)))
    assert client.transport.pool_maxsize >= 8


@pytest.mark.parametrize("fault", RETRIED_FAULTS, ids=lambda f: f.value)
def test_faults_are_retried_and_nothing_is_lost(
    make_emulator: MakeEmulator, connect: Connect, fault: Fault
) -> None:
    emu = make_emulator(seed=2, size=0, kinds=(KIND,))
    ids = _done_ids(emu, 60)
    emu.server.faults.inject(fault, 3, match="task_get")  # < attempts (4)
    results = list(connect(emu).collect_many(_tasks(ids), workers=4))
    assert emu.server.faults.pending() == 0
    assert sorted(r.task.id for r in results) == sorted(ids)
    assert all(r.ok for r in results), [r.describe_error() for r in results if not r.ok]
    assert emu.collected_ids() == set(ids)


def test_a_failed_task_is_reported_and_the_rest_go_on(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=3, size=0, kinds=(KIND,))
    ids = _done_ids(emu, 40)
    unknown = "00000000-1111-2222-3333-444444444444"  # task-level 40401 in an HTTP-200 body
    broken = ids[7]  # fails every attempt: retries run out
    emu.server.faults.inject(Fault.HTTP_502, 10, match=broken)
    tasks = _tasks([*ids[:20], unknown, *ids[20:]])
    results = {r.task.id: r for r in connect(emu).collect_many(tasks, workers=6)}
    assert set(results) == {*ids, unknown}
    missing = results[unknown]
    assert isinstance(missing.error, NoResult) and missing.error.code == 40401
    assert missing.result is None and missing.index == 20
    assert missing.describe_error() == f"NoResult: {missing.error}"
    assert isinstance(results[broken].error, TransientError)
    good = set(ids) - {broken}
    assert all(results[i].ok and results[i].result is not None for i in good)
    assert emu.collected_ids() == good


def test_a_task_of_another_provider_is_raised_after_the_ones_taken_before_it(
    make_emulator: MakeEmulator, connect: Connect, tmp_path: Path
) -> None:
    """Misuse, as `collect` refuses it, not a failed outcome that reads as the vendor's:
    the tasks before it are still fetched and yielded, it is neither journaled nor sent,
    and no task after it is taken."""
    emu = make_emulator(seed=3, size=0, kinds=(KIND,))
    ids = _done_ids(emu, 4)
    stranger = Task(provider="serpstat", id="12", status=TaskStatus.COMPLETED)
    tasks = _tasks(ids)
    seen: list[Collected] = []
    with Journal.open(tmp_path, "dataforseo") as journal:
        many = connect(emu).collect_many(
            [*tasks[:3], stranger, tasks[3]], workers=2, ordered=True, journal=journal
        )
        with pytest.raises(ValueError, match="task serpstat:12 does not belong to provider"):
            seen.extend(many)
        assert [r.task.id for r in seen] == ids[:3] and all(r.ok for r in seen)
        assert {t.key for t in journal.pending()} == {t.key for t in tasks[:3]}
    assert emu.collected_ids() == set(ids[:3])
    nothing: Any = None
    with pytest.raises(TypeError, match="collect takes a Task, got NoneType"):
        list(connect(emu).collect_many([nothing]))


def test_input_is_read_lazily_within_the_window(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=4, size=0, kinds=(KIND,))
    ids = _done_ids(emu, 100)
    taken = [0]

    def source() -> Iterator[Task]:
        for task in _tasks(ids):
            taken[0] += 1
            yield task

    yielded = 0
    for _ in connect(emu).collect_many(source(), workers=3, window=5):
        yielded += 1
        assert taken[0] <= yielded + 5
    assert yielded == taken[0] == 100


def test_ordered_results_come_in_input_order(make_emulator: MakeEmulator, connect: Connect) -> None:
    emu = make_emulator(seed=6, size=0, kinds=(KIND,))
    ids = _done_ids(emu, 50)
    emu.server.faults.inject(Fault.HTTP_500, 1, match=ids[0])  # the first one is slowest
    results = list(connect(emu).collect_many(_tasks(ids), workers=5, ordered=True))
    assert [r.task.id for r in results] == ids
    assert [r.index for r in results] == list(range(50))


def test_a_listing_error_still_delivers_what_was_taken(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=7, size=0, kinds=(KIND,))
    ids = _done_ids(emu, 10)

    def source() -> Iterator[Task]:
        yield from _tasks(ids)
        raise TransientError("the listing failed")

    seen: list[Collected] = []
    with pytest.raises(TransientError, match="listing failed"):
        for result in connect(emu).collect_many(source(), workers=4):
            seen.append(result)
    assert sorted(r.task.id for r in seen) == sorted(ids) and all(r.ok for r in seen)


def test_closing_early_cancels_the_rest_and_leaves_no_thread(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=8, size=0, kinds=(KIND,))
    ids = _done_ids(emu, 200)
    runner = connect(emu).collect_many(_tasks(ids), workers=4, window=8)
    first = [next(runner) for _ in range(3)]
    runner.close()
    assert len(first) == 3
    assert not [t for t in threading.enumerate() if t.name.startswith("seotasks-collect")]
    assert len(emu.collected_ids()) <= 3 + 8  # nothing beyond the window was fetched


@pytest.mark.parametrize(
    ("workers", "window"), [(0, None), (65, None), (4, 3), (True, None), (2.5, None)]
)
def test_bad_arguments_are_value_errors(
    make_emulator: MakeEmulator, connect: Connect, workers: object, window: object
) -> None:
    emu = make_emulator(seed=9, size=0)
    with pytest.raises(ValueError):
        connect(emu).collect_many([], workers=workers, window=window)  # type: ignore[arg-type]


def test_a_stop_ends_the_run_and_every_task_fetched_is_yielded(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=10, size=0, kinds=(KIND,))
    ids = _done_ids(emu, 300)
    stop = threading.Event()
    seen: list[str] = []
    for outcome in connect(emu).collect_many(_tasks(ids), workers=6, stop=stop):
        seen.append(outcome.task.id)
        if len(seen) == 10:
            stop.set()
    assert 10 <= len(seen) <= 10 + 12  # at most the window more
    assert len(set(seen)) == len(seen)
    # Nothing was fetched from the vendor without being handed to the caller.
    assert emu.collected_ids() == set(seen)
