"""Ordinary bad input ends in one line on stderr and its documented exit code.

Each row is a situation a user meets without trying to break anything: a resume file
that is empty, cut off by a full disk, edited, written by another command or named where
no file can be written; a time, an option, a cursor or a limit mistyped; a spec or profile
file that is missing, a folder, binary or not UTF-8; bytes in argv that are not UTF-8.
The command runs in this process (`clihere`: its environment, streams and logging as a
fresh process's) against the emulators on loopback, and each row (`ordinary_rows`) checks: the exit code (2 usage or configuration; 3 credentials; see
docs/cli.md), one line on stderr naming what is wrong, never "internal error" nor a
traceback, nothing on stdout, and, for exit 2, no call to the vendor at all.

The rows cover each distinct cause a wider fuzz of the same commands found, once per command where the cause sits in code the commands share.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from clihere import run_here
from clirun import cli_env
from ordinary_rows import COLLECT, ROWS, TASKS, Lab, Row
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_serpstat.emulator import SerpstatEmulator

import seotasks


@pytest.fixture(scope="module")
def vendors() -> Iterator[tuple[DataForSEOEmulator, SerpstatEmulator]]:
    past = datetime.now(UTC) - timedelta(hours=1)
    with (
        DataForSEOEmulator(seed=5, size=0, kinds=("serp/google/organic",)) as dfs,
        SerpstatEmulator(seed=5, size=300, rps=None) as serp,
    ):
        dfs.add_tasks(20, posted=past, code=20000)
        yield dfs, serp


@pytest.fixture(scope="module")
def made(
    vendors: tuple[DataForSEOEmulator, SerpstatEmulator],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Path]:
    """Resume files written by real runs of each command, and real cursors."""
    dfs, serp = vendors
    folder = tmp_path_factory.mktemp("made")
    env = _env(folder, vendors)
    files = {"tasks": folder / "tasks.json", "collect": folder / "collect.json"}
    for command, base in (("tasks", TASKS), ("collect", COLLECT)):
        ran = run_here([*base, "--resume", str(files[command])], env)
        assert ran.returncode == 0, ran.stderr
    with seotasks.connect("serpstat", **serp.settings, page_size=100) as client:
        token = client.page(status="any").next_cursor
    with seotasks.connect("dataforseo", **dfs.settings, source="history", page_size=5) as other:
        foreign = other.page().next_cursor
    assert token and foreign
    for name, cursor in (("serpstat-cursor", token), ("dataforseo-cursor", foreign)):
        files[name] = folder / name
        files[name].write_text(cursor)
    return files


def _env(folder: Path, vendors: tuple[DataForSEOEmulator, SerpstatEmulator]) -> dict[str, str]:
    dfs, serp = vendors
    return cli_env(
        folder, {"dataforseo": {**dfs.settings, "families": "serp"}, "serpstat": serp.settings}
    )


def _calls(vendors: tuple[DataForSEOEmulator, SerpstatEmulator]) -> int:
    return sum(len(v.server.requests) for v in vendors)


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_an_ordinary_failure_is_one_line_and_its_exit_code(
    row: Row,
    vendors: tuple[DataForSEOEmulator, SerpstatEmulator],
    made: dict[str, Path],
    tmp_path: Path,
) -> None:
    lab = Lab(tmp_path, made)
    args = row.args(lab)
    env = {**_env(tmp_path, vendors), **row.env(lab)}
    before = _calls(vendors)
    result = run_here(args, env, timeout=60)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == row.code, result.stderr
    assert len(lines) == 1, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert row.says in lines[0], lines[0]
    assert result.stdout == ""
    if row.code == 2:  # refused before anything was asked of the vendor
        assert _calls(vendors) == before


def test_the_table_names_each_situation_once() -> None:
    names = [row.name for row in ROWS]
    assert len(names) == len(set(names))
