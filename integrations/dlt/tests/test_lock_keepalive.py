"""A machine that drops off the network mid-run gives its pipeline's lock back in minutes.

Such a machine closes nothing: the server learns its client is gone only from TCP
keepalive, and Linux sends the first probe after two hours of silence. For those two
hours every other machine's run of the pipeline was refused ("another run ... holds its
lock"). The lock's session now asks the server for keepalive probes after a minute of
silence, which is read here off the server's own socket for that session
(``/proc/net/tcp``: the kernel's keepalive timer), since this machine cannot make a
peer vanish.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import dlt
from pgtest import Server
from seotasks_dlt.destination_lock import held

#: ``/proc/net/tcp``'s timer kind for a socket waiting to send a keepalive probe.
_KEEPALIVE_TIMER = 2


def _timer(local_port: int, remote_port: int) -> tuple[int, float]:
    """The kind of timer running on the IPv4 socket ``local_port`` -> ``remote_port``
    and the seconds until it fires."""
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            local, remote, timer = fields[1], fields[2], fields[5]
            if int(local.split(":")[1], 16) != local_port:
                continue
            if int(remote.split(":")[1], 16) != remote_port:
                continue
            kind, when = timer.split(":")
            return int(kind, 16), int(when, 16) / os.sysconf("SC_CLK_TCK")
    raise AssertionError(f"no socket from port {local_port} to port {remote_port}")


def test_the_lock_session_is_found_dead_in_minutes_not_hours(
    server: Server, tmp_path: Path
) -> None:
    database = server.create_database("keepalive")
    pipeline = dlt.pipeline(
        pipeline_name="keepalive",
        destination=dlt.destinations.postgres(server.url(database)),
        dataset_name="seotasks",
        pipelines_dir=str(tmp_path),
    )
    with held(pipeline) as hold:
        assert hold  # PostgreSQL has the lock
        [(client_port,)] = server.sql(
            database,
            "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            "WHERE l.locktype = 'advisory' AND l.granted",
        )
        # Until the client acknowledges the last answer its retransmit timer runs instead.
        for _ in range(100):
            kind, seconds = _timer(server.port, client_port)
            if kind == _KEEPALIVE_TIMER:
                break
            time.sleep(0.05)
    assert kind == _KEEPALIVE_TIMER, f"timer kind {kind}, not keepalive"
    assert seconds <= 60, f"first keepalive probe in {seconds:.0f} s"
