"""The `seotasks` command, run as a subprocess against the providers' emulators.

The emulators run in this test process (through each provider's `sandbox()`), and the
CLI reaches them over loopback through the same env vars a real user sets.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from clirun import run_cli

import seotasks
from seotasks.config import env_name
from seotasks.export import COLUMNS
from seotasks.plugins import get_provider

PROVIDERS = ("dataforseo", "serpstat")
#: Fewer DataForSEO endpoints than its 20 tasks_ready calls a minute, so listings run on
#: the real clock without waiting for the vendor's window.
FAMILIES = "serp,on_page,merchant,business_data,app_data"
#: Serpstat's top plans allow 10 requests a second (most: 1). Both sides run at that rate
#: here, so a listing of 12 pages takes a second, not 12; the pacing is still there (and
#: the progress line's waits). The interrupted listing runs at 1 a second instead.
SERPSTAT_RPS = 10


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEOTASKS_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture(scope="module")
def sandboxes() -> Iterator[dict[str, seotasks.Sandbox]]:
    """Both emulators, with their data clock stopped so running tasks do not move on
    between the listings a test compares."""
    from seotasks_dataforseo.emulator import DataForSEOEmulator
    from seotasks_serpstat.emulator import SerpstatEmulator

    frozen = datetime.now(UTC).replace(microsecond=0)
    with (
        DataForSEOEmulator(seed=7, size=1200, now=lambda: frozen) as dfs,
        SerpstatEmulator(seed=7, size=1200, now=lambda: frozen, rps=SERPSTAT_RPS) as serp,
    ):
        yield {
            "dataforseo": seotasks.Sandbox(settings=dfs.settings, stop=dfs.stop),
            "serpstat": seotasks.Sandbox(settings=serp.settings, stop=serp.stop),
        }


@pytest.fixture
def env(sandboxes: dict[str, seotasks.Sandbox]) -> dict[str, str]:
    result = _clean_env()
    for name, box in sandboxes.items():
        for option, value in box.settings.items():
            result[env_name(name, option)] = str(value)
    result[env_name("dataforseo", "families")] = FAMILIES
    result[env_name("serpstat", "rps")] = str(SERPSTAT_RPS)
    return result


def secrets_of(sandboxes: dict[str, seotasks.Sandbox]) -> list[str]:
    found = []
    for name, box in sandboxes.items():
        cls = get_provider(name)
        for option in cls.options:
            if option.secret and box.settings.get(option.name):
                found.append(str(box.settings[option.name]))
    assert found, "the sandboxes should carry credentials"
    return found


def library_tasks(name: str, sandboxes: dict[str, seotasks.Sandbox], status: str = "any") -> list:
    extra = {"families": FAMILIES} if name == "dataforseo" else {"rps": SERPSTAT_RPS}
    with seotasks.connect(name, **sandboxes[name].settings, **extra) as client:
        return list(client.tasks(status=status))


# -- start-up and usage -------------------------------------------------------------------


def test_help_does_not_import_providers_urllib3_attrs_or_pluggy() -> None:
    code = (
        "import sys\n"
        "from seotasks.cli import main\n"
        "for argv in (['--help'], ['tasks', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 0, exc.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('urllib3', 'seotasks_dataforseo', 'seotasks_serpstat', 'cattrs', 'attr', 'pluggy'))\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "--resume" in out.stdout and "--sandbox" in out.stdout


@pytest.mark.parametrize(
    "args, needle",
    [
        (["tasks", "-p", "serpstat", "--status", "bogus"], "invalid choice"),
        (["tasks", "-p", "serpstat", "--limit", "-1"], "--limit"),
        (["tasks", "-p", "serpstat", "-o", "novalue"], "KEY=VALUE"),
        (["tasks", "-p", "serpstat", "-o", "nosuchoption=1"], "nosuchoption"),
        (["tasks", "-p", "serpstt"], "did you mean serpstat?"),
        (["tasks", "-p", "serpstat", "--status", "failed"], "no failed tasks"),
        (["tasks", "-p", "serpstat", "--since", "yesterday"], "ISO 8601"),
        (["tasks", "-p", "serpstat", "--cursor", "st1.abc.def"], "cursor"),
        (["tasks", "-p", "serpstat", "--raw", "--format", "table"], "--raw"),
        ([], "usage"),
    ],
)
def test_usage_errors_exit_2(args: list[str], needle: str, env: dict[str, str]) -> None:
    result = run_cli(args, env)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert "pip install" not in result.stderr
    assert result.stdout == ""
    if args:  # an error is one line, argparse's included (no command prints the help)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_missing_credentials_name_the_env_var() -> None:
    result = run_cli(["tasks", "-p", "serpstat"], _clean_env())
    assert result.returncode == 2
    assert "SEOTASKS_SERPSTAT_TOKEN" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name, option", [("serpstat", "token"), ("dataforseo", "password")])
def test_wrong_credentials_exit_3(
    name: str, option: str, env: dict[str, str], sandboxes: dict[str, seotasks.Sandbox]
) -> None:
    env = dict(env)
    env[env_name(name, option)] = "definitely-not-the-secret"
    result = run_cli(["tasks", "-p", name, "--debug"], env)
    assert result.returncode == 3, result.stderr
    assert "AuthError" in result.stderr
    # Nothing was written, so nothing to resume: the error line and nothing else. (--debug
    # logs the HTTP calls before it, urllib3's "Converted retries value" noise excluded.)
    assert [line for line in result.stderr.splitlines() if line.startswith("seotasks: ")] == [
        result.stderr.strip().splitlines()[-1]
    ]
    assert "--resume" not in result.stderr and "--cursor" not in result.stderr
    assert "Converted retries value" not in result.stderr
    assert "seotasks.transport" in result.stderr
    for secret in [*secrets_of(sandboxes), "definitely-not-the-secret"]:
        assert secret not in result.stderr + result.stdout


def test_providers_lists_both_with_options(env: dict[str, str]) -> None:
    result = run_cli(["providers", "--format", "json"], env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    names = {row["name"]: row for row in data["providers"]}
    assert {"dataforseo", "serpstat"} <= set(names)
    assert names["serpstat"]["distribution"] == "seotasks-serpstat"
    token = next(o for o in names["serpstat"]["options"] if o["name"] == "token")
    assert token["secret"] and token["env"] == "SEOTASKS_SERPSTAT_TOKEN"
    assert names["serpstat"]["capabilities"]["window_days"] == 7
    assert data["failed"] == []


# -- output formats ---------------------------------------------------------------------------


def _expected_record(task: seotasks.Task) -> dict[str, object]:
    return {
        "provider": task.provider,
        "id": task.id,
        "status": task.status.value,
        "progress": task.progress,
        "created_at": None if task.created_at is None else task.created_at.isoformat(),
        "completed_at": None if task.completed_at is None else task.completed_at.isoformat(),
        "kind": task.kind,
        "tag": task.tag,
        "cost": None if task.cost is None else str(task.cost),
        "engine": task.engine,
        "device": task.device,
        "location": task.location,
        "language": task.language,
        "keywords_count": task.keywords_count,
        "message": task.message,
        "started_at": None if task.started_at is None else task.started_at.isoformat(),
    }


def test_jsonl_matches_vendor_data_field_by_field(
    env: dict[str, str], sandboxes: dict[str, seotasks.Sandbox]
) -> None:
    result = run_cli(
        ["tasks", "-p", "serpstat", "--status", "any", "--format", "jsonl", "--raw"], env
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) >= 1000
    for record in records:
        assert list(record) == [*COLUMNS, "raw"]
        raw = record["raw"]
        # Serpstat sends every field as a string; check the normalization against it.
        assert record["id"] == raw["task_id"]
        assert record["progress"] == int(raw["progress"].rstrip("%")) / 100
        created = datetime.fromisoformat(raw["created_at"]).replace(tzinfo=UTC)
        assert record["created_at"] == created.isoformat()
        if raw["parsed_at"]:
            assert record["status"] == "completed"
            parsed = datetime.fromisoformat(raw["parsed_at"]).replace(tzinfo=UTC)
            assert record["completed_at"] == parsed.isoformat()
        else:
            assert record["completed_at"] is None and record["status"] != "completed"
    # The library sees the same tasks, normalized the same way. Running tasks move on
    # while the two listings run, so the field-by-field comparison takes finished ones.
    library = {t.id: _expected_record(t) for t in library_tasks("serpstat", sandboxes)}
    assert set(library) >= {r["id"] for r in records}
    finished = [r for r in records if r["status"] == "completed"]
    assert len(finished) > 100
    for record in finished:
        assert {k: record[k] for k in COLUMNS} == library[record["id"]]


def test_csv_and_table_carry_the_same_tasks(
    env: dict[str, str], sandboxes: dict[str, seotasks.Sandbox]
) -> None:
    result = run_cli(["tasks", "-p", "dataforseo", "--format", "csv"], env)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    tasks = library_tasks("dataforseo", sandboxes, status="completed")
    assert rows and len(rows) == len(tasks)
    assert tuple(rows[0]) == COLUMNS
    for row, task in zip(rows, tasks, strict=True):
        assert row["id"] == task.id and row["status"] == "completed"
        assert row["kind"] == (task.kind or "")
        assert row["created_at"] == (task.created_at.isoformat() if task.created_at else "")
        if task.cost is not None:
            assert Decimal(row["cost"]) == task.cost
    table = run_cli(["tasks", "-p", "dataforseo", "--format", "table"], env)
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0].startswith("PROVIDER") and len(lines) == len(tasks) + 2
    assert all(task.id[:35] in line for task, line in zip(tasks, lines[2:], strict=True))


def test_merged_stream_is_ordered_by_completion(env: dict[str, str]) -> None:
    result = run_cli(["tasks", "-p", "dataforseo", "-p", "serpstat", "--format", "jsonl"], env)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["provider"] for r in records} == {"dataforseo", "serpstat"}
    keys = [(r["completed_at"] or r["created_at"], f"{r['provider']}:{r['id']}") for r in records]
    stamps = [(datetime.fromisoformat(t), k) for t, k in keys]
    assert stamps == sorted(stamps)
    assert len({k for _, k in keys}) == len(keys)


def test_limit_and_cursor_continue_exactly(env: dict[str, str]) -> None:
    full = run_cli(["tasks", "-p", "serpstat", "--status", "any", "--format", "jsonl"], env)
    first = run_cli(
        ["tasks", "-p", "serpstat", "--status", "any", "--format", "jsonl", "--limit", "1000"],
        env,
    )
    assert first.returncode == 0 and len(first.stdout.splitlines()) == 1000
    hint = first.stderr.strip().rsplit("--cursor ", 1)
    assert len(hint) == 2, first.stderr
    rest = run_cli(
        ["tasks", "-p", "serpstat", "--status", "any", "--format", "jsonl", "--cursor", hint[1]],
        env,
    )
    assert rest.returncode == 0, rest.stderr
    assert first.stdout + rest.stdout == full.stdout


# -- interruption and resume ----------------------------------------------------------------


def _slow_env(env: dict[str, str]) -> dict[str, str]:
    slow = dict(env)
    slow[env_name("serpstat", "page_size")] = "100"
    return slow


def _stop_between_checkpoints(proc: subprocess.Popen[str], out_path: Path, state: Path) -> None:
    """Freeze ``proc`` (SIGSTOP) once it has written 20 kB, at a moment between checkpoints.

    A checkpoint writes the output, then saves the state. A crash between the two repeats
    those tasks on resume (by design: never lose one), so "exactly the rest" holds only
    for an interruption outside that window. Frozen, the process cannot move on: if the
    state file is older than the output's last write, it is inside the window; let it run
    a little and look again.
    """
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if out_path.stat().st_size >= 20_000 and state.exists():
            proc.send_signal(signal.SIGSTOP)
            if state.stat().st_mtime_ns >= out_path.stat().st_mtime_ns:
                return
            proc.send_signal(signal.SIGCONT)
        time.sleep(0.02)
    raise AssertionError("the listing never reached 20 kB of output with a checkpoint saved")


def _ids(text: str) -> list[str]:
    return [json.loads(line)["id"] for line in text.splitlines()]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_resume_after_interruption_yields_exactly_the_rest(
    sig: signal.Signals, env: dict[str, str], tmp_path: Path
) -> None:
    env = _slow_env(env)
    full = _ids(
        run_cli(["tasks", "-p", "serpstat", "--status", "any", "--format", "jsonl"], env).stdout
    )
    state = tmp_path / "resume.json"
    out_path = tmp_path / "first.jsonl"
    args = [
        "tasks",
        "-p",
        "serpstat",
        "--status",
        "any",
        "--format",
        "jsonl",
        "--resume",
        str(state),
    ]
    with out_path.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "seotasks.cli", *args],
            env={**env, env_name("serpstat", "rps"): "1"},  # a page a second: time to stop it
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
        )
        _stop_between_checkpoints(proc, out_path, state)
        proc.send_signal(sig)
        proc.send_signal(signal.SIGCONT)
        _, stderr = proc.communicate(timeout=60)
    first_text = out_path.read_text()
    assert first_text.endswith("\n"), "output must end on a whole line"
    first = _ids(first_text)
    assert 0 < len(first) < len(full)
    if sig is signal.SIGINT:
        assert proc.returncode == 5, stderr
        assert "--resume" in stderr
    saved = json.loads(state.read_text())
    assert saved["providers"]["serpstat"]["done"] is False
    second = run_cli(args, env)
    assert second.returncode == 0, second.stderr
    rest = _ids(second.stdout)
    assert first + rest == full
    again = run_cli(args, env)
    assert again.returncode == 0 and again.stdout == ""


def test_no_secret_in_any_output(
    env: dict[str, str], sandboxes: dict[str, seotasks.Sandbox]
) -> None:
    outputs = []
    for args in (
        [
            "tasks",
            "-p",
            "dataforseo",
            "-p",
            "serpstat",
            "--status",
            "any",
            "--debug",
            "--raw",
            "--format",
            "jsonl",
            "--limit",
            "50",
        ],
        ["providers"],
        ["providers", "--format", "json"],
    ):
        result = run_cli(args, env)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout + result.stderr)
    assert "seotasks.transport" in outputs[0], "--debug should log the HTTP calls"
    for secret in secrets_of(sandboxes):
        assert all(secret not in text for text in outputs)


def test_sandbox_command_prints_usable_env(tmp_path: Path) -> None:
    result = run_cli(["sandbox", "--duration", "0.5"], _clean_env())
    assert result.returncode == 0, result.stderr
    assert "export SEOTASKS_SERPSTAT_BASE_URL=" in result.stdout
    assert "export SEOTASKS_DATAFORSEO_LOGIN=" in result.stdout


def test_resume_file_refuses_another_query(env: dict[str, str], tmp_path: Path) -> None:
    state = tmp_path / "resume.json"
    base = ["tasks", "-p", "serpstat", "--format", "jsonl", "--resume", str(state)]
    first = run_cli([*base, "--status", "any", "--limit", "10"], env)
    assert first.returncode == 0 and len(first.stdout.splitlines()) == 10
    other = run_cli([*base, "--status", "completed"], env)
    assert other.returncode == 2
    assert "repeat that run's flags" in other.stderr
    assert "with --status any, not --status completed" in other.stderr
    assert "{" not in other.stderr and len(other.stderr.strip().splitlines()) == 1
    assert other.stdout == ""


def test_two_cursors_for_one_provider_are_refused(env: dict[str, str]) -> None:
    first = run_cli(["tasks", "-p", "serpstat", "--status", "any", "--limit", "1000"], env)
    token = first.stderr.strip().rsplit("--cursor ", 1)[1]
    result = run_cli(["tasks", "-p", "serpstat", "--cursor", token, "--cursor", token], env)
    assert result.returncode == 2 and "two --cursor" in result.stderr


# -- complete and honest listings -------------------------------------------------


def _first_cursor(env: dict[str, str]) -> str:
    first = run_cli(["tasks", "-p", "serpstat", "--status", "any", "--limit", "1000"], env)
    assert first.returncode == 0, first.stderr
    return first.stderr.strip().rsplit("--cursor ", 1)[1]


def test_status_next_to_cursor_is_checked_not_ignored(env: dict[str, str]) -> None:
    token = _first_cursor(env)
    other = run_cli(
        ["tasks", "-p", "serpstat", "--cursor", token, "--status", "completed", "--limit", "5"], env
    )
    assert other.returncode == 2, other.stderr
    assert other.stdout == ""
    assert "status=any" in other.stderr and "status=None" not in other.stderr
    assert len(other.stderr.strip().splitlines()) == 1
    assert token not in other.stderr  # never "continue with" the cursor just refused
    same = run_cli(["tasks", "-p", "serpstat", "--cursor", token, "--status", "any"], env)
    assert same.returncode == 0, same.stderr
    assert {json.loads(line)["status"] for line in same.stdout.splitlines()} > {"completed"}


@pytest.fixture(scope="module")
def capped_env() -> Iterator[dict[str, str]]:
    """A DataForSEO account with more ready SERP tasks than tasks_ready shows (1000)."""
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    with DataForSEOEmulator(seed=5, size=2500, recent=1.0, kinds=("serp/google/organic",)) as emu:
        result = _clean_env()
        for option, value in emu.settings.items():
            result[env_name("dataforseo", option)] = str(value)
        result[env_name("dataforseo", "families")] = "serp"
        yield result


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "table"])
def test_a_capped_listing_says_so_on_stderr(fmt: str, capped_env: dict[str, str]) -> None:
    result = run_cli(["tasks", "-p", "dataforseo", "--format", fmt], capped_env)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "capped" in line]
    assert len(lines) == 1, result.stderr
    assert "dataforseo" in lines[0] and "1 list" in lines[0]
    assert "seotasks collect" in lines[0] and "source=history" in lines[0]
    assert "capped" not in result.stdout


def test_a_long_pacing_wait_is_announced_once_after_the_first_tasks() -> None:
    # Every tasks_ready family: 21 calls against 20 a minute. Under --sandbox the minute
    # passes in a second; the wait is announced when it starts, with the way around it,
    # and the tasks of the pages already fetched are out before it.
    every = "serp,keywords_data,on_page,merchant,business_data,app_data,ai_optimization"
    args = ["tasks", "--sandbox", "-p", "dataforseo", "-o", f"families={every}"]
    result = subprocess.run(
        [sys.executable, "-m", "seotasks.cli", *args, "--format", "jsonl"],
        env=_clean_env(),
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
    result = run_cli(args, env)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--resume" not in result.stderr and "--cursor" not in result.stderr


def test_load_plugins_limit_is_named_not_called_missing(env: dict[str, str]) -> None:
    limited = {**env, "SEOTASKS_LOAD_PLUGINS": "serpstat"}
    result = run_cli(["tasks", "-p", "dataforseo"], limited)
    assert result.returncode == 2
    assert "SEOTASKS_LOAD_PLUGINS" in result.stderr and "pip install" not in result.stderr
    listing = run_cli(["providers"], {**env, "SEOTASKS_LOAD_PLUGINS": ""})
    assert listing.returncode == 0
    assert "SEOTASKS_LOAD_PLUGINS" in listing.stdout
    assert "no provider plugins installed" not in listing.stdout


def test_collect_by_id_without_kind_suggests_kind(env: dict[str, str]) -> None:
    result = run_cli(["collect", "-p", "dataforseo", "--id", "00000000-0000-0000-0000-1"], env)
    assert result.returncode == 4, result.stderr  # a failed task, named on its line
    (line,) = result.stdout.splitlines()
    assert "UnsupportedQuery" in line and "--kind" in json.loads(line)["error"]


def test_submit_with_bad_credentials_exits_3(env: dict[str, str], tmp_path: Path) -> None:
    specs = tmp_path / "specs.jsonl"
    specs.write_text(json.dumps({"keyword": "pizza", "location": 23, "language": 1}) + "\n")
    wrong = {**env, env_name("serpstat", "token"): "definitely-not-the-secret"}
    result = run_cli(["submit", "-p", "serpstat", str(specs)], wrong)
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
    result = run_cli(args, env, timeout=60)
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
    result = run_cli([*args, "--since", since.isoformat(), "--time-field", "completed_at"], env)
    assert result.returncode == 0, result.stderr
    got = {json.loads(line)["id"] for line in result.stdout.splitlines()}
    # Exactly the tasks finished since then, whenever they were created.
    assert got == {t.id for t in tasks if t.completed_at is not None and t.completed_at >= since}
    assert any(t.created_at < since for t in tasks if t.id in got)  # type: ignore[operator]
    refused = run_cli(
        ["tasks", "-p", "dataforseo", "--since", "2026-01-01", "--time-field", "completed_at"],
        env,
    )
    assert refused.returncode == 2 and "no completion time" in refused.stderr


# -- the terminal -------------------------------------------------------------------


def test_version_from_package_metadata() -> None:
    from importlib.metadata import version

    result = run_cli(["--version"], _clean_env())
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
    result = run_cli([command, "--help"], _clean_env())
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for word in words:
        assert word in text


def test_short_limit_quiet_and_summary(env: dict[str, str]) -> None:
    loud = run_cli(["tasks", "-p", "serpstat", "--status", "any", "-L", "1000"], env)
    assert loud.returncode == 0 and len(loud.stdout.splitlines()) == 1000
    assert "--cursor" in loud.stderr
    quiet = run_cli(["tasks", "-p", "serpstat", "--status", "any", "-L", "1000", "-q"], env)
    assert quiet.returncode == 0 and quiet.stdout == loud.stdout
    assert quiet.stderr == ""
    summary = run_cli(["tasks", "-p", "serpstat", "-p", "dataforseo", "--summary", "-q"], env)
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
        result = run_cli([*args, "--seed", str(seed), "--format", "jsonl", "-q"], _clean_env())
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
        result = run_cli(args, _clean_env())
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines()]

    ten_days_ago = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
    first = listing(ten_days_ago)
    assert len(first) > 1000 and listing(ten_days_ago) == first
    newest = max(str(r["created_at"]) for r in first)
    assert newest < (datetime.now(UTC) - timedelta(days=8)).isoformat()  # drawn around that day
    bad = run_cli(["tasks", "--sandbox", "-p", "serpstat", "--sandbox-day", "soon"], _clean_env())
    assert bad.returncode == 2 and "--sandbox-day" in bad.stderr


def test_progress_line_is_cleared_before_rows_on_one_terminal(env: dict[str, str]) -> None:
    import pty
    import re

    slow = {**_slow_env(env), "COLUMNS": "200"}
    main, child = pty.openpty()
    proc = subprocess.Popen(
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
    result = run_cli([*args, "--since", "2d"], env)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records
    floor = datetime.now(UTC).timestamp() - 2 * 86400 - 120
    assert all(datetime.fromisoformat(r["created_at"]).timestamp() >= floor for r in records)
    everything = run_cli(args, env).stdout.splitlines()
    assert len(records) < len(everything)
    # Continued with the same command, "2d" is the first run's two days: no CursorError.
    state = tmp_path / "run.json"
    first = run_cli([*args, "--since", "2d", "--resume", str(state), "-L", "5"], env)
    rest = run_cli([*args, "--since", "2d", "--resume", str(state)], env)
    assert first.returncode == 0 and rest.returncode == 0, rest.stderr
    assert first.stdout + rest.stdout == result.stdout


def test_a_refused_connection_is_one_line_without_a_resume_hint(env: dict[str, str]) -> None:
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = {**env, env_name("serpstat", "base_url"): f"http://127.0.0.1:{port}/rt/api/v2/"}
    result = run_cli(["tasks", "-p", "serpstat"], closed)
    assert result.returncode == 4, result.stderr
    assert "TransientError" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--resume" not in result.stderr and "--cursor" not in result.stderr
