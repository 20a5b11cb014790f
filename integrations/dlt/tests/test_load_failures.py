"""Ordinary failures of ``seotasks load``: each one line on stderr with its documented
exit code, never "internal error", and, where the run cannot write, no vendor call.

| situation | code |
|---|---|
| ``--to`` in a folder that cannot be written | 2 |
| ``--pipelines-dir`` that cannot be written | 2 |
| another ``seotasks load`` into the same DuckDB file | 2 |
| the DuckDB file held open by another process | 2 |
| credentials the vendor refuses (and no empty ``.duckdb`` left behind) | 3 |
| SIGINT / SIGTERM (`test_signals.py`) | 5 |

Tests run as root, for whom ``chmod`` does not make a folder read-only: a path below a
regular file is a folder nothing can create.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from dltenv import SEOTASKS, cli_env, ready_emulator
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_dlt.duckdb_file import open_duckdb


@pytest.fixture
def emulator() -> Iterator[DataForSEOEmulator]:
    started = ready_emulator(30)
    yield started
    started.stop()


def _load(tmp: Path, settings: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [*SEOTASKS, "load", "-p", "dataforseo", "-o", "families=serp", "--collect", *args]
    env = cli_env(tmp, {"dataforseo": settings})
    return subprocess.run(command, env=env, capture_output=True, text=True, cwd=tmp, timeout=120)


def _one_line(done: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert done.returncode == code, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "internal error" not in lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    assert done.stdout == ""


def _no_call(emulator: DataForSEOEmulator) -> None:
    """Refused before anything was asked of the vendor."""
    assert emulator.calls == {"tasks_ready": 0, "id_list": 0, "other": 0}


@pytest.mark.parametrize(
    ("to", "pipelines", "words"),
    [
        ("file/sub/x.duckdb", "p", ("StorageError", "not writable")),
        ("x.duckdb", "file/sub", ("StorageError", "pipelines folder")),
    ],
)
def test_an_unwritable_to_or_pipelines_folder_is_exit_6_before_any_vendor_call(
    tmp_path: Path, emulator: DataForSEOEmulator, to: str, pipelines: str, words: tuple[str, ...]
) -> None:
    (tmp_path / "file").write_text("not a folder")  # so nothing can be created under it
    done = _load(tmp_path, emulator.settings, "--to", to, "--pipelines-dir", pipelines)
    _one_line(done, 6, *words)
    _no_call(emulator)
    assert not (tmp_path / "x.duckdb").exists()


def test_a_second_load_into_one_duckdb_file_is_exit_6_already_running(
    tmp_path: Path, emulator: DataForSEOEmulator
) -> None:
    database = tmp_path / "x.duckdb"
    with contextlib.ExitStack() as stack:
        open_duckdb(database, stack)  # what a running `seotasks load` holds
        done = _load(tmp_path, emulator.settings, "--to", str(database), "--pipelines-dir", "q")
    _one_line(done, 6, "already running")
    _no_call(emulator)


def test_a_duckdb_file_open_in_another_process_is_exit_6(
    tmp_path: Path, emulator: DataForSEOEmulator
) -> None:
    database = tmp_path / "x.duckdb"
    with duckdb.connect(str(database)):  # DuckDB's own lock: one writing process per file
        done = _load(tmp_path, emulator.settings, "--to", str(database), "--pipelines-dir", "p")
    _one_line(done, 6, "open in another process")
    _no_call(emulator)


def test_refused_credentials_are_exit_3_and_leave_no_empty_duckdb_file(
    tmp_path: Path, emulator: DataForSEOEmulator
) -> None:
    settings = {**emulator.settings, "password": "wrong"}
    done = _load(tmp_path, settings, "--to", "x.duckdb", "--pipelines-dir", "p")
    _one_line(done, 3, "AuthError")
    assert "wrong" not in done.stderr
    assert not (tmp_path / "x.duckdb").exists()
    assert not (tmp_path / "x.duckdb.wal").exists()
