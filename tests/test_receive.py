"""The pingback/postback receiver over real HTTP (waitress on loopback): the DataForSEO
emulator's real callbacks become result files, pingbacks are collected from a durable
queue, and bad input (wrong secret, unknown paths, oversized bodies, gzip bombs,
truncated or mislabelled gzip, malformed JSON, floods of repeats) is refused without
losing anything or crashing. The ``seotasks receive`` command runs as a subprocess for
the submit -> complete -> callback -> file recipe and its graceful SIGTERM."""

from __future__ import annotations

import gzip
import json
import logging
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import urllib3
from clihere import run_here
from clirun import CLI, popen
from receivekit import (
    SECRET,
    Running,
    envelope,
    files,
    gz,
    receive_env,
    receiver,
    receiving_on,
    start_receiver,
    wait_for,
)
from seotasks_dataforseo.emulator import DataForSEOEmulator

import seotasks
from seotasks import SerpTaskSpec
from seotasks.clock import FakeClock
from seotasks.receiver.pingbacks import PingbackQueue, PingbackWorker
from seotasks.transport import RetryPolicy

__all__ = ["receiver", "start_receiver"]  # the fixtures, found by pytest here

BASE = datetime.now(UTC).replace(microsecond=0)
HTTP = urllib3.PoolManager(retries=False, timeout=10.0)


# -- postbacks and pingbacks from the emulator ---------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(clock: FakeClock) -> Iterator[DataForSEOEmulator]:
    with DataForSEOEmulator(
        size=0, clock=clock, now=lambda: BASE + timedelta(seconds=clock.monotonic())
    ) as emu:
        yield emu


@pytest.fixture
def client(emulator: DataForSEOEmulator, clock: FakeClock) -> Iterator[seotasks.Client]:
    """A client of `emulator` on the test's clock, closed after the test."""
    with seotasks.connect(
        "dataforseo",
        clock=clock,
        retry=RetryPolicy(attempts=3, base=0.01),
        env={},
        **emulator.settings,
    ) as connected:
        yield connected


def test_emulator_postbacks_become_files_like_collect_writes(
    emulator: DataForSEOEmulator, clock: FakeClock, client: seotasks.Client, receiver: Running
) -> None:
    url = f"{receiver.url}/{SECRET}/postback?id=$id"
    specs = [SerpTaskSpec(keyword=f"kw {n}", location=2840, language="en") for n in range(5)]
    specs = [s.__class__(**{**s.to_json(), "postback_url": url}) for s in specs]
    results = client.submit(specs)
    ids = {r.task_id for r in results if r.task_id}
    assert len(ids) == 5
    clock.advance(301)
    assert emulator.wait_callbacks(15.0)
    assert all(d.ok for d in emulator.deliveries()) and len(emulator.deliveries()) == 5
    written = files(receiver.app.store.root / "dataforseo")
    assert written.keys() == ids
    for task_id, path in written.items():
        body = json.loads(path.read_bytes())
        [task] = body["tasks"]
        assert task["id"] == task_id and task["status_code"] == 20000
        assert task["result"][0]["keyword"].startswith("kw ")
    assert {line["id"] for line in receiver.lines} == ids
    assert all(line["via"] == "postback" and line["error"] is None for line in receiver.lines)
    assert emulator.ready_ids() == set()  # delivered: nothing left for tasks_ready


def test_emulator_pingbacks_are_queued_then_collected(
    emulator: DataForSEOEmulator, clock: FakeClock, client: seotasks.Client, receiver: Running
) -> None:
    url = f"{receiver.url}/pingback?secret={SECRET}&id=$id&tag=$tag&kind=serp/google/organic"
    # The first untagged: the vendor fills $tag with nothing, and its line says null, as a
    # postback's or collect's line does (it said "").
    tags = [None, "t1", "t2", "t3"]
    specs = [
        SerpTaskSpec(keyword=f"p {n}", location=2840, language="en", tag=tag, pingback_url=url)
        for n, tag in enumerate(tags)
    ]
    ids = {r.task_id for r in client.submit(specs)}
    clock.advance(301)
    assert emulator.wait_callbacks(15.0)
    assert len(receiver.app.pingbacks) == 4  # durable queue, answered at once
    worker = PingbackWorker(receiver.app, client, workers=2).start()
    try:
        wait_for(lambda: files(receiver.app.store.root / "dataforseo").keys() == ids)
        wait_for(lambda: len(receiver.app.pingbacks) == 0)
    finally:
        worker.close()
    assert emulator.collected_ids() == ids
    assert {(line["id"], line["via"]) for line in receiver.lines} == {(i, "pingback") for i in ids}
    assert {line["tag"] for line in receiver.lines} == set(tags)


def test_a_pingback_the_vendor_refuses_is_set_aside(
    client: seotasks.Client, receiver: Running
) -> None:
    unknown = "00000000-1111-2222-3333-444444444444"
    assert receiver.get(f"/{SECRET}/pingback?id={unknown}&kind=serp/google/organic").status == 200
    worker = PingbackWorker(receiver.app, client).start()
    try:
        failed = receiver.app.pingbacks.folder / "failed" / f"{unknown}.json"
        wait_for(failed.exists)
    finally:
        worker.close()
    assert len(receiver.app.pingbacks) == 0
    [line] = receiver.lines
    assert line["path"] is None and "40401" in line["error"]


def test_queued_pingbacks_survive_a_restart(tmp_path: Path) -> None:
    queue = PingbackQueue(tmp_path / ".pingbacks")
    queue.put("abc-1", "t", "serp/google/organic")
    queue.put("abc-1", "t", "serp/google/organic")  # a repeat replaces its own entry
    again = PingbackQueue(tmp_path / ".pingbacks")
    assert [e["id"] for e in again.entries()] == ["abc-1"] and len(again) == 1


# -- bad input ------------------------------------------------------------------------------------


def test_postback_plain_multi_task_envelope_is_split_per_task(
    start_receiver: Callable[..., Running],
) -> None:
    receiver = start_receiver(compress=True)
    answer = receiver.post(f"/{SECRET}/postback", json.dumps(envelope("a-1", "a-2")).encode())
    assert answer.status == 200 and json.loads(answer.data)["written"] == 2
    written = files(receiver.app.store.root / "dataforseo")
    assert written.keys() == {"a-1", "a-2"}
    one = json.loads(gzip.decompress(written["a-2"].read_bytes()))
    assert one["tasks_count"] == 1 and [t["id"] for t in one["tasks"]] == ["a-2"]


def test_wrong_secret_and_unknown_paths_are_404_and_logged_without_the_secret(
    receiver: Running, caplog: pytest.LogCaptureFixture
) -> None:
    body = gz(envelope("s-1"))
    near_miss = SECRET[:-1] + "X"
    with caplog.at_level(logging.INFO, logger="seotasks.receive"):
        for path in (
            f"/{near_miss}/postback",
            f"/postback?secret={near_miss}",
            "/postback",
            f"/{SECRET}/other",
            f"/{SECRET}/postback/extra",
            f"/x/{SECRET}/postback",
            f"/{SECRET}",
            "/",
        ):
            answer = receiver.post(path, body, **{"Content-Encoding": "gzip"})
            assert answer.status == 404, path
    assert receiver.get(f"/{SECRET}/postback").status == 405
    assert not files(receiver.app.store.root / "dataforseo")
    # The receiver's own lines; the test client's urllib3 lines name the path it asked for.
    said = [r.getMessage() for r in caplog.records if r.name.startswith("seotasks")]
    assert said and all(SECRET not in line and near_miss not in line for line in said)


@pytest.mark.parametrize(
    ("body", "headers", "status", "why"),
    [
        (b"{not json", {}, 400, "not JSON"),
        (b'{"tasks": []}', {}, 400, "is empty"),
        (b'["a list"]', {}, 400, "no tasks"),
        (
            json.dumps({"tasks": [{"id": "../etc/pw", "status_code": 20000}]}).encode(),
            {},
            400,
            "plain id",
        ),
        (
            json.dumps({"tasks": [{"id": "t-1", "status_code": "20000"}]}).encode(),
            {},
            400,
            "number",
        ),
        (json.dumps({"tasks": [{"id": "t-1", "status_code": None}]}).encode(), {}, 400, "number"),
        (gz(envelope("t-1", "t-1")), {"Content-Encoding": "gzip"}, 400, "given twice"),
        (json.dumps({"tasks": [{"no": "id"}]}).encode(), {}, 400, "no id"),
        (b"plain text, not gzip", {"Content-Encoding": "gzip"}, 400, "not valid gzip"),
        (gz(envelope("t-1"))[:-20], {"Content-Encoding": "gzip"}, 400, "truncated"),
        (gz(envelope("t-1")), {"Content-Encoding": "br"}, 415, "content-encoding"),
    ],
    ids=[
        "json",
        "empty",
        "list",
        "traversal",
        "code-text",
        "code-null",
        "twice",
        "noid",
        "notgzip",
        "truncated",
        "brotli",
    ],
)
def test_malformed_postbacks_are_refused_and_recorded(
    receiver: Running, body: bytes, headers: dict[str, str], status: int, why: str
) -> None:
    answer = receiver.post(f"/{SECRET}/postback", body, **headers)
    assert answer.status == status and why in json.loads(answer.data)["error"]
    rejected = receiver.app.rejected_dir
    [meta] = [json.loads(p.read_text()) for p in rejected.glob("*.json")]
    assert why in meta["reason"] and meta["status"].startswith(str(status))
    assert (rejected / meta["body_file"]).read_bytes() == body[: 64 * 1024]
    assert not files(receiver.app.store.root / "dataforseo")
    # ... and the server goes on serving.
    assert receiver.post(f"/{SECRET}/postback", gz(envelope("ok-1"))).status == 200


def test_oversized_bodies_and_gzip_bombs_are_refused(
    start_receiver: Callable[..., Running], caplog: pytest.LogCaptureFixture
) -> None:
    receiver = start_receiver(max_body=64 * 1024, max_json=256 * 1024)
    big = json.dumps(envelope("big-1", keyword="x" * 100_000)).encode()
    assert len(big) > 64 * 1024
    with caplog.at_level(logging.WARNING, logger="seotasks.receive"):
        assert receiver.post(f"/{SECRET}/postback", big).status == 413
    # waitress answers it before the app runs: said all the same (it was silent).
    said = "a body over --max-body (65536 bytes) refused 413 Request Entity Too Large"
    assert said in caplog.text and receiver.app.answers[413] == 1
    bomb = gzip.compress(b"0" * (32 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 64 * 1024  # small on the wire ...
    answer = receiver.post(f"/{SECRET}/postback", bomb, **{"Content-Encoding": "gzip"})
    assert answer.status == 413 and "decompressed" in json.loads(answer.data)["error"]
    plain_big = json.dumps(envelope("big-2", keyword="y" * 40_000)).encode()
    assert receiver.post(f"/{SECRET}/postback", gzip.compress(plain_big)).status == 200
    assert files(receiver.app.store.root / "dataforseo").keys() == {"big-2"}


def test_a_flood_of_repeated_deliveries_writes_one_file_and_one_line(receiver: Running) -> None:
    body = gz(envelope("dup-1", "dup-2"))
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda _: (
                    receiver.post(
                        f"/{SECRET}/postback", body, **{"Content-Encoding": "gzip"}
                    ).status
                ),
                range(200),
            )
        )
    assert answers == [200] * 200
    assert files(receiver.app.store.root / "dataforseo").keys() == {"dup-1", "dup-2"}
    assert sorted(line["id"] for line in receiver.lines) == ["dup-1", "dup-2"]
    for _ in range(20):
        assert receiver.get(f"/{SECRET}/pingback?id=dup-1&kind=serp/google/organic").status == 200
    assert len(receiver.app.pingbacks) == 0  # already collected: nothing queued


def test_a_results_folder_moved_aside_is_made_again_for_the_next_delivery(
    receiver: Running,
) -> None:
    """Moving the results aside (an archive) made every later delivery a 503 until the
    receiver was restarted: the folder was made once a run."""
    results = receiver.app.store.root / "dataforseo"
    assert receiver.post(f"/{SECRET}/postback", gz(envelope("t-1"))).status == 200
    results.rename(receiver.app.store.root / "archive-1")
    assert receiver.post(f"/{SECRET}/postback", gz(envelope("t-2"))).status == 200
    assert files(results).keys() == {"t-2"}
    assert files(receiver.app.store.root / "archive-1").keys() == {"t-1"}


# -- the command ----------------------------------------------------------------------------------


def test_recipe_submit_then_receive_then_files_and_sigterm(tmp_path: Path) -> None:
    shift = [timedelta(0)]
    with DataForSEOEmulator(size=0, now=lambda: BASE + shift[0]) as emu:
        env = receive_env(tmp_path, emu.settings)
        out = tmp_path / "results"
        receiver = popen(
            [*CLI, "receive", "--listen", "127.0.0.1:0", "--to", str(out)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            base = receiving_on(receiver)
            specs = tmp_path / "specs.jsonl"
            specs.write_text(
                "\n".join(
                    json.dumps({"keyword": f"kw {n}", "location": 2840, "language": "en"})
                    for n in range(6)
                )
            )
            post = f"{base}/{SECRET}/postback?id=$id"
            ping = f"{base}/{SECRET}/pingback?id=$id&tag=$tag&kind=serp/{{engine}}/{{serp_type}}"
            submitted = []
            for flag, url in (("--postback", post), ("--pingback", ping)):
                done = run_here(["submit", "-p", "dataforseo", str(specs), flag, url], env)
                assert done.returncode == 0, done.stderr
                submitted += [json.loads(line)["task_id"] for line in done.stdout.splitlines()]
            shift[0] = timedelta(minutes=10)
            wait_for(lambda: files(out / "dataforseo").keys() == set(submitted), timeout=60)
            receiver.send_signal(signal.SIGTERM)
            stdout, stderr = receiver.communicate(timeout=60)
        finally:
            if receiver.poll() is None:
                receiver.kill()
        assert receiver.returncode == 0, stderr
        lines = [json.loads(line) for line in stdout.splitlines()]
        assert sorted(line["id"] for line in lines) == sorted(submitted)
        assert {line["via"] for line in lines} == {"postback", "pingback"}
        assert SECRET not in stdout + stderr
        assert emu.rate_limited == 0


def test_overlapping_envelopes_at_once_write_each_task_once(receiver: Running) -> None:
    ids = [f"ov-{n:02d}" for n in range(30)]
    bodies = [gz(envelope(*ids)), gz(envelope(*reversed(ids))), gz(envelope(*ids[5:20]))]
    with ThreadPoolExecutor(6) as pool:
        answers = list(
            pool.map(lambda body: receiver.post(f"/{SECRET}/postback", body).status, bodies * 4)
        )
    assert answers == [200] * 12
    assert files(receiver.app.store.root / "dataforseo").keys() == set(ids)
    assert sorted(line["id"] for line in receiver.lines) == ids


def test_a_task_that_failed_at_the_vendor_gets_a_line_but_no_file(receiver: Running) -> None:
    sent = envelope("good-1", "bad-1")
    sent["tasks"][1].update(status_code=40501, status_message="Invalid Field: 'keyword'.")
    answer = receiver.post(f"/{SECRET}/postback", gz(sent))
    assert answer.status == 200 and json.loads(answer.data)["failed"] == 1
    assert files(receiver.app.store.root / "dataforseo").keys() == {"good-1"}
    errors = {line["id"]: line["error"] for line in receiver.lines}
    assert errors["good-1"] is None and "40501" in errors["bad-1"]


def test_a_failure_delivered_after_the_tasks_result_leaves_the_result_unsaid_against(
    receiver: Running,
) -> None:
    """A late, failed delivery of a task whose result is stored printed an error line
    for it: a reader keeping each task's last line took a stored result for a failure."""
    assert receiver.post(f"/{SECRET}/postback", gz(envelope("t-1"))).status == 200
    late = envelope("t-1")
    late["tasks"][0].update(status_code=40101, status_message="Task In Queue.")
    answer = receiver.post(f"/{SECRET}/postback", gz(late))
    assert answer.status == 200 and json.loads(answer.data)["failed"] == 0
    assert [(line["id"], line["error"]) for line in receiver.lines] == [("t-1", None)]
    assert files(receiver.app.store.root / "dataforseo").keys() == {"t-1"}


def test_sigterm_during_a_postback_then_a_redelivery_writes_every_file_once(tmp_path: Path) -> None:
    """The command stops gracefully: a delivery in progress completes (200, every task's
    file durable) or, if it is cut off, the vendor's redelivery to the next receiver writes
    exactly the missing files: in the end every task has one file and one line."""
    env = receive_env(tmp_path)
    out = tmp_path / "results"
    ids = [f"sig-{n:04d}" for n in range(1500)]
    body = gz(envelope(*ids))
    lines: list[str] = []
    RECEIVE = [*CLI, "receive", "--listen", "127.0.0.1:0"]
    statuses: list[Any] = []
    for run in range(2):
        # stdout to a file: an unread pipe would fill and block the receiver's lines.
        log = tmp_path / f"stdout-{run}.jsonl"
        with log.open("w") as sink:
            receiver = popen(
                [*RECEIVE, "--to", str(out)],
                env=env,
                stdout=sink,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                url = f"{receiving_on(receiver)}/{SECRET}/postback"

                def deliver(url: str = url) -> None:
                    try:
                        answer = urllib3.PoolManager(retries=False, timeout=60.0).request(
                            "POST", url, body=body
                        )
                        statuses.append(answer.status)
                    except urllib3.exceptions.HTTPError as exc:
                        statuses.append(type(exc).__name__)

                sender = threading.Thread(target=deliver)
                sender.start()
                time.sleep(0.3)  # the first run is stopped while it writes 1500 files
                if run == 0:
                    receiver.send_signal(signal.SIGTERM)
                sender.join(90)
                if run == 1:
                    receiver.send_signal(signal.SIGTERM)
                receiver.wait(90)
                stderr = receiver.stderr.read()
            finally:
                if receiver.poll() is None:
                    receiver.kill()
                    receiver.wait()
        assert receiver.returncode == 0, stderr
        lines += log.read_text().splitlines()
        written = files(out / "dataforseo")
        if statuses[-1] == 200:
            assert written.keys() == set(ids)  # never a 200 without every file
    assert statuses[-1] == 200
    assert sorted(json.loads(line)["id"] for line in lines) == ids  # one line each
    for path in files(out / "dataforseo").values():
        assert json.loads(path.read_bytes())["tasks"][0]["id"] == path.name.removesuffix(".json")
