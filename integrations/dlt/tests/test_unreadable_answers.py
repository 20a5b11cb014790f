"""A vendor answer that cannot be read (another task's answer) loses no result: the next
collecting run fetches the task again.

DataForSEO's ``task_get`` on a ``tasks_ready`` task consumes it: the vendor lists it
there no more, while its result stays fetchable by id for 30 days. An answer for another
task is a `ResponseFormatError`: a fault of the answer,
not the vendor's verdict on the task. Its ``results`` row carried that error and was never
tried again, since only `TransientError` and `RateLimited` rows were, and the journal
entry went with the row's load: a load under 60 % of such faults kept 28 of 142 results
out of DuckDB for good, run after run. (``seotasks collect`` keeps such a task in its
journal for the next run.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from dltenv import duckdb_rows, ready_emulator
from seotasks_dlt import load

from seotasks.clock import FakeClock
from seotasks.emulation import Fault


def _collect(emulator: Any, tmp_path: Path, database: Path) -> None:
    """One collecting load of ``emulator``'s ``serp`` family into ``database``."""
    load(
        ["dataforseo"],
        to=database,
        pipelines_dir=tmp_path / "p",
        options={"dataforseo": {**emulator.settings, "families": ["serp"]}},
        clock=FakeClock(),
        collect=True,
    )


def test_an_unreadable_answer_is_fetched_again_by_the_next_run(tmp_path: Path) -> None:
    emulator = ready_emulator(40)
    try:
        truth = emulator.ready_ids(["serp"])
        database = tmp_path / "x.duckdb"

        emulator.server.faults.inject(Fault.MISMATCHED_ID, 6, match="task_get")
        _collect(emulator, tmp_path, database)
        failed = duckdb_rows(database, "SELECT error FROM {t}.results WHERE error IS NOT NULL")
        assert len(failed) == 6
        assert all(e.startswith("ResponseFormatError") for (e,) in failed), failed
        assert emulator.ready_ids(["serp"]) == set()  # consumed: no longer listed

        _collect(emulator, tmp_path, database)
        rows = duckdb_rows(database, "SELECT id, error FROM {t}.results")
        assert sorted(i for i, _ in rows) == sorted(truth)
        assert [i for i, e in rows if e is not None] == []
        assert emulator.calls["other"] == len(truth) + 6
    finally:
        emulator.stop()


def test_a_proxys_refusal_is_fetched_again_and_not_found_is_not(tmp_path: Path) -> None:
    """A proxy's or a firewall's 403 in front of the vendor is a `ProviderError` that
    says nothing of the task: its row was never tried again, the task already consumed
    by a cut read. Tried again now; the vendor's own "Task Not Found." (`NoResult`) is
    not: asking again gives the same answer, a call a run."""
    emulator = ready_emulator(30)
    try:
        truth = emulator.ready_ids(["serp"])
        database = tmp_path / "x.duckdb"

        emulator.server.faults.inject(Fault.MISMATCHED_ID, 4, match="task_get")
        _collect(emulator, tmp_path, database)  # 4 tasks consumed, their answers unread
        assert emulator.ready_ids(["serp"]) == set()
        emulator.server.faults.inject(Fault.HTTP_403, 100, match="task_get")
        _collect(emulator, tmp_path, database)  # asked again: the proxy refuses
        failed = duckdb_rows(database, "SELECT error FROM {t}.results WHERE error IS NOT NULL")
        assert len(failed) == 4 and all("vendor error 403" in e for (e,) in failed), failed

        emulator.server.faults.clear()
        _collect(emulator, tmp_path, database)
        rows = duckdb_rows(database, "SELECT id, error FROM {t}.results")
        assert sorted(i for i, _ in rows) == sorted(truth)
        assert [i for i, e in rows if e is not None] == []
        calls = emulator.calls["other"]
        assert calls == len(truth) + 4  # the proxy refused its 4 before the vendor

        gone = sorted(truth)[:3]
        for task_id in gone:  # the vendor no longer knows them: "Task Not Found."
            emulator.dataset.forget(emulator.dataset.by_id[task_id])
        with duckdb.connect(str(database)) as con:
            con.execute(
                "UPDATE x.seotasks.results SET error = 'ProviderError: stale' WHERE id IN "
                f"({', '.join('?' * len(gone))})",
                gone,
            )
        _collect(emulator, tmp_path, database)
        verdicts = duckdb_rows(database, "SELECT error FROM {t}.results WHERE error IS NOT NULL")
        assert len(verdicts) == 3 and all(e.startswith("NoResult: ") for (e,) in verdicts)
        _collect(emulator, tmp_path, database)
        assert emulator.calls["other"] == calls + 3  # the verdicts are asked once, no more
    finally:
        emulator.stop()


def test_a_result_the_destination_lost_is_fetched_again_though_marked_collected(
    tmp_path: Path,
) -> None:
    """The pipeline's state marks each collected task, so that a task listed again is
    not fetched again. A result row the destination lost (a restore, a table emptied,
    two loads that clobbered each other's staging) stayed lost: the destination said
    "no result" and the mark said "collected", and the mark won, run after run, though
    DataForSEO answers the task by id for 30 days. The destination wins now."""
    emulator = ready_emulator(30)
    try:
        truth = emulator.ready_ids(["serp"])
        database = tmp_path / "x.duckdb"

        _collect(emulator, tmp_path, database)
        lost = sorted(truth)[:5]
        with duckdb.connect(str(database)) as con:
            con.execute(
                f"DELETE FROM x.seotasks.results WHERE id IN ({', '.join('?' * len(lost))})", lost
            )
        calls = emulator.calls["other"]
        _collect(emulator, tmp_path, database)
        rows = duckdb_rows(database, "SELECT id FROM {t}.results")
        assert sorted(i for (i,) in rows) == sorted(truth)
        assert emulator.calls["other"] == calls + len(lost)  # those five, each once
    finally:
        emulator.stop()
