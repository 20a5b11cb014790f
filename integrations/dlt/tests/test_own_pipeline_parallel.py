"""Own pipelines of several accounts loading into one PostgreSQL dataset at once.

`seotasks_dlt.load` takes turns in the dataset by itself; a `seotasks_source` run in
pipelines of the user's own did not, and three accounts at once lost results in four
rounds out of five, once a whole account's tasks (exit 0 each). Around each run,
`seotasks_dlt.dataset_turn` takes the same turns.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dltenv import at_once, cli_env
from pgenv import Tables
from pgtest import Server
from seotasks_dataforseo.emulator import DataForSEOEmulator

_RUN = Path(__file__).with_name("own_pipeline_run.py")


def test_own_pipelines_in_turn_lose_nothing(server: Server, tmp_path: Path) -> None:
    database = server.create_database("own")
    emulators = [
        DataForSEOEmulator(seed=21 + n, size=150, span_days=10, enforce_limits=False)
        for n in range(3)
    ]
    try:
        truth = set()
        commands = []
        for n, emulator in enumerate(emulators):
            emulator.start()
            truth |= {("dataforseo", i) for i in emulator.history_ids(families=["serp"])}
            env = cli_env(tmp_path, {"dataforseo": emulator.settings})
            env["OWN_RUN_URL"] = server.url(database)
            command = [sys.executable, str(_RUN), f"account{n}", str(tmp_path / f"p{n}")]
            commands.append((command, env))
        at_once(commands)
    finally:
        for emulator in emulators:
            emulator.stop()
    assert len(truth) > 150
    tables = Tables(server, database, dataset="seo")
    tables.assert_once_each(truth)
    tables.assert_results_match_completed()
