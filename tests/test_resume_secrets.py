"""Secret ``-o`` values never reach a ``--resume`` file nor its mismatch message.

A resume file records what its run was asked, so that a run asking otherwise is refused.
A secret option (``Option(secret=True)``: the Serpstat token, the DataForSEO password)
is recorded as ``KEY=<secret>`` plus a digest salted per file: a change of it is still
refused, naming the option, never its value. A file of another format is refused.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from clihere import run_here
from clirun import SERPSTAT_JSONL, cli_env
from seotasks_serpstat.emulator import SerpstatEmulator

from seotasks.errors import ConfigError
from seotasks.resume import ResumeState

TOKEN = "tok-Secret value=with spaces"
OTHER = "tok-another-secret-0451"


@pytest.fixture(scope="module")
def serpstat() -> Iterator[SerpstatEmulator]:
    with SerpstatEmulator(seed=9, size=300, rps=None, token=TOKEN) as emulator:
        yield emulator


@pytest.fixture
def env(serpstat: SerpstatEmulator, tmp_path: Path) -> dict[str, str]:
    """No token in the environment: each run gives its own with ``-o token=``. The
    emulator has no rate limit, so the runs need not pace at one request a second."""
    settings = {"base_url": serpstat.settings["base_url"], "rps": 100}
    return cli_env(tmp_path, {"serpstat": settings})


def _tasks(state: Path, *extra: str) -> list[str]:
    return [*SERPSTAT_JSONL, "-o", "page_size=100", "--resume", str(state), *extra]


def _ids(stdout: str) -> list[str]:
    return [json.loads(line)["id"] for line in stdout.splitlines()]


def _args(*options: str, command: str = "tasks") -> argparse.Namespace:
    return argparse.Namespace(
        command=command, option=list(options), since=None, until=None, time_field=None
    )


def _first_five(env: dict[str, str], tmp_path: Path) -> tuple[Path, CompletedProcess[str]]:
    """A first run of five tasks, the token on its command line, saved to ``run.json``:
    the file each test below resumes from."""
    state = tmp_path / "run.json"
    first = run_here(_tasks(state, "-o", f"token={TOKEN}", "-L", "5"), env)
    assert first.returncode == 0, first.stderr
    return state, first


def test_the_file_holds_no_secret_and_a_changed_one_is_named_not_shown(
    serpstat: SerpstatEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    state, first = _first_five(env, tmp_path)
    text = state.read_text(encoding="utf-8")
    assert TOKEN not in text and "Secret" not in text
    saved = json.loads(text)
    assert saved["format"] == "seotasks-resume/2"
    assert saved["query"]["options"] == "page_size=100 token=<secret>"
    assert set(saved["secrets"]) == {"salt", "-o token", "account serpstat"}

    calls = len(serpstat.server.requests)
    other = run_here(_tasks(state, "-o", f"token={OTHER}"), env)
    assert other.returncode == 2
    assert "another value of -o token (values are not shown)" in other.stderr
    assert len(other.stderr.strip().splitlines()) == 1 and other.stdout == ""
    for secret in (TOKEN, OTHER, "Secret", "0451"):
        assert secret not in other.stderr
    assert len(serpstat.server.requests) == calls  # refused before asking the vendor

    rest = run_here(_tasks(state, "-o", f"token={TOKEN}"), env)
    assert rest.returncode == 0, rest.stderr
    full = run_here(_tasks(tmp_path / "full.json", "-o", f"token={TOKEN}"), env)
    assert _ids(first.stdout) + _ids(rest.stdout) == _ids(full.stdout)


def test_a_secret_given_to_one_run_only_shows_as_a_marker(
    env: dict[str, str], tmp_path: Path
) -> None:
    state, _ = _first_five(env, tmp_path)
    without = run_here(_tasks(state, "-o", "serpstat.timezone=UTC"), env)
    assert without.returncode == 2
    assert (
        "with -o page_size=100 -o token=<secret>, not -o page_size=100 -o serpstat.timezone=UTC"
        in without.stderr
    )
    assert TOKEN not in without.stderr and "another value" not in without.stderr


def test_a_file_of_another_format_is_refused_before_any_listing(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Only format 2 is read: a format-1 file (secret values in clear, never released)
    is a configuration error naming the file, and nothing is listed or saved."""
    state, _ = _first_five(env, tmp_path)
    old = json.loads(state.read_text(encoding="utf-8"))
    old["format"] = "seotasks-resume/1"
    state.write_text(json.dumps(old), encoding="utf-8")
    before = state.read_bytes()
    again = run_here(_tasks(state, "-o", f"token={TOKEN}"), env)
    assert again.returncode == 2 and again.stdout == ""
    assert f"{state} is not a seotasks resume file (seotasks-resume/2)" in again.stderr
    assert state.read_bytes() == before


def test_collect_keeps_the_secret_out_too(env: dict[str, str], tmp_path: Path) -> None:
    state = tmp_path / "collect.json"
    args = ["collect", "-p", "serpstat", "-L", "2", "--workers", "1", "--resume", str(state)]
    first = run_here([*args, "-o", f"token={TOKEN}"], env)
    assert first.returncode == 0, first.stderr
    assert TOKEN not in state.read_text(encoding="utf-8")
    other = run_here([*args, "-o", f"token={OTHER}"], env)
    assert other.returncode == 2 and "another value of -o token" in other.stderr
    assert TOKEN not in other.stderr and OTHER not in other.stderr


def test_each_file_salts_its_digests(tmp_path: Path) -> None:
    """The same secret in two files: two different digests, neither the in-memory one."""
    query = ResumeState.asked_from(_args("password=pw", "login=me"), ["dataforseo"])
    assert query["options"] == "login=me password=<secret>"
    digests = []
    for name in ("a.json", "b.json"):
        state = ResumeState(tmp_path / name, ["dataforseo"], query)
        state.save()
        saved = json.loads((tmp_path / name).read_text(encoding="utf-8"))
        digests.append(saved["secrets"]["-o password"])
        assert query["-o password"] not in json.dumps(saved)
        # Read back with the same secret: accepted, the file's salt and digest kept.
        again = ResumeState(tmp_path / name, ["dataforseo"], query)
        again.save()
        assert (
            json.loads((tmp_path / name).read_text(encoding="utf-8"))["secrets"]
            == (saved["secrets"])
        )
    assert digests[0] != digests[1]


def test_a_qualified_secret_and_a_repeated_one_are_masked(tmp_path: Path) -> None:
    query = ResumeState.asked_from(
        _args("serpstat.token=a", "serpstat.token=b", "timezone=UTC"), ["serpstat"]
    )
    assert query["options"] == ("serpstat.token=<secret> serpstat.token=<secret> timezone=UTC")
    state = ResumeState(tmp_path / "r.json", ["serpstat"], query)
    state.save()
    swapped = ResumeState.asked_from(
        _args("serpstat.token=b", "serpstat.token=a", "timezone=UTC"), ["serpstat"]
    )
    ResumeState(tmp_path / "r.json", ["serpstat"], swapped)  # same values: accepted
    changed = ResumeState.asked_from(
        _args("serpstat.token=b", "serpstat.token=c", "timezone=UTC"), ["serpstat"]
    )
    with pytest.raises(ConfigError, match=r"another value of -o serpstat\.token") as info:
        ResumeState(tmp_path / "r.json", ["serpstat"], changed)
    assert "=a" not in str(info.value) and "=c" not in str(info.value)


def test_another_profile_is_another_account_and_is_refused(
    env: dict[str, str], tmp_path: Path
) -> None:
    """A team with two accounts keeps one profile each. A run resumed with the other
    profile (``--profile`` or ``SEOTASKS_PROFILE``) continued the first account's cursor
    and keys against the second account, silently, while the same switch made with
    ``-o token=`` is refused: a profile is recorded as the ``-o`` options are."""
    config = tmp_path / "config.toml"
    config.write_text(
        "".join(f'[profiles.{name}.serpstat]\ntoken = "{TOKEN}"\n' for name in ("a", "b"))
    )
    config.chmod(0o600)
    env = {**env, "SEOTASKS_CONFIG": str(config)}
    state = tmp_path / "run.json"
    first = run_here(_tasks(state, "--profile", "a", "-L", "5"), env)
    assert first.returncode == 0, first.stderr
    for how, run_env, flags in (
        ("flag", env, ["--profile", "b"]),
        ("env", {**env, "SEOTASKS_PROFILE": "b"}, []),
        ("none", env, []),
    ):
        other = run_here(_tasks(state, *flags), run_env)
        assert other.returncode == 2 and other.stdout == "", (how, other.stderr)
        assert "with --profile a, not" in other.stderr, (how, other.stderr)
    rest = run_here(_tasks(state), {**env, "SEOTASKS_PROFILE": "a"})
    assert rest.returncode == 0, rest.stderr
    full = run_here(_tasks(tmp_path / "full.json", "--profile", "a"), env)
    assert _ids(first.stdout) + _ids(rest.stdout) == _ids(full.stdout)


def test_another_account_from_the_environment_is_refused(tmp_path: Path) -> None:
    """The credentials of the quickstart come from the environment, where no ``-o`` flag
    records them: a resumed run on another account (another token) printed nothing and
    exited 0, the other account's tasks never listed."""
    with (
        SerpstatEmulator(seed=9, size=300, rps=None, token=TOKEN) as first,
        SerpstatEmulator(seed=3, size=300, rps=None, token=OTHER) as second,
    ):
        settings = {"token": TOKEN, "base_url": first.settings["base_url"], "rps": 100}
        env = cli_env(tmp_path, {"serpstat": settings})
        state = tmp_path / "run.json"
        done = run_here(_tasks(state, "-L", "5"), env)
        assert done.returncode == 0, done.stderr
        assert TOKEN not in state.read_text(encoding="utf-8")
        # The other account, on its own host (Serpstat's host is no account of its own:
        # its v4 base serves the same token, so the token tells the accounts apart).
        moved = {"token": OTHER, "base_url": second.settings["base_url"]}
        other = run_here(_tasks(state), cli_env(tmp_path, {"serpstat": {**settings, **moved}}))
        assert other.returncode == 2, other.stderr
        assert "on another account for serpstat" in other.stderr
        assert OTHER not in other.stderr and TOKEN not in other.stderr
        assert not second.server.requests and other.stdout == ""
        same = run_here(_tasks(state), env)  # the first account's: it resumes
        assert same.returncode == 0, same.stderr
        assert len(_ids(same.stdout)) == 295


def test_another_dataforseo_login_from_the_environment_is_refused(tmp_path: Path) -> None:
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    with DataForSEOEmulator(seed=4, size=200) as emulator:
        env = cli_env(tmp_path, {"dataforseo": emulator.settings})
        state = tmp_path / "run.json"
        command = ["tasks", "-p", "dataforseo", "--status", "any", "--format", "jsonl"]
        command += ["-o", "source=history", "--resume", str(state), "-L", "5"]
        assert run_here(command, env).returncode == 0
        text = state.read_text(encoding="utf-8")
        assert emulator.login not in text and emulator.password not in text
        calls = len(emulator.server.requests)
        other = run_here(command, {**env, "SEOTASKS_DATAFORSEO_LOGIN": "someone-else"})
        assert other.returncode == 2, other.stderr
        assert "on another account for dataforseo" in other.stderr
        assert "someone-else" not in other.stderr and emulator.login not in other.stderr
        assert len(emulator.server.requests) == calls
        # The same account spelt otherwise (a last "/", the scheme's case) resumes, as a
        # cursor does: the host is read, not its text.
        url = emulator.settings["base_url"]
        spelt = {**env, "SEOTASKS_DATAFORSEO_BASE_URL": "HTTP" + url[4:] + "/"}
        same = run_here(command, spelt)
        assert same.returncode == 0, same.stderr
        assert len(same.stdout.splitlines()) == 5


def test_a_credential_moved_from_o_to_its_variable_is_not_called_another_account(
    tmp_path: Path,
) -> None:
    """The same password given with ``-o``, then from its variable (the environment the
    same both times): the refusal said the account differed "from the environment",
    sending the user after a credential change that never happened. The options text
    differs, and is said; the account does not."""
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    with DataForSEOEmulator(seed=4, size=50) as emulator:
        env = cli_env(tmp_path, {"dataforseo": emulator.settings})
        state = tmp_path / "run.json"
        command = ["tasks", "-p", "dataforseo", "--format", "jsonl", "-o", "source=history"]
        command += ["--resume", str(state), "-L", "5"]
        given = ["-o", f"dataforseo.password={emulator.password}"]
        assert run_here([*command, *given], env).returncode == 0
        moved = run_here(command, env)
        assert moved.returncode == 2
        assert "-o dataforseo.password=<secret>" in moved.stderr
        assert "another account" not in moved.stderr, moved.stderr
        assert emulator.password not in moved.stderr
        changed = run_here([*command, "-o", "dataforseo.password=Another-pw-0"], env)
        assert "with another value of -o dataforseo.password" in changed.stderr
        assert "another account" not in changed.stderr, changed.stderr


def test_a_killed_runs_temporary_is_swept_and_the_file_stays_owner_only(
    env: dict[str, str], tmp_path: Path
) -> None:
    """A SIGKILL while a checkpoint was written left its temporary file beside the resume
    file for good: one an hour old is removed at the next save, and nothing else (a
    younger one may be another run's; the folder is the user's, its files not ours)."""
    state = tmp_path / "run.json"
    stale = tmp_path / f".run.json.{'a1' * 6}.tmp"
    young = tmp_path / f".run.json.{'b2' * 6}.tmp"
    theirs = tmp_path / ".notes.txt.0123456789ab.tmp"
    for leftover in (stale, young, theirs):
        leftover.write_text("{")
    hours_ago = time.time() - 7200
    for old in (stale, theirs):
        os.utime(old, (hours_ago, hours_ago))
    done = run_here([*_tasks(state), "-o", f"token={TOKEN}", "-L", "5"], env)
    assert done.returncode == 0, done.stderr
    assert not stale.exists() and young.exists() and theirs.exists()
    assert stat.S_IMODE(state.stat().st_mode) == 0o600


def test_the_default_host_and_the_same_host_written_out_are_one_account(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A resume file written with the base URL left at its default, resumed with the
    same URL set (``https://api.dataforseo.com/``), was "on another account" (exit 2)."""
    from seotasks.asked import account_digests

    for name in list(os.environ):
        if name.startswith("SEOTASKS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SEOTASKS_DATAFORSEO_LOGIN", "me")
    left = account_digests(["dataforseo"], [], None)
    monkeypatch.setenv("SEOTASKS_DATAFORSEO_BASE_URL", "https://API.dataforseo.com/")
    assert account_digests(["dataforseo"], [], None) == left
    monkeypatch.setenv("SEOTASKS_DATAFORSEO_BASE_URL", "https://proxy.example")
    assert account_digests(["dataforseo"], [], None) != left


def test_a_provider_named_in_another_case_in_o_gives_the_account(tmp_path: Path) -> None:
    """``-o DataForSEO.password=...`` is the password the run uses (the provider's name
    is read as ``-p`` reads it), but the account was read from the environment's
    variable instead: a change of that variable, which the run never used, refused the
    resume as "on another account"."""
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    with DataForSEOEmulator(seed=4, size=50) as emulator:
        env = cli_env(tmp_path, {"dataforseo": emulator.settings})
        state = tmp_path / "run.json"
        command = ["tasks", "-p", "dataforseo", "--format", "jsonl", "--status", "completed"]
        command += ["-o", "source=history", "-o", "families=serp"]
        command += ["-o", f"DataForSEO.password={emulator.password}", "--resume", str(state)]
        first = run_here([*command, "-L", "5"], env)
        assert first.returncode == 0, first.stderr
        unused = {**env, "SEOTASKS_DATAFORSEO_PASSWORD": "a-password-nobody-uses"}
        resumed = run_here(command, unused)
        assert resumed.returncode == 0, resumed.stderr
        ids = _ids(first.stdout) + _ids(resumed.stdout)
        assert len(ids) == len(set(ids)) > 5
        assert set(ids) == emulator.history_ids(status="completed", families=["serp"])
