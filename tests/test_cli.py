"""The `seotasks` command against the providers' emulators.

The emulators run in this test process (through each provider's `sandbox()`), and the
CLI reaches them over loopback through the same env vars a real user sets. The command
runs in this process too (`clihere`), except where the process is the point: its
start-up imports, and the listing interrupted by a signal.
"""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from clihere import run_here
from clirun import SERPSTAT_JSONL, piped, popen, run_process
from clisandbox import clean_env, library_tasks, secrets_of, slow_env

import seotasks
from seotasks.config import env_name
from seotasks.export import COLUMNS

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
    out = run_process(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "--resume" in out.stdout and "--sandbox" in out.stdout


@pytest.mark.parametrize(
    "args, needle",
    [
        (["tasks", "-p", "serpstat", "--status", "bogus"], "invalid choice"),
        (["tasks", "-p", "serpstat", "--limit", "-1"], "--limit: must be 0 or more, not -1"),
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
    result = run_here(args, env)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert "pip install" not in result.stderr
    assert result.stdout == ""
    if args:  # an error is one line, argparse's included (no command prints the help)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_missing_credentials_name_the_env_var() -> None:
    result = run_here(["tasks", "-p", "serpstat"], clean_env())
    assert result.returncode == 2
    assert "SEOTASKS_SERPSTAT_TOKEN" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name, option", [("serpstat", "token"), ("dataforseo", "password")])
def test_wrong_credentials_exit_3(
    name: str, option: str, env: dict[str, str], sandboxes: dict[str, seotasks.Sandbox]
) -> None:
    env = dict(env)
    env[env_name(name, option)] = "definitely-not-the-secret"
    result = run_here(["tasks", "-p", name, "--debug"], env)
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
    result = run_here(
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
    result = run_here(["tasks", "-p", "dataforseo", "--format", "csv"], env)
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
    table = run_here(["tasks", "-p", "dataforseo", "--format", "table"], env)
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0].startswith("PROVIDER") and len(lines) == len(tasks) + 2
    assert all(task.id[:35] in line for task, line in zip(tasks, lines[2:], strict=True))


def test_merged_stream_is_ordered_by_completion(env: dict[str, str]) -> None:
    result = run_here(["tasks", "-p", "dataforseo", "-p", "serpstat", "--format", "jsonl"], env)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["provider"] for r in records} == {"dataforseo", "serpstat"}
    keys = [(r["completed_at"] or r["created_at"], f"{r['provider']}:{r['id']}") for r in records]
    stamps = [(datetime.fromisoformat(t), k) for t, k in keys]
    assert stamps == sorted(stamps)
    assert len({k for _, k in keys}) == len(keys)


def test_limit_and_cursor_continue_exactly(env: dict[str, str]) -> None:
    full = run_here(SERPSTAT_JSONL, env)
    first = run_here(
        ["tasks", "-p", "serpstat", "--status", "any", "--format", "jsonl", "--limit", "1000"],
        env,
    )
    assert first.returncode == 0 and len(first.stdout.splitlines()) == 1000
    hint = first.stderr.strip().rsplit("--cursor ", 1)
    assert len(hint) == 2, first.stderr
    rest = run_here(
        ["tasks", "-p", "serpstat", "--status", "any", "--format", "jsonl", "--cursor", hint[1]],
        env,
    )
    assert rest.returncode == 0, rest.stderr
    assert first.stdout + rest.stdout == full.stdout


# -- interruption and resume ----------------------------------------------------------------


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
        if proc.poll() is not None:  # a signal to a finished run would prove nothing
            raise AssertionError(
                f"the listing ended (exit {proc.returncode}) before it could be stopped"
            )
        if out_path.stat().st_size >= 20_000 and state.exists():
            proc.send_signal(signal.SIGSTOP)
            if state.stat().st_mtime_ns >= out_path.stat().st_mtime_ns:
                return
            proc.send_signal(signal.SIGCONT)
        time.sleep(0.02)
    raise AssertionError("the listing never reached 20 kB of output with a checkpoint saved")


def _ids(text: str) -> list[str]:
    return [json.loads(line)["id"] for line in text.splitlines()]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_resume_after_interruption_yields_exactly_the_rest(
    sig: signal.Signals, env: dict[str, str], tmp_path: Path
) -> None:
    env = slow_env(env)
    full = _ids(run_here(SERPSTAT_JSONL, env).stdout)
    state = tmp_path / "resume.json"
    out_path = tmp_path / "first.jsonl"
    args = [*SERPSTAT_JSONL, "--resume", str(state)]
    with out_path.open("w") as out:
        proc = popen(
            [sys.executable, "-m", "seotasks.cli", *args],
            # A page every two seconds: 24 s or more for the whole listing, time to stop it
            # even on a loaded machine (stopped after its first 20 kB: seconds).
            env={**env, env_name("serpstat", "rps"): "0.5"},
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
    if sig is not signal.SIGKILL:  # SIGINT and SIGTERM: stopped gracefully, checkpoint saved
        assert proc.returncode == 5, stderr
        said = f"seotasks: interrupted after {len(first)} tasks; continue with --resume {state}"
        assert said in stderr
    saved = json.loads(state.read_text())
    assert saved["providers"]["serpstat"]["done"] is False
    second = run_here(args, env)
    assert second.returncode == 0, second.stderr
    rest = _ids(second.stdout)
    assert first + rest == full
    again = run_here(args, env)
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
        result = run_here(args, env)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout + result.stderr)
    assert "seotasks.transport" in outputs[0], "--debug should log the HTTP calls"
    for secret in secrets_of(sandboxes):
        assert all(secret not in text for text in outputs)


def test_sandbox_command_prints_usable_env(tmp_path: Path) -> None:
    result = run_here(["sandbox", "--duration", "0.5", "--seed", "3"], clean_env())
    assert result.returncode == 0, result.stderr
    assert "export SEOTASKS_SERPSTAT_BASE_URL=" in result.stdout
    assert "export SEOTASKS_DATAFORSEO_LOGIN=" in result.stdout
    # One note per emulator, in one form: the vendor's name, its URL, its size and seed.
    notes = [line for line in result.stderr.splitlines() if " emulator at " in line]
    assert [note.split()[2] for note in notes] == ["AcmeRank", "DataForSEO", "Serpstat"]
    assert all(re.search(r" \(\d+ (tasks|jobs), seed 3\)$", note) for note in notes), notes


def test_sandbox_serves_an_option_as_given_or_refuses_it() -> None:
    """``-o`` gives an account setting the emulator serves and exports; one it cannot
    serve was dropped without a word (the user's token replaced by the emulator's, the
    plan's rate left at one call a second)."""
    base = ["sandbox", "-p", "serpstat", "--duration", "0.2"]
    served = run_here([*base, "-o", "serpstat.rps=10"], clean_env())
    assert served.returncode == 0, served.stderr
    assert "export SEOTASKS_SERPSTAT_RPS=10.0\n" in served.stdout
    for option, why in (
        ("serpstat.token=abc", "sets its own token"),
        ("serpstat.page_size=200", "not an account setting the serpstat emulator serves"),
    ):
        refused = run_here([*base, "-o", option], clean_env())
        assert refused.returncode == 2 and why in refused.stderr, refused.stderr
        assert refused.stdout == "" and "abc" not in refused.stderr


def test_the_quick_start_shows_every_line_the_sandbox_prints() -> None:
    """The quick start's sample output of ``seotasks sandbox -p dataforseo -p serpstat``
    lacked the ``SEOTASKS_SERPSTAT_TIMEZONE`` line the command prints: a reader comparing
    the two saw an unexplained variable."""
    page = (Path(__file__).resolve().parent.parent / "docs" / "quickstart.md").read_text()
    sample = page.split("```text\n", 1)[1].split("```", 1)[0]
    shown = re.findall(r"^export (SEOTASKS_\w+)=", sample, re.MULTILINE)
    args = ["sandbox", "-p", "dataforseo", "-p", "serpstat", "--duration", "0.5"]
    result = run_here(args, clean_env())
    assert result.returncode == 0, result.stderr
    printed = re.findall(r"^export (SEOTASKS_\w+)=", result.stdout, re.MULTILINE)
    assert shown == printed


def test_sandbox_command_stops_cleanly_on_sigterm() -> None:
    """SIGTERM (a service manager, ``docker stop``) stops the foreground emulators the way
    Ctrl-C does: exit 0 and the port closed, not death by signal (exit 143)."""
    import socket
    from urllib.parse import urlsplit

    from clisandbox import sandbox_process

    with sandbox_process() as (server, line):
        url = urlsplit(line.partition("=")[2].strip().strip("'\""))
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    with pytest.raises(OSError), socket.create_connection((url.hostname, url.port), timeout=2):
        pass


def test_resume_file_refuses_another_query(env: dict[str, str], tmp_path: Path) -> None:
    state = tmp_path / "resume.json"
    base = ["tasks", "-p", "serpstat", "--format", "jsonl", "--resume", str(state)]
    first = run_here([*base, "--status", "any", "--limit", "10"], env)
    assert first.returncode == 0 and len(first.stdout.splitlines()) == 10
    other = run_here([*base, "--status", "completed"], env)
    assert other.returncode == 2
    assert "repeat that run's flags" in other.stderr
    assert "with --status any, not --status completed" in other.stderr
    assert "{" not in other.stderr and len(other.stderr.strip().splitlines()) == 1
    assert other.stdout == ""


@pytest.mark.parametrize("first_limit", [10, 1200], ids=["within-first-page", "past-a-page"])
def test_resume_without_status_continues_with_the_recorded_one(
    env: dict[str, str], tmp_path: Path, first_limit: int
) -> None:
    """An omitted ``--status`` means the checkpoint's, as it means the cursor's: the same
    command run again without the flag must continue the ``--status any`` listing, not be
    refused as a ``--status completed`` one, whether the first run stopped inside its
    first page (the file holds keys, no cursor) or after one."""
    state = tmp_path / "resume.json"
    base = ["tasks", "-p", "serpstat", "--format", "jsonl", "--resume", str(state)]
    first = run_here([*base, "--status", "any", "--limit", str(first_limit)], env)
    assert first.returncode == 0, first.stderr
    rest = run_here(base, env)
    assert rest.returncode == 0, rest.stderr
    whole = run_here(SERPSTAT_JSONL, env)
    assert whole.returncode == 0, whole.stderr
    resumed = first.stdout.splitlines() + rest.stdout.splitlines()
    assert len(resumed) == len(set(resumed))
    assert sorted(resumed) == sorted(whole.stdout.splitlines())
    assert {json.loads(line)["status"] for line in resumed} != {"completed"}


def test_two_cursors_for_one_provider_are_refused(env: dict[str, str]) -> None:
    first = run_here(["tasks", "-p", "serpstat", "--status", "any", "--limit", "1000"], env)
    token = first.stderr.strip().rsplit("--cursor ", 1)[1]
    result = run_here(["tasks", "-p", "serpstat", "--cursor", token, "--cursor", token], env)
    assert result.returncode == 2 and "two --cursor" in result.stderr


def test_resume_behind_a_reader_that_left_keeps_what_it_never_read(
    env: dict[str, str], tmp_path: Path
) -> None:
    """``--resume FILE | head -1``: the lines left unread in the pipe (a write succeeds
    once they are in the kernel's buffer) must not count as done in the checkpoint,
    else the resumed run skips them and no output ever held them."""
    full = _ids(run_here(SERPSTAT_JSONL, env).stdout)
    state = tmp_path / "resume.json"
    args = [*SERPSTAT_JSONL, "--resume", str(state)]
    proc = piped(args, env)
    assert proc.stdout is not None and proc.stderr is not None
    first = _ids(proc.stdout.readline().decode())  # `| head -1`
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in stderr
    rest = _ids(run_here(args, env).stdout)
    assert set(first) | set(rest) == set(full)
