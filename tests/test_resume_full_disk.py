"""``seotasks tasks --resume FILE > out`` on a disk that fills (RLIMIT_FSIZE standing in
for it): the run stops with exit 6, its output cut back to what the resume file records,
whole lines only, and the resumed run appending to it prints each task once.

It printed hundreds twice: the lines written after the last save were in the file but
not in the resume file, and one of them was cut short."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import forkrun
import pytest
from clirun import CLI, cli_env, run_process

SANDBOX = ["--sandbox", "--seed", "7", "--sandbox-size", "3000", "--sandbox-day", "2026-11-20"]
JSONL = ["--status", "any", "--format", "jsonl", "-q"]


def _listing(args: list[str], tmp_path: Path, out: Path, limit: int | None = None) -> str:
    """``seotasks tasks ARGS >> out`` (its files capped at ``limit`` bytes): its stderr."""
    small_files = None if limit is None else forkrun.capped_files(limit)
    with open(out, "ab") as sink:
        done = run_process(
            [*CLI, "tasks", *SANDBOX, *JSONL, *args],
            env=cli_env(tmp_path, {}),
            stdout=sink,
            stderr=subprocess.PIPE,
            preexec_fn=small_files,
            timeout=120,
        )
    error: str = done.stderr.decode()
    assert done.returncode == (0 if limit is None else 6), error
    return error


def _keys(out: Path) -> list[str]:
    return [f"{t['provider']}:{t['id']}" for t in map(json.loads, out.read_text().splitlines())]


@pytest.mark.parametrize(
    "providers",
    [["-p", "serpstat"], ["-p", "dataforseo", "-p", "serpstat", "-o", "dataforseo.source=history"]],
    ids=["one", "merged"],
)
def test_a_full_disk_then_a_resume_prints_each_task_once(
    tmp_path: Path, providers: list[str]
) -> None:
    whole = tmp_path / "whole.jsonl"
    _listing(providers, tmp_path, whole)
    expected = _keys(whole)
    assert len(expected) == len(set(expected)) > 2000

    out, state = tmp_path / "out.jsonl", tmp_path / "run.json"
    resumed = [*providers, "--resume", str(state)]
    error = _listing(resumed, tmp_path, out, limit=whole.stat().st_size // 2)
    assert "StorageError: cannot write to stdout" in error and "Traceback" not in error
    kept = out.read_bytes()
    assert kept.endswith(b"\n"), "a line cut short was left"
    first = _keys(out)  # every line whole
    assert 0 < len(first) < len(expected)

    _listing(resumed, tmp_path, out)
    both = _keys(out)
    assert len(both) == len(set(both)), f"{len(both) - len(set(both))} tasks printed twice"
    assert sorted(both) == sorted(expected)
