"""Both vendors' emulators for the command-line suites (``test_cli``, ``test_cli_messages``,
``test_cli_merged``), and the environment a user would set to reach them.

The emulators run in the test process; the command reaches them over loopback through
the same env vars a real user sets. Their data clock is stopped, so running tasks do not
move on between the listings a test compares.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from clirun import popen

import seotasks
from seotasks.config import env_name
from seotasks.plugins import get_provider

PROVIDERS = ("dataforseo", "serpstat")
#: Fewer DataForSEO endpoints than its 20 tasks_ready calls a minute, so listings run on
#: the real clock without waiting for the vendor's window.
FAMILIES = "serp,on_page,merchant,business_data,app_data"
#: Serpstat's top plans allow 10 requests a second (most: 1). Both sides run at that rate
#: here, so a listing of 12 pages takes a second, not 12; the pacing is still there (and
#: the progress line's waits). The interrupted listing runs at 1 a second instead.
SERPSTAT_RPS = 10

Sandboxes = Mapping[str, seotasks.Sandbox]


def clean_env() -> dict[str, str]:
    """This process's environment without the developer's ``SEOTASKS_*`` variables, the
    command's output unbuffered (a test reads it as it comes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEOTASKS_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextmanager
def running() -> Iterator[dict[str, seotasks.Sandbox]]:
    """Both emulators (seed 7, 1200 tasks each), stopped on leaving.

    DataForSEO's limits are not enforced: each command paces itself (a listing of
    `FAMILIES` is 5 tasks_ready calls, under the 20 a minute), but this emulator serves
    every run of a module and would count them all: the fifth listing within a minute
    would wait up to a minute for the vendor's window (70 s for one test on a busy run)."""
    from seotasks_dataforseo.emulator import DataForSEOEmulator
    from seotasks_serpstat.emulator import SerpstatEmulator

    frozen = datetime.now(UTC).replace(microsecond=0)
    with (
        DataForSEOEmulator(seed=7, size=1200, now=lambda: frozen, enforce_limits=False) as dfs,
        SerpstatEmulator(seed=7, size=1200, now=lambda: frozen, rps=SERPSTAT_RPS) as serp,
    ):
        yield {
            "dataforseo": seotasks.Sandbox(settings=dfs.settings, stop=dfs.stop),
            "serpstat": seotasks.Sandbox(settings=serp.settings, stop=serp.stop),
        }


def env_for(
    sandboxes: Sandboxes, *, families: str = FAMILIES, rps: int | None = SERPSTAT_RPS
) -> dict[str, str]:
    """`clean_env` plus every sandbox setting as its variable, DataForSEO's ``families``
    and Serpstat's ``rps`` (None: the sandbox's own)."""
    result = clean_env()
    for name, box in sandboxes.items():
        for option, value in box.settings.items():
            result[env_name(name, option)] = str(value)
    result[env_name("dataforseo", "families")] = families
    if rps is not None:
        result[env_name("serpstat", "rps")] = str(rps)
    return result


def slow_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with Serpstat's pages of 100 tasks: a listing of many pages, that lasts
    long enough to be watched or interrupted."""
    return {**env, env_name("serpstat", "page_size"): "100"}


def secrets_of(sandboxes: Sandboxes) -> list[str]:
    """The sandboxes' secret settings (credentials), which no output may show."""
    found = []
    for name, box in sandboxes.items():
        cls = get_provider(name)
        for option in cls.options:
            if option.secret and box.settings.get(option.name):
                found.append(str(box.settings[option.name]))
    assert found, "the sandboxes should carry credentials"
    return found


def library_tasks(name: str, sandboxes: Sandboxes, status: str = "any") -> list[Any]:
    """What the library lists from ``name``'s sandbox, to compare the command with."""
    extra = {"families": FAMILIES} if name == "dataforseo" else {"rps": SERPSTAT_RPS}
    with seotasks.connect(name, **sandboxes[name].settings, **extra) as client:
        return list(client.tasks(status=status))


@contextmanager
def sandbox_process(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``seotasks sandbox -p serpstat *args`` in a process of its own (a test about its
    signals), yielded once its first export line is out: (the process, that line). Killed
    after if it still runs, its pipes closed."""
    from clirun import CLI

    command = [*CLI, "sandbox", "-p", "serpstat", *args]
    pipe = subprocess.PIPE
    with popen(command, env=clean_env(), stdout=pipe, stderr=pipe, text=True) as server:
        try:
            first = server.stdout.readline() if server.stdout is not None else ""
            assert first.startswith("export SEOTASKS_SERPSTAT_"), first
            yield server, first
        finally:
            if server.poll() is None:
                server.kill()
