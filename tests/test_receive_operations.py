"""``seotasks receive`` operated as a user runs it beside the rest of the toolkit: the real
command in a subprocess, the DataForSEO emulator in this process, real HTTP on 127.0.0.1.

What the other receiver suites do not cover: a ``HEAD`` (a monitoring probe, a proxy's
check) answered on a keep-alive connection that the next request shares, and a receiver
that restarts onto a pingback queue whose tasks ``seotasks collect`` wrote meanwhile.
"""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import urllib3
from clihere import run_here
from clirun import CLI, popen
from receivekit import SECRET, Receiver, envelope, files, gz, receive_env, wait_for
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_dataforseo.provider import DataForSEOProvider

import seotasks
from seotasks.cli.receive_server import ReceiverServer
from seotasks.emulation import Fault
from seotasks.receiver.app import ReceiverApp
from seotasks.receiver.pingbacks import PingbackWorker
from seotasks.receiver.writes import Emit
from seotasks.store import ResultStore


def _exchange(address: tuple[str, int], requests: bytes, answers: int) -> bytes:
    """What the receiver sends back on one connection for ``requests`` (pipelined), read
    until ``answers`` complete answers of a JSON body came: bytes as on the wire, which
    a client library would tidy (Python's drops a HEAD body with its read buffer)."""
    with socket.create_connection(address, timeout=30) as connection:
        connection.sendall(requests)
        data = b""
        while data.count(b"HTTP/1.1 ") < answers or not data.endswith(b"}"):
            chunk = connection.recv(65536)
            assert chunk, data
            data += chunk
    return data


def test_a_head_answer_has_no_body_and_the_connection_goes_on(tmp_path: Path) -> None:
    """A HEAD answer carries headers only (RFC 9110): a body after it is read by the
    client as the start of the next answer on the same connection, which it then cannot
    parse (urllib3: ``BadStatusLine``)."""
    with Receiver(tmp_path / "results", receive_env(tmp_path)) as receiver:
        for path in (
            f"/{SECRET}/pingback?id=head-1&kind=serp/google/organic",
            "/no-secret/pingback?id=head-2",
        ):
            sent = (
                f"HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n"
                f"GET /{SECRET}/pingback?id=after-head&kind=serp/google/organic HTTP/1.1\r\nHost: x\r\n\r\n"
            )
            data = _exchange(receiver.address, sent.encode(), 2)
            head, _, rest = data.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 ") and rest.startswith(b"HTTP/1.1 200 OK\r\n")
            assert rest.endswith(b'"queued": true}')


def test_a_restart_does_not_fetch_again_what_collect_wrote_meanwhile(tmp_path: Path) -> None:
    """A receiver started without credentials queues pingbacks without collecting them
    (it says so); the user runs ``seotasks collect --to`` on the same folder, which writes
    every one of those tasks, then restarts the receiver with credentials. The queued
    entries are done: nothing is fetched a second time, nothing is printed again, and
    the queue is empty."""
    past = datetime.now(UTC) - timedelta(hours=1)
    out = tmp_path / "results"
    with DataForSEOEmulator(seed=5, size=0, kinds=("serp/google/organic",)) as emu:
        emu.add_tasks(3, posted=past, code=20000, delay=timedelta(minutes=1))
        ids = emu.ready_ids()
        with Receiver(out, receive_env(tmp_path)) as receiver:
            assert "pingbacks will be queued but not collected" in receiver.stderr
            with urllib3.PoolManager(retries=False, timeout=30.0) as http:
                for task_id in ids:
                    ping = f"{receiver.url}/{SECRET}/pingback?id={task_id}&kind=serp/google/organic"
                    assert http.request("GET", ping).status == 200
            assert receiver.stop() == 0
        assert len(list((out / ".pingbacks").glob("*.json"))) == 3
        env = receive_env(tmp_path, emu.settings)
        done = run_here(["collect", "-p", "dataforseo", "--to", str(out)], env)
        assert done.returncode == 0, done.stderr
        assert files(out / "dataforseo").keys() == ids
        fetched = sum("/task_get/" in r.path for r in emu.server.requests)
        assert fetched == 3
        with Receiver(out, env) as again:
            wait_for(lambda: not list((out / ".pingbacks").glob("*.json")))
            assert again.stop() == 0
        assert sum("/task_get/" in r.path for r in emu.server.requests) == fetched
    assert again.stdout == ""
    assert "0 pingbacks still queued" in again.stderr
    assert not list((out / ".pingbacks" / "failed").iterdir())  # none set aside


@contextmanager
def _collecting(
    tmp_path: Path, client: seotasks.Client, emit: Emit | None = None, retry_after: float = 0.05
) -> Iterator[tuple[ReceiverApp, str]]:
    """A receiver served in this process with its pingback worker on ``client``, trying a
    queued task again after ``retry_after`` (50 ms, instead of a minute): (the app, its
    pingback URL up to the id)."""
    store = ResultStore(tmp_path / "results")
    app = ReceiverApp(store, SECRET, DataForSEOProvider, emit=emit)
    server = ReceiverServer(app, "127.0.0.1", 0, threads=2)
    serving = threading.Thread(target=server.serve)
    serving.start()
    worker = PingbackWorker(app, client, retry_after=retry_after).start()
    try:
        yield app, f"{server.url}/{SECRET}/pingback?kind=serp/google/organic&id="
    finally:
        worker.close()
        server.stop(grace=5.0)
        serving.join(30)


def _ping(url: str) -> int:
    with urllib3.PoolManager(retries=False, timeout=30.0) as http:
        return http.request("GET", url).status


def test_a_pingback_answered_with_a_malformed_result_stays_queued(tmp_path: Path) -> None:
    """A ``task_get`` answer the client cannot take (here one naming another task) may
    still have consumed the task at the vendor, which then lists it in ``tasks_ready`` no
    more: set aside, it would be collected by nothing. As ``collect`` keeps such a fetch in
    its journal, the worker keeps the pingback queued and fetches it again."""
    past = datetime.now(UTC) - timedelta(hours=1)
    with (
        DataForSEOEmulator(seed=3, size=0, kinds=("serp/google/organic",)) as emu,
        seotasks.connect("dataforseo", env={}, **emu.settings) as client,
    ):
        [task_id] = emu.add_tasks(1, posted=past, code=20000, delay=timedelta(minutes=1))
        assert emu.ready_ids() == {task_id}
        emu.server.faults.inject(Fault.MISMATCHED_ID, 1, match="/task_get/")
        with _collecting(tmp_path, client) as (app, ping):
            assert _ping(ping + task_id) == 200
            wait_for(lambda: files(app.store.root / "dataforseo").keys() == {task_id})
        fetches = [r for r in emu.server.requests if "/task_get/" in r.path]
    assert len(fetches) == 2 and task_id not in emu.ready_ids()
    assert len(app.pingbacks) == 0 and not (app.pingbacks.folder / "failed").exists()


def test_a_pingback_for_a_task_not_done_yet_waits_for_it(tmp_path: Path) -> None:
    """A ``task_get`` that answers 40601 "Task Handed." or 40602 "Task In Queue." is no
    refusal: the vendor says to ask again (its task lifecycle). A pingback met with it
    (one that came early) stays queued and is collected once the task is done, not set
    aside as failed with an error line."""
    shift = [timedelta(0)]
    base = datetime.now(UTC)
    with (
        DataForSEOEmulator(seed=3, size=0, now=lambda: base + shift[0]) as emu,
        seotasks.connect("dataforseo", env={}, **emu.settings) as client,
    ):
        [task_id] = emu.add_tasks(
            1, kinds=("serp/google/organic",), posted=base, code=20000, delay=timedelta(hours=1)
        )
        lines: list[dict[str, Any]] = []
        with _collecting(tmp_path, client, lines.append) as (app, ping):
            assert _ping(ping + task_id) == 200
            wait_for(lambda: sum("/task_get/" in r.path for r in emu.server.requests) >= 2)
            assert not files(app.store.root / "dataforseo") and len(app.pingbacks) == 1
            shift[0] = timedelta(hours=2)
            wait_for(lambda: files(app.store.root / "dataforseo").keys() == {task_id})
    assert [(line["id"], line["error"]) for line in lines] == [(task_id, None)]
    assert len(app.pingbacks) == 0 and not (app.pingbacks.folder / "failed").exists()


def test_a_backlog_waiting_out_a_failure_is_not_read_until_it_is_due(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Queued pingbacks that wait out a failure (here: tasks not done yet) are due again
    only after ``retry_after``. The worker sleeps until then rather than read every queue
    file twice a second (a backlog of thousands, as many reads), and a new pingback still
    wakes it at once."""
    base = datetime.now(UTC)

    def task_gets() -> int:
        return sum("/task_get/" in r.path for r in emu.server.requests)

    with (
        DataForSEOEmulator(seed=3, size=0, now=lambda: base) as emu,
        seotasks.connect("dataforseo", env={}, **emu.settings) as client,
    ):
        ids = emu.add_tasks(
            3, kinds=("serp/google/organic",), posted=base, code=20000, delay=timedelta(hours=1)
        )
        with _collecting(tmp_path, client, retry_after=3600) as (app, ping):
            reads = [0]
            entries = app.pingbacks.entries

            def counted() -> list[dict[str, Any]]:
                reads[0] += 1
                return entries()

            monkeypatch.setattr(app.pingbacks, "entries", counted)
            assert _ping(ping + ids[0]) == 200 and _ping(ping + ids[1]) == 200
            wait_for(lambda: task_gets() == 2)
            settled = reads[0]
            time.sleep(1.5)  # three passes of a worker that looks twice a second
            assert reads[0] - settled <= 1  # at most the pass that found nothing due
            assert _ping(ping + ids[2]) == 200
            wait_for(lambda: task_gets() == 3)
            assert len(app.pingbacks) == 3


@contextmanager
def _serving(tmp_path: Path) -> Iterator[tuple[ReceiverApp, str]]:
    """A receiver served in this process, no pingback worker: (the app, its base URL
    with the secret)."""
    app = ReceiverApp(ResultStore(tmp_path / "results"), SECRET, DataForSEOProvider)
    server = ReceiverServer(app, "127.0.0.1", 0, threads=2)
    serving = threading.Thread(target=server.serve)
    serving.start()
    try:
        yield app, f"{server.url}/{SECRET}"
    finally:
        server.stop(grace=5.0)
        serving.join(30)


def test_a_head_to_the_pingback_url_queues_nothing(tmp_path: Path) -> None:
    """Only the vendor's GET is a pingback: a monitor's or a link checker's HEAD of the
    same URL answered 200 and queued the task, to be fetched (``task_get``) for nothing."""
    with _serving(tmp_path) as (app, base), urllib3.PoolManager(retries=False) as http:
        url = f"{base}/pingback?id=probe-1&kind=serp/google/organic"
        assert http.request("HEAD", url).status == 200
        assert len(app.pingbacks) == 0
        assert http.request("GET", url).status == 200
        assert [e["id"] for e in app.pingbacks.entries()] == ["probe-1"]


def test_a_postback_of_several_gzip_members_is_read_whole(tmp_path: Path) -> None:
    """RFC 1952 lets a gzip body be several members one after the other (a sender that
    compresses as it streams); `gzip.decompress` reads them all. The receiver read the
    first alone: a JSON cut short (400, and the tasks lost to the vendor's retries) or,
    when the first member held a whole envelope, the next one dropped without a word."""
    body = json.dumps(envelope("m-1", "m-2")).encode()
    split = gzip.compress(body[:100]) + gzip.compress(body[100:])
    assert gzip.decompress(split) == body
    with _serving(tmp_path) as (app, base), urllib3.PoolManager(retries=False) as http:
        headers = {"Content-Encoding": "gzip"}
        answer = http.request("POST", f"{base}/postback", body=split, headers=headers)
        assert answer.status == 200, answer.data
        assert files(app.store.root / "dataforseo").keys() == {"m-1", "m-2"}
        # Two whole envelopes, one per member, are no JSON document: refused, not halved.
        two = gzip.compress(json.dumps(envelope("m-3")).encode()) * 2
        answer = http.request("POST", f"{base}/postback", body=two, headers=headers)
        assert answer.status == 400 and "not JSON" in json.loads(answer.data)["error"]
        assert files(app.store.root / "dataforseo").keys() == {"m-1", "m-2"}


def test_refused_credentials_keep_pingbacks_queued_for_a_start_with_working_ones(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A wrong or rotated password says nothing of the task: the pingback stays queued
    (not set aside in failed/ for good), the worker stops asking, and says why once."""
    past = datetime.now(UTC) - timedelta(hours=1)
    with DataForSEOEmulator(seed=3, size=0, kinds=("serp/google/organic",)) as emu:
        [task_id] = emu.add_tasks(1, posted=past, code=20000, delay=timedelta(minutes=1))
        wrong = {**emu.settings, "password": "not-the-password"}
        with (
            caplog.at_level("ERROR", logger="seotasks.receive"),
            seotasks.connect("dataforseo", env={}, **wrong) as client,
            _collecting(tmp_path, client) as (app, ping),
        ):
            assert _ping(ping + task_id) == 200
            wait_for(
                lambda: any("refused the credentials" in r.getMessage() for r in caplog.records)
            )
            assert _ping(ping + "another-task") == 200  # queued, not fetched: the worker stopped
        assert len(app.pingbacks) == 2 and not (app.pingbacks.folder / "failed").exists()
        assert sum("/task_get/" in r.path for r in emu.server.requests) == 1
        with (
            seotasks.connect("dataforseo", env={}, **emu.settings) as client,
            _collecting(tmp_path, client) as (app, ping),
        ):
            wait_for(lambda: files(app.store.root / "dataforseo").keys() == {task_id})


def test_a_postback_written_while_collect_fetched_the_task_is_one_file_and_one_line(
    tmp_path: Path,
) -> None:
    """``collect --to`` and ``receive --to`` on one folder: collect fetched a task while
    its postback arrived, found no file before the fetch, and wrote and printed it after
    the receiver had: the task twice in the lines (26 and 28 of 300 tasks, in two of four
    tries). The write is checked again under the task's claim: collect skips it."""
    past = datetime.now(UTC) - timedelta(hours=1)
    out = tmp_path / "results"
    with DataForSEOEmulator(seed=5, size=0, kinds=("serp/google/organic",)) as emu:
        emu.add_tasks(1, posted=past, code=20000, delay=timedelta(minutes=1))
        [task_id] = emu.ready_ids()
        env = receive_env(tmp_path, emu.settings)
        emu.server.faults.slow_seconds = 3.0
        emu.server.faults.inject(Fault.SLOW, 1, match="/task_get/")
        with Receiver(out, env) as receiver:
            collect = popen(
                [*CLI, "collect", "-p", "dataforseo", "-o", "families=serp", "--to", str(out)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            wait_for(lambda: any("/task_get/" in r.path for r in emu.server.requests))
            assert receiver.post(f"/{SECRET}/postback", gz(envelope(task_id))) == 200
            stdout, stderr = collect.communicate(timeout=60)
            assert receiver.stop() == 0
    assert collect.returncode == 0, stderr
    assert stdout == ""  # the receiver wrote it, and printed its line
    assert "skipped 1 already in" in stderr, stderr
    assert [json.loads(line)["id"] for line in receiver.stdout.splitlines()] == [task_id]
    assert files(out / "dataforseo").keys() == {task_id}


def test_a_listed_task_whose_file_exists_is_fetched_to_drain_it(tmp_path: Path) -> None:
    """A postback written, its answer lost (the receiver stopped mid-answer): the vendor
    lists the task in tasks_ready again, and ``collect --to`` skipped it there on every
    run, so it stayed listed for ever (at 1000 such, nothing new shows). It is fetched
    once to drain it; the file written first stays, and no second line is printed."""
    past = datetime.now(UTC) - timedelta(hours=1)
    out = tmp_path / "results"
    with DataForSEOEmulator(seed=5, size=0, kinds=("serp/google/organic",)) as emu:
        emu.add_tasks(2, posted=past, code=20000, delay=timedelta(minutes=1))
        stored, fresh = sorted(emu.ready_ids())
        kept = b'{"written": "by the receiver"}'
        (out / "dataforseo").mkdir(parents=True)
        (out / "dataforseo" / f"{stored}.json").write_bytes(kept)
        env = receive_env(tmp_path, emu.settings)
        args = ["collect", "-p", "dataforseo", "-o", "families=serp", "--to", str(out)]
        done = run_here(args, env)
        assert done.returncode == 0, done.stderr
        assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == [fresh]
        assert "skipped 1 already in" in done.stderr
        assert emu.ready_ids() == set()  # drained: the next listing shows neither
        again = run_here(args, env)
    assert again.returncode == 0 and again.stdout == "", again.stderr
    assert (out / "dataforseo" / f"{stored}.json").read_bytes() == kept
