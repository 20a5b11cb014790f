"""A resume file and ``--sandbox``: the sandbox's data is the account a file continues.

A sandbox run lists the emulators with their own credentials, but its file recorded the
account of the environment's: a file went on from an account into the sandbox (or into
another seed's data) and mixed two lists' tasks in one export (exit 0), and two sandbox
runs of the same data were refused when the exported login differed."""

from __future__ import annotations

import json
from pathlib import Path

from clihere import run_here
from clirun import cli_env
from seotasks_serpstat.emulator import SerpstatEmulator

LIST = ["tasks", "--status", "any", "--format", "jsonl"]
SANDBOX = ["--sandbox", "--sandbox-size", "60"]


def _ids(stdout: str) -> list[str]:
    return [json.loads(line)["id"] for line in stdout.splitlines()]


def test_an_accounts_file_does_not_go_on_in_the_sandbox_nor_back(tmp_path: Path) -> None:
    with SerpstatEmulator(seed=9, size=60, rps=None) as account:
        env = cli_env(tmp_path, {"serpstat": {**account.settings, "rps": "100"}})
        real = [*LIST, "-p", "serpstat", "-L", "5", "--resume", str(tmp_path / "real.json")]
        assert run_here(real, env).returncode == 0
        into_sandbox = run_here([*real, *SANDBOX], env)
        assert into_sandbox.returncode == 2 and into_sandbox.stdout == ""
        assert "with no --sandbox, not --sandbox --seed 0 --sandbox-size 60" in into_sandbox.stderr

        sandboxed = [*LIST, "-p", "serpstat", "-L", "5", "--resume", str(tmp_path / "s.json")]
        assert run_here([*sandboxed, *SANDBOX], env).returncode == 0
        calls = len(account.server.requests)
        back = run_here(sandboxed, env)
        assert back.returncode == 2 and back.stdout == "", back.stderr
        assert "with --sandbox --seed 0 --sandbox-size 60, not no --sandbox" in back.stderr
        assert len(account.server.requests) == calls  # refused before any call
        other_seed = run_here([*sandboxed, *SANDBOX, "--seed", "5"], env)
        assert other_seed.returncode == 2 and other_seed.stdout == ""
        assert "--sandbox --seed 0 --sandbox-size 60, not --sandbox --seed 5" in other_seed.stderr


def test_the_same_sandbox_data_goes_on_whatever_login_is_exported(tmp_path: Path) -> None:
    command = [*LIST, "-p", "dataforseo", "-o", "families=serp", *SANDBOX]
    first_env = cli_env(tmp_path, {"dataforseo": {"login": "alice", "password": "a"}})
    first = run_here([*command, "-L", "5", "--resume", str(tmp_path / "run.json")], first_env)
    assert first.returncode == 0, first.stderr
    second_env = cli_env(tmp_path, {"dataforseo": {"login": "bob", "password": "b"}})
    rest = run_here([*command, "--resume", str(tmp_path / "run.json")], second_env)
    assert rest.returncode == 0, rest.stderr
    whole = run_here(command, first_env)
    assert _ids(first.stdout) + _ids(rest.stdout) == _ids(whole.stdout)
    assert len(_ids(first.stdout)) == 5 and len(_ids(whole.stdout)) > 5
