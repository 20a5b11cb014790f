"""What a user's own code meets at the HTTP level, with raw HTTP: the vendor's limit on
simultaneous requests (30 in progress at once per account, the 31st refused) and a
chunked request body."""

from __future__ import annotations

import http.client
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import urllib3
from seotasks_dataforseo.emulator import DataForSEOEmulator

from .conftest import MakeEmulator
from .contentkit import BASE
from .gate import Gate

UNKNOWN = "00000000-1111-2222-3333-444444444444"


def _auth(emu: DataForSEOEmulator) -> dict[str, str]:
    return urllib3.make_headers(basic_auth=f"{emu.login}:{emu.password}")


def _get(emu: DataForSEOEmulator, pool: urllib3.PoolManager) -> tuple[int, dict[str, Any]]:
    headers = _auth(emu)
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
    gate = Gate(lambda: BASE)
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
    gate = Gate(lambda: BASE)
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


def test_a_chunked_body_is_read_and_the_connection_stays_usable(
    make_emulator: MakeEmulator,
) -> None:
    """The vendor's API is HTTP/1.1, where a request body may come chunked (a client that
    streams its JSON does so: Go's http.Client with a pipe, requests with a generator)
    and a server must read it (RFC 9112, 6.1/7.1). The emulator read only a
    Content-Length body: a chunked task_post was answered 40502 "POST Data Is Empty.",
    and the unread chunks were then parsed as the next request on the connection."""
    emu = make_emulator(size=0)
    body = json.dumps([{"keyword": "chunked", "location_code": 2840, "language_code": "en"}])
    headers = {"Content-Type": "application/json", **_auth(emu)}
    connection = http.client.HTTPConnection(emu.url.removeprefix("http://"), timeout=10)
    try:
        parts = iter([body[:10].encode(), body[10:].encode()])
        connection.request(
            "POST", "/v3/serp/google/organic/task_post", parts, headers, encode_chunked=True
        )
        posted = json.loads(connection.getresponse().read())
        connection.request("GET", "/v3/serp/google/organic/tasks_ready", headers=headers)
        second = connection.getresponse()
        ready = json.loads(second.read())
    finally:
        connection.close()
    assert posted["status_code"] == 20000
    [task] = posted["tasks"]
    assert (task["status_code"], task["data"]["keyword"]) == (20100, "chunked")
    assert second.status == 200 and ready["status_code"] == 20000
