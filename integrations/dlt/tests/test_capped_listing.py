"""A vendor's capped list is said in the load's line, as `seotasks tasks` says it.

`seotasks load` went on with the tasks a capped list showed and said nothing: 1000 of
DataForSEO's 1072 ready tasks loaded, exit 0, no word (Serpstat's 60,000 rows the same).
A load that collects a draining list sees past the cap (each collected task makes room
for the next), so it has nothing to say (`test_load.py`, the drain past the cap).
"""

from __future__ import annotations

from pathlib import Path

from dltenv import SEOTASKS, cli_env, duckdb_rows, ready_emulator, run_to_completion


def test_a_capped_tasks_ready_list_is_said_in_the_load_line(tmp_path: Path) -> None:
    emulator = ready_emulator(1100, seed=21)
    try:
        assert len(emulator.ready_ids(["serp"])) > 1000
        database = tmp_path / "x.duckdb"
        command = [*SEOTASKS, "load", "-p", "dataforseo", "-o", "families=serp"]
        command += ["--to", str(database), "--pipelines-dir", str(tmp_path / "p")]
        env = cli_env(tmp_path, {"dataforseo": emulator.settings})
        done = run_to_completion(command, env)
    finally:
        emulator.stop()
    assert done.returncode == 0, done.stderr
    [(count,)] = duckdb_rows(database, "SELECT count(*) FROM {t}.tasks")
    assert count == 1000
    said = "dataforseo: the vendor capped a list: this listing may be incomplete; "
    assert said in done.stdout, done.stdout
