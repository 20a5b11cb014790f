"""Consuming reads into PostgreSQL: ``seotasks load --collect --to postgresql://...``
killed with SIGKILL at a random instant, then run to completion, holds every result
exactly once, as into DuckDB (`test_consuming`).

A warehouse load goes another way than DuckDB's: dlt stages rows in a staging schema and
merges them in its own transactions over a network connection, and the run holds an
advisory lock on the server (`test_destination_lock`), which a killed run must not leave
held. Three parts, each a killed run and the run that completes it.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from dltenv import cli_env, kill_once_then_finish, load_command, ready_emulator
from pgtest import Server


@pytest.mark.parametrize("part", range(3))
def test_sigkill_into_postgres_then_rerun_loads_every_result_once(
    part: int, tmp_path: Path, server: Server
) -> None:
    workers = 8
    rng = random.Random(64 + part)
    emulator = ready_emulator(200, seed=31 + part)
    try:
        truth = emulator.ready_ids(["serp"])
        database = server.create_database("kill")
        command = load_command(
            server.url(database), tmp_path / "p", "--workers", str(workers), fast=True
        )
        env = cli_env(tmp_path, {"dataforseo": emulator.settings})
        env["SEOTASKS_TEST_CLOCK_SPEED"] = "20"
        started = time.monotonic()
        kills, at = kill_once_then_finish(command, env, emulator, rng)
        rows = server.sql(database, "SELECT id, error FROM seotasks.results")
        ids = [str(i) for i, _ in rows]
        assert len(ids) == len(set(ids)), "a result was loaded twice"
        assert set(ids) == truth
        assert all(error is None for _, error in rows)
        calls = emulator.calls["other"]
        assert calls <= len(truth) + kills * workers, (calls, kills)
        tasks = [str(i) for (i,) in server.sql(database, "SELECT id FROM seotasks.tasks")]
        assert len(tasks) == len(set(tasks)) and set(tasks) >= truth
        print(
            f"{len(truth)} ready, {kills} kills (at {at} task_get calls), task_get {calls}, "
            f"{time.monotonic() - started:.0f} s"
        )
    finally:
        emulator.stop()
