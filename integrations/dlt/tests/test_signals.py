"""SIGTERM (what Airflow, Kubernetes and systemd send first) and SIGINT stop ``seotasks
load`` cleanly: no new work, what was fetched is loaded, exit 5 saying to run it again; a
second signal stops at once, and nothing fetched is lost even then.

Before, SIGTERM killed ``load`` at once (rc -15): with consuming reads, 2000 of 3035 ready
tasks were lost.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from pathlib import Path

import pytest
from dltenv import (
    Started,
    cli_env,
    duckdb_rows,
    load_command,
    ready_emulator,
    run_to_completion,
    start,
)
from seotasks_dataforseo.emulator import DataForSEOEmulator

from seotasks.emulation import Fault

#: The calls a run can have in flight when it stops: one per worker (8), and the listing's.
IN_FLIGHT = 8 + 1


def _slow(emulator: DataForSEOEmulator, seconds: float) -> None:
    """Every task_get answers ``seconds`` late: a run lasts long enough to be signalled."""
    emulator.server.faults.slow_seconds = seconds
    emulator.server.faults.schedule([Fault.SLOW], rate=1.0, seed=1, match="task_get")


class Run:
    """``seotasks load --collect`` of ``emulator``'s ready tasks (``truth``) in a child
    process, to be signalled, then run again to the end."""

    def __init__(self, tmp_path: Path, emulator: DataForSEOEmulator, *extra: str) -> None:
        self.emulator = emulator
        self.truth = emulator.ready_ids(["serp"])
        self.database = tmp_path / "x.duckdb"
        self.command = load_command(self.database, tmp_path / "p", *extra)
        #: The run again to the end, on a clock 20 times faster: the vendor's pace (2000
        #: task_get a minute) is not under test there, what it loads is.
        self.rerun = load_command(self.database, tmp_path / "p", *extra, fast=True)
        self.env = cli_env(tmp_path, {"dataforseo": emulator.settings})

    def start(self, fetches: int) -> Started:
        """The load, started; returns once the vendor has answered ``fetches`` calls."""
        process = start(
            self.command, self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while self.emulator.calls.get("other", 0) < fetches:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no fetches"
            time.sleep(0.02)
        return process

    def signalled(self, sig: signal.Signals) -> tuple[Started, str]:
        """The load, started and sent ``sig`` once 40 fetches were answered, and the
        notice it wrote on stderr when its stop was set."""
        process = self.start(40)
        process.send_signal(sig)
        assert process.stderr is not None
        return process, process.stderr.readline()

    def loaded(self) -> set[str]:
        query = "SELECT id FROM {t}.results WHERE error IS NULL"
        return {i for (i,) in duckdb_rows(self.database, query)}

    def rerun_loads_the_exact_set(self) -> None:
        """Run again with no fault: every ready task's result, once each."""
        self.emulator.server.faults.clear()
        env = {**self.env, "SEOTASKS_TEST_CLOCK_SPEED": "20"}
        done = run_to_completion(self.rerun, env)
        assert done.returncode == 0, done.stderr
        ids = [i for (i,) in duckdb_rows(self.database, "SELECT id FROM {t}.results")]
        assert len(ids) == len(set(ids)) and set(ids) == self.truth


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_intake_loads_what_was_fetched_and_exits_5(
    tmp_path: Path, sig: signal.Signals
) -> None:
    emulator = ready_emulator(200)
    try:
        _slow(emulator, 0.2)
        run = Run(tmp_path, emulator)
        process, notice = run.signalled(sig)
        asked = len(emulator.server.requests)
        out, rest = process.communicate(timeout=60)
        err = notice + rest
        assert process.returncode == 5, err
        # The intake stopped: after the stop, the vendor saw no call but those in flight
        # (counted by the vendor, not timed: a busy machine takes seconds to load).
        assert len(emulator.server.requests) - asked <= IN_FLIGHT
        assert "run the same command again" in err
        assert "interrupted" in out  # the summary line says so too
        # The stop is announced at once (it lasts as long as the loading), then its end.
        notice, end = [line for line in err.splitlines() if line]
        assert notice.startswith("seotasks load: stopping after the calls in flight"), err
        assert "signal again to stop at once" in notice
        assert end.startswith("seotasks load: interrupted;"), err
        # What the vendor answered (and so forgot) is in DuckDB: nothing fetched was lost.
        consumed = emulator.collected_ids()
        assert consumed and consumed < run.truth
        assert run.loaded() == consumed

        run.rerun_loads_the_exact_set()
    finally:
        emulator.stop()


def test_a_second_signal_stops_at_once_and_loses_nothing(tmp_path: Path) -> None:
    emulator = ready_emulator(200)
    try:
        _slow(emulator, 0.2)
        run = Run(tmp_path, emulator)
        process = run.start(40)
        process.send_signal(signal.SIGTERM)
        # The second signal only once the first was handled: sent before, the kernel
        # merges it with the first, still pending (one of a kind), and the run stops
        # gracefully instead, which a busy machine made happen now and then.
        assert process.stderr is not None
        notice = process.stderr.readline()
        assert notice.startswith("seotasks load: stopping"), notice
        process.send_signal(signal.SIGTERM)
        err = process.stderr.read()
        assert process.wait(timeout=30) == 5, err
        assert process.stdout is not None and process.stdout.read() == ""  # no summary
        assert "interrupted at once" in err and "run the same command again" in err
        assert "Traceback" not in err

        run.rerun_loads_the_exact_set()
    finally:
        emulator.stop()


def test_sigterm_ends_a_five_minute_retry_after_and_the_task_comes_back_next_run(
    tmp_path: Path,
) -> None:
    """A 429 asks to wait five minutes: SIGTERM ends that wait (the transport's interrupt), the
    rest is loaded, exit 5; the task whose fetch never happened is fetched next run."""
    emulator = ready_emulator(30)
    try:
        emulator.server.faults.retry_after = "300"
        emulator.server.faults.inject(Fault.HTTP_429_RETRY_AFTER, 1, match="/task_get/")
        run = Run(tmp_path, emulator, "--workers", "2")
        # Every other task answered: one worker is then in its five-minute wait.
        process = run.start(len(run.truth) - 1)
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        # The five-minute wait ends at once (the transport's own tests check it ended by
        # the stop): had it not, the run would outlast this guard by minutes.
        _, err = process.communicate(timeout=120)
        assert process.returncode == 5, err
        assert "run the same command again" in err and "Traceback" not in err
        loaded = run.loaded()
        assert loaded == emulator.collected_ids()
        assert len(run.truth - loaded) == 1  # the one whose fetch waited

        run.rerun_loads_the_exact_set()
    finally:
        emulator.stop()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signals_again_and_again_end_the_run_once_with_one_line(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """Ctrl-C pressed again and again (or a scheduler signalling every few ms): after the
    notice, the next signal ends the run, exit 5, one line. Each signal used to raise
    `KeyboardInterrupt` wherever the run was: 6 of 6 such runs printed a traceback (a
    finalizer's, a thread pool's join), "seotasks: interrupted" after the line, or died
    by SIGINT (-2)."""
    emulator = ready_emulator(200)
    try:
        _slow(emulator, 0.2)
        run = Run(tmp_path, emulator)
        process, notice = run.signalled(sig)
        assert notice.startswith("seotasks load: stopping"), notice
        while process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)
            time.sleep(0.002)
        err = process.stderr.read()
        assert process.wait() == 5, err
        assert err.splitlines() == [
            "seotasks load: interrupted at once; nothing fetched is lost: "
            "run the same command again"
        ]

        run.rerun_loads_the_exact_set()
    finally:
        emulator.stop()
