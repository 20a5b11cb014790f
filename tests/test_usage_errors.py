"""Usage errors as a user meets them: what is wrong with the command line is named first,
in one line, with exit 2, whatever else the line also lacks."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from clihere import run_here
from clirun import CLI, cli_env, run_process


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["tasks", "--bogus"], "--bogus"),
        (["collect", "--bogus"], "--bogus"),
        (["receive", "--bogus"], "--bogus"),
        (["tasks", "--statsu", "any"], "--statsu"),
        # an abbreviation is no flag: another flag sharing the prefix may come
        (["tasks", "--statu", "any"], "--statu"),
        (["load", "--sandbox-s", "10"], "--sandbox-s"),
    ],
)
def test_an_unknown_flag_is_named_before_a_missing_required_one(
    tmp_path: Path, args: list[str], named: str
) -> None:
    """argparse checks required flags before it reports unknown ones: ``tasks --bogus``
    said "-p/--provider is required", and the user who adds ``-p`` learns only then that
    the flag itself was the mistake (a typo of a real flag, say)."""
    done = run_here(args, cli_env(tmp_path))
    assert done.returncode == 2
    assert done.stderr == (
        f"seotasks: unrecognized arguments: {' '.join(args[1:])} (see seotasks {args[0]} --help)\n"
    )


def test_a_missing_required_flag_is_still_named_alone(tmp_path: Path) -> None:
    done = run_here(["tasks"], cli_env(tmp_path))
    assert done.returncode == 2
    assert "required: -p/--provider" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["tasks", "--sandbox", "-p", "serpstat", "-L", "1", "--format", "jsonl"],
        ["tasks", "-p", "serpstat", "-L", "1"],
        ["check", "-p", "serpstat"],
        ["collect", "--sandbox", "-p", "serpstat", "-L", "1"],
    ],
    ids=["sandbox", "account", "check", "collect"],
)
@pytest.mark.parametrize("name", ["", "  "])
def test_an_empty_profile_name_is_a_usage_error(tmp_path: Path, args: list[str], name: str) -> None:
    """``--profile "$PROFILE"`` with the variable unset: the run went on without any
    profile (a sandbox listing, exit 0; an account's credentials from the env vars, or
    "missing 'token' ... give --profile NAME", which it had been given)."""
    done = run_here([*args, "--profile", name], cli_env(tmp_path))
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("seotasks: argument --profile: the profile name is empty")
    assert len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize("name", ["", " "])
def test_connect_refuses_an_empty_profile_name(name: str) -> None:
    import seotasks
    from seotasks import ConfigError

    with pytest.raises(ConfigError, match="profile name is empty"):
        seotasks.connect("serpstat", profile=name, token="t", env={})


@pytest.mark.parametrize(
    "args",
    [
        ["collect", "--sandbox", "-p", "serpstat", "-L", "1", "--to"],
        ["collect", "--sandbox", "-p", "serpstat", "-L", "1", "--journal"],
        ["collect", "--sandbox", "-p", "serpstat", "-L", "1", "--resume"],
        ["tasks", "--sandbox", "-p", "serpstat", "-L", "1", "--resume"],
        ["status", "--sandbox", "-p", "serpstat", "--to"],
        ["check", "--sandbox", "-p", "serpstat", "--to"],
        ["receive", "--listen", "127.0.0.1:0", "--to"],
        ["report", "--sandbox", "-p", "serpstat", "--to"],
        ["report", "--from"],
    ],
    ids=lambda args: f"{args[0]}{args[-1]}",
)
def test_an_empty_path_is_a_usage_error_not_this_folder(tmp_path: Path, args: list[str]) -> None:
    """``Path("")`` is ``.``: ``collect --to "$DIR"`` with ``DIR`` unset wrote every result
    into the folder the command ran in (and ``receive`` served into it), exit 0."""
    here = tmp_path / "here"
    here.mkdir()
    env = {**cli_env(tmp_path), "SEOTASKS_RECEIVE_SECRET": "abcdefghijklmnopqrstuvwxyz"}
    done = run_here([*args, ""], env, cwd=here)
    assert done.returncode == 2, done.stderr
    flag = args[-1]
    assert done.stderr.startswith(f"seotasks: argument {flag}: the path is empty"), done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert list(here.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["tasks", "--sandbox", "-p", "serpstat", "-L", "1", "--resume"],
        ["collect", "--sandbox", "-p", "serpstat", "-L", "1", "--resume"],
        ["report", "--sandbox", "-p", "serpstat", "--to"],
        ["receive", "--listen", "127.0.0.1:0", "--to"],
        ["collect", "--sandbox", "-p", "serpstat", "-L", "1", "--to"],
        ["status", "--sandbox", "-p", "serpstat", "--to"],
        ["report", "--from"],
    ],
    ids=lambda args: f"{args[0]}{args[-1]}",
)
def test_a_file_name_too_long_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    """A name longer than the file system takes raised from the path checks themselves
    (``is_dir``): "internal error: OSError: [Errno 36] File name too long", exit 4."""
    env = {**cli_env(tmp_path), "SEOTASKS_RECEIVE_SECRET": "abcdefghijklmnopqrstuvwxyz"}
    done = run_here([*args, str(tmp_path / ("x" * 300))], env)
    assert done.returncode == 2, done.stderr
    assert "File name too long" in done.stderr and "internal error" not in done.stderr
    assert len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize("unbuffered", ["", "1"])
@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["--help"],
        ["tasks", "--help"],
        ["tasks", "--sandbox", "-p", "serpstat", "-q"],
        ["providers"],
    ],
)
def test_output_to_a_full_stdout_is_exit_6(
    tmp_path: Path, args: list[str], unbuffered: str
) -> None:
    """What every command's output does on a full stdout (exit 6, one line): ``--version``
    ended in a traceback (exit 1), and ``--help`` printed nothing and exited 0; with
    Python's usual buffered stdout (no ``PYTHONUNBUFFERED``), every command's output was
    "internal error: OSError", exit 4, and a short one (``providers``) lost at the exit."""
    env = {**cli_env(tmp_path), "PYTHONUNBUFFERED": unbuffered}
    with open("/dev/full", "w") as full:
        done = run_process(
            [*CLI, *args],
            env=env,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert done.returncode == 6, done.stderr
    assert (
        done.stderr == "seotasks: StorageError: cannot write to stdout: No space left on device\n"
    )


@pytest.mark.parametrize("listen", ["[::1:0", "::1]:0", "[127.0.0.1]x:0"])
def test_a_listen_address_with_stray_brackets_is_named_as_given(
    tmp_path: Path, listen: str
) -> None:
    """``--listen [::1:0`` (a bracket left open) was passed on to the server and came back
    as "--listen [[::1]:0: invalid host/port specified": an address the user never typed."""
    env = {**cli_env(tmp_path), "SEOTASKS_RECEIVE_SECRET": "abcdefghijklmnopqrstuvwxyz"}
    done = run_here(["receive", "--listen", listen, "--to", str(tmp_path / "r")], env)
    assert done.returncode == 2
    assert done.stderr == (
        f"seotasks: --listen expects HOST:PORT such as 127.0.0.1:8080, got {listen!r}\n"
    )


def test_status_says_when_its_results_folder_does_not_exist(tmp_path: Path) -> None:
    """``status --to resutls`` (a typo) counted every completed task as not collected,
    "completed without a file in resutls", as if nothing had been collected: the same
    words as a real folder that lacks them. The count stands (nothing is collected
    there), and the line says the folder is not there."""
    args = ["status", "--sandbox", "-p", "serpstat", "--format", "json"]
    missing = tmp_path / "resutls"
    done = run_here([*args, "--to", str(missing)], cli_env(tmp_path))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["ready_how"] == f"completed without a file in {missing} (no such folder)"
    (tmp_path / "results").mkdir()
    done = run_here([*args, "--to", str(tmp_path / "results")], cli_env(tmp_path))
    summary = json.loads(done.stdout)
    assert summary["ready_how"] == f"completed without a file in {tmp_path / 'results'}"


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["tasks", "--sandbox", "-p", "serpstat", "-L", "\uff19"], "-L/--limit"),
        (["tasks", "--sandbox", "-p", "serpstat", "-L", "1_0"], "-L/--limit"),
        (["collect", "--sandbox", "-p", "serpstat", "--workers", "\u0664"], "--workers"),
        (["tasks", "--sandbox", "-p", "serpstat", "--seed", "\uff11"], "--seed"),
    ],
)
def test_a_whole_number_flag_takes_ascii_digits_only(
    tmp_path: Path, args: list[str], flag: str
) -> None:
    """``int()`` reads other scripts' digits and underscores: ``-L`` with a fullwidth 9
    listed 9 tasks and ``-L 1_0`` ten, where an option value (``-o page_size=``) is
    refused for the same text (docs/configuration.md). Flags now read numbers as option
    values do."""
    done = run_here(args, cli_env(tmp_path))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"seotasks: argument {flag}: invalid int value: "), done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("name", ["Europe", "x" * 300])
def test_a_timezone_that_names_a_folder_or_is_too_long_is_a_usage_error(
    tmp_path: Path, name: str
) -> None:
    """``zoneinfo`` looks the name up as a file: ``Europe`` (a region, not a zone) raised
    IsADirectoryError and a long name "File name too long", both "internal error", exit
    4, where an unknown name is the option's usage error."""
    args = ["tasks", "--sandbox", "-p", "serpstat", "-L", "1", "-o", f"serpstat.timezone={name}"]
    done = run_here(args, cli_env(tmp_path))
    assert done.returncode == 2, done.stderr
    assert "unknown timezone" in done.stderr and len(done.stderr.splitlines()) == 1


def test_a_very_slow_rate_is_a_rate(tmp_path: Path) -> None:
    """``-o serpstat.rps=0.0001`` (one call in under three hours, within the option's
    documented "> 0") was rounded to 0 calls a second: "internal error: ValueError:
    'calls' must be > 0", exit 4. The first call goes at once, as with any rate."""
    args = ["tasks", "--sandbox", "-p", "serpstat", "-L", "1", "--format", "jsonl"]
    done = run_here([*args, "-o", "serpstat.rps=0.0001"], cli_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ["collect", "--sandbox", "-p", "dataforseo", "-L", "1", "--journal"],
        ["check", "--journal"],
        ["check", "--pipelines-dir"],
    ],
    ids=["collect-journal", "check-journal", "check-pipelines-dir"],
)
def test_a_file_named_as_a_folder_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    """A file where a folder belongs is a mistyped path, exit 2, as for ``--to`` and for
    ``load --pipelines-dir``: ``collect --journal FILE`` was "the journal folder
    FILE/dataforseo/... is not writable: Not a directory", exit 6 (the machine's state),
    and ``check`` said "not writable: File exists", exit 6, for both flags."""
    afile = tmp_path / "a-file"
    afile.write_text("kept")
    done = run_here([*args, str(afile)], cli_env(tmp_path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{args[-1]} {afile}: not a directory" in done.stdout + done.stderr
    assert afile.read_text() == "kept"


def test_a_warning_is_led_by_seotasks_as_every_other_line(tmp_path: Path) -> None:
    env = {**cli_env(tmp_path), "SEOTASKS_SERPSTAT_PAGESIZE": "100"}
    done = run_process(
        [*CLI, "tasks", "--sandbox", "-p", "serpstat", "-L", "1", "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        "seotasks: SEOTASKS_SERPSTAT_PAGESIZE is set, but serpstat has no option of that "
        "name: did you mean SEOTASKS_SERPSTAT_PAGE_SIZE? (not used)\n"
    )
