"""Benchmark 11: ``seotasks load --collect`` at volume, into DuckDB and into PostgreSQL.

100 000 tasks and 10 000 results (``--quick``: 5 000 and 500) through the real
command, each load in a fresh process, against the emulators running in this one:

* DataForSEO ``tasks_ready`` (family ``serp``) holding exactly 10 000 ready tasks: every
  one is listed and collected by a consuming ``task_get`` through the load's journal
  (`seotasks_dlt.Outbox`), with the emulator's own SERP results (about 8 KB each);
* Serpstat holding 90 000 tasks posted at the instant its data's clock stays at, so all of
  them are queued or running: listed (1000-row pages), never collected.

Destinations: a fresh DuckDB file (``--to``), and a fresh database on a real PostgreSQL 16
server this benchmark starts itself from the ``pgserver`` wheel (`pgtest.running`, as the
integration's tests do; ``--to postgresql://...``, so the load holds the destination lock).
For each: the command's wall time (process start to exit), its CPU time, its peak RSS (its own
``VmHWM``, `peakrss.run_measured`); then the row counts are checked at the destination
(every task once, every ready task's result once) and at the vendor (each ready task
fetched, 10 000 ``task_get`` calls in all: none twice).

seotasks' share: the same listing and collection without dlt, in a fresh process of its
own (`_alone`) against fresh emulators of the same data: ``client.pages`` of both
providers, the ``tasks`` row of each task, ``collect_many`` of the completed ones through
the same journal and outbox a load uses, the ``results`` row of each. Its time counts
from its first call to its last row (not its start-up, which the load's wall time holds
too), measured after each load.

Pacing is effectively off: every client's clock runs `SPEED` times faster (as
``SEOTASKS_TEST_CLOCK_SPEED`` does for the memory tests), so the vendors' 2000
``task_get`` a minute is not what is waited for; the emulators enforce no limit.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DLT_TESTS = HERE.parent / "integrations" / "dlt" / "tests"

#: How much faster than real time the clients' clock runs: pacing is not what is measured.
SPEED = 100.0
SEED = 11
#: (tasks, results) in all.
FULL = (100_000, 10_000)
QUICK = (5_000, 500)
KIND = "serp/google/organic"
#: The listing options of both providers, as the command's ``-o`` flags and as `connect`'s.
OPTIONS: dict[str, dict[str, Any]] = {
    "dataforseo": {"families": "serp"},
    "serpstat": {"page_size": 1000, "rps": 100.0},
}


class Emulators:
    """Both vendors' emulators in this process, holding the benchmark's data exactly."""

    def __init__(self, tasks: int, results: int) -> None:
        from seotasks_dataforseo.emulator import DataForSEOEmulator
        from seotasks_serpstat.emulator import SerpstatEmulator

        self.dfs = DataForSEOEmulator(seed=SEED, size=0, kinds=(KIND,), enforce_limits=False)
        posted = datetime.now(UTC) - timedelta(hours=1)
        # The seeded data sends a few tasks to a postback instead of tasks_ready: add until
        # exactly `results` are ready.
        while (ready := len(self.dfs.ready_ids(["serp"]))) < results:
            self.dfs.add_tasks(
                results - ready, posted=posted, code=20000, delay=timedelta(minutes=1)
            )
        if ready != results:
            raise AssertionError(f"{ready} ready tasks, wanted {results}")
        frozen = datetime.now(UTC)
        # All 90 000 listed: the vendor's 60 000-row cap is not what is measured.
        self.serp = SerpstatEmulator(seed=SEED, size=0, rps=None, now=lambda: frozen, max_rows=None)
        self.serp.add_tasks(tasks - results)
        self.ready = {("dataforseo", i) for i in self.dfs.ready_ids(["serp"])}
        self.truth = self.ready | {("serpstat", i) for i in self.serp.task_ids()}
        if len(self.truth) != tasks or self.serp.task_ids("completed"):
            raise AssertionError("the emulators do not hold the benchmark's data")
        self.dfs.start()
        self.serp.start()

    def settings(self) -> dict[str, dict[str, str]]:
        return {"dataforseo": self.dfs.settings, "serpstat": self.serp.settings}

    def check_fetched(self) -> None:
        """Every ready task fetched, each by exactly one ``task_get``: no result read twice."""
        fetched = {("dataforseo", i) for i in self.dfs.collected_ids()}
        calls = self.dfs.calls.get("other", 0)
        if fetched != self.ready or calls != len(self.ready):
            raise AssertionError(
                f"{len(fetched)} tasks fetched in {calls} task_get calls, {len(self.ready)} ready"
            )

    def stop(self) -> None:
        self.dfs.stop()
        self.serp.stop()


@contextlib.contextmanager
def emulators(tasks: int, results: int) -> Iterator[Emulators]:
    running = Emulators(tasks, results)
    try:
        yield running
    finally:
        running.stop()


def _command(to: str, tmp: Path) -> list[str]:
    args = ["load", "-p", "dataforseo", "-p", "serpstat", "--collect", "--to", to]
    for provider, values in OPTIONS.items():
        for key, value in values.items():
            args += ["-o", f"{provider}.{key}={value}"]
    return [*args, "--pipelines-dir", str(tmp / "pipelines")]


def _counts(query: Any) -> dict[str, tuple[int, int]]:
    """Rows and distinct ``(provider, id)`` keys of each table, by ``query(sql)``."""
    counts: dict[str, tuple[int, int]] = {}
    for table in ("tasks", "results"):
        [(rows, keys)] = query(
            f"SELECT count(*), count(DISTINCT (provider, id)) FROM {{t}}.{table}"
        )
        counts[table] = (int(rows), int(keys))
    return counts


def _check(query: Any, data: Emulators) -> None:
    """The destination holds every task once and every ready task's result once."""
    counts = _counts(query)
    want = {"tasks": len(data.truth), "results": len(data.ready)}
    for table, (rows, keys) in counts.items():
        if rows != want[table] or keys != rows:
            raise AssertionError(f"{table}: {rows} rows, {keys} keys; wanted {want[table]}")
    tasks = {(str(p), str(i)) for p, i in query("SELECT provider, id FROM {t}.tasks")}
    results = query("SELECT provider, id FROM {t}.results WHERE error IS NULL")
    if tasks != data.truth or {(str(p), str(i)) for p, i in results} != data.ready:
        raise AssertionError("the loaded keys are not the emulators' tasks and results")
    data.check_fetched()


def _load(size: tuple[int, int], server: Any) -> dict[str, float]:
    """One ``seotasks load --collect`` into a DuckDB file, or into a new database of
    ``server`` when given: seconds, CPU seconds, peak MB; the rows checked."""
    from dltenv import cli_env, duckdb_rows
    from peakrss import run_measured

    with tempfile.TemporaryDirectory() as tmp, emulators(*size) as data:
        env = cli_env(Path(tmp), data.settings())
        env["SEOTASKS_TEST_CLOCK_SPEED"] = str(SPEED)
        database = "" if server is None else server.create_database("bench")
        to = str(Path(tmp) / "bench.duckdb") if server is None else server.url(database)
        before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        done, peak = run_measured(_command(to, Path(tmp)), env)
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy = os.getloadavg()[0]
        if done.returncode != 0:
            raise RuntimeError(f"seotasks load failed: {done.stderr[-800:]}")
        if server is None:
            _check(lambda sql: duckdb_rows(Path(tmp) / "bench.duckdb", sql), data)
        else:
            _check(lambda sql: server.sql(database, sql.replace("{t}", "seotasks")), data)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"seconds": seconds, "cpu_s": cpu, "peak_mb": peak, "load_average": busy}


def _alone_measured(size: tuple[int, int]) -> dict[str, float]:
    """`_alone` in a fresh process against fresh emulators of the same data."""
    with tempfile.TemporaryDirectory() as tmp, emulators(*size) as data:
        done = subprocess.run(
            [sys.executable, __file__, "--alone", json.dumps(data.settings()), tmp],
            capture_output=True,
            text=True,
            timeout=900,
            env={**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false"},
        )
        if done.returncode != 0:
            raise RuntimeError(f"the listing alone failed: {done.stderr[-800:]}")
        figures: dict[str, float] = json.loads(done.stdout)
        if (figures["tasks"], figures["results"]) != (len(data.truth), len(data.ready)):
            raise AssertionError(f"the listing alone got {figures}")
        data.check_fetched()
    return figures


def _alone(settings: dict[str, dict[str, Any]], folder: Path) -> dict[str, float]:
    """seotasks' part of the load, without dlt: listing, rows, collection through the
    journal and outbox (kept, read, acknowledged and removed as a load does)."""
    from seotasks_dlt.outbox import Outbox
    from seotasks_dlt.rows import result_row, task_row

    import seotasks
    from seotasks.clock import ScaledClock
    from seotasks.model import TaskStatus

    # Not the imports: start-up, which the load's wall time holds too.
    started, cpu = time.perf_counter(), time.process_time()
    clock = ScaledClock(SPEED)
    tasks = results = 0
    with Outbox(folder / "journal") as outbox:
        for name, values in settings.items():
            with seotasks.connect(name, clock=clock, env={}, **values, **OPTIONS[name]) as c:
                deliveries = outbox.provider(name) if c.capabilities.drains else None
                for page in c.pages(status="any"):
                    tasks += len([task_row(t, None) for t in page.tasks])
                    todo = [t for t in page.tasks if t.status is TaskStatus.COMPLETED]
                    if deliveries is None:
                        collected = c.collect_many(todo, workers=8)
                    else:
                        collected = c.collect_many(
                            todo,
                            workers=8,
                            window=8,
                            journal=deliveries.journal,
                            into=deliveries.fetched,
                        )
                    for done in collected:
                        if done.error is not None:
                            raise RuntimeError(done.describe_error())
                        result = done.result
                        if done.path is not None and deliveries is not None:
                            kept = deliveries.keep(done.task.id, done.path)
                            result = json.loads(kept.read_bytes())
                            deliveries.delivered(done.task.id)
                        result_row(done.task, result, None, datetime.now(UTC))
                        results += 1
                    outbox.acknowledge()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    with open("/proc/self/status") as status:
        peak = next(line for line in status if line.startswith("VmHWM:"))
    return {
        "tasks": tasks,
        "results": results,
        "seconds": seconds,
        "cpu_s": cpu,
        "peak_mb": int(peak.split()[1]) / 1024,
    }


def _available(*modules: str) -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in modules)


def run(quick: bool = False) -> dict[str, Any]:
    """The figures of both destinations (a destination whose packages are not installed
    is left out: `table` says so)."""
    sys.path.insert(0, str(DLT_TESTS))
    size = QUICK if quick else FULL
    figures: dict[str, Any] = {"tasks": size[0], "results": size[1], "speed": SPEED}
    if not _available("seotasks_dlt"):
        return figures
    figures["duckdb"] = _load(size, None)
    figures["duckdb"]["alone"] = _alone_measured(size)
    if _available("pgserver", "psycopg2"):
        from pgtest import running

        with running() as server:
            figures["postgres"] = _load(size, server)
        figures["postgres"]["alone"] = _alone_measured(size)
    return figures


def table(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The rows of `run.py`'s table: per destination, the command's wall and CPU time,
    its peak RSS and seotasks' share of the wall time; the listing alone under it."""
    rows: list[tuple[str, str, str, str]] = []
    label = f"11 seotasks load --collect, {r['tasks']:,} tasks + {r['results']:,} results"
    for destination, name in (("duckdb", "DuckDB"), ("postgres", "PostgreSQL")):
        f = r.get(destination)
        if f is None:
            rows.append((label, f"-> {name}", "unavailable (make dlt)", "-"))
            continue
        alone, share = f["alone"], f["alone"]["seconds"] / f["seconds"] * 100
        rows.append(
            (
                label,
                f"-> {name} (load average {f['load_average']:.1f}): wall, CPU, peak RSS",
                f"{f['seconds']:.0f} s ({r['tasks'] / f['seconds']:,.0f} tasks/s), "
                f"CPU {f['cpu_s']:.0f} s, {f['peak_mb']:.0f} MiB",
                f"counts checked; seotasks {share:.0f} % / dlt and {name} {100 - share:.0f} %",
            )
        )
        rows.append(
            (
                "",
                "   listing + collect alone (no dlt), same data",
                f"{alone['seconds']:.0f} s, CPU {alone['cpu_s']:.0f} s, {alone['peak_mb']:.0f} MiB",
                "",
            )
        )
        label = ""
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--alone"]:
        print(json.dumps(_alone(json.loads(sys.argv[2]), Path(sys.argv[3]))))
    else:
        os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
        print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
