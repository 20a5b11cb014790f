"""`seotasks_source` in a dlt pipeline of the user's own, used the ways dlt allows.

A source object run twice (a scheduler that builds it once), a run with ``refresh=``,
and dlt's "extract now, load later" (a pipeline with no destination yet): each loaded
nothing, or no result, while reporting success.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest
from seotasks_dlt import seotasks_source
from seotasks_serpstat.emulator import SerpstatEmulator

from seotasks.clock import FakeClock


@pytest.fixture
def serpstat() -> Iterator[SerpstatEmulator]:
    with SerpstatEmulator(seed=4, size=60, rps=None) as emulator:
        yield emulator


def _source(emulator: SerpstatEmulator) -> Any:
    options = {"serpstat": {**emulator.settings, "rps": 100}}
    return seotasks_source(["serpstat"], collect=True, options=options, clock=FakeClock())


def _pipeline(tmp_path: Path, destination: Any = None) -> Any:
    return dlt.pipeline(
        pipeline_name="own",
        destination=destination,
        dataset_name="data",
        pipelines_dir=str(tmp_path / "pipelines"),
    )


def _counts(database: Path) -> tuple[int, int, int]:
    """Tasks, completed tasks, and results without an error, in ``database``."""
    with duckdb.connect(str(database), read_only=True) as con:
        [(tasks, completed)] = con.sql(
            "SELECT count(*), count(*) FILTER (status = 'completed') FROM own.data.tasks"
        ).fetchall()
        [(results,)] = con.sql(
            "SELECT count(*) FROM own.data.results WHERE error IS NULL"
        ).fetchall()
    return int(tasks), int(completed), int(results)


def test_the_same_source_object_run_again_lists_again(
    tmp_path: Path, serpstat: SerpstatEmulator
) -> None:
    database = tmp_path / "own.duckdb"
    pipeline = _pipeline(tmp_path, dlt.destinations.duckdb(str(database)))
    source = _source(serpstat)
    pipeline.run(source)
    assert _counts(database)[0] == 60
    serpstat.add_tasks(5)
    pipeline.run(source)  # loaded nothing: the first run's providers stayed finished
    tasks, completed, results = _counts(database)
    assert tasks == 65 and results == completed


@pytest.mark.parametrize("refresh", ["drop_sources", "drop_data", "drop_resources"])
def test_a_refreshed_run_collects_every_result_again(
    tmp_path: Path, serpstat: SerpstatEmulator, refresh: str
) -> None:
    """The results table, dropped when dlt loads the refresh, was asked at extract time
    which results it held: all of them, so none was fetched, and the run ended empty."""
    database = tmp_path / "own.duckdb"
    pipeline = _pipeline(tmp_path, dlt.destinations.duckdb(str(database)))
    pipeline.run(_source(serpstat))
    tasks, completed, results = _counts(database)
    assert tasks == 60 and results == completed > 0
    pipeline.run(_source(serpstat), refresh=refresh)
    assert _counts(database) == (tasks, completed, completed)


def test_extract_now_load_later(tmp_path: Path, serpstat: SerpstatEmulator) -> None:
    """A pipeline with no destination yet: the source asked it what it held and failed
    the extract ("Please provide destination argument")."""
    pipeline = _pipeline(tmp_path)
    pipeline.extract(_source(serpstat))
    database = tmp_path / "own.duckdb"
    later = _pipeline(tmp_path, dlt.destinations.duckdb(str(database)))  # the same, attached
    later.normalize()
    later.load()
    tasks, completed, results = _counts(database)
    assert tasks == 60 and results == completed > 0
