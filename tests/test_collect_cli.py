"""``seotasks collect`` against the emulators on loopback: files in ``--to DIR``, lines,
exit codes, skipping, ``--resume``, ``--follow`` with SIGTERM, and SIGKILL at random
moments followed by re-runs (every file exactly once, each whole). Runs that are signalled,
killed or watched on a terminal are subprocesses; the others run in this process
(`clihere`)."""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from clihere import run_here
from clirun import CLI, FAST_CLI, cli_env, kill_while_working, popen, run_process
from seotasks_dataforseo.emulator import DataForSEOEmulator

from seotasks.emulation import Fault

KIND = "serp/google/organic"
UNKNOWN = "00000000-1111-2222-3333-444444444444"


def _cmd(*args: str) -> list[str]:
    return [*CLI, "collect", *args]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_here(["collect", *args], env)


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def _files(folder: Path) -> dict[str, Path]:
    """Result files by task id; hidden temporary files are not results."""
    found: dict[str, Path] = {}
    if not folder.exists():
        return found
    for path in folder.iterdir():
        if path.name.startswith("."):
            continue
        task_id = path.name.removesuffix(".gz").removesuffix(".json")
        assert task_id not in found, f"two files for {task_id}"
        found[task_id] = path
    return found


def _read(path: Path) -> Any:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return json.loads(data)


@pytest.fixture
def emu() -> Any:
    past = datetime.now(UTC) - timedelta(hours=1)
    with DataForSEOEmulator(seed=3, size=0, kinds=(KIND,)) as emulator:
        emulator.add_tasks(120, posted=past, code=20000)
        yield emulator


@pytest.fixture
def env(emu: DataForSEOEmulator, tmp_path: Path) -> dict[str, str]:
    """The command's environment, configured for `emu` (see `cli_env`)."""
    return cli_env(tmp_path, {"dataforseo": emu.settings})


def test_to_dir_writes_one_file_per_task_and_a_line_each(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    truth = emu.ready_ids(["serp"])
    emu.server.faults.inject(Fault.HTTP_503, 2, match="task_get")
    emu.server.faults.inject(Fault.RESET, 1, match="task_get")
    done = _run(["-p", "dataforseo", "-o", "families=serp", "--to", str(out)], env)
    assert done.returncode == 0, done.stderr
    lines = _lines(done.stdout)
    assert {line["id"] for line in lines} == truth and len(lines) == len(truth)
    files = _files(out / "dataforseo")
    assert files.keys() == truth
    for line in lines:
        assert line["error"] is None and line["status"] == "completed"
        assert set(line) >= {"provider", "id", "kind", "created_at", "cost", "path"}
        assert Path(line["path"]) == files[line["id"]]
        assert _read(files[line["id"]])["tasks"][0]["id"] == line["id"]
    assert emu.ready_ids(["serp"]) == set() and emu.rate_limited == 0
    assert emu.password not in done.stdout + done.stderr


def test_a_failed_task_is_named_and_the_rest_are_written(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    ids = sorted(emu.ready_ids(["serp"]))[:5]
    args = ["-p", "dataforseo", "--kind", KIND, "--to", str(tmp_path / "o"), "--gzip"]
    for task_id in [*ids[:2], UNKNOWN, *ids[2:]]:
        args += ["--id", task_id]
    done = _run(args, env)
    assert done.returncode == 4, done.stderr
    by_id = {line["id"]: line for line in _lines(done.stdout)}
    assert by_id.keys() == {*ids, UNKNOWN}
    assert by_id[UNKNOWN]["path"] is None
    assert by_id[UNKNOWN]["error"].startswith("NoResult: ") and "40401" in by_id[UNKNOWN]["error"]
    files = _files(tmp_path / "o" / "dataforseo")
    assert files.keys() == set(ids)
    assert all(p.name.endswith(".json.gz") and _read(p)["tasks"][0]["id"] for p in files.values())
    assert "failed 1" in done.stderr


def test_without_to_lines_keep_their_shape_and_go_past_a_failure(
    emu: DataForSEOEmulator, env: dict[str, str]
) -> None:
    ids = sorted(emu.ready_ids(["serp"]))[:3]
    args = ["-p", "dataforseo", "--kind", KIND, "--workers", "2"]
    for task_id in [UNKNOWN, *ids]:
        args += ["--id", task_id]
    done = _run(args, env)
    assert done.returncode == 4, done.stderr
    records = {r["task"]["id"]: r for r in _lines(done.stdout)}
    assert records.keys() == {UNKNOWN, *ids}
    assert records[UNKNOWN]["result"] is None and "40401" in records[UNKNOWN]["error"]
    for task_id in ids:
        assert set(records[task_id]) == {"task", "result"}
        assert records[task_id]["result"]["tasks"][0]["status_code"] == 20000


def test_a_rerun_skips_what_is_in_dir_and_resume_skips_the_listing(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    out, state = tmp_path / "out", tmp_path / "collect.state"
    base = ["-p", "dataforseo", "-o", "source=history", "-o", "families=serp", "--to", str(out)]
    truth = emu.history_ids(status="completed", families=["serp"])
    first = _run([*base, "--limit", "30", "--resume", str(state)], env)
    assert first.returncode == 0, first.stderr
    first_ids = {line["id"] for line in _lines(first.stdout)}
    assert len(first_ids) == 30 and state.exists()
    second = _run([*base, "--resume", str(state)], env)
    assert second.returncode == 0, second.stderr
    second_ids = {line["id"] for line in _lines(second.stdout)}
    assert not first_ids & second_ids
    assert first_ids | second_ids == truth == _files(out / "dataforseo").keys()
    third = _run(base, env)  # no checkpoint: lists everything again, every file is there
    assert third.returncode == 0, third.stderr
    assert third.stdout == "" and f"skipped {len(truth)}" in third.stderr


def test_usage_errors(emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("x")
    for args, needle in [
        (["--workers", "0"], "--workers"),
        (["--workers", "65"], "--workers"),
        (["--gzip"], "--gzip"),
        (["--to", str(afile)], "not a directory"),
        (["--id", "x", "--follow"], "--id"),
        (["--id", "x", "--resume", str(tmp_path / "s")], "--id"),
    ]:
        done = _run(["-p", "dataforseo", *args], env)
        assert done.returncode == 2, (args, done.stderr)
        assert needle in done.stderr
    assert emu.calls["other"] == 0


def test_follow_collects_tasks_as_they_finish_until_sigterm(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = emu.ready_ids(["serp"])
    args = ["-p", "dataforseo", "-o", "families=serp", "--to", str(out), "--follow"]
    # Every client's clock 20 times faster (FAST_CLI): an idle listing every 3 s of its
    # time (0.15 s here; a hidden flag) is tasks_ready's 20 a minute, so a slow machine
    # never leaves the run waiting out the vendor's window before it sees the new tasks.
    # The emulator cannot count on the command's clock, so it does not limit.
    args += ["--interval", "3"]
    env = {**env, "SEOTASKS_TEST_CLOCK_SPEED": "20"}
    emu.app.enforce_limits = False
    # Output goes to files, not pipes: nothing reads a pipe while the test waits, and a
    # full pipe (64 KiB: ~110 result lines with a long tmp path) would block the writer.
    out_file, err_file = tmp_path / "stdout", tmp_path / "stderr"
    with (
        out_file.open("w") as stdout_sink,
        err_file.open("w") as stderr_sink,
        popen(
            [*FAST_CLI, "collect", *args], env=env, stdout=stdout_sink, stderr=stderr_sink
        ) as proc,
    ):
        try:
            _wait_for(lambda: _files(out / "dataforseo").keys() == first, timeout=180)
            added = emu.add_tasks(15, posted=datetime.now(UTC) - timedelta(hours=1), code=20000)
            # tasks_ready shows those a callback did not take (the seeded data draws a few
            # as delivered), the rule the fixture's 120 follow too.
            later = {i for i in added if not emu.task(i)["delivered"]}
            assert later
            _wait_for(lambda: _files(out / "dataforseo").keys() == first | later, timeout=180)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    stdout, stderr = out_file.read_text(), err_file.read_text()
    assert proc.returncode == 0, stderr
    assert {line["id"] for line in _lines(stdout)} == first | later
    assert len(_lines(stdout)) == len(first | later)
    # The last line says how to go on, as after a stop without --follow (it said nothing):
    # into a file opened as ``>`` opens it, appending, or the lines of this run are gone.
    last = stderr.rstrip().splitlines()[-1]
    assert last.endswith(
        "; stopped: run the same command again appending (>> in place of >, which would "
        "empty this run's output)"
    ), stderr


def _wait_for(condition: Any, timeout: float = 30.0) -> None:
    # Generous bounds: a passing run returns as soon as the condition holds; the bound
    # only decides how long a broken one hangs (a loaded 2-core CI machine took > 30 s).
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.05)


def test_sigkill_at_random_moments_then_rerun_leaves_every_file_once_and_whole(
    tmp_path: Path,
) -> None:
    # source=history: a task stays listed after it is collected, so a task fetched but
    # not yet written when the process died is collected again by the next run.
    past = datetime.now(UTC) - timedelta(hours=2)
    rng = random.Random(17)
    with DataForSEOEmulator(seed=4, size=0, kinds=(KIND,), enforce_limits=False) as emu:
        truth: set[str] = set()
        out = tmp_path / "out"

        def top_up() -> None:
            """Each run starts with 400 tasks not yet collected: without, the later runs
            (a listing of the history skips what earlier ones stored) found little left,
            ended before their kill, and on a quiet machine only 2 of 8 were killed."""
            missing = 400 - len(truth - _files(out / "dataforseo").keys())
            if missing > 0:
                emu.add_tasks(missing, posted=(past - timedelta(days=3), past), code=20000)
                truth.update(emu.history_ids(status="completed", families=["serp"]))

        # Every client's clock 5 times faster: the kills need a run busy, not a long one.
        env = {**cli_env(tmp_path, {"dataforseo": emu.settings}), "SEOTASKS_TEST_CLOCK_SPEED": "5"}
        args = [
            *FAST_CLI,
            "collect",
            *("-p", "dataforseo", "-o", "source=history", "-o", "families=serp"),
            *("--to", str(out), "--workers", "8"),
        ]
        seen: list[str] = []
        kills = 0
        for run in range(6):
            top_up()
            # A file, not a pipe: nothing reads a pipe while the run works until its kill.
            lines = tmp_path / f"run{run}.jsonl"
            with lines.open("w") as sink:
                proc = popen(args, env=env, stdout=sink, stderr=subprocess.DEVNULL)
                # At a random instant in the half second after its first request.
                kills += kill_while_working(proc, emu.server.requests, rng.uniform(0, 0.5))
                proc.wait(timeout=60)
            # A killed writer may leave its last line cut: the whole ones are results.
            stdout = lines.read_text()
            seen += [json.loads(line)["id"] for line in stdout.splitlines() if line.endswith("}")]
            for path in _files(out / "dataforseo").values():
                assert _read(path)["tasks"][0]["id"] == path.name.removesuffix(".json")
        assert kills >= 3, kills
        # The run to completion, nothing killed: in this process, the clock as fast.
        done = run_here(args[len(FAST_CLI) :], env, speed=5)
        assert done.returncode == 0, done.stderr
        seen += [line["id"] for line in _lines(done.stdout)]
        files = _files(out / "dataforseo")
        assert files.keys() == truth
        for task_id, path in files.items():
            assert _read(path)["tasks"][0]["id"] == task_id
        assert set(seen) <= truth
        assert len(seen) == len(set(seen)), "a task was reported by two runs"
        assert not [
            p
            for p in (out / "dataforseo").iterdir()
            if not p.name.endswith(".json") and not p.name.startswith(".")
        ]


def test_time_field_collects_what_finished_since(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    done = sorted(emu.task(i)["done"] for i in emu.history_ids(families=["serp"]))
    cutoff = done[len(done) // 2]
    history = ["-p", "dataforseo", "-o", "source=history", "-o", "families=serp"]
    args = [*history, "--since", cutoff.isoformat(), "--time-field", "completed_at"]
    result = _run([*args, "--to", str(tmp_path / "out")], env)
    assert result.returncode == 0, result.stderr
    expected = emu.history_ids(since=cutoff, families=["serp"], time_field="completed_at")
    assert set(_files(tmp_path / "out" / "dataforseo")) == expected
    assert 0 < len(expected) < len(done)
    # tasks_ready items carry no completion time: refused, not an empty success.
    refused = _run(
        ["-p", "dataforseo", "--since", cutoff.isoformat(), "--time-field", "completed_at"], env
    )
    assert refused.returncode == 2 and "no completion time" in refused.stderr
    assert (
        _run(["-p", "dataforseo", "--id", "x", "--time-field", "completed_at"], env).returncode == 2
    )


def test_auth_errors_end_the_run_with_exit_3(emu: DataForSEOEmulator, tmp_path: Path) -> None:
    env = cli_env(tmp_path, {"dataforseo": {**emu.settings, "password": "wrong-password-123"}})
    listed = _run(["-p", "dataforseo", "-o", "families=serp", "--to", str(tmp_path / "o")], env)
    assert listed.returncode == 3, listed.stderr
    ids = sorted(emu.ready_ids(["serp"]))[:20]
    named = ["-p", "dataforseo", "--kind", KIND, "--to", str(tmp_path / "o")]
    for task_id in ids:
        named += ["--id", task_id]
    done = _run(named, env)
    assert done.returncode == 3, done.stderr
    assert "AuthError" in done.stderr and "wrong-password-123" not in done.stdout + done.stderr
    assert not _files(tmp_path / "o" / "dataforseo")


def test_serpstat_collects_to_files_too(tmp_path: Path) -> None:
    from seotasks_serpstat.emulator import SerpstatEmulator

    with SerpstatEmulator(size=60, rps=None) as emu:
        env = cli_env(tmp_path, {"serpstat": {**emu.settings, "rps": "50"}})
        out = tmp_path / "out"
        done = _run(["-p", "serpstat", "--to", str(out), "--workers", "4"], env)
        assert done.returncode == 0, done.stderr
        lines = _lines(done.stdout)
        files = _files(out / "serpstat")
        assert {line["id"] for line in lines} == files.keys() and files
        assert all("tops" in _read(path) for path in files.values())
        again = _run(["-p", "serpstat", "--to", str(out)], env)
        assert again.returncode == 0 and again.stdout == ""


def test_an_interrupted_listing_that_does_not_drain_says_a_rerun_starts_over(
    tmp_path: Path,
) -> None:
    """Serpstat lists a collected task again: without ``--to`` or ``--resume`` the same
    command would print every result again, so the hint names what continues instead."""
    from seotasks_serpstat.emulator import SerpstatEmulator

    with SerpstatEmulator(size=60, rps=None) as emu:
        env = cli_env(tmp_path, {"serpstat": {**emu.settings, "rps": "2"}})
        with popen(
            [*CLI, "collect", "-p", "serpstat", "--workers", "1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        ) as proc:
            assert proc.stdout is not None and proc.stdout.readline()
            proc.send_signal(signal.SIGINT)
            _, stderr_bytes = proc.communicate(timeout=60)
    stderr = stderr_bytes.decode()
    assert proc.returncode == 5, stderr
    # Announced at once, before the calls in flight end: a quiet wait invites a second ^C.
    assert stderr.startswith("seotasks collect: stopping after the calls in flight;"), stderr
    assert "run the same command again to collect the rest" not in stderr
    assert "collects every task again" in stderr and "--to DIR" in stderr
    assert "--resume FILE" in stderr


def test_progress_line_on_a_terminal(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    import pty

    primary, secondary = pty.openpty()
    try:
        done = run_process(
            _cmd("-p", "dataforseo", "-o", "families=serp", "--to", str(tmp_path / "o")),
            env=env,
            stdout=subprocess.PIPE,
            stderr=secondary,
            timeout=120,
        )
        os.close(secondary)
        secondary = -1
        shown = b""
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if secondary != -1:
            os.close(secondary)
        os.close(primary)
    assert done.returncode == 0
    text = shown.decode(errors="replace")
    assert "seotasks: collected" in text and "/min" in text


def test_an_unfinished_task_is_an_error_not_a_file(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    posted = datetime.now(UTC) - timedelta(minutes=10)  # past its first, "handed", minute
    [queued] = emu.add_tasks(1, posted=posted, code=20000, delay=timedelta(hours=1))
    args = ["-p", "dataforseo", "--kind", KIND, "--id", queued, "--to", str(tmp_path / "o")]
    done = _run(args, env)
    assert done.returncode == 4, done.stderr
    [line] = _lines(done.stdout)
    assert line["path"] is None and "40602" in line["error"]
    assert not _files(tmp_path / "o" / "dataforseo")


def test_a_relative_since_resumes_from_a_cursor(tmp_path: Path) -> None:
    """``collect --since 6d --resume FILE`` stopped past its first page (a cursor) and run
    again, as its message says: "6d" must mean six days before the first run, the time
    the cursor carries, as it does for ``seotasks tasks``. It was counted from the second
    run instead, and the same command was refused with a `CursorError` (exit 2)."""
    from seotasks_serpstat.emulator import SerpstatEmulator

    import seotasks

    with SerpstatEmulator(size=300, rps=None) as emu:
        # Pages of 100: a first run of 150 stops past its first page, with a cursor.
        settings = {**emu.settings, "rps": "100", "page_size": "100"}
        env = cli_env(tmp_path, {"serpstat": settings})
        out, state = tmp_path / "out", tmp_path / "collect.state"
        base = ["-p", "serpstat", "--to", str(out), "--since", "6d", "--resume", str(state)]
        first = _run([*base, "--limit", "150"], env)
        assert first.returncode == 0, first.stderr
        assert json.loads(state.read_text())["providers"]["serpstat"]["cursor"] is not None
        time.sleep(1.5)  # the next run's "6d" is another second (times are in seconds)
        second = _run(base, env)
        assert second.returncode == 0, second.stderr
        first_ids = {line["id"] for line in _lines(first.stdout)}
        second_ids = {line["id"] for line in _lines(second.stdout)}
        assert len(first_ids) == 150 and second_ids and not first_ids & second_ids
        since = datetime.fromisoformat(json.loads(state.read_text())["window"]["since"])
        with seotasks.connect("serpstat", **{**emu.settings, "rps": 100}) as client:
            truth = {task.id for task in client.tasks(since=since)}
        assert first_ids | second_ids == truth == _files(out / "serpstat").keys()
