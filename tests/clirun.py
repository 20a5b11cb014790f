"""Running the ``seotasks`` command as a subprocess, the way a user's shell does.

The submit, collect, receive and security suites start the real command: each needs the
same isolated environment (none of the developer's ``SEOTASKS_*`` variables, no real
profile, an emulator's settings as ``SEOTASKS_<PROVIDER>_<OPTION>``) and the same
run-and-capture call. Written once here so that a change to either (a new variable to
keep out, a longer hang guard) reaches every suite.
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

from clihere import run_here
from seotasks_dataforseo.emulator import DataForSEOEmulator

from seotasks.config import env_name

#: The command, run by the interpreter running the tests (the project's venv).
CLI = [sys.executable, "-m", "seotasks.cli"]
#: Every Serpstat task (any status), as JSON lines: the listing the resume suites cut.
SERPSTAT_JSONL = ["tasks", "-p", "serpstat", "--status", "any", "--format", "jsonl"]
#: The same command with every client's clock ``SEOTASKS_TEST_CLOCK_SPEED`` times faster
#: (`fastclock_cli`): for a test about what a run does, not about how long it paces.
FAST_CLI = [sys.executable, str(Path(__file__).with_name("fastclock_cli.py"))]


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


def run_cli(
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    timeout: float = 120,
    speed: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """``seotasks *args`` to completion, its output captured as text; ``timeout`` only
    guards against a hang (it raises, failing the test). With ``speed``, every client's
    clock runs that many times faster (`FAST_CLI`): retries' backoff and pacing shrink,
    for a test about what the command says or does rather than how long it waits."""
    command, env = [*CLI, *args], dict(env)
    if speed is not None:
        command = [*FAST_CLI, *args]
        env["SEOTASKS_TEST_CLOCK_SPEED"] = str(speed)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


@contextmanager
def ready_dataforseo(count: int, *, seed: int) -> Iterator[DataForSEOEmulator]:
    """A running DataForSEO emulator with ``count`` Google organic SERP tasks, posted an
    hour ago and done a minute later (ready to collect): the data the collect suites'
    commands drain."""
    past = datetime.now(UTC) - timedelta(hours=1)
    with DataForSEOEmulator(seed=seed, size=0, kinds=("serp/google/organic",)) as emulator:
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
