"""``seotasks receive`` killed (SIGKILL) at random instants while a vendor delivers.

A kill can land anywhere: while a body arrives, while a delivery's lines are recorded
as owed, between a result file's write and its rename, between a file and its line,
while a line goes out. The vendor delivers again whatever was not answered 200, to the
next receiver. In the end every task has one whole file and at least one line (the
docs promise at least once, keyed on provider and id) in the file every run appended
to, whose lines a kill cut were ended by the next start; nothing is left owed, and what
the kills left of files being written is swept once old enough.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from pathlib import Path
from typing import Any

import urllib3
from receivekit import SECRET, Receiver, envelope, files, gz, receive_env

from seotasks.store import STALE_SECONDS

_ENVELOPES = 30
_TASKS = 20
_KILLS = 8


def _deliver(url: str, pending: dict[int, bytes], answers: list[Any]) -> None:
    """Post the envelopes not yet answered 200, one after another, as the vendor would;
    stop at the first failure (the receiver was killed)."""
    with urllib3.PoolManager(retries=False, timeout=30.0) as http:
        for number, body in sorted(pending.items()):
            try:
                status = http.request("POST", url, body=body).status
            except urllib3.exceptions.HTTPError as exc:
                answers.append(type(exc).__name__)
                return
            answers.append(status)
            if status == 200:
                del pending[number]


def _run(
    out: Path, env: dict[str, str], log: Path, pending: dict[int, bytes], kill_after: float | None
) -> list[Any]:
    """One receiver: deliver to it, then SIGKILL it after ``kill_after`` seconds (None:
    once every envelope is answered 200, stop it with SIGTERM)."""
    answers: list[Any] = []
    # `receive >> lines.jsonl`, as a service would run it.
    with log.open("a") as sink, Receiver(out, env, stdout=sink) as receiver:
        url = f"{receiver.url}/{SECRET}/postback"
        sender = threading.Thread(target=_deliver, args=(url, pending, answers))
        sender.start()
        if kill_after is not None:
            time.sleep(kill_after)
            receiver.process.kill()
        sender.join(60)
        assert not sender.is_alive(), "a delivery hung"
        if kill_after is None:
            assert receiver.stop() == 0, receiver.stderr
    return answers


def test_sigkill_at_random_instants_then_redeliveries_leave_every_file_once_with_its_line(
    tmp_path: Path,
) -> None:
    out = tmp_path / "results"
    env = receive_env(tmp_path)
    ids = {n: [f"k-{n:02d}-{t:02d}" for t in range(_TASKS)] for n in range(_ENVELOPES)}
    pending = {n: gz(envelope(*task_ids)) for n, task_ids in ids.items()}
    rng = random.Random(20261205)
    log = tmp_path / "lines.jsonl"
    answered = cut = 0
    for _ in range(_KILLS):
        answers = _run(out, env, log, pending, kill_after=rng.uniform(0.01, 0.15))
        answered += answers.count(200)
        cut += bool(answers) and answers[-1] != 200  # the kill cut a delivery off
    # What the kills left of files being written, aged past the sweep's wait (a younger
    # one may be a live writer's, `collect --to` sharing the folder): the next start
    # removes them.
    left = list(out.rglob(".*.tmp"))
    for path in left:
        os.utime(path, (time.time() - 2 * STALE_SECONDS,) * 2)
    answered += _run(out, env, log, pending, kill_after=None).count(200)
    assert not pending and answered >= _ENVELOPES
    assert cut, "no kill landed during a delivery: the test missed its moments"

    everyone = sorted(task_id for task_ids in ids.values() for task_id in task_ids)
    written = files(out / "dataforseo")
    assert sorted(written) == everyone
    for task_id, path in written.items():  # whole: a kill never leaves half a file
        assert json.loads(path.read_bytes())["tasks"][0]["id"] == task_id
    printed, broken = [], 0
    for text in log.read_text().splitlines():
        try:
            printed.append(json.loads(text)["id"])
        except json.JSONDecodeError:  # a line a kill cut: ended by the next start
            broken += 1
    assert broken <= _KILLS and log.read_text().endswith("\n")
    assert set(printed) == set(everyone)  # every file's line, at least once
    assert not list((out / ".owed").glob("*.json"))
    assert not [path for path in left if path.exists()]
