"""``seotasks collect`` over a listing that drains (DataForSEO ``tasks_ready``) loses no
result, whatever stops it: SIGKILL at random instants, an unwritable folder, a closed
stdout, a vendor that answers for another task, a SIGTERM during an hour-long
``Retry-After``. What stops a run (a kill, a signal, a closed pipe, a full disk) stops
the real command, run as a subprocess against the emulator; the runs that follow, to
completion, run in this process (`clihere`).
"""

from __future__ import annotations

import json
import random
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import forkrun
import pytest
from clihere import run_here
from clirun import CLI, FAST_CLI, cli_env, kill_while_working, popen, ready_dataforseo, run_process
from collectkit import (
    KIND,
    KINDS,
    collect_env,
    emu,
    env,
    intents,
    journal_of,
    on_a_full_disk,
    rerun,
    result_files,
    started,
    task_gets,
    unwritable,
)
from seotasks_dataforseo.emulator import DataForSEOEmulator

from seotasks.emulation import Fault

__all__ = ["emu", "env"]  # the fixtures, found by pytest here


@pytest.mark.parametrize("part", range(4))
def test_sigkill_at_twenty_instants_loses_no_result_and_refetches_at_most_the_in_flight(
    part: int, tmp_path: Path
) -> None:
    """Twenty kills in four parts of five (xdist runs the parts side by side), each kill
    at a random instant in the half second after the run's first request, so it lands
    while the run lists, fetches or writes. After each part's re-runs: every result once,
    whole, nothing journalled, and task_get called at most once more per worker a kill
    could have caught in flight.

    Each run starts with 300 tasks ready: the list is topped up to that before it. A
    killed run fetches a hundred or more in its half second (task_get's window of 2000 a
    minute does not pace 300), so without it the third run found the list drained, ended
    before its kill, and the part ran out of runs (one part in three on a loaded machine)."""
    workers = 8
    rng = random.Random(24 + part)
    past = datetime.now(UTC) - timedelta(hours=1)

    def top_up(emu: DataForSEOEmulator, truth: set[str]) -> None:
        missing = 300 - len(emu.ready_ids())
        if missing > 0:
            added = emu.add_tasks(
                missing, kinds=KINDS, posted=past, code=20000, delay=timedelta(minutes=1)
            )
            truth.update(added)

    with DataForSEOEmulator(seed=8 + part, size=0, kinds=KINDS, enforce_limits=False) as emu:
        for kind in KINDS:
            emu.add_tasks(100, kinds=(kind,), posted=past, code=20000, delay=timedelta(minutes=1))
        truth = emu.ready_ids()
        assert len(truth) > 280
        env = {**collect_env(tmp_path, emu), "SEOTASKS_TEST_CLOCK_SPEED": "3"}
        out = tmp_path / "out"
        args = [
            *FAST_CLI,
            "collect",
            "-p",
            "dataforseo",
            "--to",
            str(out),
            "--workers",
            str(workers),
        ]
        kills = runs = 0
        while kills < 5:
            runs += 1
            assert runs <= 10, "the runs end before they can be killed"
            top_up(emu, truth)
            proc = popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            kills += kill_while_working(proc, emu.server.requests, rng.uniform(0, 0.5))
            proc.wait(timeout=60)
        for _ in range(5):  # a run ended by a loaded machine's exit 4: again until empty
            # To completion, nothing killed: in this process, the clock as fast.
            done = run_here(args[len(FAST_CLI) :], env, speed=3)
            # A task whose retries ran out on a loaded machine (exit 4) stays journalled
            # and is fetched by the next run: what matters is the end state.
            assert done.returncode in (0, 4), done.stderr
            if done.returncode == 0 and not emu.ready_ids() and not intents(out):
                break
        files = result_files(out / "dataforseo")
        assert files.keys() == truth
        for task_id, path in files.items():
            assert json.loads(path.read_bytes())["tasks"][0]["id"] == task_id
        assert not intents(out)
        gets = task_gets(emu)
        assert len(truth) <= gets <= len(truth) + kills * workers, (gets, kills)


def _refused(emu: DataForSEOEmulator, tmp_path: Path, args: list[str], code: int) -> str:
    """``seotasks collect -p dataforseo *args`` exits ``code`` before any vendor call (the
    emulator saw no request), with a one-line error and no traceback: that error."""
    done = run_here(["collect", "-p", "dataforseo", *args], collect_env(tmp_path, emu))
    assert done.returncode == code, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert emu.server.requests == []
    return done.stderr


def test_an_unwritable_to_is_refused_before_any_vendor_call(
    emu: DataForSEOEmulator, tmp_path: Path
) -> None:
    before = emu.ready_ids()
    error = _refused(emu, tmp_path, ["--to", str(unwritable(tmp_path))], 6)
    assert "StorageError" in error and "--to" in error
    assert emu.ready_ids() == before


def test_an_unwritable_resume_folder_is_refused_before_any_vendor_call(
    emu: DataForSEOEmulator, tmp_path: Path
) -> None:
    resume = unwritable(tmp_path) / "run.json"
    args = ["--to", str(tmp_path / "o"), "--resume", str(resume)]
    assert "--resume" in _refused(emu, tmp_path, args, 2)


def test_a_second_run_over_the_same_journal_is_refused(
    emu: DataForSEOEmulator, tmp_path: Path
) -> None:
    from seotasks.journal import Journal

    out = tmp_path / "o"
    with Journal.open(journal_of(emu, out), "dataforseo"):
        error = _refused(emu, tmp_path, ["--to", str(out)], 6)
    assert "another seotasks run" in error


def test_a_second_collect_into_the_same_folder_is_refused_whatever_its_journal(
    emu: DataForSEOEmulator, tmp_path: Path
) -> None:
    """Two collects of one provider into one folder (each with its own ``--journal``)
    fetched and printed the same tasks twice; the folder is one run's at a time."""
    from seotasks.store import lock_file

    out = tmp_path / "o"
    (out / "dataforseo").mkdir(parents=True)
    held = out / "dataforseo" / f".collect-{journal_of(emu, out).name}.lock"
    with lock_file(held, busy="held by the test"):
        error = _refused(emu, tmp_path, ["--to", str(out), "--journal", str(tmp_path / "j")], 6)
    assert f"another seotasks collect writes this dataforseo account's results in {out}" in error


def test_a_closed_stdout_stops_the_intake_and_every_fetched_result_is_written(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "o"
    truth = emu.ready_ids()
    proc = started(env, "--to", str(out), "--workers", "4")
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()  # `| head -1`
    proc.stdout.close()
    error = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, error
    assert json.loads(first)["path"]
    written = set(result_files(out / "dataforseo"))
    fetched = {r.path.rsplit("/", 1)[1] for r in emu.server.requests if "/task_get/" in r.path}
    assert fetched == written, "every task fetched has its file"
    assert not written & emu.ready_ids()
    assert written | emu.ready_ids() == truth
    assert len(written) < len(truth), "the intake stopped"
    assert "Traceback" not in error
    assert rerun(env, out).keys() == truth and not emu.ready_ids()


def test_a_closed_stdout_without_to_keeps_the_undelivered_in_the_journal(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    truth = emu.ready_ids()
    proc = started(env, "--workers", "4")
    assert proc.stdout is not None and proc.stderr is not None
    delivered = {json.loads(proc.stdout.readline())["task"]["id"]}
    proc.stdout.close()
    error = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, error
    again = run_here(["collect", "-p", "dataforseo"], env)
    assert again.returncode == 0, again.stderr
    second = {json.loads(line)["task"]["id"] for line in again.stdout.splitlines()}
    # At least once: no task is missing from the two runs' lines; the first run kept
    # every line it printed (the reader may not have read them) for the second to repeat.
    assert delivered | second == truth and not emu.ready_ids()
    assert delivered <= second
    journals = list((tmp_path / "state").rglob("*.intent.json"))
    assert journals == []


def test_a_closed_stdout_with_resume_checkpoints_only_the_lines_read(tmp_path: Path) -> None:
    """Serpstat lists collected tasks again, so no journal: the ``--resume`` checkpoint is
    what spares a re-run the work done. A line the reader never took (written into the
    pipe after it left, or refused with EPIPE) must not count as done there, else the
    re-run with the same checkpoint skips that task and its result is printed nowhere."""
    from seotasks_serpstat.emulator import SerpstatEmulator

    with SerpstatEmulator(size=60, rps=None) as emu:
        env = cli_env(tmp_path, {"serpstat": {**emu.settings, "rps": "20"}})
        truth = set(emu.task_ids("completed"))
        state = tmp_path / "collect.state"
        args = [*CLI, "collect", "-p", "serpstat", "--resume", str(state), "--workers", "4"]
        proc = popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None and proc.stderr is not None
        delivered = {json.loads(proc.stdout.readline())["task"]["id"]}  # `| head -1`
        proc.stdout.close()
        error = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 0, error
        assert "stdout was closed" in error
        again = run_here(["collect", "-p", "serpstat", "--resume", str(state)], env)
        assert again.returncode == 0, again.stderr
        second = [json.loads(line)["task"]["id"] for line in again.stdout.splitlines()]
        assert len(second) == len(set(second))
        assert delivered | set(second) == truth, "a result neither run's reader got"


def test_an_answer_for_another_task_is_an_error_and_no_file(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "o"
    emu.server.faults.inject(Fault.MISMATCHED_ID, 1, match="/task_get/")
    done = run_here(["collect", "-p", "dataforseo", "--to", str(out), "--workers", "1"], env)
    assert done.returncode == 4, done.stderr
    failed = [json.loads(line) for line in done.stdout.splitlines()]
    failed = [line for line in failed if line["error"]]
    assert len(failed) == 1 and "ResponseFormatError" in failed[0]["error"]
    assert "answered with task" in failed[0]["error"]
    bad = failed[0]["id"]
    assert bad not in result_files(out / "dataforseo") and failed[0]["path"] is None
    for task_id, path in result_files(out / "dataforseo").items():
        assert json.loads(path.read_bytes())["tasks"][0]["id"] == task_id
    # The asked task may have been consumed: its journal entry makes the next run fetch it.
    assert len(intents(out)) == 1
    assert bad in rerun(env, out)


def test_no_search_results_is_a_result_not_a_failure(tmp_path: Path) -> None:
    past = datetime.now(UTC) - timedelta(hours=1)
    with DataForSEOEmulator(seed=9, size=0, kinds=(KIND,)) as emu:
        empty = set(emu.add_tasks(3, posted=past, code=40102, delay=timedelta(minutes=1)))
        full = set(emu.add_tasks(3, posted=past, code=20000, delay=timedelta(minutes=1)))
        truth = emu.ready_ids()  # a seeded task may have gone to its callback instead
        out = tmp_path / "o"
        env = collect_env(tmp_path, emu)
        done = run_here(["collect", "-p", "dataforseo", "--to", str(out)], env)
        assert done.returncode == 0, done.stderr
        files = result_files(out / "dataforseo")
        assert files.keys() == (empty | full) & truth and len(files) >= 4
        for task_id in empty & truth:
            task = json.loads(files[task_id].read_bytes())["tasks"][0]
            assert task["status_code"] == 40102 and task["id"] == task_id
        assert not emu.ready_ids()


def test_a_disk_that_fills_mid_run_stops_the_intake_and_loses_nothing(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    """Writes beyond 16 KiB fail (RLIMIT_FSIZE, SIGXFSZ ignored): the probe and the small
    journal entries fit, a result does not, as on a disk that filled up mid-run."""
    out = tmp_path / "o"
    truth = emu.ready_ids()
    args = [*CLI, "collect", "-p", "dataforseo", "--to", str(out), "--workers", "2"]
    emu.app.result_padding = 64 * 1024  # every result is over the limit
    full = on_a_full_disk(args, env)
    assert full.returncode == 6, full.stderr
    assert "StorageError" in full.stderr and "Traceback" not in full.stderr
    assert not result_files(out / "dataforseo")
    fetched = task_gets(emu)
    assert 0 < fetched < len(truth), "the intake stopped instead of consuming every task"
    assert len(intents(out)) == fetched  # each consumed task is journalled
    emu.app.result_padding = 0
    assert rerun(env, out).keys() == truth


def test_two_accounts_into_one_folder_keep_each_others_journal(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    """Account A's run stops with results journalled (writes beyond 16 KiB fail, as on a
    full disk); account B's run into the same folder must leave them: fetched with B's
    login they are "not found", and they were dropped, A's results lost for good. Each
    account has its own journal, so A's next run delivers every one."""
    out = tmp_path / "o"
    truth = emu.ready_ids()
    emu.app.result_padding = 64 * 1024  # every result of A is over the limit
    args = [*CLI, "collect", "-p", "dataforseo", "--to", str(out), "--workers", "2"]
    full = on_a_full_disk(args, env)
    assert full.returncode == 6, full.stderr
    left = len(intents(out))
    assert left > 0
    emu.app.result_padding = 0
    with ready_dataforseo(5, seed=44, login="account-b") as other:
        done = run_here(
            ["collect", "-p", "dataforseo", "--to", str(out)], collect_env(tmp_path, other)
        )
        assert done.returncode == 0, done.stderr
        assert other.ready_ids() == set()  # B collected its own
    assert len(intents(out)) == left, "B's run took A's journalled tasks"
    assert rerun(env, out).keys() >= truth


def test_the_journal_is_the_accounts_whatever_the_listing_and_tuning_options() -> None:
    """Another login or host is another journal; another listing or tuning option, or the
    host's last ``/``, is the same one (else its entries would wait for the old value)."""
    import seotasks
    from seotasks.account import account_key

    def key(login: str = "me", **options: str) -> str | None:
        with seotasks.connect("dataforseo", login=login, password="pw-1", env={}, **options) as c:
            return account_key(c.provider)

    same = {key(), key(families="serp", page_size="10"), key(source="history")}
    # The host however spelled: two spellings split the journal (and the results folder's
    # lock), and a run with the other one never found the journalled tasks.
    spellings = (
        "https://api.dataforseo.com/",
        "HTTPS://API.dataforseo.com",
        "https://api.dataforseo.com:443",
        "https://api.dataforseo.com//",
        "https://api.dataforseo.com/./",
    )
    assert same == {key(base_url=url) for url in spellings}
    assert key(base_url="https://h.example//proxy/") == key(base_url="https://h.example/proxy")
    others = ("https://sandbox.dataforseo.com", "https://api.dataforseo.com:8443")
    assert len({key(), key(login="other"), *(key(base_url=url) for url in others)}) == 4


def test_a_closed_stderr_collects_as_usual(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    """Started with descriptor 2 closed (``2>&-``, a cron line that wants no mail), the run
    has nowhere to say anything, and collects anyway: every ready task gets its file."""

    out = tmp_path / "o"
    truth = emu.ready_ids()
    args = [*CLI, "collect", "-p", "dataforseo", "--to", str(out)]
    done = run_process(
        args, env=env, stdout=subprocess.PIPE, preexec_fn=forkrun.closing(2), timeout=120
    )
    assert done.returncode == 0
    assert result_files(out / "dataforseo").keys() == truth and not emu.ready_ids()
    assert len(done.stdout.splitlines()) == len(truth)


def test_a_stdout_closed_from_the_start_is_refused_before_any_fetch(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    """``>&-``: every result's line would go nowhere; found before any task is taken
    (8 were consumed and journalled first)."""

    ready = emu.ready_ids()
    args = [*CLI, "collect", "-p", "dataforseo", "--to", str(tmp_path / "o")]
    done = run_process(
        args, env=env, stderr=subprocess.PIPE, preexec_fn=forkrun.closing(1), timeout=120
    )
    assert done.returncode == 6, done.stderr
    assert b"cannot write to stdout: it is closed" in done.stderr
    assert emu.ready_ids() == ready and task_gets(emu) == 0


def test_a_full_stdout_keeps_each_unprinted_line_for_the_next_run(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    """``--to DIR > /dev/full``: the files are written, their lines cannot be. A task
    whose line was refused keeps its journal entry (its ack waited for the line), and the
    next run prints its line from the file: every task a file and a line."""
    out = tmp_path / "o"
    truth = emu.ready_ids()
    args = [*CLI, "collect", "-p", "dataforseo", "--to", str(out), "--workers", "4"]
    with open("/dev/full", "w") as full:
        done = run_process(args, env=env, stdout=full, stderr=subprocess.PIPE, timeout=120)
    assert done.returncode == 6 and b"No space left on device" in done.stderr
    stored = result_files(out / "dataforseo").keys()
    assert stored and len(intents(out)) >= len(stored)  # no line printed: none acked
    again = run_here(["collect", "-p", "dataforseo", "--to", str(out)], env)
    assert again.returncode == 0, again.stderr
    printed = [json.loads(line)["id"] for line in again.stdout.splitlines()]
    assert sorted(printed) == sorted(truth) and not intents(out)
    assert result_files(out / "dataforseo").keys() == truth


def test_a_run_with_to_appending_to_a_cut_line_starts_on_a_new_line(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "out.jsonl"
    cut = '{"provider": "dataforseo", "id": "cut-off-li'
    log.write_text(cut)
    args = [*CLI, "collect", "-p", "dataforseo", "--to", str(tmp_path / "o")]
    with log.open("a") as sink:
        assert run_process(args, env=env, stdout=sink, timeout=120).returncode == 0
    first, *lines = log.read_text().splitlines()
    assert first == cut and {json.loads(line)["id"] for line in lines} == set(emu.collected_ids())
