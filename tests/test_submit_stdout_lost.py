"""``seotasks submit`` whose stdout takes no more lines: the lines are the only record of
the task ids the vendor created, so none is dropped. A closed stdout is refused before
anything is posted; a full one, or a reader that leaves, stops the posting, and the
lines stdout missed go to stderr (exit 6)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import forkrun
import pytest
from clirun import CLI, cli_env, popen, run_process

SPECS = 250  # three batches: DataForSEO takes 100 tasks a call


@pytest.fixture
def emu() -> Iterator[Any]:
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    with DataForSEOEmulator(size=0) as running:
        yield running


def _command(emu: Any, tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    specs = tmp_path / "specs.jsonl"
    lines = (
        json.dumps({"keyword": f"kw {i}", "location": 2840, "language": "en"}) for i in range(SPECS)
    )
    specs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    return [*CLI, "submit", "-p", "dataforseo", str(specs)], env


def _ids(text: str) -> list[str]:
    ids = []
    for line in text.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record["task_id"] is not None:
                ids.append(record["task_id"])
    return ids


def test_a_closed_stdout_is_refused_before_anything_is_posted(emu: Any, tmp_path: Path) -> None:
    command, env = _command(emu, tmp_path)
    done = run_process(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=forkrun.closing(1),  # started as ``>&-`` leaves it
        timeout=60,
    )
    assert done.returncode == 6, done.stderr
    assert "cannot write to stdout: it is closed" in done.stderr
    assert emu.posted() == []


def test_a_full_stdout_stops_the_posting_and_its_lines_go_to_stderr(
    emu: Any, tmp_path: Path
) -> None:
    """``> /dev/full``: the first batch's hundred tasks were created and their ids lost
    (exit 6, "run again", which posted them twice)."""
    command, env = _command(emu, tmp_path)
    with open("/dev/full", "w") as full:
        done = run_process(
            command, env=env, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60
        )
    assert done.returncode == 6, done.stderr
    assert len(emu.posted()) == 1  # no batch after stdout refused the first line
    ids = _ids(done.stderr)
    assert len(ids) == 100 and len(set(ids)) == 100, done.stderr
    assert "stdout takes no more lines (No space left on device)" in done.stderr
    assert "post the specs without a line from a new file" in done.stderr


def test_a_reader_that_leaves_stops_the_posting_and_no_id_is_lost(emu: Any, tmp_path: Path) -> None:
    """``| head -n 3``: a batch posted, 3 ids printed, 97 gone with the pipe, exit 0.

    The second batch's post waits at the vendor until the reader has left: without
    that, a busy machine let the run post all three batches before the reader read
    its three lines, and nothing was left to stop."""
    import threading

    left = threading.Event()
    posts: list[str] = []

    def hold_the_second_post(request: Any) -> None:
        if request.path.endswith("/task_post"):
            posts.append(request.path)
            if len(posts) == 2:
                left.wait(timeout=60)

    emu.server.on_request = hold_the_second_post
    command, env = _command(emu, tmp_path)
    proc = popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    read = b""
    while read.count(b"\n") < 3:  # a byte at a time: the rest stays in the pipe
        read += os.read(proc.stdout.fileno(), 1)
    proc.stdout.close()  # the reader leaves, the rest of the batch unread in the pipe
    left.set()
    _, stderr = proc.communicate(timeout=60)
    emu.server.on_request = None
    text = stderr.decode()
    assert proc.returncode == 6, text
    created = sum(len(batch) for batch in emu.posted())
    assert created < SPECS, text  # the posting stopped once the reader was seen gone
    shown = _ids(read.decode()) + _ids(text)
    assert len(set(shown)) == created, text  # every id created: printed, or on stderr
    assert "stdout takes no more lines (its reader is gone)" in text


def test_a_second_signal_while_a_full_pipe_holds_a_write_stops_and_loses_no_id(
    emu: Any, tmp_path: Path
) -> None:
    """``submit ... | less`` left open: the pipe fills and a write waits for the reader.
    Two Ctrl-C did nothing until the reader quit, then 24 of 600 ids were nowhere and the
    count said 577. A second signal now ends the wait: the lines left go to stderr."""
    import signal
    import time

    specs = tmp_path / "specs.jsonl"
    lines = (
        json.dumps({"keyword": f"kw {i}", "location": 2840, "language": "en"}) for i in range(2000)
    )
    specs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    proc = popen(
        [*CLI, "submit", "-p", "dataforseo", str(specs)],
        env=env,
        stdout=subprocess.PIPE,  # never read until the end: it fills
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while sum(len(batch) for batch in emu.posted()) < 600:  # the pipe is full by then
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)  # a hang guard: it waited for the reader
    text = stderr.decode()
    assert proc.returncode == 5, text
    created = sum(len(batch) for batch in emu.posted())
    shown = set(_ids(stdout.decode())) | set(_ids(text))
    assert len(shown) == created, text
    assert f"interrupted at once: {created} of 2000 specs accepted" in text, text


def test_lines_a_live_reader_has_not_read_at_the_end_go_to_stderr_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``submit ... | (sleep 14; head -1)``: after 10 s the lines still in the pipe
    counted as read, and a reader quitting then took 249 of 250 ids along."""
    import io
    import os

    from seotasks.cli import submit_run

    monkeypatch.setattr(submit_run, "SETTLE_WAIT", 0.2)
    read_end, write_end = os.pipe()
    err = io.StringIO()
    with open(write_end, "w", encoding="utf-8", buffering=1) as out:
        run = submit_run.SubmitRun(out, err, 2)
        run.line(0, task_id="t-0", kind="serp/google/organic")
        run.line(1, task_id="t-1", kind="serp/google/organic")
        run.settle()  # the reader is there, and reads nothing
    os.close(read_end)
    assert _ids(err.getvalue()) == ["t-0", "t-1"]
    assert "its reader had not read them after 0.2 s" in err.getvalue()
