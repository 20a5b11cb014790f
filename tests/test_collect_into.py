"""``Client.collect_many(into=...)`` as a library user calls it, against the DataForSEO
emulator: each result lands in its own file in the folder, byte for byte what
``collect_to`` writes, and a folder that cannot take a file is a `StorageError` on each
task (a documented error the caller can act on), never a raw `OSError`."""

from __future__ import annotations

import errno
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clirun import ready_dataforseo
from seotasks_dataforseo.emulator import DataForSEOEmulator

import seotasks


@pytest.fixture
def emu() -> Iterator[DataForSEOEmulator]:
    with ready_dataforseo(3, seed=5) as emulator:
        yield emulator


def test_each_result_is_a_file_in_the_folder(emu: DataForSEOEmulator, tmp_path: Path) -> None:
    with seotasks.connect("dataforseo", **emu.settings) as client:
        outcomes = list(client.collect_many(client.tasks(), workers=2, into=tmp_path))
    assert len(outcomes) == 3 and all(o.ok and o.result is None for o in outcomes)
    paths = {o.path for o in outcomes}
    assert paths == set(tmp_path.iterdir())
    for outcome in outcomes:
        assert outcome.path is not None
        answer = json.loads(outcome.path.read_bytes())
        assert answer["tasks"][0]["id"] == outcome.task.id


@pytest.mark.parametrize("where", ["a-file", "missing/folder"])
def test_a_folder_that_cannot_take_a_file_is_a_storage_error(
    emu: DataForSEOEmulator, tmp_path: Path, where: str
) -> None:
    """Refused at the call, naming the folder: before, each task failed on its own."""
    (tmp_path / "a-file").write_text("not a folder")
    into = tmp_path / where
    ready = emu.ready_ids()
    refused = pytest.raises(seotasks.StorageError, match="nothing was fetched")
    with seotasks.connect("dataforseo", **emu.settings) as client, refused as caught:
        client.collect_many(client.tasks(), workers=1, into=into)
    assert str(into) in str(caught.value)
    assert emu.ready_ids() == ready  # nothing was fetched, so nothing left the list


def test_a_write_only_sink_is_refused_before_the_fetch(
    emu: DataForSEOEmulator, tmp_path: Path
) -> None:
    """`collect_to` reads the answer back from ``sink`` to validate it, so a file opened
    ``"wb"`` failed with ``io.UnsupportedOperation`` only after the fetch had taken the
    task off ``tasks_ready``: a result consumed and not kept. It is refused at the call."""
    ready = emu.ready_ids()
    with seotasks.connect("dataforseo", **emu.settings) as client:
        task = next(iter(client.tasks()))
        with open(tmp_path / "one.json", "wb") as sink, pytest.raises(ValueError) as caught:
            client.collect_to(task, sink)
    assert "w+b" in str(caught.value)
    assert emu.ready_ids() == ready  # nothing was fetched, so nothing left the list
    assert (tmp_path / "one.json").read_bytes() == b""


def test_folders_given_as_text_work_as_paths(emu: DataForSEOEmulator, tmp_path: Path) -> None:
    """``into="results"`` failed every task with "unsupported operand type(s) for /: 'str'
    and 'str'" (a `TypeError` reported per task, as a provider bug), and
    ``Journal.open("journal", ...)`` raised it: a folder is now any path, text included."""
    with (
        seotasks.Journal.open(str(tmp_path / "journal"), "dataforseo") as journal,
        seotasks.connect("dataforseo", **emu.settings) as client,
    ):
        outcomes = list(client.collect_many(client.tasks(), journal=journal, into=str(tmp_path)))
        assert [o.error for o in outcomes] == [None] * 3
        assert {o.path for o in outcomes} <= set(tmp_path.iterdir())
        assert len(journal.pending()) == 3  # recorded, awaiting the caller's ack


def test_a_sink_that_takes_no_more_is_a_storage_error_and_the_result_can_be_fetched_again(
    emu: DataForSEOEmulator, tmp_path: Path
) -> None:
    """A full disk under the caller's file is a `StorageError` (exit 6, "free space"), not a
    bare `OSError` a caller catching `SeotasksError` misses; the task has left
    ``tasks_ready`` by then, and its id fetches it again."""
    full = tmp_path / "full.json"
    with seotasks.connect("dataforseo", **emu.settings) as client:
        task = next(iter(client.tasks()))
        with _FullAfter(full, 100) as sink, pytest.raises(seotasks.StorageError) as caught:
            client.collect_to(task, sink)
        assert "No space left on device" in str(caught.value) and task.id in str(caught.value)
        assert str(full) in str(caught.value) and task.id not in emu.ready_ids()
        with open(tmp_path / "again.json", "w+b") as sink:
            client.collect_to(task, sink)
    assert json.loads((tmp_path / "again.json").read_bytes())["tasks"][0]["id"] == task.id


class _FullAfter(io.FileIO):
    """A file on a disk that fills after ``room`` bytes (``ENOSPC``, as a full disk says)."""

    def __init__(self, path: Path, room: int) -> None:
        super().__init__(path, "w+")
        self.room = room

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(data)
