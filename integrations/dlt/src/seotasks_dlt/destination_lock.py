"""One run of a pipeline at a time across machines: a lock the destination holds.

`seotasks load` already refuses a second concurrent run of a pipeline on one machine (a
file lock in dlt's pipelines directory). Orchestrator workers do not share that
directory: two machines running the same account's pipeline share only the
destination, and both would start from the same cursor in the destination's state
table, repeat each other's work, and the later commit would overwrite the earlier
one's state. So the lock has to live where the two meet.

For PostgreSQL it is a session-level advisory lock (``pg_try_advisory_lock``) keyed by
dataset and pipeline name, taken on a connection of its own for the whole run. The
server drops it when that connection ends, so a run killed with SIGKILL, or a machine
that vanished, never leaves a stale lock behind (a lock file would). Other destinations
have no such lock here: a DuckDB file lives on one machine, where the file lock and
DuckDB's own writer lock already apply; a cloud warehouse would need its own.

`held` takes the lock for a dlt pipeline: `seotasks_dlt.load` (and so ``seotasks load``)
holds it for every run, so the orchestrator recipes call plain `load`.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterator
from typing import Any

import dlt
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.exceptions import MissingDependencyException

from seotasks.errors import StorageError

from .destinations import one_line

__all__ = ["DestinationLocked", "held", "lock_key"]

#: How often a waiting run asks again for the lock (seconds).
POLL = 0.5


class DestinationLocked(StorageError):
    """Another run of the same pipeline holds the destination's lock.

    A `StorageError` like a journal or a DuckDB file another run holds: the caller waits
    for that run (or ``lock_wait``), nothing in the configuration is wrong.
    """


def lock_key(dataset: str, pipeline: str) -> int:
    """The advisory lock's 64-bit key: the same on every machine for one pipeline's state.

    Keyed by dataset too, since a pipeline's state lives in its dataset: one pipeline
    name loading two datasets is two independent states and may run twice at once.
    """
    digest = hashlib.sha256(f"seotasks-dlt\0{dataset}\0{pipeline}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _is_postgres(pipeline: dlt.Pipeline) -> bool:
    destination = pipeline.destination
    return destination is not None and destination.destination_name == "postgres"


@contextlib.contextmanager
def held(pipeline: dlt.Pipeline, *, wait: float = 0.0) -> Iterator[bool]:
    """Hold the destination's lock for ``pipeline`` while the block runs.

    ``wait`` seconds: how long to wait for another run to finish (0: refuse at once).
    Yields True when a destination lock is held, False when the destination has none.
    Raises `DestinationLocked` when the lock stays taken, `StorageError` when the
    destination cannot be reached (before the run calls any vendor).
    """
    if not _is_postgres(pipeline):
        yield False
        return
    key = lock_key(pipeline.dataset_name, pipeline.pipeline_name)
    client: Any = None
    try:
        # A connection of the lock's own, open for the whole run: dlt's loads use others.
        client = pipeline.sql_client()
        client.open_connection()
        _take(client, key, pipeline, wait)
    except BaseException as exc:
        if client is not None:
            with contextlib.suppress(Exception):
                client.close_connection()
        # Missing configuration or a missing driver: a configuration error the load
        # reports (`pipeline.destination_errors`), fixed by a setting or an install.
        if isinstance(exc, DestinationLocked | ConfigFieldMissingException) or not isinstance(
            exc, Exception
        ):
            raise
        if isinstance(exc, MissingDependencyException):
            raise
        # Unreachable, refused credentials: before any vendor call.
        raise StorageError(
            f"cannot take pipeline {pipeline.pipeline_name}'s lock in the destination: "
            f"{type(exc).__name__}: {one_line(exc)}; nothing was fetched"
        ) from None
    try:
        yield True
    finally:
        with contextlib.suppress(Exception):  # a dead connection released it already
            client.execute_sql("SELECT pg_advisory_unlock(%s)", key)
        with contextlib.suppress(Exception):
            client.close_connection()


def _take(client: Any, key: int, pipeline: dlt.Pipeline, wait: float) -> None:
    """Take the advisory lock ``key``, asking again every `POLL` s for ``wait`` s."""
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        rows = client.execute_sql("SELECT pg_try_advisory_lock(%s)", key)
        if rows and rows[0][0]:
            return
        if time.monotonic() >= deadline:
            raise DestinationLocked(
                f"another run of pipeline {pipeline.pipeline_name} (dataset "
                f"{pipeline.dataset_name}) holds its lock in the destination: one run "
                "of a pipeline at a time - wait for it, or retry later"
            )
        time.sleep(POLL)
