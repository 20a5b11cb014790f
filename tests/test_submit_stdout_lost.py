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

import pytest
from clirun import CLI, cli_env

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
    done = subprocess.run(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.close(1),  # started as ``>&-`` leaves it
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
        done = subprocess.run(
            command, env=env, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60
        )
    assert done.returncode == 6, done.stderr
    assert len(emu.posted()) == 1  # no batch after stdout refused the first line
    ids = _ids(done.stderr)
    assert len(ids) == 100 and len(set(ids)) == 100, done.stderr
    assert "stdout takes no more lines (No space left on device)" in done.stderr
    assert "post the specs without a line from a new file" in done.stderr


def test_a_reader_that_leaves_stops_the_posting_and_no_id_is_lost(emu: Any, tmp_path: Path) -> None:
    """``| head -n 3``: a batch posted, 3 ids printed, 97 gone with the pipe, exit 0."""
    command, env = _command(emu, tmp_path)
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    read = b""
    while read.count(b"\n") < 3:  # a byte at a time: the rest stays in the pipe
        read += os.read(proc.stdout.fileno(), 1)
    proc.stdout.close()  # the reader leaves, the rest of the batch unread in the pipe
    _, stderr = proc.communicate(timeout=60)
    text = stderr.decode()
    assert proc.returncode == 6, text
    created = sum(len(batch) for batch in emu.posted())
    assert created < SPECS, text  # the posting stopped once the reader was seen gone
    shown = _ids(read.decode()) + _ids(text)
    assert len(set(shown)) == created, text  # every id created: printed, or on stderr
    assert "stdout takes no more lines (its reader is gone)" in text
