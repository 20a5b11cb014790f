"""The PostgreSQL server going down in the middle of ``seotasks load``: exit 6, one
line, and the next run, with the server back, loads everything once.

While the run waits for the vendor's first page, the server stops (a crash, ``-m
immediate``). The page's tasks are then looked up in the destination (results already
loaded are not fetched again), and that query fails: dlt's extract step, which
``seotasks load`` reported as "internal error: OperationalError" (exit 4), the code of a
vendor fault, where the destination failing is exit 6.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from dltenv import SEOTASKS, cli_env, run_to_completion, start
from pgtest import Server
from seotasks_dataforseo.emulator import DataForSEOEmulator

from seotasks.emulation import Fault

#: What the PostgreSQL server says to its clients as an immediate shutdown ends them.
_FAREWELL = "WARNING:  terminating connection due to immediate shutdown command"


def test_the_server_stopping_mid_run_is_exit_6_and_the_next_run_loads_the_rest(
    tmp_path: Path, server: Server
) -> None:
    database = server.create_database("down")
    with DataForSEOEmulator(seed=7, size=120, enforce_limits=False) as emulator:
        command = [
            *(*SEOTASKS, "load", "-p", "dataforseo", "--collect"),
            *("-o", "source=history", "-o", "families=serp"),
            *("--to", server.url(database), "--pipelines-dir", str(tmp_path / "p")),
        ]
        env = cli_env(tmp_path, {"dataforseo": emulator.settings})
        emulator.server.faults.slow_seconds = 3.0
        emulator.server.faults.inject(Fault.SLOW, match="id_list")
        process = start(command, env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while emulator.calls["id_list"] == 0:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "the listing never started"
                time.sleep(0.01)
            server.stop()
            out, err = process.communicate(timeout=120)
        finally:
            server.start()
        # The server's own farewell, when it reached a connection being opened: libpq
        # prints a notice with its default notice processor until psycopg2 has installed
        # its own (which keeps them in ``connection.notices``), so no Python code can
        # catch it (seen once, on a loaded machine). Every other line is seotasks'.
        lines = [line for line in err.splitlines() if line.strip() and line != _FAREWELL]
        assert process.returncode == 6, err
        assert out == ""
        # Whichever notices first: the destination's query failing (StorageError), or the
        # lock's session gone with the server (LockLost, a StorageError too); both exit 6.
        assert len(lines) == 1, err
        assert lines[0].startswith(("seotasks: StorageError: ", "seotasks: LockLost: ")), err
        assert "run the same command again" in lines[0]

        done = run_to_completion(command, env)
        assert done.returncode == 0, done.stderr
        tasks = [str(i) for (i,) in server.sql(database, "SELECT id FROM seotasks.tasks")]
        assert sorted(tasks) == sorted(emulator.history_ids(families=("serp",)))
        results = [str(i) for (i,) in server.sql(database, "SELECT id FROM seotasks.results")]
        assert results and len(results) == len(set(results))
