"""The vendor's limit on simultaneous requests, met with raw HTTP as a user's own code
would meet it: 30 calls in progress at once per account, the 31st refused."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import urllib3
from seotasks_dataforseo.emulator import DataForSEOEmulator

from .conftest import MakeEmulator
from .contentkit import BASE

UNKNOWN = "00000000-1111-2222-3333-444444444444"


class Gate:
    """A data clock that holds every call reading it while armed: the calls it holds are
    in progress at the emulator at once, for as long as the test wants."""

    def __init__(self) -> None:
        self.armed = threading.Event()
        self.release = threading.Event()
        self.inside = threading.Semaphore(0)

    def now(self) -> datetime:
        if self.armed.is_set() and not self.release.is_set():
            self.inside.release()
            if not self.release.wait(10):
                self.release.set()  # held too long: stop holding, so that nothing hangs
        return BASE


def _get(emu: DataForSEOEmulator, pool: urllib3.PoolManager) -> tuple[int, dict[str, Any]]:
    headers = urllib3.make_headers(basic_auth=f"{emu.login}:{emu.password}")
    url = f"{emu.url}/v3/serp/google/organic/task_get/advanced/{UNKNOWN}"
    answer = pool.request("GET", url, headers=headers, retries=False)
    return answer.status, json.loads(answer.data)


def _held(emu: DataForSEOEmulator, gate: Gate, count: int) -> Any:
    """``count`` calls started and held inside the emulator; the futures of their answers."""
    pool = urllib3.PoolManager(maxsize=count)
    workers = ThreadPoolExecutor(count + 1)  # one more for a call the test adds
    held = [workers.submit(_get, emu, pool) for _ in range(count)]
    for _ in range(count):
        assert gate.inside.acquire(timeout=10), "a call never reached the emulator"
    return workers, held


def test_the_31st_simultaneous_call_is_refused_with_40209(make_emulator: MakeEmulator) -> None:
    """The vendor serves at most 30 simultaneous requests per account and answers one
    beyond them with 40209 "Too many simultaneous queries." in the envelope, like its
    other whole-call refusals (HTTP 200, no task). The emulator served any number at
    once, so code of one's own running 64 threads passed against the sandbox and met
    40209 only in production."""
    gate = Gate()
    emu = make_emulator(size=0, now=gate.now)
    gate.armed.set()
    workers, held = _held(emu, gate, 30)
    with workers:
        status, body = _get(emu, urllib3.PoolManager())
        gate.armed.clear()
        gate.release.set()
        answers = [future.result() for future in held]
    assert status == 200
    assert body["status_code"] == 40209
    assert body["status_message"] == "Too many simultaneous queries."
    assert body["tasks"] == [] and body["tasks_count"] == 0
    # The 30 held calls were served, and once they ended the account is free again.
    assert [(s, b["tasks"][0]["status_code"]) for s, b in answers] == [(200, 40401)] * 30
    status, body = _get(emu, urllib3.PoolManager())
    assert (status, body["status_code"], body["tasks"][0]["status_code"]) == (200, 20000, 40401)


def test_thirty_simultaneous_calls_are_all_served(make_emulator: MakeEmulator) -> None:
    """30 at once is within the vendor's limit: none of them is refused."""
    gate = Gate()
    emu = make_emulator(size=0, now=gate.now)
    gate.armed.set()
    workers, held = _held(emu, gate, 29)
    with workers:
        last = workers.submit(_get, emu, urllib3.PoolManager())
        assert gate.inside.acquire(timeout=10), "the 30th call was not let in"
        gate.armed.clear()
        gate.release.set()
        answers = [future.result() for future in [*held, last]]
    assert [b["status_code"] for _, b in answers] == [20000] * 30
