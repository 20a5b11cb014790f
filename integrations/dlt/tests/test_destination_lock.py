"""Two machines, one account: the destination's lock lets one run of a pipeline at a time.

Each ``seotasks load`` below has its own pipelines directory, as two machines would: the
file lock of one cannot see the other, only the lock Postgres holds can. One loads with
``--to postgresql://...``, the other with ``--destination postgres`` and the URL in the
environment: the same pipeline, the same lock.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from dltenv import HANG, SEOTASKS, Env, Started, run_to_completion, start
from pgenv import Tables
from pgtest import USER, Server
from seotasks_dlt.destination_lock import lock_key

from seotasks.emulation import HttpRequest


def _invocation(env: Env, url: str, machine: str, wait: float) -> tuple[list[str], dict[str, str]]:
    """The command and environment of ``machine``'s run into ``url``."""
    if machine == "machine-a":  # the URL on the command line
        destination, environment = ("--to", url), env.environment()
    else:  # the URL in dlt's variable
        destination, environment = ("--destination", "postgres"), env.environment(url)
    command = env.command(*destination, pipelines=env.tmp / machine)
    return [*command, "--lock-wait", str(wait)], environment


def _start(env: Env, url: str, machine: str, wait: float) -> Started:
    """``machine``'s run, started in a process of its own: one that holds or waits for
    the lock while another runs."""
    command, environment = _invocation(env, url, machine, wait)
    return start(command, environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run(env: Env, url: str, machine: str) -> subprocess.CompletedProcess[str]:
    """``machine``'s next run, once no other holds the lock: run to completion here."""
    return run_to_completion(*_invocation(env, url, machine, wait=0))


def _holders(what: str) -> str:
    """A query of ``what`` over the sessions holding pipeline seotasks' advisory lock."""
    key = lock_key("seotasks", "seotasks")
    high, low = (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF
    return (
        f"SELECT {what} FROM pg_locks WHERE locktype = 'advisory' AND granted "
        f"AND classid::bigint = {high} AND objid::bigint = {low}"
    )


def _until_locked(server: Server, database: str, process: Started) -> None:
    """Wait (bounded) until ``process`` holds the pipeline's advisory lock."""
    query = _holders("count(*)")
    deadline = time.monotonic() + 120
    while server.sql(database, query) != [(1,)]:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the first run never took the lock"
        time.sleep(0.1)


def _first_holding_the_lock(
    env: Env, server: Server, name: str
) -> tuple[str, str, Started, threading.Event]:
    """A new database ``name``, its URL, a first run (machine-a) already holding the
    pipeline's lock there (the state each second machine below meets), and the event
    that lets it go on."""
    database = server.create_database(name)
    url = server.url(database)
    released = env.hold_serpstat()
    first = _start(env, url, "machine-a", wait=0)
    try:
        _until_locked(server, database, first)
    except BaseException:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=60)
        released.set()
        raise
    return database, url, first, released


def test_a_second_machine_is_refused_and_a_killed_run_leaves_no_lock(
    env: Env, server: Server
) -> None:
    database, url, first, released = _first_holding_the_lock(env, server, "lock")
    try:
        second = _start(env, url, "machine-b", wait=0)
        out, err = second.communicate(timeout=120)
        assert second.returncode == 6, (out, err)
        assert "another run of pipeline seotasks (dataset seotasks) holds its lock" in err
        # --help says what a refusal exits with (it said 2, a usage error): the same code.
        shown = subprocess.run(
            [*SEOTASKS, "load", "--help"], capture_output=True, text=True, check=True
        ).stdout
        assert f"refuse at once, exit {second.returncode})" in " ".join(shown.split())
        assert first.poll() is None  # refused while the first was still running
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=60)
        released.set()
    # Killed mid-run: the server dropped its session, and with it the lock.
    third = _run(env, url, "machine-b")
    out, err = third.stdout, third.stderr
    assert third.returncode == 0, err
    assert out.startswith("seotasks load: pipeline seotasks -> postgres")
    Tables(server, database).assert_once_each(env.truth())
    assert server.password not in out + err


@pytest.mark.parametrize("machine", ["machine-b", "machine-a"])
def test_a_waiting_run_starts_after_the_first_and_resumes_its_cursors(
    env: Env, server: Server, machine: str
) -> None:
    """On another machine, and on the same one (``--lock-wait`` says "on any machine"),
    where the pipelines folder's file lock refused the second run at once: exit 6."""
    database, url, first, released = _first_holding_the_lock(env, server, "wait")
    second = _start(env, url, machine, wait=240)
    time.sleep(2)
    assert second.poll() is None  # waiting for the lock, not refused
    released.set()
    out_first, err_first = first.communicate(timeout=300)
    out_second, err_second = second.communicate(timeout=300)
    assert first.returncode == 0, err_first
    assert second.returncode == 0, err_second
    truth = env.truth()
    assert f"tasks {len(truth)} rows ({len(truth)} new, 0 updated)" in out_first
    # The second started from the cursors the first committed: no task is new to it.
    assert "(0 new, " in out_second
    Tables(server, database).assert_once_each(truth)
    # --to postgresql://... shows the server, never the password.
    assert out_first.startswith(
        f"seotasks load: pipeline seotasks -> postgres {USER}@127.0.0.1:{server.port}/{database} "
    )
    assert server.password not in out_first + err_first + out_second + err_second


def test_a_run_whose_lock_was_lost_stops_before_loading_and_the_next_run_loads_it(
    env: Env, server: Server
) -> None:
    """The lock's session ends mid-run (``pg_terminate_backend``, as a server restart or a
    network drop would end it): the server dropped the lock with it, and a second machine
    takes it. The first run went on unlocked and loaded beside the second (with
    ``--collect``: 867 of 1117 results fetched twice, 250 ``results`` rows doubled by the
    two concurrent merges, both runs counting every row new, both exit 0). It now stops
    before its load, in one line, and its next run loads what it fetched."""
    database, url, first, released = _first_holding_the_lock(env, server, "lost")
    try:
        assert server.sql(database, _holders("pg_terminate_backend(pid)")) == [(True,)]
        second = _start(env, url, "machine-b", wait=0)
        _until_locked(server, database, second)
    finally:
        released.set()
    out_first, err_first = first.communicate(timeout=300)
    out_second, err_second = second.communicate(timeout=300)
    assert second.returncode == 0, err_second
    truth = env.truth()
    assert f"tasks {len(truth)} rows ({len(truth)} new, 0 updated)" in out_second
    lines = err_first.strip().splitlines()
    assert first.returncode == 6, (out_first, err_first)
    assert out_first == "" and len(lines) == 1, err_first
    assert lines[0].startswith(
        "seotasks: LockLost: pipeline seotasks (dataset seotasks) lost its lock in the "
        "destination: its session ended ("
    ), lines
    assert "nothing fetched is lost: run the same command again" in lines[0]
    # Nothing more written: the only load is the second run's.
    assert server.sql(database, "SELECT count(*) FROM seotasks._dlt_loads") == [(1,)]
    # The first machine's next run loads the package the stopped run left.
    third = _run(env, url, "machine-a")
    out, err = third.stdout, third.stderr
    assert third.returncode == 0, err
    assert "pending" in out, out
    Tables(server, database).assert_once_each(truth)


def _waiting(server: Server, database: str, run: Started, pipelines: Path) -> bool:
    """Whether ``run`` waits for a lock: asks for the destination's (another machine's
    run holds it), or has the pipelines folder's lock file open (this machine's does)."""
    if pipelines.name == "machine-b":
        asking = (
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_try_advisory%' "
            f"AND pid NOT IN ({_holders('pid')})"
        )
        return server.sql(database, asking) == [(1,)]
    lock = str(pipelines / ".seotasks.seotasks-lock")
    with contextlib.suppress(OSError):  # the run ended, or a file closed meanwhile
        descriptors = Path(f"/proc/{run.pid}/fd")
        return any(os.readlink(fd) == lock for fd in descriptors.iterdir())
    return False


@pytest.mark.parametrize("machine", ["machine-b", "machine-a"])
def test_a_signal_ends_a_wait_for_the_lock_at_once(env: Env, server: Server, machine: str) -> None:
    """SIGINT while ``--lock-wait`` waits: exit 5 at once, before any vendor call. It was
    only noted: the run waited on for the lock (the whole ``--lock-wait``, or until the
    first run ended, and then ran)."""
    database, url, first, released = _first_holding_the_lock(env, server, "signal")
    try:
        second = _start(env, url, machine, wait=HANG)
        deadline = time.monotonic() + 120
        while not _waiting(server, database, second, env.tmp / machine):
            assert second.poll() is None, second.communicate()
            assert time.monotonic() < deadline, "the second run never waited for the lock"
            time.sleep(0.1)
        second.send_signal(signal.SIGINT)
        out, err = second.communicate(timeout=HANG)
        assert first.poll() is None  # ended while the first still held the lock
    finally:
        released.set()
    first.communicate(timeout=300)
    assert second.returncode == 5, (out, err)
    assert out == "" and "waiting for" in err and "nothing was fetched" in err, err


def test_a_server_restart_mid_run_is_a_lost_lock(env: Env, server: Server) -> None:
    """The server restarts while the run waits for the vendors, after its last query
    before the load: the session and its lock are gone, the server is back. The run went
    on and loaded unlocked (exit 0; with ``--collect`` and a second machine's run beside
    it, 250 ``results`` rows doubled and the second failing on a deadlock between the two
    loads); it is `LockLost` before its load now, and its next run loads what it fetched."""
    database = server.create_database("restart")
    url = server.url(database)
    released = threading.Event()

    def hold(request: HttpRequest) -> None:
        released.wait(HANG)

    env.dfs.server.on_request = hold
    env.serp.server.on_request = hold
    first = _start(env, url, "machine-a", wait=0)
    try:
        _until_locked(server, database, first)
        deadline = time.monotonic() + 120
        # A vendor call held: the run asked the destination all it asks before loading.
        while not (env.dfs.server.requests or env.serp.server.requests):
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the run never called a vendor"
            time.sleep(0.05)
        server.stop()
        server.start()
    finally:
        released.set()
    out, err = first.communicate(timeout=300)
    assert first.returncode == 6, (out, err)
    assert err.startswith("seotasks: LockLost: pipeline seotasks (dataset seotasks) lost its")
    assert server.sql(database, "SELECT count(*) FROM pg_tables WHERE tablename = 'tasks'") == [
        (0,)
    ]
    again = _run(env, url, "machine-a")
    out, err = again.stdout, again.stderr
    assert again.returncode == 0, err
    assert "pending" in out, out
    Tables(server, database).assert_once_each(env.truth())
