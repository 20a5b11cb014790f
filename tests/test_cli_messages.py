"""The `seotasks` command against the providers' emulators (`clisandbox`): complete and
honest listings, one-line messages, usage errors that are not internal errors, the
terminal (version, help, the progress line, reproducible sandboxes).

The command runs in this process (`clihere`), except where a terminal or the pacing of a
real run is the point: those tests start it as a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from clihere import run_here
from clirun import STILL_CLI, popen, run_process
from clisandbox import clean_env, library_tasks, slow_env

import seotasks
from seotasks.config import env_name

# -- complete and honest listings -------------------------------------------------


def _first_cursor(env: dict[str, str]) -> str:
    first = run_here(["tasks", "-p", "serpstat", "--status", "any", "--limit", "1000"], env)
    assert first.returncode == 0, first.stderr
    return first.stderr.strip().rsplit("--cursor ", 1)[1]


def test_status_next_to_cursor_is_checked_not_ignored(env: dict[str, str]) -> None:
    token = _first_cursor(env)
    other = run_here(
        ["tasks", "-p", "serpstat", "--cursor", token, "--status", "completed", "--limit", "5"], env
    )
    assert other.returncode == 2, other.stderr
    assert other.stdout == ""
    assert "status=any" in other.stderr and "status=None" not in other.stderr
    assert len(other.stderr.strip().splitlines()) == 1
    assert token not in other.stderr  # never "continue with" the cursor just refused
    same = run_here(["tasks", "-p", "serpstat", "--cursor", token, "--status", "any"], env)
    assert same.returncode == 0, same.stderr
    assert {json.loads(line)["status"] for line in same.stdout.splitlines()} > {"completed"}


@pytest.fixture(scope="module")
def capped_env() -> Iterator[dict[str, str]]:
    """A DataForSEO account with more ready SERP tasks than tasks_ready shows (1000)."""
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    with DataForSEOEmulator(seed=5, size=2500, recent=1.0, kinds=("serp/google/organic",)) as emu:
        result = clean_env()
        for option, value in emu.settings.items():
            result[env_name("dataforseo", option)] = str(value)
        result[env_name("dataforseo", "families")] = "serp"
        yield result


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "table"])
def test_a_capped_listing_says_so_on_stderr(fmt: str, capped_env: dict[str, str]) -> None:
    result = run_here(["tasks", "-p", "dataforseo", "--format", fmt], capped_env)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "capped" in line]
    assert len(lines) == 1, result.stderr
    assert "dataforseo" in lines[0] and "1 list" in lines[0]
    assert "seotasks collect" in lines[0] and "source=history" in lines[0]
    assert "capped" not in result.stdout


def test_a_long_pacing_wait_is_announced_once_after_the_first_tasks() -> None:
    # Every tasks_ready family: 21 calls against 20 a minute. Under --sandbox the minute
    # passes in a second; the wait is announced when it starts, with the way around it,
    # and the tasks of the pages already fetched are out before it. The sandbox's clock
    # stands still but for its waits (`stillclock_cli`): a busy machine took the whole
    # minute for the twenty calls, and the twenty-first did not wait.
    every = "serp,keywords_data,on_page,merchant,business_data,app_data,ai_optimization"
    args = ["tasks", "--sandbox", "-p", "dataforseo", "-o", f"families={every}"]
    result = run_process(
        [*STILL_CLI, *args, "--format", "jsonl"],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    lines = result.stdout.splitlines()
    notices = [i for i, line in enumerate(lines) if line.startswith("seotasks: ")]
    assert len(notices) == 1, [lines[i] for i in notices]
    notice = lines[notices[0]]
    assert "waiting" in notice and "tasks_ready" in notice and "20 a minute" in notice
    assert "-o families=" in notice
    assert notices[0] > 0 and json.loads(lines[0])["provider"] == "dataforseo"


def test_collect_announces_the_same_wait(tmp_path: Path) -> None:
    """`collect` made the same tasks_ready calls and sat through the same minute's wait
    without a word: run after another listing, it looked hung for a minute."""
    every = "serp,keywords_data,on_page,merchant,business_data,app_data,ai_optimization"
    args = ["collect", "--sandbox", "-p", "dataforseo", "-o", f"families={every}"]
    # Every list read (21 calls), next to no task in the last minute to fetch.
    result = run_process(
        [*STILL_CLI, *args, "--since", "1m", "--to", str(tmp_path / "results")],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    notices = [line for line in result.stderr.splitlines() if "waiting" in line]
    assert len(notices) == 1, result.stderr[-2000:]
    assert "tasks_ready" in notices[0] and "20 a minute" in notices[0]


# -- messages -------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, needle",
    [
        (["tasks", "-p", "serpstat", "--since", "2020-01-01"], "UnsupportedQuery"),
        (["tasks", "-p", "serpstat", "--since", "yesterday"], "ISO 8601"),
        (["tasks", "-p", "serpstat", "-o", "page_size=0"], "page_size"),
    ],
)
def test_an_error_before_any_task_is_one_line_without_a_resume_hint(
    args: list[str], needle: str, env: dict[str, str]
) -> None:
    result = run_here(args, env)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--resume" not in result.stderr and "--cursor" not in result.stderr


def test_load_plugins_limit_is_named_not_called_missing(env: dict[str, str]) -> None:
    limited = {**env, "SEOTASKS_LOAD_PLUGINS": "serpstat"}
    result = run_here(["tasks", "-p", "dataforseo"], limited)
    assert result.returncode == 2
    assert "SEOTASKS_LOAD_PLUGINS" in result.stderr and "pip install" not in result.stderr
    listing = run_here(["providers"], {**env, "SEOTASKS_LOAD_PLUGINS": ""})
    assert listing.returncode == 0
    assert "SEOTASKS_LOAD_PLUGINS" in listing.stdout
    assert "no provider plugins installed" not in listing.stdout


@pytest.mark.parametrize(
    ("limit", "unknown"),
    [("serpstatt", "'serpstatt'"), ("serpstat;dataforseo", "'serpstat;dataforseo'")],
    ids=["typo", "separator"],
)
def test_a_load_plugins_name_no_plugin_has_is_named_with_the_installed_ones(
    env: dict[str, str], limit: str, unknown: str
) -> None:
    """A misspelt name, or names joined by another separator than a comma, loaded no
    plugin and said only that the variable "limits which plugins load"."""
    limited = {**env, "SEOTASKS_LOAD_PLUGINS": limit}
    installed = "installed plugins: acme, dataforseo, serpstat"
    refused = run_here(["tasks", "-p", "serpstat"], limited)
    assert refused.returncode == 2
    assert f"it names {unknown}, which no installed plugin is called" in refused.stderr
    assert installed in refused.stderr and len(refused.stderr.splitlines()) == 1
    listing = run_here(["providers", "--format", "json"], limited)
    assert listing.returncode == 0
    [failed] = json.loads(listing.stdout)["failed"]
    assert failed["name"] == limit and installed in failed["error"]


def test_a_load_plugins_typo_beside_a_good_name_is_not_silent(env: dict[str, str]) -> None:
    limited = {**env, "SEOTASKS_LOAD_PLUGINS": "serpstat,dataforsoe"}
    listing = run_here(["providers"], limited)
    assert listing.returncode == 0
    assert listing.stdout.startswith("serpstat")
    assert "FAILED dataforsoe (SEOTASKS_LOAD_PLUGINS): no installed plugin" in listing.stdout
    refused = run_here(["tasks", "-p", "dataforseo"], limited)
    assert refused.returncode == 2
    assert "it names 'dataforsoe', which no installed plugin is called" in refused.stderr


def test_collect_by_id_without_kind_suggests_kind(env: dict[str, str]) -> None:
    """DataForSEO builds task_get from the kind: without --kind no named task can be
    fetched, so the command is refused as asked (exit 2, the table's code for
    `UnsupportedQuery`), not counted as failed tasks (exit 4), once each is named."""
    ids = ["00000000-0000-0000-0000-1", "00000000-0000-0000-0000-2"]
    result = run_here(["collect", "-p", "dataforseo", "--id", ids[0], "--id", ids[1]], env)
    assert result.returncode == 2, result.stderr
    summary, said = result.stderr.splitlines()
    assert summary.startswith("seotasks: collected 0, failed 0, not collectable 2 ")
    assert said.startswith("seotasks: UnsupportedQuery:") and "--kind" in said
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(line["task"]["id"] for line in lines) == ids
    assert all("--kind" in line["error"] for line in lines)


def test_submit_with_bad_credentials_exits_3(env: dict[str, str], tmp_path: Path) -> None:
    specs = tmp_path / "specs.jsonl"
    specs.write_text(json.dumps({"keyword": "pizza", "location": 23, "language": 1}) + "\n")
    wrong = {**env, env_name("serpstat", "token"): "definitely-not-the-secret"}
    result = run_here(["submit", "-p", "serpstat", str(specs)], wrong)
    assert result.returncode == 3, result.stderr
    assert "AuthError" in result.stderr and "definitely-not-the-secret" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# -- usage errors, not internal errors ----------------------------------------------


@pytest.mark.parametrize(
    "args, needle",
    [
        (["tasks", "-p", "serpstat", "--resume", "/nonexistent-dir/run.json"], "does not exist"),
        (["tasks", "-p", "serpstat", "--resume", "/tmp"], "is a directory"),
        (["tasks", "--sandbox", "-p", "serpstat", "--sandbox-size", "100000000"], "0..1,000,000"),
        (["tasks", "--sandbox", "-p", "serpstat", "--sandbox-size", "-1"], "0..1,000,000"),
        (["sandbox", "-p", "serpstat", "--size", "100000000"], "0..1,000,000"),
    ],
)
def test_bad_paths_and_sizes_are_usage_errors(
    args: list[str], needle: str, env: dict[str, str]
) -> None:
    result = run_here(args, env, timeout=60)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr
    assert "internal error" not in result.stderr and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1


def test_time_field_completed_at_lists_what_finished_since(
    env: dict[str, str], sandboxes: dict[str, seotasks.Sandbox]
) -> None:
    tasks = library_tasks("serpstat", sandboxes)
    done = sorted(t.completed_at for t in tasks if t.completed_at is not None)
    since = done[len(done) // 2]
    args = ["tasks", "-p", "serpstat", "--status", "any", "--format", "jsonl"]
    result = run_here([*args, "--since", since.isoformat(), "--time-field", "completed_at"], env)
    assert result.returncode == 0, result.stderr
    got = {json.loads(line)["id"] for line in result.stdout.splitlines()}
    # Exactly the tasks finished since then, whenever they were created.
    assert got == {t.id for t in tasks if t.completed_at is not None and t.completed_at >= since}
    assert any(t.created_at < since for t in tasks if t.id in got)  # type: ignore[operator]
    refused = run_here(
        ["tasks", "-p", "dataforseo", "--since", "2026-01-01", "--time-field", "completed_at"],
        env,
    )
    assert refused.returncode == 2 and "no completion time" in refused.stderr


# -- the terminal -------------------------------------------------------------------


def test_version_from_package_metadata() -> None:
    from importlib.metadata import version

    result = run_here(["--version"], clean_env())
    assert result.returncode == 0
    assert result.stdout == f"seotasks {version('seotasks')}\n"
    assert seotasks.__version__ == version("seotasks")


@pytest.mark.parametrize(
    "command, words",
    [
        ("providers", ["List the installed provider plugins", "output format"]),
        ("sandbox", ["Start the providers' emulators", "tasks per emulator", "data seed"]),
    ],
)
def test_every_command_has_a_description_in_help(command: str, words: list[str]) -> None:
    result = run_here([command, "--help"], clean_env())
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for word in words:
        assert word in text


@pytest.mark.parametrize("command", ["tasks", "status", "collect", "report", "load"])
def test_help_names_only_flags_the_command_takes(command: str) -> None:
    """``--since``'s help spoke of ``--time-field`` in ``status --help`` too, a flag
    status refuses: each command's help mentions ``--time-field`` only if it takes it."""
    result = run_here([command, "--help"], clean_env())
    assert result.returncode == 0, result.stderr
    usage, _, body = result.stdout.partition("\n\n")
    taken = "[--time-field" in " ".join(usage.split())
    assert ("--time-field" in body) == taken, body


def test_short_limit_quiet_and_summary(env: dict[str, str]) -> None:
    loud = run_here(["tasks", "-p", "serpstat", "--status", "any", "-L", "1000"], env)
    assert loud.returncode == 0 and len(loud.stdout.splitlines()) == 1000
    assert "--cursor" in loud.stderr
    quiet = run_here(["tasks", "-p", "serpstat", "--status", "any", "-L", "1000", "-q"], env)
    assert quiet.returncode == 0 and quiet.stdout == loud.stdout
    assert quiet.stderr == ""
    summary = run_here(["tasks", "-p", "serpstat", "-p", "dataforseo", "--summary", "-q"], env)
    assert summary.returncode == 0, summary.stderr
    counts = {}
    for line in summary.stdout.splitlines():
        name = json.loads(line)["provider"]
        counts[name] = counts.get(name, 0) + 1
    (line,) = summary.stderr.splitlines()
    assert line.startswith(f"seotasks: {sum(counts.values())} tasks: ")
    for name, count in counts.items():
        assert f"{name} {count} (" in line
    assert "waits" in line or "wait" in line


def test_seed_reproduces_a_sandbox_exactly() -> None:
    today = datetime.now(UTC).date().isoformat()

    def listing(seed: int) -> str:
        args = ["tasks", "--sandbox", "-p", "dataforseo", "-p", "serpstat", "--status", "any"]
        args += ["--sandbox-day", today]
        result = run_here([*args, "--seed", str(seed), "--format", "jsonl", "-q"], clean_env())
        assert result.returncode == 0, result.stderr
        return result.stdout

    first = listing(3)
    assert len(first.splitlines()) > 1000
    assert listing(3) == first  # ids, statuses and every timestamp
    assert listing(4) != first


def test_sandbox_day_reproduces_a_sandbox_on_any_day() -> None:
    """--sandbox-day fixes the data's day, so the listing does not depend on today's date."""

    def listing(day: str) -> list[dict[str, object]]:
        args = ["tasks", "--sandbox", "-p", "dataforseo", "-p", "serpstat", "--status", "any"]
        args += ["--seed", "3", "--sandbox-day", day, "--format", "jsonl", "-q"]
        result = run_here(args, clean_env())
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines()]

    ten_days_ago = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
    first = listing(ten_days_ago)
    assert len(first) > 1000 and listing(ten_days_ago) == first
    newest = max(str(r["created_at"]) for r in first)
    assert newest < (datetime.now(UTC) - timedelta(days=8)).isoformat()  # drawn around that day
    bad = run_here(["tasks", "--sandbox", "-p", "serpstat", "--sandbox-day", "soon"], clean_env())
    assert bad.returncode == 2 and "--sandbox-day" in bad.stderr


def test_progress_line_is_cleared_before_rows_on_one_terminal(env: dict[str, str]) -> None:
    import pty
    import re

    slow = {**slow_env(env), "COLUMNS": "200"}
    main, child = pty.openpty()
    proc = popen(
        [sys.executable, "-m", "seotasks.cli", "tasks", "-p", "serpstat", "--status", "any"],
        env=slow,
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=child,
    )
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=120) == 0
    os.close(main)
    screen = b"".join(chunks).decode()
    assert "waits" in screen, "a terminal should show the progress line"
    # After a progress line, the next thing written is an erase (or the line's end), never
    # a row glued to it.
    glued = re.search(r"waits \d++(?: \[[^\]\r\n]*\])?+(?![\r\n\x1b])", screen)
    assert glued is None, screen[max(0, glued.start() - 80) : glued.end() + 80]
    last = screen.strip().splitlines()[-1]
    assert re.search(r"seotasks: \d+ tasks: serpstat \d+ \(\d+ pages?\)", last), last


def test_relative_since_and_its_resume(env: dict[str, str], tmp_path: Path) -> None:
    args = ["tasks", "-p", "serpstat", "--status", "any", "--format", "jsonl", "-q"]
    result = run_here([*args, "--since", "2d"], env)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records
    floor = datetime.now(UTC).timestamp() - 2 * 86400 - 120
    assert all(datetime.fromisoformat(r["created_at"]).timestamp() >= floor for r in records)
    everything = run_here(args, env).stdout.splitlines()
    assert len(records) < len(everything)
    # Continued with the same command, "2d" is the first run's two days: no CursorError.
    state = tmp_path / "run.json"
    first = run_here([*args, "--since", "2d", "--resume", str(state), "-L", "5"], env)
    rest = run_here([*args, "--since", "2d", "--resume", str(state)], env)
    assert first.returncode == 0 and rest.returncode == 0, rest.stderr
    assert first.stdout + rest.stdout == result.stdout


def test_a_relative_time_a_cursor_cannot_mean_is_refused(env: dict[str, str]) -> None:
    """With --cursor, a relative --since means the cursor's own (that long before its
    first run). A cursor listing with no since has none to mean: the listing went on
    unbounded and printed every time, whatever was asked. A span that would put the
    first run in the future cannot be that run's either. The cursor's own span passes."""
    now = datetime.now(UTC)
    with seotasks.connect("serpstat", env=env, page_size=100) as client:
        unbounded = client.page(status="any").next_cursor
        bounded = client.page(status="any", since=now - timedelta(days=2)).next_cursor
    assert unbounded and bounded
    args = ["tasks", "-p", "serpstat", "--status", "any", "--format", "jsonl"]
    for cursor, flag, why in (
        (unbounded, ["--since", "1d"], "lists with no since, so a relative --since"),
        (unbounded, ["--until", "1d"], "lists with no until, so a relative --until"),
        (bounded, ["--since", "3d"], "3d after that is still to come"),
    ):
        result = run_here([*args, "--cursor", cursor, *flag], env)
        assert result.returncode == 2 and why in result.stderr, result.stderr
        assert result.stdout == ""
    same = run_here([*args, "--cursor", bounded, "--since", "2d"], env)
    assert same.returncode == 0 and same.stdout, same.stderr
    floor = now - timedelta(days=2, minutes=2)
    created = [datetime.fromisoformat(json.loads(r)["created_at"]) for r in same.stdout.split()]
    assert min(created) >= floor


def test_a_table_run_and_a_csv_one_name_each_others_format(
    env: dict[str, str], tmp_path: Path
) -> None:
    """A table is for reading, so a resume file records no output shape for it, and the
    refusal said "not no --format" to someone who had typed --format table."""
    args = ["tasks", "-p", "serpstat", "--status", "any", "-L", "3"]
    for first, then in (("csv", "table"), ("table", "csv")):
        state = str(tmp_path / f"{first}.json")
        assert run_here([*args, "--format", first, "--resume", state], env).returncode == 0
        again = run_here([*args, "--format", then, "--resume", state], env)
        assert again.returncode == 2
        assert f"with --format {first}, not --format {then};" in again.stderr, again.stderr


def test_a_refused_connection_is_one_line_without_a_resume_hint(env: dict[str, str]) -> None:
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = {**env, env_name("serpstat", "base_url"): f"http://127.0.0.1:{port}/rt/api/v2/"}
    result = run_here(["tasks", "-p", "serpstat"], closed, speed=50)  # the retries' backoff
    assert result.returncode == 4, result.stderr
    assert "TransientError" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--resume" not in result.stderr and "--cursor" not in result.stderr
