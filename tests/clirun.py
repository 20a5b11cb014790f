"""What the command-line suites share: the environment a run of ``seotasks`` gets, the
real command as a subprocess, and the data its runs work on.

Every run needs the same isolated environment (none of the developer's ``SEOTASKS_*``
variables, no real profile, an emulator's settings as ``SEOTASKS_<PROVIDER>_<OPTION>``):
`cli_env`, written once so that a new variable to keep out reaches every suite. A run
whose process is the point (killed, signalled, its stdout closed) starts `CLI` or
`FAST_CLI` through `popen` / `run_process` (forked from a process that imported the
command already: `forkrun`); a run to completion goes through `clihere.run_here`, in
the test process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import forkrun
from clihere import run_here
from seotasks_dataforseo.emulator import DataForSEOEmulator

from seotasks.config import env_name

#: The command, run by the interpreter running the tests (the project's venv).
CLI = [sys.executable, "-m", "seotasks.cli"]
#: Every Serpstat task (any status), as JSON lines: the listing the resume suites cut.
SERPSTAT_JSONL = ["tasks", "-p", "serpstat", "--status", "any", "--format", "jsonl"]
#: The same command with every client's clock ``SEOTASKS_TEST_CLOCK_SPEED`` times faster
#: (`fastclock_cli`): the runs a test kills, busy rather than long (`clihere.run_here`
#: takes a ``speed`` for the runs to completion).
FAST_CLI = [sys.executable, str(Path(__file__).with_name("fastclock_cli.py"))]
#: The command with the sandbox's clock standing still between its waits
#: (`stillclock_cli`): a run past a window's allowance waits, on a busy machine too.
STILL_CLI = [sys.executable, str(Path(__file__).with_name("stillclock_cli.py"))]


#: What the command processes `popen` forks have imported already.
PRELOAD = (
    "seotasks.cli",
    "seotasks.cli.collect_run",
    "seotasks.cli.receive_run",
    "seotasks.cli.receive_server",
    "seotasks.cli.submit_run",
    "seotasks.cli.tasks_run",
    "seotasks.cli.report",
    "seotasks.cli.sandbox",
    "seotasks_dataforseo",
    "seotasks_dataforseo.emulator",
    "seotasks_serpstat",
    "seotasks_serpstat.emulator",
)


def popen(command: Sequence[str], **options: Any) -> forkrun.Started:
    """``command`` started as `subprocess.Popen` takes it: a command of this interpreter
    forked from a process that has imported `PRELOAD` (`forkrun.popen`), where a fresh
    interpreter spends most of a short run importing."""
    return forkrun.popen(command, preload=PRELOAD, **options)


def run_process(command: Sequence[str], **options: Any) -> subprocess.CompletedProcess[Any]:
    """``command`` run to its end as `subprocess.run` takes it (`forkrun.run`, as `popen`)."""
    return forkrun.run(command, preload=PRELOAD, **options)


def piped(args: Sequence[str], env: Mapping[str, str]) -> forkrun.Started:
    """The real command, its stdout and stderr pipes the test reads (a ``| reader``)."""
    proc = popen([*CLI, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    return proc


def cli_env(
    tmp_path: Path, settings: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, str]:
    """This process's environment without any ``SEOTASKS_*`` variable, a profile path that
    does not exist under ``tmp_path``, a state folder under it, and each provider's ``settings`` (``{"serpstat":
    emulator.settings}``) as the variables the command reads them from."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEOTASKS_")}
    env["SEOTASKS_CONFIG"] = str(tmp_path / "absent.toml")
    # A stdout collect keeps its journal in the user's state folder: the test's own.
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    for provider, values in (settings or {}).items():
        for option, value in values.items():
            env[env_name(provider, option)] = str(value)
    return env


@contextmanager
def ready_dataforseo(
    count: int, *, seed: int, login: str = "emulator-login"
) -> Iterator[DataForSEOEmulator]:
    """A running DataForSEO emulator with ``count`` Google organic SERP tasks, posted an
    hour ago and done a minute later (ready to collect): the data the collect suites'
    commands drain. ``login`` makes it another account."""
    past = datetime.now(UTC) - timedelta(hours=1)
    kinds = ("serp/google/organic",)
    with DataForSEOEmulator(seed=seed, size=0, kinds=kinds, login=login) as emulator:
        emulator.add_tasks(count, posted=past, code=20000, delay=timedelta(minutes=1))
        yield emulator


def sandbox_store(folder: Path, *extra: str) -> Path:
    """``folder/store.duckdb`` as ``seotasks load --sandbox`` writes it (DataForSEO's
    history: times, costs and failures; Serpstat's list: times, no cost), for the report's
    suites; ``extra`` are more flags (``--seed``, ``--collect``...). The command runs in
    this process (`clihere`): the store is what the report's suites are about."""
    path = folder / "store.duckdb"
    loaded = run_here(
        [
            *("load", "--sandbox", "-p", "dataforseo", "-o", "dataforseo.source=history"),
            *("-p", "serpstat", *extra),
            *("--to", str(path), "--pipelines-dir", str(folder / "pipelines")),
        ],
        cli_env(folder),
        timeout=240,
    )
    assert loaded.returncode == 0, loaded.stderr
    return path


def kill_while_working(
    proc: subprocess.Popen[Any], requests: Sequence[object], delay: float, *, hang: float = 60
) -> bool:
    """SIGKILL ``proc`` ``delay`` seconds after its first request reached the emulator
    (``requests``, the emulator's log, grew): an instant while it works, whatever its
    start-up took on a loaded machine. False when it ended first. The caller waits for
    it (and reads its pipes); ``hang`` only guards against a run that never calls."""
    before = len(requests)
    end = time.monotonic() + hang
    while len(requests) == before and proc.poll() is None:
        assert time.monotonic() < end, "the run made no request"
        time.sleep(0.005)
    time.sleep(delay)
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    return True
