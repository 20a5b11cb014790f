"""``seotasks collect`` without ``--to``, its stdout a file (``>> results.jsonl``) that a
run stops writing mid-line: a disk that fills (RLIMIT_FSIZE standing in for it) or a
SIGKILL while a large line is going out. The file is then the only copy of the results
the vendor gave out, and a reader takes it a line at a time: the cut line must not take
the next run's first line with it, and a full disk is a storage failure, not a reader
that left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import forkrun
import pytest
from clirun import CLI, cli_env, popen, ready_dataforseo, run_process
from seotasks_dataforseo.emulator import DataForSEOEmulator

#: Each result line is about this big, so a limit or a kill lands inside one.
PADDING = 24 * 1024


@pytest.fixture
def emu() -> Iterator[DataForSEOEmulator]:
    with ready_dataforseo(30, seed=41) as emulator:
        emulator.app.result_padding = PADDING
        yield emulator


def _env(tmp_path: Path, emu: DataForSEOEmulator) -> dict[str, str]:
    return cli_env(tmp_path, {"dataforseo": {**emu.settings, "families": "serp"}})


def _appending(
    args: list[str], env: dict[str, str], sink: Path, limit: int | None = None
) -> subprocess.CompletedProcess[bytes]:
    """The real command with stdout appended to ``sink`` (``>> sink``), its files limited
    to ``limit`` bytes when given (SIGXFSZ ignored: the write fails with EFBIG)."""

    small_files = None if limit is None else forkrun.capped_files(limit)
    with open(sink, "ab") as out:
        return run_process(
            [*CLI, *args], env=env, stdout=out, stderr=subprocess.PIPE, preexec_fn=small_files
        )


def _results(sink: Path) -> tuple[list[str], int]:
    """The task ids of the whole result lines in ``sink`` (repeats kept), and how many
    lines do not parse."""
    ids: list[str] = []
    torn = 0
    for line in sink.read_bytes().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            torn += 1
            continue
        assert record["result"]["tasks"][0]["id"] == record["task"]["id"]
        ids.append(record["task"]["id"])
    return ids, torn


def test_a_stdout_file_that_fills_mid_line_is_a_storage_error_and_the_next_run_loses_nothing(
    emu: DataForSEOEmulator, tmp_path: Path
) -> None:
    """The limit falls inside a line: that line is cut, its task stays journalled, and the
    run says the disk is full (exit 6), not that a reader left (exit 0). The next run,
    appending to the same file, prints the journalled task again on a line of its own."""
    env = _env(tmp_path, emu)
    sink = tmp_path / "results.jsonl"
    args = ["collect", "-p", "dataforseo", "--workers", "2"]
    full = _appending(args, env, sink, limit=5 * PADDING + PADDING // 2)
    error = full.stderr.decode()
    assert full.returncode == 6, error
    assert "StorageError" in error and "stdout" in error and "Traceback" not in error
    assert not sink.read_bytes().endswith(b"\n"), "the limit cut a line"
    printed, _ = _results(sink)
    assert f"collected {len(printed)}," in error, "the cut line's task is not collected"
    again = _appending(args, env, sink)
    assert again.returncode == 0, again.stderr.decode()
    ids, torn = _results(sink)
    assert torn == 1, "only the line the limit cut"
    consumed = emu.collected_ids()
    assert not emu.ready_ids()
    assert set(ids) == consumed, f"results printed nowhere whole: {consumed - set(ids)}"
    assert len(ids) == len(consumed)


def test_a_run_killed_mid_line_leaves_the_next_runs_lines_whole(tmp_path: Path) -> None:
    """A SIGKILL while a line is going out: the kill lands once the file holds a part of
    a line (results of 4 MiB, written in 8 KiB pieces, leave the test the time to see
    one). The next run appends; its first line, the killed task printed again from the
    journal, must parse. On a busy machine the watcher may not get the CPU while a line
    is out: a run that ends whole proves nothing, and the scenario starts over (at most
    five times) rather than passing or failing on the scheduler."""
    for attempt in range(5):
        with ready_dataforseo(6, seed=42 + attempt) as emu:
            emu.app.result_padding = 4 * 1024 * 1024
            if _killed_mid_line_then_again(emu, tmp_path / str(attempt)):
                return
    pytest.fail("five runs each ended before the watcher saw a line half out")


def _killed_mid_line_then_again(emu: DataForSEOEmulator, tmp_path: Path) -> bool:
    """The scenario; False when the run ended before a line was seen half out."""
    tmp_path.mkdir()
    env = _env(tmp_path, emu)
    sink = tmp_path / "results.jsonl"
    args = ["collect", "-p", "dataforseo", "--workers", "1"]
    with open(sink, "ab") as out, open(sink, "rb") as look:
        proc = popen([*CLI, *args], env=env, stdout=out, stderr=subprocess.DEVNULL)
        while proc.poll() is None:
            size = os.fstat(look.fileno()).st_size
            if size and os.pread(look.fileno(), 1, size - 1) != b"\n":  # a line is half out
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait(timeout=60)
    if proc.returncode != -signal.SIGKILL:
        assert proc.returncode == 0
        return False
    again = _appending(args, env, sink)
    assert again.returncode == 0, again.stderr.decode()
    ids, torn = _results(sink)
    assert torn <= 1
    consumed = emu.collected_ids()
    assert set(ids) == consumed and not emu.ready_ids(), consumed - set(ids)
    return True


def test_an_interrupted_run_into_a_file_it_overwrites_says_to_append(
    emu: DataForSEOEmulator, tmp_path: Path
) -> None:
    """``seotasks collect > results.jsonl``, interrupted: the hint must not send the user
    to the same command, whose ``>`` would empty the file of every result this run
    printed (each already off the vendor's list) before printing only the rest."""
    env = _env(tmp_path, emu)
    sink = tmp_path / "results.jsonl"
    args = [*CLI, "collect", "-p", "dataforseo", "--workers", "1"]
    with open(sink, "wb") as out, open(sink, "rb") as look:
        proc = popen(args, env=env, stdout=out, stderr=subprocess.PIPE)
        while proc.poll() is None and not os.fstat(look.fileno()).st_size:
            pass  # until the first result is printed
        proc.send_signal(signal.SIGTERM)
        _, error = proc.communicate(timeout=60)
    said = error.decode()
    assert proc.returncode == 5, said
    printed, _ = _results(sink)
    assert printed and not set(printed) & emu.ready_ids(), "printed, and gone from the list"
    assert ">>" in said.splitlines()[-1], said
