"""Several accounts' pipelines loading into one PostgreSQL dataset at the same time.

The docs let them (``merge`` tables on a destination with transactions), and the
Airflow recipe maps one task per account, run in parallel. dlt stages a merge in a
dataset beside the tables (``<dataset>_staging``), whose tables each load empties first:
two pipelines sharing it emptied or doubled each other's staged rows, so whole accounts'
tasks and results went missing (exit 0, the journal acknowledged, the tasks consumed at
the vendor) or a load failed on a duplicate ``_dlt_id``. Each pipeline stages apart now.
"""

from __future__ import annotations

from pathlib import Path

from dltenv import SEOTASKS, at_once, cli_env, ready_emulator
from pgenv import Tables
from pgtest import Server

_ACCOUNTS = 3
_TASKS = 150


def test_accounts_loading_into_one_dataset_at_once_lose_nothing(
    server: Server, tmp_path: Path
) -> None:
    database = server.create_database("parallel")
    url = server.url(database)
    emulators = [ready_emulator(_TASKS, seed=11 + n) for n in range(_ACCOUNTS)]
    try:
        ready = [e.ready_ids(["serp"]) for e in emulators]
        truth = {("dataforseo", task_id) for ids in ready for task_id in ids}
        commands = []
        for n, emulator in enumerate(emulators):
            command = [*SEOTASKS, "load", "-p", "dataforseo", "-o", "families=serp"]
            command += ["--collect", "--to", url, "--pipeline", f"account{n}"]
            command += ["--pipelines-dir", str(tmp_path / f"pipelines{n}")]
            commands.append((command, cli_env(tmp_path, {"dataforseo": emulator.settings})))
        outcomes = at_once(commands)
    finally:
        for emulator in emulators:
            emulator.stop()
    assert len(truth) > _ACCOUNTS * _TASKS * 0.9  # the few sent to a postback are not listed
    tables = Tables(server, database)
    tables.assert_once_each(truth)
    tables.assert_results_match_completed()
    for ids, (stdout, _) in zip(ready, outcomes, strict=True):  # each says what it loaded
        assert f"tasks {len(ids)} rows ({len(ids)} new, 0 updated)" in stdout, stdout
