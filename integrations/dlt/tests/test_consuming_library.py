"""The source used on its own (`seotasks_source` in the caller's dlt pipeline) over a
draining listing: one ``pipeline.run`` collects what it lists, into any destination.

`seotasks_dlt.load` reads a draining listing's tasks one dlt run after it loads their
rows (`test_consuming_worker_lost`); a source run alone has no later run of its own, and
a destination that answers no SQL gives no backfill: its listed tasks were set aside
run after run and never read (three runs into a sink: 300 task rows, 0 ``task_get``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
from dltenv import killed_run, ready_emulator
from seotasks_dlt import LoadSummary, Outbox, journal_folder, load, seotasks_source

from seotasks.clock import FakeClock

OPTIONS = {"families": ["serp"]}


def test_one_run_of_the_source_into_a_sink_collects_every_ready_task(tmp_path: Path) -> None:
    emulator = ready_emulator(100, seed=41)
    got: dict[str, list[Any]] = {}

    @dlt.destination(batch_size=50, name="memory")
    def memory(items: Any, table: Any) -> None:
        got.setdefault(table["name"], []).extend(items)

    try:
        truth = emulator.ready_ids(["serp"])
        with Outbox(journal_folder(tmp_path, "lib")) as outbox:
            pipeline = dlt.pipeline(
                pipeline_name="lib", destination=memory, pipelines_dir=str(tmp_path)
            )
            source = seotasks_source(
                ["dataforseo"],
                options={"dataforseo": {**emulator.settings, **OPTIONS}},
                clock=FakeClock(),
                collect=True,
                outbox=outbox,
            )
            pipeline.run(source)
            outbox.acknowledge()
        assert {row["id"] for row in got["results"]} == truth
        assert emulator.calls["other"] == len(truth)  # each read once
        assert emulator.ready_ids(["serp"]) == set()
    finally:
        emulator.stop()


def test_results_a_pending_package_loaded_are_not_loaded_again(tmp_path: Path) -> None:
    """A run killed between its normalize and its load left its results in a package and
    in the journal: the next run loads the package, then took the journal's copies too,
    and said "106 updated" of the command's own rows."""
    emulator = ready_emulator(40, seed=42)
    try:
        settings = {"dataforseo": {**emulator.settings, **OPTIONS}}
        pipelines, database = tmp_path / "p", tmp_path / "x.duckdb"

        def load_all() -> LoadSummary:
            return load(
                ["dataforseo"],
                to=database,
                pipelines_dir=pipelines,
                options=settings,
                clock=FakeClock(),
                collect=True,
            )

        load_all()  # the dataset exists: dlt keeps a pending package (it drops a first one)
        posted = datetime.now(UTC) - timedelta(hours=1)
        emulator.add_tasks(40, posted=posted, code=20000, delay=timedelta(minutes=1))
        before = emulator.calls["other"]
        with killed_run(pipelines, database, settings) as (pipeline, source):
            pipeline.extract(source)
            pipeline.normalize()  # killed here: a pending package, and the journal
        fetched = emulator.calls["other"] - before
        assert fetched > 30
        calls = emulator.calls["other"]
        summary = load_all()
        assert summary.pending_loaded
        assert emulator.calls["other"] == calls  # nothing read again
        for table in ("tasks", "results"):
            count = summary.tables[table]
            assert (count.rows, count.new) == (fetched, fetched), summary.line()
    finally:
        emulator.stop()
