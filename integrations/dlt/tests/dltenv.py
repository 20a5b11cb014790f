"""Test helpers: both vendors' emulators on loopback, and loads into a DuckDB file in tmp_path.

The emulators do not enforce their rate limits here (the ``kill`` test runs the CLI in
another process, whose pacer cannot share this process's fake clock); the in-process
loads pace themselves on a `FakeClock`, so vendor minutes cost no wall time.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import dlt
import duckdb
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_dlt import LoadSummary, Outbox, journal_folder, load, seotasks_source
from seotasks_dlt.duckdb_file import open_duckdb
from seotasks_serpstat.emulator import SerpstatEmulator

from seotasks.clock import FakeClock
from seotasks.config import env_name
from seotasks.emulation import HttpRequest

#: The core's test helpers: `run_here` and ``fastclock_cli.py`` are shared with its suites.
CORE_TESTS = Path(__file__).resolve().parents[3] / "tests"
if str(CORE_TESTS) not in sys.path:
    sys.path.append(str(CORE_TESTS))  # after this folder: its own modules come first

import forkrun  # noqa: E402
from clihere import run_here  # noqa: E402

#: The ``seotasks`` command, run by the interpreter running the tests (the project's venv).
SEOTASKS = [sys.executable, "-m", "seotasks.cli"]
#: Only guards against a hang: how long a held Serpstat answer waits for its release.
HANG = 600.0
#: The same command with every client's clock ``SEOTASKS_TEST_CLOCK_SPEED`` times faster
#: (the core's ``tests/fastclock_cli.py``): the vendor's pacing shrinks, nothing else.
FAST_SEOTASKS = [sys.executable, str(CORE_TESTS / "fastclock_cli.py")]
#: What the processes `start` forks have imported already: what ``seotasks load`` imports.
PRELOAD = (
    "seotasks.cli",
    "seotasks.cli.load",
    "seotasks_dlt",
    "seotasks_dataforseo",
    "seotasks_serpstat",
    "duckdb",
    "dlt.destinations.impl.duckdb.duck",
    "dlt.destinations.impl.postgres.postgres",
)


#: A process `start` started (forked, or a fresh interpreter where that is asked).
Started = forkrun.Started


def start(command: list[str], env: Mapping[str, str] | None, **streams: Any) -> Started:
    """``command`` in a process of its own (`forkrun.popen`: forked warm, having imported
    `PRELOAD`), as `subprocess.Popen` takes it (``stdout``, ``stderr``, ``text``, ``cwd``)."""
    return forkrun.popen(command, env=env, preload=PRELOAD, **streams)


def run_process(
    command: list[str], env: Mapping[str, str] | None, **options: Any
) -> subprocess.CompletedProcess[str]:
    """``command`` run to its end in a process of its own (`forkrun.run`), as
    `subprocess.run` takes it (``capture_output``, ``text``, ``timeout``, ``cwd``)."""
    return forkrun.run(command, env=env, preload=PRELOAD, **options)


#: The one DataForSEO kind of `ready_emulator`'s tasks.
KIND = "serp/google/organic"

#: The DataForSEO id_list families listed (fixed here: the provider's default may grow).
FAMILIES = ("serp", "keywords_data", "merchant")
#: Listing options that give many pages from small data sets.
OPTIONS: dict[str, dict[str, Any]] = {
    "dataforseo": {"source": "history", "page_size": 100, "families": list(FAMILIES)},
    "serpstat": {"page_size": 100, "rps": 100.0},
}


#: The listing options of a command-line load of both emulators (`Env.command`).
CLI_OPTIONS = [
    "-o",
    "dataforseo.source=history",
    "-o",
    "dataforseo.families=" + ",".join(FAMILIES),
    "-o",
    "serpstat.page_size=100",
    "-o",
    "serpstat.rps=100",
]


@attrs.define(eq=False)
class Env:
    """Two running emulators and a place to load them into (all of it under ``tmp``)."""

    tmp: Path
    dfs: DataForSEOEmulator
    serp: SerpstatEmulator
    clock: FakeClock = attrs.field(init=False, factory=FakeClock)

    @property
    def database(self) -> Path:
        return self.tmp / "seotasks.duckdb"

    @property
    def pipelines(self) -> Path:
        return self.tmp / "pipelines"

    def options(self, **extra: dict[str, Any]) -> dict[str, dict[str, Any]]:
        chosen = {
            "dataforseo": {**self.dfs.settings, **OPTIONS["dataforseo"]},
            "serpstat": {**self.serp.settings, **OPTIONS["serpstat"]},
        }
        for name, values in extra.items():
            chosen[name] = {**chosen[name], **values}
        return chosen

    def load(self, **kwargs: Any) -> LoadSummary:
        options = self.options(**kwargs.pop("extra", {}))
        providers = kwargs.pop("providers", ["dataforseo", "serpstat"])
        options = {name: options[name] for name in providers}
        return load(
            providers,
            to=self.database,
            pipelines_dir=self.pipelines,
            options=options,
            clock=self.clock,
            **kwargs,
        )

    def command(self, *destination: str, pipelines: Path | None = None) -> list[str]:
        """``seotasks load`` of both emulators (`CLI_OPTIONS`) into ``destination`` (its
        flags; default ``--to`` the test's DuckDB file), run by `environment`."""
        return [
            *SEOTASKS,
            *("load", "-p", "dataforseo", "-p", "serpstat", *CLI_OPTIONS),
            *(destination or ("--to", str(self.database))),
            *("--pipelines-dir", str(pipelines or self.pipelines)),
        ]

    def environment(self, url: str | None = None) -> dict[str, str]:
        """This process's environment plus the emulators' settings, no dlt telemetry, and
        the Postgres destination at ``url`` if one is given."""
        chosen = dict(os.environ)
        for provider, emulator in (("dataforseo", self.dfs), ("serpstat", self.serp)):
            for key, value in emulator.settings.items():
                chosen[env_name(provider, key)] = str(value)
        if url is not None:
            chosen["DESTINATION__POSTGRES__CREDENTIALS"] = url
        chosen["RUNTIME__DLTHUB_TELEMETRY"] = "false"
        return chosen

    def pipeline(self, name: str) -> Any:
        """A dlt pipeline of the test's own, into ``<tmp>/<name>.duckdb`` (dataset
        ``data``): for running a source by hand rather than through `load`."""
        import dlt

        return dlt.pipeline(
            pipeline_name=name,
            destination=dlt.destinations.duckdb(str(self.tmp / f"{name}.duckdb")),
            dataset_name="data",
            pipelines_dir=str(self.pipelines),
        )

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.sql(query.replace("{t}", "seotasks.seotasks")).fetchall()

    def keys(self, table: str = "tasks") -> list[tuple[str, str]]:
        return [(p, i) for p, i in self.sql(f"SELECT provider, id FROM {{t}}.{table}")]

    def hold_serpstat(self) -> threading.Event:
        """Serpstat answers nothing until the returned event is set: a first run holds
        its locks until the test lets it go on. (Pages answered late held them for a
        dozen seconds, which a busy machine took to start the second run: the first had
        finished, and the second was not refused.)"""
        released = threading.Event()

        def hold(request: HttpRequest) -> None:
            released.wait(HANG)

        self.serp.server.on_request = hold
        return released

    def truth(self) -> set[tuple[str, str]]:
        """Every task the emulators list now (DataForSEO history, Serpstat 7 days)."""
        dfs = {("dataforseo", i) for i in self.dfs.history_ids(families=FAMILIES)}
        return dfs | {("serpstat", i) for i in self.serp.task_ids()}


def cli_env(tmp: Path, settings: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """This process's environment for a ``seotasks`` subprocess: none of the developer's
    ``SEOTASKS_*`` variables, no real profile, no dlt telemetry, each provider's
    ``settings`` (``{"dataforseo": emulator.settings}``) as its variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEOTASKS_")}
    env["SEOTASKS_CONFIG"] = str(tmp / "absent.toml")
    env["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    for provider, values in settings.items():
        for option, value in values.items():
            env[env_name(provider, option)] = str(value)
    return env


def ready_emulator(count: int, *, seed: int = 3) -> DataForSEOEmulator:
    """A started DataForSEO emulator with ``count`` tasks added, done a minute after
    posting an hour ago, of one kind (nearly all in ``tasks_ready``: the seeded data set
    sends a few to a postback instead; `DataForSEOEmulator.ready_ids` is the truth). No
    rate limits enforced: a CLI subprocess paces itself on the real clock."""
    emulator = DataForSEOEmulator(seed=seed, size=0, kinds=(KIND,), enforce_limits=False)
    posted = datetime.now(UTC) - timedelta(hours=1)
    emulator.add_tasks(count, posted=posted, code=20000, delay=timedelta(minutes=1))
    return emulator.start()


def load_command(
    database: Path | str, pipelines: Path, *extra: str, fast: bool = False
) -> list[str]:
    """``seotasks load --collect`` of DataForSEO ``tasks_ready`` (family serp) into
    ``database`` (a DuckDB file, or a destination's URL); ``fast``: on the fast clock
    (`FAST_SEOTASKS`)."""
    return [
        *(FAST_SEOTASKS if fast else SEOTASKS),
        "load",
        *("-p", "dataforseo", "-o", "families=serp", "--collect"),
        *("--to", str(database), "--pipelines-dir", str(pipelines)),
        *extra,
    ]


@contextlib.contextmanager
def killed_run(
    pipelines: Path, database: Path, options: dict[str, dict[str, Any]]
) -> Iterator[tuple[Any, Any]]:
    """The pipeline `seotasks_dlt.load` runs into ``database`` and a collecting source of
    DataForSEO for it (``options``), its outbox held: the block takes them as far as a
    killed run got (``pipeline.extract(source)``, ``pipeline.normalize()``) and stops."""
    with contextlib.ExitStack() as stack:
        outbox = stack.enter_context(Outbox(journal_folder(pipelines, "seotasks")))
        pipeline = dlt.pipeline(
            pipeline_name="seotasks",
            destination=open_duckdb(database, stack).destination,
            dataset_name="seotasks",
            pipelines_dir=str(pipelines),
        )
        source = seotasks_source(
            ["dataforseo"], options=options, clock=FakeClock(), collect=True, outbox=outbox
        )
        yield pipeline, source


def duckdb_rows(database: Path, query: str) -> list[tuple[Any, ...]]:
    """``query`` on the DuckDB file ``database`` (``{t}`` is the tables' schema)."""
    catalog = database.stem.replace("'", "")
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(query.replace("{t}", f'"{catalog}".seotasks')).fetchall()


def run_to_completion(
    command: list[str], env: Mapping[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``command`` (``[*SEOTASKS, "load", ...]``, as `load_command` or `Env.command`
    make it) run in this process (`run_here`), on the clock ``SEOTASKS_TEST_CLOCK_SPEED``
    times faster where ``env`` says so. A test about what ``seotasks load`` does (its
    exit, its lines, what it loads) runs it here; one about its process (killed,
    signalled, a lock another process holds) `start`s it: forked from a process that has
    imported dlt and the plugins, where a fresh interpreter costs about a second of CPU
    before its first vendor call, most of what an ordinary failure's run costs."""
    speed = env.get("SEOTASKS_TEST_CLOCK_SPEED")
    args = command[command.index("load") :]
    return run_here(args, env, speed=float(speed) if speed else None, cwd=cwd)


def kill_once_then_finish(
    command: list[str], env: dict[str, str], emulator: DataForSEOEmulator, rng: random.Random
) -> tuple[int, list[int]]:
    """Run ``command`` (a consuming ``load --collect`` of ``emulator``), SIGKILL it at a
    random instant within a second of its first vendor call (a kill while Python imports
    tests nothing), then run it to completion: the kills (0 when the run ended first)
    and the task_get calls answered when each fell."""
    kills = 0
    at: list[int] = []
    while kills < 1:
        before = sum(emulator.calls.values())
        process = start(command, env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while sum(emulator.calls.values()) == before and process.poll() is None:
            assert time.monotonic() < deadline, "the run never called the vendor"
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 1.0))
        if process.poll() is not None:
            break  # it finished before this kill
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        kills += 1
        at.append(emulator.calls["other"])
    for _ in range(3):
        done = run_to_completion(command, env)
        assert done.returncode == 0, done.stderr
        if not emulator.ready_ids(["serp"]):
            break
    return kills, at


def at_once(commands: list[tuple[list[str], dict[str, str]]]) -> list[tuple[str, str]]:
    """Run every ``(command, env)`` at the same time; each one's (stdout, stderr) once
    all ended, every one of them with exit 0."""
    runs = [
        start(command, env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for command, env in commands
    ]
    outcomes = [run.communicate(timeout=300) for run in runs]
    for run, (_, stderr) in zip(runs, outcomes, strict=True):
        assert run.returncode == 0, stderr
    return outcomes
