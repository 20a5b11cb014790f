"""A run killed just after dlt committed an insert job into PostgreSQL, before it marked
the job done, is completed by the next run, every result once.

dlt runs the job again; its rows were committed, and PostgreSQL's unique key on
``_dlt_id`` refused them: every later run exited 6 ("run the same command again"), for
good, while the results fetched (consumed at the vendor) sat in the staging table and the
journal and the vendor's ready list aged out. DuckDB has no such key (dlt's merge then
drops the repeated staging rows).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from dltenv import cli_env, load_command, ready_emulator, run_process
from pgtest import Server

DIE = [sys.executable, str(Path(__file__).with_name("die_after_commit_cli.py"))]


@pytest.mark.parametrize("table", ["results", "tasks", "_dlt_pipeline_state"])
def test_a_run_killed_after_a_committed_insert_is_completed_by_the_next(
    table: str, tmp_path: Path, server: Server
) -> None:
    emulator = ready_emulator(40, seed=71)
    try:
        truth = emulator.ready_ids(["serp"])
        database = server.create_database("committed")
        command = load_command(server.url(database), tmp_path / "p")
        env = cli_env(tmp_path, {"dataforseo": emulator.settings})
        died = run_process(
            [*DIE, *command[3:]],
            {**env, "SEOTASKS_TEST_DIE_AFTER": table},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert died.returncode == 9, died.stderr
        again = run_process(command, env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        ids = [str(i) for (i,) in server.sql(database, "SELECT id FROM seotasks.results")]
        assert len(ids) == len(set(ids)) and set(ids) == truth
        tasks = [str(i) for (i,) in server.sql(database, "SELECT id FROM seotasks.tasks")]
        assert len(tasks) == len(set(tasks)) and set(tasks) >= truth
        assert emulator.calls["other"] == len(truth)  # each result fetched once
    finally:
        emulator.stop()
