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
        empty = tmp_path / "empty.json"
        empty.touch()  # a file made ahead of the first run: either kind takes it
        assert _resume_line(mine, empty).startswith("ok ")


def test_an_empty_resume_file_is_a_new_one_to_every_command_check_passes_it_for(
    tmp_path: Path,
) -> None:
    """``check --resume`` passes an empty file (``touch``, made ahead of the first run),
    and ``submit`` takes it as a new journal; ``tasks`` and ``collect`` refused it ("cannot
    read resume file: Expecting value"). Each takes it as no checkpoint yet, and then
    writes its own there."""
    with DataForSEOEmulator(seed=2, size=30) as emulator:
        env = cli_env(tmp_path, {"dataforseo": emulator.settings})
        for command, lines in (
            ([*LIST, "-o", "source=history"], 3),
            (["collect", "-p", "dataforseo", "-o", "source=history", "-L", "2"], 2),
        ):
            path = tmp_path / f"{command[0]}.json"
            path.write_text("\n")
            assert _resume_line(env, path).startswith("ok ")
            done = run_here([*command, "--resume", str(path)], env)
            assert done.returncode == 0, done.stderr
            assert len(done.stdout.splitlines()) == lines
            assert json.loads(path.read_text())["format"].startswith("seotasks-resume")
