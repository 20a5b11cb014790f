"""``seotasks check --resume FILE`` says what the run would of a file another account
wrote: it said "writable", and the run then refused the file (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

from clihere import run_here
from clirun import cli_env
from seotasks_dataforseo.emulator import DataForSEOEmulator

LIST = ["tasks", "-p", "dataforseo", "--status", "any", "--format", "jsonl", "-L", "3"]


def _resume_line(env: dict[str, str], path: Path) -> str:
    """check's ``--resume`` line about ``path``."""
    done = run_here(["check", "-p", "dataforseo", "--resume", str(path)], env)
    [line] = [line for line in done.stdout.splitlines() if line.split()[1] == "--resume"]
    return line


def test_a_resume_file_or_journal_of_another_account_fails_the_check(tmp_path: Path) -> None:
    with DataForSEOEmulator(seed=2, size=30) as emulator:
        mine = cli_env(tmp_path, {"dataforseo": emulator.settings})
        other = {**mine, "SEOTASKS_DATAFORSEO_LOGIN": "someone-else"}
        listing = tmp_path / "run.json"
        history = [*LIST, "-o", "source=history", "--resume", str(listing)]
        assert run_here(history, mine).returncode == 0
        assert _resume_line(mine, listing).startswith("ok ")
        refused = _resume_line(other, listing)
        assert refused.startswith("FAIL ") and "written on another dataforseo account" in refused
        assert run_here(history, other).returncode == 2  # what the check foretold

        specs = tmp_path / "specs.jsonl"
        specs.write_text(json.dumps({"keyword": "k", "location": 2840, "language": "en"}) + "\n")
        journal = tmp_path / "journal.jsonl"
        submit = ["submit", "-p", "dataforseo", str(specs), "--resume", str(journal)]
        assert run_here(submit, mine).returncode == 0
        assert _resume_line(mine, journal).startswith("ok ")
        refused = _resume_line(other, journal)
        assert "a submit journal of another dataforseo account" in refused, refused
        assert "someone-else" not in refused and emulator.password not in refused

        sandboxed = tmp_path / "sandbox.json"
        sandbox = [*LIST, "--sandbox", "-o", "families=serp", "--resume", str(sandboxed)]
        assert run_here(sandbox, mine).returncode == 0
        assert "written by a --sandbox run (--seed 0)" in _resume_line(mine, sandboxed)

        stranger = tmp_path / "other.json"
        stranger.write_text('{"some": "thing"}\n')
        assert "neither a resume file" in _resume_line(mine, stranger)


def test_an_empty_resume_file_is_a_warning_that_says_which_commands_take_it(
    tmp_path: Path,
) -> None:
    """``check --resume`` said "writable" of an empty file (``touch``), which ``tasks``
    and ``collect`` then refused (exit 2) while ``submit`` takes it as a new journal:
    check cannot know which command will use it, so it says what each does."""
    with DataForSEOEmulator(seed=2, size=30) as emulator:
        env = cli_env(tmp_path, {"dataforseo": emulator.settings})
        path = tmp_path / "r.json"
        path.touch()
        done = run_here(["check", "-p", "dataforseo", "--resume", str(path)], env)
        assert done.returncode == 0, done.stdout
        line = _resume_line(env, path)
        assert line.startswith("warn ") and "tasks and collect refuse it" in line
        refused = run_here([*LIST, "-o", "source=history", "--resume", str(path)], env)
        assert refused.returncode == 2 and "resume" in refused.stderr  # as said
        specs = tmp_path / "specs.jsonl"
        specs.write_text(json.dumps({"keyword": "k", "location": 2840, "language": "en"}) + "\n")
        posted = run_here(["submit", "-p", "dataforseo", str(specs), "--resume", str(path)], env)
        assert posted.returncode == 0, posted.stderr  # as said
        blank = tmp_path / "blank.json"
        blank.write_text("\n")  # no command takes it
        assert "neither a resume file" in _resume_line(env, blank)
