"""``seotasks load`` killed with SIGKILL mid-way, then run again: the exact set, once each."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dltenv import FAMILIES, Env

from seotasks.emulation import Fault

SEOTASKS = Path(sys.executable).parent / "seotasks"


def _command(env: Env) -> list[str]:
    return [
        str(SEOTASKS),
        "load",
        "-p",
        "dataforseo",
        "-p",
        "serpstat",
        "-o",
        "dataforseo.source=history",
        "-o",
        "dataforseo.families=" + ",".join(FAMILIES),
        "-o",
        "serpstat.page_size=100",
        "-o",
        "serpstat.rps=100",
        "--to",
        str(env.database),
        "--pipelines-dir",
        str(env.pipelines),
    ]


def _environment(env: Env) -> dict[str, str]:
    chosen = dict(os.environ)
    for name, settings in (("DATAFORSEO", env.dfs.settings), ("SERPSTAT", env.serp.settings)):
        for key, value in settings.items():
            chosen[f"SEOTASKS_{name}_{key.upper()}"] = str(value)
    return chosen


def test_killed_mid_way_then_rerun_loads_the_exact_set(env: Env) -> None:
    # Every Serpstat page answers 0.1 s late, so the kill lands while pages are listed.
    env.serp.server.faults.slow_seconds = 0.1
    env.serp.server.faults.schedule([Fault.SLOW], rate=1.0, seed=1)
    process = subprocess.Popen(
        _command(env),
        env=_environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=env.tmp,
    )
    deadline = time.monotonic() + 120
    while env.serp.requests < 4 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    out, err = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, (out, err)

    # Killed before its load: nothing, or not everything, reached the database.
    truth = env.truth()
    if env.database.exists():
        try:
            assert len(env.keys()) < len(truth)
        except Exception as exc:  # no tasks table yet
            assert "tasks" in str(exc)
    env.serp.server.faults.clear()
    done = subprocess.run(
        _command(env), env=_environment(env), capture_output=True, text=True, cwd=env.tmp
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("seotasks load: pipeline seotasks -> duckdb")
    keys = env.keys()
    assert len(keys) == len(set(keys))
    assert set(keys) == env.truth()
