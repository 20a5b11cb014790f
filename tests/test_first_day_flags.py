"""One declaration of the selection flags (`seotasks.cli.flags`): ``--since`` / ``--until``
read the same forms (``2d`` included) and refuse the same values with the same words in
every command that declares them through it, and ``--status`` always has its help."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from clihere import run_here
from clirun import cli_env

from seotasks.cli import build_parser
from seotasks.cli.flags import add_status, add_window, when


def _refused(done: CompletedProcess[str], message: str) -> None:
    """A usage error before anything ran: exit 2, nothing on stdout, and on stderr
    exactly the one line ``seotasks: <message>``."""
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr == f"seotasks: {message}\n"


def _sub(command: str) -> argparse.ArgumentParser:
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            parser: argparse.ArgumentParser = action.choices[command]
            return parser
    raise AssertionError("no subcommands")


@pytest.mark.parametrize("command", ["tasks", "collect"])
def test_since_and_until_are_the_shared_declaration(command: str) -> None:
    parser = _sub(command)
    types = {a.dest: a.type for a in parser._actions if a.dest in ("since", "until")}
    assert types == {"since": when, "until": when}


@pytest.mark.parametrize("value", ["2d", "30m", " 1w ", "2026-11-20", "2026-11-20T10:00:00+00:00"])
def test_when_accepts(value: str) -> None:
    assert when(value) == value.strip()


@pytest.mark.parametrize("value", ["yesterday", "2x", "d2", "", "2026-13-01"])
def test_when_refuses(value: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=r"neither ISO 8601 .* nor a time ago"):
        when(value)


def test_a_new_command_gets_status_help_and_relative_times() -> None:
    parser = argparse.ArgumentParser()
    add_status(parser, default="any")
    add_window(parser)
    args = parser.parse_args(["--since", "2d"])
    assert args.since == "2d" and args.status == "any"
    assert all(a.help for a in parser._actions)


@pytest.mark.parametrize("command", ["tasks", "collect"])
def test_bad_since_is_refused_before_anything_runs(command: str, tmp_path: Path) -> None:
    done = run_here([command, "-p", "serpstat", "--since", "2x", "--sandbox"], cli_env(tmp_path))
    assert done.returncode == 2
    assert "argument --since: '2x' is neither ISO 8601" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["collect"],
        ["submit", "specs.jsonl"],
        ["receive", "--listen", "192.0.2.1:80", "--to", "results"],
    ],
)
def test_a_one_provider_command_refuses_a_second_provider(
    command: list[str], tmp_path: Path
) -> None:
    """``collect -p serpstat -p dataforseo`` collected DataForSEO alone and said nothing
    of Serpstat (``submit`` posted to the last vendor named): one that takes a single
    provider says so, before anything is called or posted."""
    (tmp_path / "specs.jsonl").write_text('{"keyword": "a", "location": 2840}\n')
    args = [*command, "-p", "serpstat", "-p", "dataforseo", "--sandbox"]
    if command[0] == "receive":
        args.remove("--sandbox")
    env = cli_env(tmp_path)
    env["SEOTASKS_RECEIVE_SECRET"] = "s" * 24
    done = run_here(args, env, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "-p/--provider: one provider only (got serpstat, then dataforseo)" in done.stderr
    assert done.stderr.count("\n") == 1


def test_an_unknown_flag_names_the_command_help(tmp_path: Path) -> None:
    """A flag the command does not take (``collect --sandbox-size``, which ``tasks``
    has) is reported by the command's parser, with ``seotasks collect --help`` to read,
    not the top-level help, which lists no command's flags."""
    done = run_here(
        ["collect", "-p", "serpstat", "--sandbox", "--sandbox-size", "5"], cli_env(tmp_path)
    )
    _refused(done, "unrecognized arguments: --sandbox-size 5 (see seotasks collect --help)")


@pytest.mark.parametrize(
    ("command", "flag"),
    [
        (["tasks", "-p", "serpstat"], ["--sandbox-day", "2026-01-01"]),
        (["tasks", "-p", "serpstat"], ["--sandbox-size", "10"]),
        (["collect", "-p", "serpstat"], ["--seed", "7"]),
        (["status", "-p", "serpstat"], ["--seed", "7"]),
    ],
)
def test_a_sandbox_flag_without_sandbox_is_refused(
    command: list[str], flag: list[str], tmp_path: Path
) -> None:
    """``--sandbox-day``, ``--sandbox-size`` and ``--seed`` choose the emulators' data;
    without ``--sandbox`` they were ignored without a word and the vendor itself was
    listed (with credentials set, a real account's tasks instead of the day asked for)."""
    from seotasks_serpstat.emulator import SerpstatEmulator

    with SerpstatEmulator(size=5) as emu:
        done = run_here([*command, *flag], cli_env(tmp_path, {"serpstat": emu.settings}))
    _refused(done, f"{flag[0]} applies with --sandbox only: without it, the vendor is called")


@pytest.mark.parametrize("command", ["tasks", "check"])
def test_an_option_of_a_provider_not_listed_names_the_missing_p(
    command: str, tmp_path: Path
) -> None:
    """``-o dataforseo.password=...`` with only ``-p serpstat`` said "no listed provider
    has an option 'dataforseo.password'", as if DataForSEO had no password: what is
    missing is ``-p dataforseo``. The value is not repeated (it may be a secret)."""
    args = [command, "-p", "serpstat", "-o", "dataforseo.password=Hunter2-not-shown", "--sandbox"]
    done = run_here(args, cli_env(tmp_path))
    _refused(done, "-o dataforseo.password: provider dataforseo is not listed with -p")


@pytest.mark.parametrize(
    ("pair", "said"),
    [
        (
            "serpstat.tokn=x",
            "provider serpstat has no option 'tokn'; did you mean serpstat.token? its options: "
            "base_url, ",
        ),
        (
            "tokn=x",
            "no listed provider has an option 'tokn'; did you mean token? their options: "
            "base_url, ",
        ),
        # A misspelt provider said the provider had no such option, listing options.
        ("serpstats.token=x", "-o serpstats.token: no provider is named 'serpstats'; did "),
    ],
)
def test_a_misspelt_option_lists_the_ones_there_are(tmp_path: Path, pair: str, said: str) -> None:
    """``connect(tokn=...)`` lists the known options; ``-o`` and a profile table named
    only the wrong one, sending the user to ``seotasks providers`` to find the right."""
    done = run_here(["check", "-p", "serpstat", "-o", pair], cli_env(tmp_path))
    assert done.returncode == 2
    assert said in done.stderr and "token" in done.stderr.split(said)[1], done.stderr


def test_an_option_without_a_key_is_not_echoed(tmp_path: Path) -> None:
    """``-o "$SEOTASKS_SERPSTAT_TOKEN"`` (the ``token=`` forgotten) printed the token back
    in full on stderr, into a CI log; a bare option name is still shown, as it helps."""
    token = "emu-0c3728406076966dec327a79"
    done = run_here(["check", "-p", "serpstat", "-o", token], cli_env(tmp_path))
    assert done.returncode == 2 and "-o expects KEY=VALUE" in done.stderr, done.stderr
    assert token not in done.stderr and "0c3728" not in done.stderr
    named = run_here(["check", "-p", "serpstat", "-o", "serpstat.token"], cli_env(tmp_path))
    assert "-o expects KEY=VALUE, got 'serpstat.token'" in named.stderr, named.stderr


@pytest.mark.parametrize(
    "order",
    [
        ["-o", "serpstat.timezone=Europe/Kyiv", "-o", "timezone=UTC"],
        ["-o", "timezone=UTC", "-o", "serpstat.timezone=Europe/Kyiv"],
    ],
)
def test_an_option_given_to_one_provider_beats_one_given_to_all(
    order: list[str], tmp_path: Path
) -> None:
    """``-o serpstat.timezone=Europe/Kyiv -o timezone=UTC`` read a Kyiv account's times
    as UTC: a later key for every provider silently undid the one meant for Serpstat."""
    from datetime import datetime

    from seotasks_serpstat.emulator import SerpstatEmulator

    args = ["tasks", "-p", "serpstat", *order, "--status", "any", "--fields", "id,created_at"]
    args += ["--format", "jsonl"]
    with SerpstatEmulator(size=5, timezone="Europe/Kyiv") as emu:
        done = run_here([*args, "-q"], cli_env(tmp_path, {"serpstat": emu.settings}))
        truth = {i: emu.dataset.truth(i).created_at for i in emu.task_ids()}
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == len(truth) == 5
    assert {r["id"]: datetime.fromisoformat(r["created_at"]) for r in rows} == truth


def test_one_option_given_twice_with_two_values_is_refused(tmp_path: Path) -> None:
    """``-o timezone=UTC -o timezone=Europe/Kyiv`` took the last without a word; the
    values are not repeated (one given twice may be a credential)."""
    args = ["tasks", "-p", "serpstat", "--sandbox", "-L", "1"]
    done = run_here([*args, "-o", "timezone=UTC", "-o", "timezone=Europe/Kyiv"], cli_env(tmp_path))
    _refused(done, "-o timezone is given twice with different values: give it once")
    assert "Kyiv" not in done.stderr
    same = run_here([*args, "-o", "timezone=UTC", "-o", "timezone=UTC"], cli_env(tmp_path))
    assert same.returncode == 0, same.stderr
