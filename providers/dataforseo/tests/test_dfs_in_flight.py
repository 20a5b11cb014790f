"""The vendor serves 30 calls of an account at once and refuses the next with 40209: a
client never has more out, whatever its workers (`Provider.max_in_flight`,
`seotasks.inflight`). Real threads over loopback; the emulator counts the calls it has
in progress at once and refuses beyond 30, as the vendor does."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_dataforseo.wire import SIMULTANEOUS

import seotasks
from seotasks.errors import Interrupted
from seotasks.model import Task, TaskStatus

from .conftest import Connect, MakeEmulator
from .gate import Gate

KIND = "serp/google/organic"
#: Only guards against a hang: a test that passes never comes near it.
HANG = 60.0


def _slow_now() -> datetime:
    """The data clock, read by every task_get while the emulator has the call in
    progress: a tenth of a second each, so that the calls a client sends overlap there
    up to its cap. With 30 ms, a CI machine busy with the other suites got only 18 of
    the 30 out before the first came back."""
    time.sleep(0.1)
    return datetime.now(UTC)


def _ready(emu: DataForSEOEmulator, count: int) -> list[Task]:
    ids = emu.add_tasks(count, posted=datetime.now(UTC) - timedelta(hours=2), code=20000)
    return [Task(provider="dataforseo", id=i, status=TaskStatus.COMPLETED, kind=KIND) for i in ids]


def test_more_workers_than_the_vendor_serves_at_once_are_never_refused(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    """64 workers against a vendor that serves 30 calls at once: each refused call cost
    a retry a second later (17 of 300 tasks in a run before the cap). Now at most 30
    are out, none is refused, and every task is fetched by exactly one call."""
    emu = make_emulator(size=0, kinds=(KIND,), now=_slow_now)
    tasks = _ready(emu, 200)
    client = connect(emu)
    assert client.provider.max_in_flight == SIMULTANEOUS == 30
    outcomes = list(client.collect_many(tasks, workers=64))
    assert sorted(o.task.id for o in outcomes if o.ok) == sorted(t.id for t in tasks)
    assert emu.app.simultaneous.refused == 0
    assert client.transport.calls == len(tasks)
    # The cap was what held them back: the calls did overlap, up to the limit.
    assert 20 <= emu.app.simultaneous.peak <= SIMULTANEOUS


@pytest.mark.parametrize("how", ["close", "interrupt"])
def test_a_call_waiting_for_a_place_ends_unsent_when_the_client_closes_or_is_interrupted(
    make_emulator: MakeEmulator, connect: Connect, how: str
) -> None:
    """30 calls out, the 31st waits for a place; shutdown closes the client (or a signal
    interrupts it). The waiting call ends at once, never sent: with the closed client's
    `ValueError`, or with `Interrupted`, as a wait for pacing does."""
    gate = Gate(lambda: datetime.now(UTC), hold=HANG)
    emu = make_emulator(size=0, kinds=(KIND,), now=gate.now)
    tasks = _ready(emu, SIMULTANEOUS + 1)
    client = connect(emu)
    client.transport.ensure_pool_size(SIMULTANEOUS + 1)
    sent: list[str] = []
    emu.server.on_request = lambda request: sent.append(request.path)
    gate.armed.set()
    held = [threading.Thread(target=_collect, args=(client, t), daemon=True) for t in tasks[:-1]]
    for thread in held:
        thread.start()
    for _ in held:
        assert gate.inside.acquire(timeout=HANG), "a call never reached the emulator"
    outcome: dict[str, BaseException] = {}
    waiting = threading.Thread(target=_collect, args=(client, tasks[-1], outcome), daemon=True)
    waiting.start()
    waiting.join(1.0)  # long enough to have been sent, were it not waiting for a place
    assert waiting.is_alive(), outcome
    assert len(sent) == SIMULTANEOUS
    if how == "close":
        client.close()
    else:
        client.transport.interrupt.set()
    waiting.join(HANG)
    assert not waiting.is_alive()
    error = outcome.get("error")
    if how == "close":
        assert isinstance(error, ValueError), outcome
        assert str(error).startswith("this seotasks client is closed")
    else:
        assert isinstance(error, Interrupted), outcome
    gate.release.set()
    for thread in held:
        thread.join(HANG)
    assert len(sent) == SIMULTANEOUS  # the 31st never went out
    assert emu.app.simultaneous.refused == 0


def _collect(
    client: seotasks.Client, task: Task, outcome: dict[str, BaseException] | None = None
) -> None:
    try:
        client.collect(task)
    except BaseException as exc:  # the test asserts on it, in its own thread
        if outcome is not None:
            outcome["error"] = exc


def test_a_child_forked_while_the_parent_has_every_place_out_can_still_call(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    """A process pool started with ``fork`` inherits a client whose threads had every
    place out: the child has no such calls, so it must not inherit the places taken (its
    first call would wait forever)."""
    gate = Gate(lambda: datetime.now(UTC), hold=HANG)
    emu = make_emulator(size=0, kinds=(KIND,), now=gate.now)
    tasks = _ready(emu, 3)
    client = connect(emu)
    client.transport.set_rate_limits({}, in_flight=2)  # two places, both taken below
    gate.armed.set()
    held = [threading.Thread(target=_collect, args=(client, t), daemon=True) for t in tasks[:2]]
    for thread in held:
        thread.start()
    for _ in held:
        assert gate.inside.acquire(timeout=HANG), "a call never reached the emulator"
    pid = os.fork()
    if pid == 0:  # the child: never returns into the test runner
        code = 1
        try:
            signal.alarm(int(HANG))  # a hang guard: a child stuck waiting must still end
            client.collect(tasks[2])
            code = 0
        finally:
            os._exit(code)
    try:
        reached = gate.inside.acquire(timeout=10)  # the child's call, at the emulator
    finally:
        gate.release.set()
        for thread in held:
            thread.join(HANG)
        if not reached:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    assert reached, "the child's call never went out: it waited for the parent's places"
    assert os.waitstatus_to_exitcode(status) == 0
