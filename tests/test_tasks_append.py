"""``seotasks tasks --resume FILE >> tasks.jsonl``: a run killed while a line went out
leaves half of it at the end of the file; the resumed run appends after it. Its first
line, the very task the cut one held (never checkpointed), must not be glued to it, or a
reader taking the file a line at a time loses that task."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

from clihere import run_here
from clirun import CLI, cli_env, run_process
from seotasks_serpstat.emulator import SerpstatEmulator


def test_a_resumed_listing_appended_after_a_cut_line_starts_on_a_new_line(
    tmp_path: Path,
) -> None:
    out = tmp_path / "tasks.jsonl"
    out.write_text('{"provider": "serpstat", "id": "1", "stat')  # a kill mid-line
    with SerpstatEmulator(size=12, rps=None) as emu:
        env = cli_env(tmp_path, {"serpstat": emu.settings})
        args = [*CLI, "tasks", "-p", "serpstat", "--status", "any", "--format", "jsonl"]
        with out.open("a") as sink:
            done = run_process(
                [*args, "--resume", str(tmp_path / "run.json")],
                env=env,
                stdout=sink,
                stderr=subprocess.PIPE,
                text=True,
                timeout=120,
            )
    assert done.returncode == 0, done.stderr
    cut, *rest = out.read_text().splitlines()
    assert cut == '{"provider": "serpstat", "id": "1", "stat'
    assert len(rest) == 12
    assert len({json.loads(line)["id"] for line in rest}) == 12  # each whole, each once


def test_a_resumed_run_appends_only_rows_of_the_first_run_s_shape(tmp_path: Path) -> None:
    """A resumed CSV run writes no header, so its rows must have the first run's columns.
    It took any: a first run with ``--fields id,cost`` continued without them appended
    16-cell rows under a 2-column header (``[2, 2, 2, 16, 16]`` cells a row), and a JSONL
    run continued as CSV put CSV rows in a JSON Lines file, each without a word. A run
    whose output differs from the first one's is now refused, naming both, before any
    call; the same shape continues."""
    state = tmp_path / "run.json"
    with SerpstatEmulator(size=12, rps=None) as emu:
        env = cli_env(tmp_path, {"serpstat": emu.settings})
        args = ["tasks", "-p", "serpstat", "--status", "any", "--resume", str(state)]
        first = run_here([*args, "--format", "csv", "--fields", "id,cost", "-L", "3"], env)
        assert first.returncode == 0, first.stderr
        for other in (["--format", "csv"], ["--format", "jsonl", "--fields", "id,cost"]):
            refused = run_here([*args, *other], env)
            assert (refused.returncode, refused.stdout) == (2, ""), refused.stderr
            assert "--format csv --fields id,cost" in refused.stderr, refused.stderr
        same = run_here([*args, "--format", "csv", "--fields", "id,cost"], env)
        assert same.returncode == 0, same.stderr
    rows = list(csv.reader(io.StringIO(first.stdout + same.stdout)))
    assert [len(row) for row in rows] == [2] * 13
    assert len({row[0] for row in rows[1:]}) == 12


def test_a_second_run_on_a_resume_file_in_use_is_refused(tmp_path: Path) -> None:
    """Two ``tasks --resume run.json`` at once (overlapping cron runs) each printed the
    whole listing into the same output: 1006 tasks twice. The second is exit 6 now, with
    nothing printed and the file left as the first keeps it."""
    from seotasks.store import hold_lock

    with SerpstatEmulator(size=12, rps=None) as emu:
        env = cli_env(tmp_path, {"serpstat": emu.settings})
        args = ["tasks", "-p", "serpstat", "--status", "any", "--format", "jsonl"]
        args += ["--resume", str(tmp_path / "run.json")]
        with hold_lock(tmp_path / ".run.json.lock", busy="held") as held:  # the first run
            done = run_here(args, env)
            assert held  # still ours
        assert done.returncode == 6, done.stderr
        assert done.stdout == ""
        assert "another seotasks tasks is running with --resume" in done.stderr
        assert not (tmp_path / "run.json").exists()
        again = run_here(args, env)  # once the first ended
        assert again.returncode == 0, again.stderr
        assert len(again.stdout.splitlines()) == 12
