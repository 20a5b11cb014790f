"""A draining listing (DataForSEO ``tasks_ready``) collected by a worker that keeps no
disk: the pipelines folder (its journal included) is gone with a killed worker, and the
next worker starts from what the destination holds.

A ``task_get`` makes the vendor forget a ready task, and the journal that remembers
what a run fetched lives in the pipelines folder. Each run used to list a page and read
its tasks in one dlt run: a worker killed before that run's load took the tasks' ids
with it, and a measured loop of five kills, each followed by a fresh folder, ended with
614 of 1558 fetched results in neither table. Now a listed page's rows are loaded before
any of its tasks is read (the next run reads them, or its backfill, from the
destination): a result may have to be fetched again by id, never lost.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from dltenv import cli_env, duckdb_rows, load_command, ready_emulator, run_to_completion, start
from vendorcalls import task_gets


def test_a_worker_killed_with_its_disk_loses_no_fetched_result(tmp_path: Path) -> None:
    emulator = ready_emulator(300, seed=31)
    try:
        truth = emulator.ready_ids(["serp"])
        database = tmp_path / "x.duckdb"
        env = cli_env(tmp_path, {"dataforseo": emulator.settings})
        env["SEOTASKS_TEST_CLOCK_SPEED"] = "20"
        for worker in range(2):
            pipelines = tmp_path / f"worker-{worker}"
            command = load_command(database, pipelines, "--workers", "2", fast=True)
            process = start(command, env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            before = emulator.calls["other"]
            while emulator.calls["other"] < before + 40 and process.poll() is None:
                assert time.monotonic() < deadline, "the worker never read a result"
                time.sleep(0.005)
            os.kill(process.pid, signal.SIGKILL)  # mid-collection, results in its journal
            process.wait(timeout=30)
            shutil.rmtree(pipelines)  # the worker's disk is gone with it
        fetched = set(task_gets(emulator.server.requests))
        assert fetched, "no result was read before the kills"
        done = run_to_completion(load_command(database, tmp_path / "last", fast=True), env)
        assert done.returncode == 0, done.stderr
        rows = duckdb_rows(database, "SELECT id, error FROM {t}.results")
        loaded = {task_id for task_id, error in rows if error is None}
        assert fetched - loaded == set(), "results read from the vendor and never loaded"
        assert loaded == truth and len(rows) == len(truth)
        assert emulator.ready_ids(["serp"]) == set()
    finally:
        emulator.stop()
