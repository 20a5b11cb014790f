"""``seotasks collect`` stopped by signals: a SIGTERM ends a five-minute ``Retry-After``
wait, a second signal ends the run at once while calls hang; each time the tasks in
flight stay in the journal and the next run fetches them.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from clirun import CLI, popen
from collectkit import emu, env, intents, rerun, result_files, started
from seotasks_dataforseo.emulator import DataForSEOEmulator

from seotasks.emulation import Fault

__all__ = ["emu", "env"]  # the fixtures, found by pytest here


def test_sigterm_ends_a_five_minute_retry_after_and_the_task_is_fetched_next_run(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "o"
    truth = emu.ready_ids()
    emu.server.faults.retry_after = "300"
    emu.server.faults.inject(Fault.HTTP_429_RETRY_AFTER, 1, match="/task_get/")
    proc = started(env, "--to", str(out), "--workers", "2")
    deadline = time.monotonic() + 60
    # Wait until the rest is collected: one worker is then in its five-minute wait.
    while len(result_files(out / "dataforseo")) < len(truth) - 1:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    # A hang guard, not a measure: the Retry-After is five minutes (the unit test of the
    # transport proves the wait itself ends at once).
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 5, stderr.decode()
    assert "interrupted" in stderr.decode() and "Traceback" not in stderr.decode()
    assert len(intents(out)) == 1
    assert rerun(env, out).keys() == truth


def test_a_second_signal_ends_the_run_at_once_while_calls_hang(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    """The first signal waits for the calls in flight; the second does not wait for two
    that hang (it raised `KeyboardInterrupt`, which waited for them a minute): exit 5 at
    once, their tasks in the journal, fetched by the next run."""
    out = tmp_path / "o"
    truth = emu.ready_ids()
    emu.server.faults.slow_seconds = 20.0
    emu.server.faults.inject(Fault.SLOW, 2, match="/task_get/")
    proc = started(env, "--to", str(out), "--workers", "2")
    wait_until = time.monotonic() + 60
    while len(intents(out)) < 2:  # both workers have taken a task: both calls hang
        assert time.monotonic() < wait_until and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=15)  # a hang guard under the calls' 20 s
    assert proc.returncode == 5, stderr.decode()
    assert "interrupted" in stderr.decode() and "Traceback" not in stderr.decode()
    assert len(intents(out)) == 2 and not result_files(out / "dataforseo")
    assert rerun(env, out).keys() == truth


def test_a_stop_into_a_file_opened_with_gt_says_to_append(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    """``collect --to DIR > lines.jsonl`` stopped: "run the same command again", followed
    to the letter, emptied the lines of the first run (their paths and errors)."""
    out, lines = tmp_path / "o", tmp_path / "lines.jsonl"
    emu.server.faults.slow_seconds = 2.0
    emu.server.faults.inject(Fault.SLOW, 1, match="/task_get/")
    with lines.open("w") as sink:
        proc = popen(
            [*CLI, "collect", "-p", "dataforseo", "--to", str(out)],
            env=env,
            stdout=sink,
            stderr=subprocess.PIPE,
        )
        wait_until = time.monotonic() + 60
        while not intents(out):  # a call is out, and slow
            assert time.monotonic() < wait_until and proc.poll() is None
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)  # the call out ends, then the run
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 5, stderr.decode()
    assert "run the same command again appending (>> in place of >" in stderr.decode()
