"""Consuming reads (DataForSEO ``tasks_ready``) through ``seotasks load --collect``: a
result fetched is never lost, whatever kills the run and whenever.

`task_get` on a ready task removes it from ``tasks_ready``; before the journal, a run killed
after fetching left those results nowhere (they never reached DuckDB). Here: a run that died after its fetches is followed by one that loads them
without asking the vendor again, and ``seotasks load`` SIGKILLed at twenty random instants
ends, once re-run to completion, with every result exactly once and the vendor asked at
most once more per task in flight at each kill.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from dltenv import (
    SEOTASKS,
    cli_env,
    duckdb_rows,
    kill_once_then_finish,
    killed_run,
    load_command,
    ready_emulator,
    run_process,
    start,
)
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_dlt import LoadSummary, journal_folder, load

from seotasks.clock import FakeClock

OPTIONS = {"families": ["serp"]}


def _results(database: Path) -> list[tuple[str, str | None]]:
    return [(i, e) for i, e in duckdb_rows(database, "SELECT id, error FROM {t}.results")]


def _entries(pipelines: Path) -> list[Path]:
    folder = journal_folder(pipelines, "seotasks") / "dataforseo"
    return sorted(folder.glob("*.intent.json")) if folder.exists() else []


def _load_again(
    pipelines: Path, database: Path, settings: dict[str, str], **options: str
) -> LoadSummary:
    """The next run, ``load --collect`` of DataForSEO into ``database``, as a user would
    (``options``: listing options besides `OPTIONS`)."""
    return load(
        ["dataforseo"],
        to=database,
        pipelines_dir=pipelines,
        options={"dataforseo": {**settings, **OPTIONS, **options}},
        clock=FakeClock(),
        collect=True,
    )


def _extract_and_lose(pipelines: Path, database: Path, settings: dict[str, str]) -> None:
    """A run that fetched every ready task and died before its load: the package it
    extracted is lost with the pipeline's working folder (dlt wipes that folder when it
    finds local data and no dataset, exactly the state such a run leaves)."""
    with killed_run(pipelines, database, {"dataforseo": {**settings, **OPTIONS}}) as (
        pipeline,
        source,
    ):
        pipeline.extract(source)
    shutil.rmtree(pipelines / "seotasks")


def test_results_a_dead_run_fetched_are_loaded_next_run_without_fetching_again(
    tmp_path: Path,
) -> None:
    emulator = ready_emulator(300)
    try:
        truth = emulator.ready_ids(["serp"])
        pipelines, database = tmp_path / "p", tmp_path / "x.duckdb"
        _extract_and_lose(pipelines, database, emulator.settings)
        assert emulator.ready_ids(["serp"]) == set()  # consumed: the vendor forgot them
        fetched = emulator.calls["other"]
        assert fetched == len(truth)
        assert len(_entries(pipelines)) == len(truth)

        summary = _load_again(pipelines, database, emulator.settings)
        assert emulator.calls["other"] == fetched  # from the kept copies, no vendor call
        results = _results(database)
        assert sorted(i for i, _ in results) == sorted(truth)
        assert all(error is None for _, error in results)
        assert f"{len(truth)} results an interrupted run fetched were loaded" in summary.line()
        assert _entries(pipelines) == []  # acknowledged once loaded
        fetched_dir = journal_folder(pipelines, "seotasks") / "dataforseo" / "fetched"
        assert list(fetched_dir.iterdir()) == []
    finally:
        emulator.stop()


@attrs.frozen
class _DeadRun:
    """A ``tasks_ready`` run that fetched every ready task and died before its load."""

    emulator: DataForSEOEmulator
    truth: set[str]
    pipelines: Path
    database: Path
    fetched: int  # task_get calls it made

    def load_again(self, **options: str) -> LoadSummary:
        return _load_again(self.pipelines, self.database, self.emulator.settings, **options)


@pytest.fixture
def dead_run(tmp_path: Path) -> Iterator[_DeadRun]:
    emulator = ready_emulator(120)
    try:
        truth = emulator.ready_ids(["serp"])
        pipelines, database = tmp_path / "p", tmp_path / "x.duckdb"
        _extract_and_lose(pipelines, database, emulator.settings)
        yield _DeadRun(emulator, truth, pipelines, database, emulator.calls["other"])
    finally:
        emulator.stop()


def test_a_history_run_loads_what_a_dead_ready_run_fetched_without_fetching_again(
    dead_run: _DeadRun,
) -> None:
    """The journal of a killed ``tasks_ready`` run is delivered by the next run whatever
    its listing: one of ``source=history`` fetched every such task again by id (paid
    calls) and left the entries pending until a ``tasks_ready`` run came."""
    summary = dead_run.load_again(source="history")
    truth, loaded = dead_run.truth, {i for i, _ in _results(dead_run.database)}
    assert truth <= loaded
    # Only the tasks the history lists beyond the ready list (those the seeded data sent
    # to a pingback) were fetched: none of the kept ones again.
    assert dead_run.emulator.calls["other"] - dead_run.fetched == len(loaded - truth) < 5
    assert f"{len(truth)} results an interrupted run fetched were loaded" in summary.line()
    assert _entries(dead_run.pipelines) == []


def test_an_entry_without_its_kept_result_is_fetched_again_by_id(dead_run: _DeadRun) -> None:
    """Killed between the vendor's answer and the write of the result: the entry alone
    brings the task back, fetched again by id (the one extra call the journal costs)."""
    outbox = journal_folder(dead_run.pipelines, "seotasks") / "dataforseo"
    for path in sorted((outbox / "fetched").iterdir())[:7]:
        path.unlink()
    dead_run.load_again()
    assert dead_run.emulator.calls["other"] == dead_run.fetched + 7
    assert sorted(i for i, _ in _results(dead_run.database)) == sorted(dead_run.truth)
    assert _entries(dead_run.pipelines) == []


@pytest.mark.parametrize("part", range(20))
def test_sigkill_at_twenty_random_instants_then_rerun_loads_every_result_once(
    part: int, tmp_path: Path
) -> None:
    """Nothing lost by a kill, for ``load --collect``: ``seotasks load`` killed with SIGKILL
    at 20 random instants, in twenty parts of one (each part a killed run and the run that
    completes it, a few seconds; xdist runs them side by side) over 150 ready tasks
    each, then run to completion: every result once in DuckDB, and task_get
    called at most the tasks + kills x workers times. Each kill falls at a random instant
    within a second of the run's first vendor call (not of its start: a kill while Python
    imports tests nothing, and on a loaded machine a fixed delay fell there every time).
    Every run paces on a clock 20 times faster (the vendor's 2000 task_get a minute is not
    under test), so that second reaches past the listing into collecting, writing, loading
    and acknowledging, as the journal a killed run left is loaded by the next. 150 tasks,
    not more: with 300 every kill of a sample of twenty fell while fetching (at 0 to 250
    task_get calls); with 150, half fell after the last fetch, while the results were
    being loaded or acknowledged, where a lost result would hide."""
    workers = 8
    rng = random.Random(24 + part)
    emulator = ready_emulator(150, seed=11 + part)
    try:
        truth = emulator.ready_ids(["serp"])
        assert len(truth) > 135
        database, pipelines = tmp_path / "x.duckdb", tmp_path / "p"
        command = load_command(database, pipelines, "--workers", str(workers), fast=True)
        env = cli_env(tmp_path, {"dataforseo": emulator.settings})
        env["SEOTASKS_TEST_CLOCK_SPEED"] = "20"
        started = time.monotonic()
        kills, at = kill_once_then_finish(command, env, emulator, rng)
        elapsed = time.monotonic() - started
        results = _results(database)
        ids = [i for i, _ in results]
        assert len(ids) == len(set(ids)), "a result was loaded twice"
        assert set(ids) == truth
        assert all(error is None for _, error in results)
        calls = emulator.calls["other"]
        assert calls <= len(truth) + kills * workers, (calls, kills)
        assert _entries(pipelines) == []
        print(
            f"{len(truth)} ready, {kills} kills (at {at} task_get calls), task_get {calls} "
            f"(bound {len(truth) + kills * workers}), {elapsed:.0f} s"
        )
    finally:
        emulator.stop()


def test_a_killed_sandbox_run_is_delivered_by_the_next_on_another_port(tmp_path: Path) -> None:
    """``load --sandbox --collect`` killed with results journalled: the next run's
    emulator listens on another port, and the journal, keyed on the account with its
    port, was "another dataforseo account's" to every later run (exit 4, for good).
    Keyed on the account on any loopback port, the next run delivers it, each once."""
    env = cli_env(tmp_path, {})
    command = [
        *SEOTASKS,
        "load",
        *("--sandbox", "--sandbox-size", "600", "--seed", "3", "-p", "dataforseo"),
        *("--collect", "--to", str(tmp_path / "r.duckdb"), "--pipelines-dir", str(tmp_path)),
    ]
    journal = journal_folder(tmp_path, "seotasks_sandbox_3_600") / "dataforseo"
    process = start(command, env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not any(journal.glob("*.json")) and process.poll() is None:
        assert time.monotonic() < deadline, "the run journalled nothing"
        time.sleep(0.005)
    process.kill()
    process.communicate(timeout=60)
    assert any(journal.glob("*.intent.json")), "the run ended before the kill: nothing owed"
    done = run_process(command, env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not any(journal.glob("*.intent.json"))  # delivered, each entry
    ids = [str(i) for (i,) in duckdb_rows(tmp_path / "r.duckdb", "SELECT id FROM {t}.results")]
    assert ids and len(ids) == len(set(ids))
