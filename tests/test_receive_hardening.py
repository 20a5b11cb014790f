"""``seotasks receive`` under hostile or broken conditions, as a user runs it: the real
command in a subprocess, spoken to over real HTTP on 127.0.0.1.

A receiver listens where anyone can reach it, so it must keep answering the vendor while
strangers hold connections open, refuse a compression bomb without inflating it, refuse
JSON that Python's parser cannot hold or that is not JSON at all (NaN), answer a full
disk with 503 and one log line, and stop on SIGINT or SIGTERM leaving every file whole.
What it refuses at start is in `test_receive_start`.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import os
import signal
import socket
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import forkrun
import pytest
import urllib3
from receivekit import SECRET, Receiver, envelope, files, gz, peak_rss, receive_env, wait_for
from refusingvendor import RefusingVendor
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_dataforseo.provider import DataForSEOProvider

from seotasks.cli.receive_server import ReceiverServer
from seotasks.emulation import EmulatorServer, Fault
from seotasks.receiver.app import ReceiverApp
from seotasks.receiver.body import gunzip
from seotasks.receiver.rejected import Refused
from seotasks.store import ResultStore

MB = 1024 * 1024


def _post(
    url: str, body: bytes, *, timeout: float = 60.0, **headers: str
) -> urllib3.BaseHTTPResponse:
    """One POST on a connection of its own (never a pooled one already accepted)."""
    with urllib3.PoolManager(retries=False, timeout=timeout) as http:
        return http.request("POST", url, body=body, headers=headers)


def _sockets_of(pid: int) -> int:
    """How many sockets process ``pid`` holds open (its listening socket included)."""
    folder = Path(f"/proc/{pid}/fd")
    count = 0
    for name in os.listdir(folder):
        with contextlib.suppress(OSError):  # closed between the listing and the readlink
            count += os.readlink(folder / name).startswith("socket:")
    return count


def _strict(data: bytes) -> Any:
    """``data`` parsed as strict JSON: NaN, Infinity and -Infinity are errors."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(data, parse_constant=refuse)


# -- connections ----------------------------------------------------------------------------------


def test_300_idle_connections_do_not_delay_an_authenticated_postback(tmp_path: Path) -> None:
    """Strangers holding connections open and silent (no request, no secret) must not use
    up what the vendor needs: the postback on a fresh connection is answered and written
    before DataForSEO would give up on it (it drops a callback after 10 s: the POST is
    made with that read timeout)."""
    out = tmp_path / "results"
    with Receiver(out, receive_env(tmp_path)) as receiver:
        idle = [socket.create_connection(receiver.address, timeout=10) for _ in range(300)]
        try:
            # The receiver has accepted every one of them (plus its listening socket).
            wait_for(lambda: _sockets_of(receiver.pid) >= 301)
            started = time.monotonic()
            answer = _post(
                f"{receiver.url}/{SECRET}/postback", gz(envelope("idle-1")), timeout=10.0
            )
            elapsed = time.monotonic() - started
        finally:
            for sock in idle:
                sock.close()
        assert answer.status == 200, answer.data
        assert files(out / "dataforseo").keys() == {"idle-1"}
        print(f"\npostback answered in {elapsed * 1000:.1f} ms beside 300 idle connections")


# -- bodies ---------------------------------------------------------------------------------------


def _gzip_of_zeros(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes, built without holding them (a bomb)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"0" * MB
    parts = [packer.compress(zeros) for _ in range(size // MB)]
    return b"".join([*parts, packer.flush()])


def test_gzip_bombs_are_refused_while_inflating_in_bounded_memory(tmp_path: Path) -> None:
    """A 0.16 MB body that inflates to 160 MiB, two and a half times a 64 MiB cap, is
    refused (413) while it is inflated, never held whole: the receiver's peak RSS stays at
    most cap + 50 MB even with a bomb in each of its 8 HTTP threads at once (holding up to
    the cap per request would peak at 8 x 64 MiB). A bigger bomb proves no more, since
    inflating stops at the cap; building it costs the test a second of CPU per 250 MB."""
    cap = 64 * MB
    bomb = _gzip_of_zeros(160 * MB)
    assert len(bomb) < 0.18 * 1e6
    args = ("--max-json", str(cap), "--threads", "8")
    with Receiver(tmp_path / "results", receive_env(tmp_path), *args, measured=True) as receiver:
        url = f"{receiver.url}/{SECRET}/postback"
        with ThreadPoolExecutor(8) as pool:
            answers = list(
                pool.map(lambda _: _post(url, bomb, **{"Content-Encoding": "gzip"}), range(8))
            )
        peak = peak_rss(receiver.pid)
        assert [a.status for a in answers] == [413] * 8
        assert all("decompressed" in json.loads(a.data)["error"] for a in answers)
        # ... and the receiver goes on serving.
        assert _post(url, gz(envelope("after-bomb"))).status == 200
    print(f"\npeak RSS {peak / MB:.1f} MiB for 8 bombs at once, cap {cap / MB:.0f} MiB")
    assert peak <= cap + 50 * MB
    assert files(tmp_path / "results" / "dataforseo").keys() == {"after-bomb"}


NOT_JSON = {
    "nested-arrays": b"[" * 100_000,
    "nested-objects": b'{"a":' * 100_000,
    "nested-in-a-task": json.dumps(envelope("deep-1"))
    .encode()
    .replace(b'"items": []', b'"items": ' + b"[" * 50_000 + b"]" * 50_000),
    "nan": b'{"tasks": [{"id": "n-1", "status_code": 20000, "result": NaN}]}',
    "infinity": b'{"tasks": [{"id": "n-2", "status_code": 20000, "result": Infinity}]}',
    "minus-infinity": b'{"tasks": [{"id": "n-3", "status_code": 20000, "result": -Infinity}]}',
    "overflowing-float": b'{"tasks": [{"id": "n-4", "status_code": 20000, "result": 1e999}]}',
    "overflowing-negative": b'{"tasks": [{"id": "n-5", "status_code": 20000, "x": -2E400}]}',
    # An escape of half a surrogate pair is no character: UTF-8 cannot write it.
    "lone-surrogate": b'{"tasks": [{"id": "n-6", "status_code": 20000, "result": ["\\ud800"]}]}',
    "lone-surrogate-key": b'{"tasks": [{"id": "n-7", "status_code": 20000, "x": {"\\udfff": 1}}]}',
    # The parser keeps a key's last value: the first tasks list, the first id, lost at a 200.
    "tasks-twice": b'{"tasks": [{"id": "n-8", "status_code": 20000}], "tasks": [{"id": "n-9"}]}',
    "id-twice": b'{"tasks": [{"id": "n-10", "status_code": 20000, "id": "n-11"}]}',
}


def test_deep_nesting_and_non_json_numbers_are_400_and_kept(tmp_path: Path) -> None:
    """Nesting deeper than Python's parser can hold is a 400 (not a 500 with a
    RecursionError traceback), and so are NaN, Infinity and numbers that overflow to
    them: each is kept in .rejected/ (the first 64 KiB of the body), no file is written,
    and what the receiver does write is strict JSON."""
    out = tmp_path / "results"
    with Receiver(out, receive_env(tmp_path)) as receiver:
        url = f"{receiver.url}/{SECRET}/postback"
        for name, body in NOT_JSON.items():
            for sent, headers in (
                (body, {}),
                (zlib.compress(body, wbits=31), {"Content-Encoding": "gzip"}),
            ):
                answer = _post(url, sent, **headers)
                assert answer.status == 400, (name, answer.status, answer.data)
                assert "not JSON" in json.loads(answer.data)["error"], name
        good = envelope("strict-1")
        good["tasks"][0]["result"][0].update(rank=1.5, etv=1e300, small=-2.5e-300, t="\U0001f600")
        assert _post(url, gz(good)).status == 200
        code = receiver.stop()
    assert code == 0
    assert "Traceback" not in receiver.stderr and "RecursionError" not in receiver.stderr
    records = [json.loads(p.read_text()) for p in (out / ".rejected").glob("*.json")]
    assert len(records) == 2 * len(NOT_JSON)
    assert all(r["status"].startswith("400") and "not JSON" in r["reason"] for r in records)
    for record in records:
        kept = (out / ".rejected" / record["body_file"]).read_bytes()
        assert len(kept) == record["body_bytes_kept"] <= 64 * 1024
    written = files(out / "dataforseo")
    assert written.keys() == {"strict-1"}
    task = _strict(written["strict-1"].read_bytes())["tasks"][0]
    assert task["result"][0]["etv"] == 1e300 and task["result"][0]["t"] == "\U0001f600"


# -- storage --------------------------------------------------------------------------------------


def test_a_full_disk_is_503_with_one_line_per_burst(tmp_path: Path) -> None:
    """A disk that takes no more data is simulated portably: the receiver runs with
    RLIMIT_FSIZE at 16 KiB (SIGXFSZ ignored), so writing a 64 KB result fails with EFBIG
    while small files still fit. Every postback that cannot be stored is a 503 (the
    vendor's task then lands in tasks_ready for a poll); stderr gets one line when
    writing starts failing and one when it works again, never a traceback, and no line
    for each of the requests in between."""
    out = tmp_path / "results"
    env = {**receive_env(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    big = gz(envelope("big-0", keyword="x" * 64_000))
    with Receiver(out, env, preexec_fn=forkrun.capped_files(16 * 1024)) as receiver:
        url = f"{receiver.url}/{SECRET}/postback"

        def burst() -> list[int]:
            return [_post(url, big).status for _ in range(12)]

        first = burst()
        fits = _post(url, gz(envelope("small-1")))  # writing works again ...
        second = burst()  # ... and fails again: a new burst, a new line
        # Part of an envelope fits: the files written get their lines (a redelivery
        # would find them and stay silent), the answer is still 503.
        mixed = envelope("mix-a", "mix-b", "mix-z")
        mixed["tasks"][2]["data"]["keyword"] = "z" * 64_000
        partly = _post(url, gz(mixed))
        code = receiver.stop()
    assert first == second == [503] * 12
    assert fits.status == 200 and partly.status == 503
    assert code == 0
    stderr = receiver.stderr
    assert "Traceback" not in stderr
    failing = [t for t in stderr.splitlines() if "cannot write" in t]
    assert len(failing) == 2, stderr
    assert "File too large" in failing[0]
    again = [t for t in stderr.splitlines() if "works again" in t]
    assert len(again) == 1 and "12" in again[0], stderr
    written = files(out / "dataforseo").keys()
    assert "small-1" in written and "mix-z" not in written
    assert written - {"small-1"} <= {"mix-a", "mix-b"}
    announced = [json.loads(t)["id"] for t in receiver.stdout.splitlines()]
    assert sorted(announced) == sorted(written)
    assert not any(p.name.endswith(".tmp") for p in (out / "dataforseo").iterdir())


def test_a_refusal_the_disk_cannot_hold_leaves_no_half_record(tmp_path: Path) -> None:
    """A refused delivery's record is its metadata and the head of its body: with the disk
    taking no more (RLIMIT_FSIZE 16 KiB), the body's head was left alone, 0 to 16 KiB with
    no metadata, kept for good and seen by no clean-up. Nothing of it is left now, and the
    next refusal that fits is kept whole (a 415 for an encoding not served, too)."""
    out = tmp_path / "results"
    env = {**receive_env(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    with Receiver(out, env, preexec_fn=forkrun.capped_files(16 * 1024)) as receiver:
        url = f"{receiver.url}/{SECRET}/postback"
        assert _post(url, b"{" * 40_000).status == 400
        assert _post(url, b"not json").status == 400
        assert _post(url, b"x", **{"Content-Encoding": "deflate"}).status == 415
        assert receiver.stop() == 0
    kept = sorted(p.name for p in (out / ".rejected").iterdir())
    records = [json.loads((out / ".rejected" / n).read_text()) for n in kept if n.endswith(".json")]
    assert sorted(r["status"][:3] for r in records) == ["400", "415"], kept
    assert sorted(n for n in kept if n.endswith(".body")) == sorted(r["body_file"] for r in records)
    assert "cannot write" in receiver.stderr and "Traceback" not in receiver.stderr


# -- signals --------------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_sigint_and_sigterm_stop_alike_leaving_whole_files(tmp_path: Path, signum: int) -> None:
    """SIGTERM (what systemd, Kubernetes and Airflow send first) is treated as SIGINT: no
    new connection, the postback in progress finishes (every file whole, then 200) or is
    cut off before its answer (the vendor's task then goes to tasks_ready), exit 0 as
    documented: nothing is left half done, queued pingbacks wait on disk."""
    out = tmp_path / "results"
    ids = [f"sg-{n:04d}" for n in range(1500)]
    statuses: list[Any] = []
    with Receiver(out, receive_env(tmp_path)) as receiver:
        url = f"{receiver.url}/{SECRET}/postback"

        def deliver() -> None:
            try:
                statuses.append(_post(url, gz(envelope(*ids))).status)
            except urllib3.exceptions.HTTPError as exc:
                statuses.append(type(exc).__name__)

        sender = threading.Thread(target=deliver)
        sender.start()
        wait_for(lambda: bool(files(out / "dataforseo")) or bool(statuses))
        code = receiver.stop(signum)
        sender.join(120)
    assert code == 0, receiver.stderr
    assert "Traceback" not in receiver.stderr
    assert "receiver stopped" in receiver.stderr
    written = files(out / "dataforseo")
    if statuses == [200]:
        assert written.keys() == set(ids)
    for task_id, path in written.items():
        assert _strict(path.read_bytes())["tasks"][0]["id"] == task_id
    announced = [json.loads(t)["id"] for t in receiver.stdout.splitlines()]
    assert sorted(announced) == sorted(written)


def test_a_signal_ends_a_pingback_retry_after_wait_and_keeps_the_task_queued(
    tmp_path: Path,
) -> None:
    """The pingback worker may be waiting out a vendor's ``Retry-After`` (up to five minutes)
    when the stop comes: the signal ends that wait (the call is not sent), the task
    stays queued on disk for the next start instead of being set aside as failed, and
    the command exits 0 as documented."""
    past = datetime.now(UTC) - timedelta(hours=1)
    with DataForSEOEmulator(seed=3, size=0, kinds=("serp/google/organic",)) as emu:
        emu.add_tasks(1, posted=past, code=20000, delay=timedelta(minutes=1))
        [task_id] = emu.ready_ids()
        emu.server.faults.retry_after = "300"
        emu.server.faults.inject(Fault.HTTP_429_RETRY_AFTER, 1, match="/task_get/")
        out = tmp_path / "results"
        with Receiver(out, receive_env(tmp_path, emu.settings)) as receiver:
            with urllib3.PoolManager(retries=False, timeout=30.0) as http:
                ping = f"{receiver.url}/{SECRET}/pingback?id={task_id}&kind=serp/google/organic"
                assert http.request("GET", ping).status == 200
            # The 429 is answered: the worker now waits five minutes before trying again.
            wait_for(lambda: any("/task_get/" in r.path for r in emu.server.requests))
            code = receiver.stop(signal.SIGTERM)
        assert task_id not in emu.collected_ids()
    assert code == 0, receiver.stderr
    said = receiver.stderr
    assert "Traceback" not in said
    assert f"pingback {task_id} not collected yet" in said and "stopped while waiting" in said
    assert "1 pingback still queued" in said
    assert (out / ".pingbacks" / f"{task_id}.json").exists()
    assert not list((out / ".pingbacks" / "failed").iterdir())  # none set aside


# -- the pieces, in process -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "size",
    [0, 1, 64 * 1024, MB - 1, MB, MB + 1, 3 * MB],
    ids=lambda n: f"{n}B",
)
@pytest.mark.parametrize("kind", ["zeros", "random"])
def test_gunzip_gives_back_exactly_the_bytes_up_to_the_cap(size: int, kind: str) -> None:
    """The two passes (count, then inflate) agree with gzip at chunk boundaries, for
    bodies that compress well (one feed) and badly (many feeds), at and past the cap."""
    data = b"0" * size if kind == "zeros" else os.urandom(size)
    packed = gzip.compress(data)
    assert gunzip(packed, size) == data
    assert gunzip(packed + b"trailing bytes after the member", size) == data
    if size:
        with pytest.raises(Refused, match="decompressed body over the cap"):
            gunzip(packed, size - 1)
        with pytest.raises(Refused, match="truncated"):
            gunzip(packed[: len(packed) // 2], size)


def test_a_vendors_message_in_the_receivers_lines_cannot_drive_the_terminal(
    tmp_path: Path,
) -> None:
    """The receiver's lines on stderr quote the vendor (a pingback it refused; a refusal
    of the request, not of the task, so the pingback stays queued) without the control
    characters its message holds, as the command's error line does."""
    nasty = "Invalid Field \x1b]0;owned\x07\x1b[2J\x9b31m\u202e\x00 end"
    task_id = "0412-1535-0001-0000-000000000001"
    with EmulatorServer(RefusingVendor(nasty)) as vendor:
        account = {"base_url": vendor.url, "login": "me@example.com", "password": "pw-1234567"}
        with Receiver(tmp_path / "results", receive_env(tmp_path, account)) as receiver:
            with urllib3.PoolManager(retries=False, timeout=30.0) as http:
                ping = f"{receiver.url}/{SECRET}/pingback?id={task_id}&kind=serp/google/organic"
                assert http.request("GET", ping).status == 200
            wait_for(lambda: " end" in receiver.stderr)
            code = receiver.stop()
    said = receiver.stderr
    assert code == 0 and f"pingback {task_id} not collected yet" in said, said
    assert "Invalid Field" in said and "1 pingback still queued" in said, said
    bad = [ch for ch in said if (ord(ch) < 0x20 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F]
    bad += [ch for ch in said if ch in "\u200b\u202e\u2066"]
    assert not bad, f"control characters reached the terminal: {bad!r}"


def test_a_pingback_that_cannot_be_queued_is_503_logged_once_per_burst(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The pingback queue on a folder that cannot take a file (here a regular file where
    its folder should be) answers 503 with Retry-After, and says so once, then once
    more when it works again; the postbacks' alarm is a separate one."""
    store = ResultStore(tmp_path / "results")
    app = ReceiverApp(store, SECRET, DataForSEOProvider)
    blocker = tmp_path / "results" / ".pingbacks"
    blocker.parent.mkdir()
    blocker.write_text("in the way")
    server = ReceiverServer(app, "127.0.0.1", 0, threads=2)
    serving = threading.Thread(target=server.serve, daemon=True)
    serving.start()
    try:
        with (
            caplog.at_level(logging.WARNING, logger="seotasks.receive"),
            urllib3.PoolManager(retries=False, timeout=30.0) as http,
        ):
            ping = f"{server.url}/{SECRET}/pingback?kind=serp/google/organic&id=task-"
            refused = [http.request("GET", f"{ping}{n}") for n in range(10)]
            blocker.unlink()
            fine = http.request("GET", f"{ping}ok")
    finally:
        server.stop(grace=5.0)
        serving.join(30)
    assert [a.status for a in refused] == [503] * 10
    assert all(a.headers["Retry-After"] == "60" for a in refused)
    assert fine.status == 200 and len(app.pingbacks) == 1
    # The receiver's own lines: waitress adds "Task queue depth is 1" when a loaded
    # machine keeps both its threads busy, which is not what this test is about.
    said = [r.getMessage() for r in caplog.records if r.name == "seotasks.receive"]
    assert len([m for m in said if "cannot write the pingback queue" in m]) == 1, said
    assert len([m for m in said if "works again (10 writes had failed)" in m]) == 1, said
    assert len(said) == 2, said
