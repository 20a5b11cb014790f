"""``seotasks load`` killed with SIGKILL mid-way, then run again: the exact set, once each."""

from __future__ import annotations

import signal
import subprocess
import time

from dltenv import Env, run_process, start

from seotasks.emulation import Fault


def test_killed_mid_way_then_rerun_loads_the_exact_set(env: Env) -> None:
    # Every Serpstat page answers 0.1 s late, so the kill lands while pages are listed.
    env.serp.server.faults.slow_seconds = 0.1
    env.serp.server.faults.schedule([Fault.SLOW], rate=1.0, seed=1)
    process = start(
        env.command(),
        env.environment(),
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
        tables = env.sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'seotasks'"
        )
        if ("tasks",) in tables:  # else the kill fell before dlt made the table
            assert len(env.keys()) < len(truth)
    env.serp.server.faults.clear()
    done = run_process(
        env.command(), env.environment(), capture_output=True, text=True, cwd=env.tmp
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("seotasks load: pipeline seotasks -> duckdb")
    keys = env.keys()
    assert len(keys) == len(set(keys))
    assert set(keys) == env.truth()
