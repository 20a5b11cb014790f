"""One client shared by a service's threads while a listing that drains is collected.

DataForSEO's ``tasks_ready`` forgets a task once ``task_get`` answers it, so collecting it
is a delivery, as from a message queue: each task must reach one consumer once. Every test
runs the emulator over loopback, with real threads; a thread that hangs fails the test
after `HANG` seconds instead of hanging it.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from clirun import cli_env, run_process
from seotasks_dataforseo.emulator import DataForSEOEmulator

import seotasks
from seotasks.clock import FakeClock
from seotasks.emulation import Fault
from seotasks.model import Task, TaskStatus

pytestmark = pytest.mark.usefixtures("real_providers")

KIND = "serp/google/organic"
#: Only guards against a hang: a test that passes never comes near it.
HANG = 120.0


@pytest.fixture
def emulator() -> Iterator[DataForSEOEmulator]:
    """300 finished tasks in ``tasks_ready``, on a fake clock: pacing costs no time."""
    with DataForSEOEmulator(seed=5, size=0, clock=FakeClock(), kinds=(KIND,)) as emu:
        emu.add_tasks(300, posted=datetime.now(UTC) - timedelta(hours=1), code=20000)
        yield emu


def _ready_client(emulator: DataForSEOEmulator) -> seotasks.Client:
    return seotasks.connect(
        "dataforseo", clock=emulator.clock, env={}, families=["serp"], **emulator.settings
    )


@pytest.mark.parametrize("shared", [True, False], ids=["one-client", "client-per-handler"])
def test_a_second_collect_many_over_a_draining_listing_is_refused_and_no_task_is_twice(
    emulator: DataForSEOEmulator, shared: bool
) -> None:
    """Two request handlers start collecting ``tasks_ready`` through one client (or a
    client each, on one account), the second while the first runs. Both listed the same
    tasks, so both fetched every one: each task was handed to two consumers (a duplicate
    stored twice), and the vendor answered every ``task_get`` twice. The second must be
    refused, naming why, and the first hand out every ready task once."""
    truth = emulator.ready_ids(["serp"])
    client = _ready_client(emulator)
    other = client if shared else _ready_client(emulator)
    first_started = threading.Event()
    second_asked = threading.Event()
    handed: list[str] = []
    refused: list[BaseException] = []

    def first() -> None:
        for outcome in client.collect_many(client.tasks(), workers=4):
            handed.append(outcome.task.id)
            first_started.set()
            second_asked.wait(HANG)

    def second() -> None:
        first_started.wait(HANG)
        try:
            handed.extend(o.task.id for o in other.collect_many(other.tasks(), workers=4))
        except RuntimeError as exc:
            refused.append(exc)
        finally:
            second_asked.set()

    threads = [threading.Thread(target=run, daemon=True) for run in (first, second)]
    with client, other:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(HANG)
    assert not any(thread.is_alive() for thread in threads)
    twice = sum(count - 1 for count in Counter(handed).values())
    assert twice == 0, f"{twice} of {len(truth)} tasks were handed out twice"
    assert sorted(handed) == sorted(truth)
    assert emulator.calls["other"] == len(truth)  # one task_get per task
    (error,) = refused
    assert "already running" in str(error) and "drains" in str(error)


def test_a_collect_many_left_by_break_or_dropped_unstarted_lets_the_next_one_run(
    emulator: DataForSEOEmulator,
) -> None:
    """The refusal lasts as long as the first run, no longer: a loop left with ``break``
    (the iterator dropped), an iterator never started and dropped, or one closed by hand
    each let the next ``collect_many`` on the client run, which then collects the rest."""
    truth = emulator.ready_ids(["serp"])
    handed: list[str] = []
    with _ready_client(emulator) as client:
        for outcome in client.collect_many(client.tasks(), workers=4):
            handed.append(outcome.task.id)
            break
        unstarted = client.collect_many(client.tasks(), workers=4)
        del unstarted
        gc.collect()
        held = client.collect_many(client.tasks(), workers=4)
        handed.append(next(held).task.id)
        with pytest.raises(RuntimeError, match=r"close\(\) it"):
            client.collect_many(client.tasks(), workers=4)
        held.close()
        handed.extend(o.task.id for o in client.collect_many(client.tasks(), workers=4))
    assert len(handed) == len(set(handed))
    # What a loop left early dropped (fetched, never yielded) is gone from tasks_ready:
    # the documented cost of leaving without a journal, never a duplicate.
    assert set(handed) <= truth and emulator.ready_ids(["serp"]) == set()


def test_collect_many_over_a_listing_that_does_not_drain_may_run_in_two_threads(
    emulator: DataForSEOEmulator,
) -> None:
    """The refusal is for a listing that drains only: over ``source=history`` two threads
    collect through one client at once, as the threads section of the docs promises."""
    client = seotasks.connect(
        "dataforseo",
        clock=emulator.clock,
        env={},
        families=["serp"],
        source="history",
        **emulator.settings,
    )
    with client:
        tasks = list(client.tasks())
        first = client.collect_many(tasks[::2], workers=2)
        next(first)
        second = list(client.collect_many(tasks[1::2], workers=2))
        rest = list(first)
    assert len(second) + len(rest) + 1 == len(tasks) > 100


def test_a_loop_left_while_a_call_waits_out_a_five_minute_retry_after_ends_at_once(
    emulator: DataForSEOEmulator,
) -> None:
    """The vendor told one worker's ``task_get`` to come back in five minutes; the caller
    leaves its loop. Closing the iterator waits for the calls in flight, and that one
    held the ``break`` for five minutes. Its wait must end at once, its retry unsent (the
    task is still the vendor's to hand out), and the client's other callers unhurt."""
    ids = sorted(emulator.ready_ids(["serp"]))
    slow = ids[0]
    emulator.server.faults.retry_after = "300"
    emulator.server.faults.inject(Fault.HTTP_429_RETRY_AFTER, 1, match=slow)
    tasks = [Task(provider="dataforseo", id=i, status=TaskStatus.COMPLETED, kind=KIND) for i in ids]
    client = seotasks.connect("dataforseo", env={}, families=["serp"], **emulator.settings)
    backing_off = threading.Event()
    client.transport.on_event = lambda event: backing_off.set()
    taken: list[str] = []

    def consume() -> None:
        for outcome in client.collect_many(tasks[:20], workers=2):
            taken.append(outcome.task.id)
            if backing_off.wait(HANG):
                break

    with client:
        thread = threading.Thread(target=consume, daemon=True)
        thread.start()
        thread.join(HANG)
        assert not thread.is_alive(), "leaving the loop waited for the five-minute Retry-After"
        asked = [r for r in emulator.server.requests if slow in r.path]
        assert len(asked) == 1  # the refused call; its retry never went out
        assert slow not in taken and slow in emulator.ready_ids(["serp"])
        assert client.collect(tasks[0]) is not None  # the client's next call is not refused


#: A service's entry script: it starts a (non-daemon) thread that collects the ready
#: tasks, then returns; Python waits for that thread before it exits.
SERVICE = """
import threading
import seotasks

client = seotasks.connect("dataforseo", families=["serp"])


def collect():
    collected = sum(o.ok for o in client.collect_many(client.tasks(), workers=4))
    print("collected", collected, flush=True)


threading.Thread(target=collect).start()
"""

#: A script that takes one result of a run and ends with the iterator still open, one
#: of its calls waiting out the vendor's five-minute Retry-After.
LEFT_OPEN = """
import sys
import threading
import seotasks
from seotasks.model import Task, TaskStatus

client = seotasks.connect("dataforseo")
waiting = threading.Event()
client.transport.on_event = lambda event: waiting.set()
tasks = [
    Task(provider="dataforseo", id=i, status=TaskStatus.COMPLETED, kind=sys.argv[1])
    for i in sys.argv[2:]
]
outcomes = client.collect_many(tasks, workers=8)
print(next(outcomes).ok, waiting.wait(60), flush=True)
"""


#: The same, its run over the listing and none of its calls waiting: ended as the
#: interpreter tears the module down, after its daemon threads stopped running.
LEFT_OPEN_LISTING = """
import seotasks

client = seotasks.connect("dataforseo", families=["serp"])
outcomes = client.collect_many(client.tasks(), workers=8)
print(next(outcomes).ok, flush=True)
"""


def _run(script: str, tmp_path: Path, emulator: DataForSEOEmulator, *args: str) -> str:
    """``script`` run by a new interpreter against ``emulator``: its stdout (exit 0 asserted).
    `subprocess.TimeoutExpired` after `HANG` seconds: a process that never exits fails."""
    done = run_process(
        [sys.executable, "-c", script, *args],
        env=cli_env(tmp_path, {"dataforseo": emulator.settings}),
        capture_output=True,
        text=True,
        timeout=HANG,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_thread_collecting_after_the_main_thread_returned_collects_every_task(
    emulator: DataForSEOEmulator, tmp_path: Path
) -> None:
    """Python waits for a non-daemon thread after the main one returns, but its shutdown
    has begun: `ThreadPoolExecutor` then refuses new work, and the thread's run failed
    with "cannot schedule new futures after interpreter shutdown", 0 tasks collected."""
    truth = emulator.ready_ids(["serp"])
    out = _run(SERVICE, tmp_path, emulator)
    assert out.split() == ["collected", str(len(truth))]
    assert emulator.ready_ids(["serp"]) == set()


def test_a_script_ending_with_a_run_left_open_exits_without_waiting_out_a_retry_after(
    emulator: DataForSEOEmulator, tmp_path: Path
) -> None:
    """The script ends, its ``collect_many`` iterator open, one worker waiting out the
    vendor's five-minute Retry-After: the interpreter waited for that worker (for the
    five minutes) before it exited. It must exit, that call's retry never sent."""
    ids = sorted(emulator.ready_ids(["serp"]))[:40]
    emulator.server.faults.retry_after = "300"
    emulator.server.faults.inject(Fault.HTTP_429_RETRY_AFTER, 1, match=ids[0])
    out = _run(LEFT_OPEN, tmp_path, emulator, KIND, *ids)
    assert out.split() == ["True", "True"]
    assert len([r for r in emulator.server.requests if ids[0] in r.path]) == 1


def test_a_client_closed_under_a_run_ends_it_with_one_error_not_one_per_task(
    emulator: DataForSEOEmulator,
) -> None:
    """Shutdown closes the client while a thread collects 288 tasks through it. The run
    went on taking every remaining task, each yielded with the closed client's
    `ValueError` (and, with a journal, recorded there first): 280-odd failures for one
    cause. It must stop taking tasks, yield the ones it had taken (at most its
    ``window``), then raise that `ValueError` once."""
    tasks = [
        Task(provider="dataforseo", id=i, status=TaskStatus.COMPLETED, kind=KIND)
        for i in sorted(emulator.ready_ids(["serp"]))
    ]
    client = _ready_client(emulator)
    outcomes = client.collect_many(tasks, workers=4)
    failed = [next(outcomes)].count(None)  # the run is under way
    shutdown = threading.Thread(target=client.close)  # as a service's shutdown, elsewhere
    shutdown.start()
    shutdown.join(HANG)
    with pytest.raises(ValueError, match=r"^this seotasks client is closed"):
        failed += sum(outcome.error is not None for outcome in outcomes)
    assert failed <= 8, f"{failed} of {len(tasks)} tasks failed for the one close()"


def test_a_child_forked_during_a_run_collects_with_a_client_of_its_own(
    emulator: DataForSEOEmulator,
) -> None:
    """The account's one-run rule is the process's: a child forked while the parent's
    run is under way has none of its threads, so a client it connects to the account
    must not find the rule held for ever by a run that never ends there."""
    with _ready_client(emulator) as client:
        outcomes = client.collect_many(client.tasks(), workers=2)
        next(outcomes)
        pid = os.fork()
        if pid == 0:  # the child: never returns into the test runner
            code = 1
            try:
                signal.alarm(int(HANG))  # a hang guard: a deadlocked child must still end
                with _ready_client(emulator) as own:
                    code = len(list(own.collect_many([], workers=2)))
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        outcomes.close()
    assert status == 0, f"the child ended with status {status}"


def test_a_script_ending_with_a_run_over_the_listing_left_open_exits(
    emulator: DataForSEOEmulator, tmp_path: Path
) -> None:
    """Closed during the interpreter's teardown, the run waited for its worker threads,
    daemon threads that run no more by then (one stopped holding the run's lock): the
    script never exited (5 runs of 5). It must exit, its one result printed."""
    assert _run(LEFT_OPEN_LISTING, tmp_path, emulator).split() == ["True"]
