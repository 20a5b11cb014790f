"""How often the receiver's pingback worker asks the vendor for one queued task: once for
a task the vendor refuses (its entry set aside), and ever more rarely for one whose fetch
keeps failing (its entry kept queued); and how long a stop waits for one."""

from __future__ import annotations

import logging
import re
import signal
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import urllib3
from receivekit import (
    SECRET,
    Receiver,
    Running,
    files,
    receive_env,
    receiver,
    start_receiver,
    wait_for,
)
from seotasks_dataforseo.emulator import DataForSEOEmulator

import seotasks
from seotasks.cli.receive_run import PINGBACK_GRACE
from seotasks.emulation import Fault
from seotasks.receiver.pingbacks import PingbackWorker
from seotasks.transport import RetryPolicy

__all__ = ["receiver", "start_receiver"]  # the fixtures, found by pytest here


@pytest.fixture
def vendor() -> Iterator[tuple[DataForSEOEmulator, seotasks.Client]]:
    """An emulator without tasks or limits, and a client of it that does not retry."""
    with DataForSEOEmulator(size=0, enforce_limits=False) as emulator:
        settings = emulator.settings
        retry = RetryPolicy(attempts=1)
        with seotasks.connect("dataforseo", retry=retry, env={}, **settings) as client:
            yield emulator, client


def _task_gets(emulator: DataForSEOEmulator) -> Counter[str]:
    """How many times each task id was asked for (``task_get``), by the id in the path."""
    return Counter(
        r.path.rsplit("/", 1)[-1] for r in emulator.server.requests if "/task_get/" in r.path
    )


def test_each_refused_pingback_is_asked_for_and_said_once(
    vendor: tuple[DataForSEOEmulator, seotasks.Client], receiver: Running
) -> None:
    """A stale list of the queue handed a task out again once its entry was set aside:
    of 600 refused pingbacks delivered at once, 6 were asked for twice and given two error lines."""
    emulator, client = vendor
    ids = [f"0badbad0-0000-0000-0000-{n:012d}" for n in range(400)]

    def pingback(task_id: str) -> int:
        return receiver.get(f"/{SECRET}/pingback?id={task_id}&kind=serp/google/organic").status

    # Delivered while the worker runs, as the vendor delivers: each list of the queue it
    # reads holds tasks still in flight, which settle while it goes through the list.
    worker = PingbackWorker(receiver.app, client, workers=8).start()
    try:
        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(pingback, ids)) == {200}
        wait_for(lambda: len(receiver.lines) >= len(ids) and len(receiver.app.pingbacks) == 0)
    finally:
        worker.close()
    assert _task_gets(emulator) == dict.fromkeys(ids, 1)
    assert sorted(line["id"] for line in receiver.lines) == ids
    assert all("40401" in line["error"] for line in receiver.lines)


def test_a_fetch_that_keeps_failing_is_tried_ever_more_rarely_and_stays_queued(
    vendor: tuple[DataForSEOEmulator, seotasks.Client],
    receiver: Running,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A kind the vendor has no API for (``40400``) failed every minute, for ever: the
    wait doubles after each failure, up to ``longest_wait``, and the entry stays."""
    emulator, client = vendor
    task_id = "0badbad0-0000-0000-0000-000000000001"
    assert receiver.get(f"/{SECRET}/pingback?id={task_id}&kind=serp/google/foo").status == 200
    caplog.set_level(logging.WARNING, logger="seotasks.receive")
    worker = PingbackWorker(
        receiver.app, client, retry_after=0.05, longest_wait=0.2, workers=1
    ).start()

    def said() -> list[str]:
        return [r.getMessage() for r in caplog.records if "not collected yet" in r.getMessage()]

    try:
        wait_for(lambda: len(said()) >= 5)
    finally:
        worker.close()
    waits = [re.search(r"tried again in (\S+ s)", message) for message in said()[:5]]
    assert [m.group(1) for m in waits if m] == ["0.05 s", "0.1 s", "0.2 s", "0.2 s", "0.2 s"]
    assert all("40400" in message for message in said())
    assert receiver.app.pingbacks.holds(task_id) and not receiver.lines
    assert _task_gets(emulator)[task_id] == len(said())


def test_a_stop_leaves_a_fetch_the_vendor_never_answers_and_keeps_its_task(
    tmp_path: Path,
) -> None:
    """A pingback fetch hanging on a silent vendor held SIGTERM for its whole read
    timeout (a minute: a container's 10 s grace ends in SIGKILL): the stop leaves it
    after `PINGBACK_GRACE`, said so, and the task stays queued."""
    past = datetime.now(UTC) - timedelta(hours=1)
    with DataForSEOEmulator(size=0, kinds=("serp/google/organic",)) as emulator:
        emulator.add_tasks(1, posted=past, code=20000, delay=timedelta(minutes=1))
        [task_id] = emulator.ready_ids()
        emulator.server.faults.slow_seconds = 120
        emulator.server.faults.inject(Fault.SLOW, 1, match="/task_get/")
        out = tmp_path / "results"
        with Receiver(out, receive_env(tmp_path, emulator.settings)) as running:
            ping = f"/{SECRET}/pingback?id={task_id}&kind=serp/google/organic"
            assert urllib3.request("GET", running.url + ping, retries=False).status == 200
            wait_for(lambda: bool(_task_gets(emulator)))
            code = running.stop(signal.SIGTERM)
    assert code == 0, running.stderr
    assert f"still waiting for the vendor after {PINGBACK_GRACE:g} s was left" in running.stderr
    assert (out / ".pingbacks" / f"{task_id}.json").exists() and not files(out / "dataforseo")
