"""``seotasks tasks -p A -p B``: the exact merge, its opt-out, and resuming a merged listing.

Runs the CLI against both emulators (`clisandbox`). DataForSEO lists
endpoint after endpoint and Serpstat in its own order, so the merge has real sorting to
do; a tiny ``--buffer`` (hidden, for tests and tuning) sends it through disk. One
DataForSEO endpoint keeps each run at one tasks_ready call (the vendor allows 20 a
minute, and the emulator counts on the real clock across runs).
"""

from __future__ import annotations

import json
import signal
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from clihere import run_here
from clirun import piped
from clisandbox import clean_env, env_for

import seotasks
from seotasks import cli

BOTH = ["tasks", "-p", "dataforseo", "-p", "serpstat", "--format", "jsonl"]


def _keys(text: str) -> list[tuple[datetime, str]]:
    out = []
    for line in text.splitlines():
        record = json.loads(line)
        when = record["completed_at"] or record["created_at"]
        out.append((datetime.fromisoformat(when), f"{record['provider']}:{record['id']}"))
    return out


@pytest.fixture(scope="module")
def env(sandboxes: dict[str, seotasks.Sandbox]) -> dict[str, str]:
    return env_for(sandboxes, families="serp")


@pytest.fixture(scope="module")
def exact(env: dict[str, str]) -> str:
    done = run_here(BOTH, env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_merge_through_disk_gives_the_same_exact_stream(
    env: dict[str, str], exact: str, tmp_path: Path
) -> None:
    keys = _keys(exact)
    assert keys == sorted(keys) and len(keys) == len(set(keys)) > 1000
    assert {k.split(":")[0] for _, k in keys} == {"dataforseo", "serpstat"}
    spilled = run_here([*BOTH, "--buffer", "60"], {**env, "TMPDIR": str(tmp_path)})
    assert spilled.returncode == 0, spilled.stderr
    assert spilled.stdout == exact
    assert list(tmp_path.iterdir()) == []  # the spill directory is gone


def test_arrival_order_is_the_opt_out(env: dict[str, str], exact: str) -> None:
    arrival = run_here([*BOTH, "--order", "arrival"], env)
    assert arrival.returncode == 0, arrival.stderr
    assert arrival.stdout != exact  # DataForSEO's endpoints show through ...
    assert sorted(arrival.stdout.splitlines()) == sorted(exact.splitlines())  # ... same tasks
    bad = run_here([*BOTH, "--order", "approximate"], env)
    assert bad.returncode == 2 and "--order" in bad.stderr


@pytest.mark.parametrize("buffer", ["100000", "60"])
def test_a_resumed_merged_listing_writes_every_task_once(
    env: dict[str, str], exact: str, tmp_path: Path, buffer: str
) -> None:
    full = exact.splitlines()
    state = tmp_path / "resume.json"
    args = [*BOTH, "--buffer", buffer, "--resume", str(state)]
    first = run_here([*args, "--limit", "700"], env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == full[:700]  # the run's own order is exact
    second = run_here(args, env)
    assert second.returncode == 0, second.stderr
    rest = second.stdout.splitlines()
    # Each run is in order; together they hold every task exactly once.
    assert _keys(second.stdout) == sorted(_keys(second.stdout))
    assert sorted(full[:700] + rest) == sorted(full)
    assert run_here(args, env).stdout == ""


def test_ctrl_c_during_a_merge_through_disk_saves_the_state_and_removes_the_files(
    env: dict[str, str],
    exact: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from seotasks import export
    from seotasks.cli import tasks_run

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spill_root = tmp_path / "tmp"
    spill_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill_root))
    real = export.make_writer
    seen: list[Path] = []

    def interrupting(fmt: str, **kwargs: Any) -> Any:
        writer = real(fmt, **kwargs)
        format_one = writer.format
        count = [0]

        def format(task: Any) -> str:
            count[0] += 1
            if count[0] == 300:
                seen.extend(spill_root.iterdir())
                raise KeyboardInterrupt
            return format_one(task)

        writer.format = format  # type: ignore[method-assign]
        return writer

    monkeypatch.setattr(tasks_run, "make_writer", interrupting)
    state = tmp_path / "resume.json"
    code = cli.main([*BOTH, "--buffer", "60", "--resume", str(state)])
    captured = capsys.readouterr()
    assert code == cli.EXIT_INTERRUPTED, captured.err
    assert len(seen) == 1 and seen[0].name.startswith("seotasks-merge-")  # it did spill
    assert list(spill_root.iterdir()) == []
    assert len(captured.out.splitlines()) == 299
    monkeypatch.setattr(tasks_run, "make_writer", real)
    code = cli.main([*BOTH, "--resume", str(state)])
    rest = capsys.readouterr().out
    assert code == 0
    full = exact.splitlines()
    assert sorted(captured.out.splitlines() + rest.splitlines()) == sorted(full)


def test_ctrl_c_into_a_slow_pipe_saves_what_its_reader_then_read(tmp_path: Path) -> None:
    """``--resume FILE | slow-reader``, then SIGINT to seotasks alone (a supervisor's
    SIGTERM, or ``kill -INT``): the reader stays and reads every line written. The
    checkpoint must wait for it, as the end of a run does, and count those lines as
    done; saved only if the pipe was empty at the signal, the resumed run wrote a
    thousand of them again. Under ``PYTHONUNBUFFERED=1`` the signal also cut the write
    waiting on the full pipe short, and the rest of its lines never reached the reader
    though the checkpoint counted them. Each run has emulators of its own standing at
    one day, so every run lists the same tasks."""
    env = {**clean_env(), "PYTHONUNBUFFERED": "1"}
    day = [*BOTH, "--sandbox", "--sandbox-day", "2026-11-20"]
    whole = run_here(day, env)
    assert whole.returncode == 0, whole.stderr
    full = whole.stdout.splitlines()
    state = tmp_path / "resume.json"
    args = [*day, "--resume", str(state)]
    proc = piped(args, env)
    assert proc.stdout is not None and proc.stderr is not None
    first = [proc.stdout.readline()]  # the run is writing a full pipe's worth and more
    proc.send_signal(signal.SIGINT)
    while chunk := proc.stdout.read(4096):  # a reader slower than the writer
        first.append(chunk)
        time.sleep(0.002)
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == cli.EXIT_INTERRUPTED, stderr
    written = b"".join(first).decode().splitlines()
    assert 0 < len(written) < len(full)
    rest = run_here(args, env)
    assert rest.returncode == 0, rest.stderr
    both = written + rest.stdout.splitlines()
    assert set(full) - set(both) == set(), "tasks lost"
    assert len(both) - len(set(both)) == 0, "tasks written twice"
    assert sorted(both) == sorted(full)


@pytest.mark.parametrize("order", ["exact", "arrival"])
def test_a_resumed_listing_keeps_a_relative_window_where_no_cursor_holds_it(
    tmp_path: Path, order: str
) -> None:
    """``--since 2d --until 1d`` resumed after the first run stopped with Serpstat past
    its first page (a cursor, which carries the window) and DataForSEO inside its first
    (no cursor): the window must still bound DataForSEO, as the first run's. It once
    vanished there, and the resumed run listed DataForSEO's whole four-month history.
    The emulators' day is fixed (``--sandbox-day``), so "two days ago" is one instant
    for every run, and their default sizes give Serpstat two pages."""
    args = [
        *BOTH,
        *("--sandbox", "--sandbox-day", "2026-11-20"),
        *("-o", "dataforseo.source=history", "-o", "dataforseo.families=serp"),
        *("--status", "any", "--since", "2d", "--until", "1d", "--order", order),
    ]
    whole = run_here(args, clean_env())
    assert whole.returncode == 0, whole.stderr
    lines = whole.stdout.splitlines()
    assert {json.loads(line)["provider"] for line in lines} == {"dataforseo", "serpstat"}
    state = tmp_path / "resume.json"
    first = run_here([*args, "--resume", str(state), "--limit", "3"], clean_env())
    assert first.returncode == 0, first.stderr
    saved = json.loads(state.read_text())["providers"]
    assert saved["serpstat"]["cursor"] is not None and saved["dataforseo"]["cursor"] is None
    rest = run_here([*args, "--resume", str(state)], clean_env())
    assert rest.returncode == 0, rest.stderr
    resumed = first.stdout.splitlines() + rest.stdout.splitlines()
    assert len(resumed) == len(set(resumed))
    assert sorted(resumed) == sorted(lines)
    edges = (
        datetime.fromisoformat("2026-11-18T00:00:00+00:00"),
        datetime.fromisoformat("2026-11-19T00:00:00+00:00"),
    )
    for line in resumed:
        created = datetime.fromisoformat(json.loads(line)["created_at"])
        assert edges[0] <= created < edges[1], line


def test_a_merged_resume_file_costs_a_bounded_number_of_keys_per_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In an exact merge the cursors move page by page while tens of thousands of keys
    stay unconfirmed, and each moved checkpoint was saved at once, rewriting them all:
    the bytes written grew with the square of the listing (1.9 GB of checkpoints for
    560 000 tasks). Each save lists at most eight keys per task written since the one
    before (or a small file's page), so the total stays linear."""
    from clirun import cli_env

    from seotasks.resume import ResumeState

    written = {"saves": 0, "keys": 0}
    save = ResumeState.save

    def counted(state: ResumeState) -> None:
        written["saves"] += 1
        written["keys"] += state.unconfirmed_count()
        save(state)

    monkeypatch.setattr(ResumeState, "save", counted)
    args = ["tasks", "--sandbox", "-p", "dataforseo", "-p", "serpstat", "--status", "any"]
    args += ["-o", "dataforseo.source=history", "--sandbox-size", "20000", "-q"]
    done = run_here(
        [*args, "--format", "jsonl", "--resume", str(tmp_path / "r.json")], cli_env(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    tasks = len(done.stdout.splitlines())
    assert tasks == 40_000 and written["saves"] > 10
    assert written["keys"] <= 8 * tasks, written
