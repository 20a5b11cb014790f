"""``--lock-wait`` on one machine with DuckDB: a second run of the pipeline waits for
the first, whether it writes the same file or another, and starts from what the first
committed, as if it had run after it.

Two runs of the same command (a schedule that overlapped) were refused at once by the
DuckDB file's lock, whatever ``--lock-wait`` said; a run into another file waited, but
had read the pipeline's state before the wait: it loaded the tail of the listing, no
result, and never the rest.
"""

from __future__ import annotations

import subprocess
import time

import pytest
from dltenv import Env, Started, start


def _start(env: Env, file: str, wait: float) -> Started:
    command = [*env.command("--to", str(env.tmp / file)), "--lock-wait", str(wait)]
    return start(
        command,
        env.environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("second_file", ["seotasks.duckdb", "other.duckdb"])
def test_a_waiting_run_starts_from_what_the_first_committed(env: Env, second_file: str) -> None:
    released = env.hold_serpstat()
    first = _start(env, "seotasks.duckdb", wait=0)
    deadline = time.monotonic() + 120
    while not env.serp.server.requests:  # its first Serpstat call: it holds its locks
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the first run never called Serpstat"
        time.sleep(0.05)
    second = _start(env, second_file, wait=240)
    try:
        time.sleep(1.5)
        assert second.poll() is None, second.communicate()  # waiting, not refused
    finally:
        released.set()
    out_first, err_first = first.communicate(timeout=300)
    out_second, err_second = second.communicate(timeout=300)
    assert first.returncode == 0, err_first
    assert second.returncode == 0, err_second
    every = len(env.truth())
    assert f"tasks {every} rows ({every} new, 0 updated)" in out_first
    if second_file == "seotasks.duckdb":  # the same store: nothing is new to it
        assert f"tasks {every} rows" not in out_second and "(0 new, " in out_second
    else:  # a new store gets everything, as a run after the first would
        assert f"tasks {every} rows ({every} new, 0 updated)" in out_second
