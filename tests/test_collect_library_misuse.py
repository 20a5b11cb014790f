"""`Client.collect_many` from a user's script: a folder that fills up mid-run stops the
intake (each task taken after it was consumed and lost: 190 of 197), a folder that takes
no write is refused before anything is fetched, and misuse is a `TypeError` or
`ValueError` naming it, never an `AttributeError` from deep inside."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from collectkit import emu, task_gets
from seotasks_dataforseo.emulator import DataForSEOEmulator

import seotasks
from seotasks import Journal

__all__ = ["emu"]  # the fixture, found by pytest here

SCRIPT = """
import json, resource, signal, sys
from pathlib import Path
import seotasks
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, 16 * 1024))  # a disk that filled up
settings, into = json.loads(sys.argv[1]), Path(sys.argv[2])
failed = 0
with seotasks.connect("dataforseo", **settings) as client:
    for outcome in client.collect_many(client.tasks(), into=into, workers=2):
        if outcome.ok:
            outcome.path.replace(into / f"{outcome.task.id}.json")
        else:
            failed += 1
print(failed)
"""


@pytest.fixture
def client(emu: DataForSEOEmulator) -> Iterator[Any]:
    with seotasks.connect("dataforseo", **{**emu.settings, "families": "serp"}) as connected:
        yield connected


def test_a_folder_that_fills_up_mid_run_stops_the_intake(
    emu: DataForSEOEmulator, tmp_path: Path
) -> None:
    truth = emu.ready_ids()
    emu.app.result_padding = 64 * 1024  # every result is over the 16 KiB the disk takes
    settings = json.dumps({**emu.settings, "families": "serp"})
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, settings, str(tmp_path)],
        # No .pyc: CPython writes one in a single raw write and keeps what the 16 KiB
        # limit let through, a truncated file every later import fails on.
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 1
    # The tasks in flight when the disk filled (two workers, a window of four), no more.
    assert 0 < task_gets(emu) <= 6 < len(truth)
    assert len(emu.ready_ids()) >= len(truth) - 6


@pytest.mark.parametrize(
    ("arguments", "error", "says"),
    [
        ({"into": ""}, ValueError, "into is an empty path"),
        ({"into": b"/tmp"}, TypeError, "into must be a folder path"),
        ({"stop": True}, TypeError, "stop must be a threading.Event"),
        ({"journal": "journal"}, TypeError, "journal must be a seotasks.Journal"),
    ],
)
def test_misuse_is_named_at_the_call(
    emu: DataForSEOEmulator,
    client: Any,
    arguments: dict[str, Any],
    error: type[Exception],
    says: str,
) -> None:
    with pytest.raises(error, match=says):
        client.collect_many(client.tasks(), **arguments)
    assert task_gets(emu) == 0


def test_a_closed_journal_is_refused(emu: DataForSEOEmulator, client: Any, tmp_path: Path) -> None:
    journal = Journal.open(tmp_path, "dataforseo")
    journal.close()
    # another holder has the lock now
    with Journal.open(tmp_path, "dataforseo"), pytest.raises(ValueError, match="is closed"):
        client.collect_many(client.tasks(), journal=journal)
    assert task_gets(emu) == 0


def test_collect_to_a_path_and_ack_of_a_task_are_type_errors(
    emu: DataForSEOEmulator, client: Any, tmp_path: Path
) -> None:
    task = next(iter(client.tasks()))
    with pytest.raises(TypeError, match="a binary file open for writing and reading"):
        client.collect_to(task, str(tmp_path / "r.json"))
    assert task_gets(emu) == 0
    with (
        Journal.open(tmp_path, "dataforseo") as journal,
        pytest.raises(TypeError, match=r"task\.id"),
    ):
        journal.ack(task)
