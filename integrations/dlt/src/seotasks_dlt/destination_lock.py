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

`held` takes the lock for a dlt pipeline; `locked_load` is `seotasks_dlt.load` inside it,
as the Airflow and Dagster recipes call it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Iterator
from typing import Any

import dlt

from seotasks.errors import ConfigError

from .pipeline import DEFAULT_DATASET, LoadSummary, load, pipeline_name

__all__ = ["DestinationLocked", "held", "lock_key", "locked_load"]

#: How often a waiting run asks again for the lock (seconds).
POLL = 0.5


class DestinationLocked(ConfigError):
    """Another run of the same pipeline holds the destination's lock."""


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
    Raises `DestinationLocked` when the lock stays taken.
    """
    if not _is_postgres(pipeline):
        yield False
        return
    key = lock_key(pipeline.dataset_name, pipeline.pipeline_name)
    deadline = time.monotonic() + max(0.0, wait)
    # A connection of the lock's own, open for the whole run: dlt's loads use others.
    with pipeline.sql_client() as client:
        while True:
            rows = client.execute_sql("SELECT pg_try_advisory_lock(%s)", key)
            if rows and rows[0][0]:
                break
            if time.monotonic() >= deadline:
                raise DestinationLocked(
                    f"another run of pipeline {pipeline.pipeline_name} (dataset "
                    f"{pipeline.dataset_name}) holds its lock in the destination: one run "
                    "of a pipeline at a time - wait for it, or retry later"
                )
            time.sleep(POLL)
        try:
            yield True
        finally:
            with contextlib.suppress(Exception):  # a dead connection released it already
                client.execute_sql("SELECT pg_advisory_unlock(%s)", key)


def locked_load(providers: list[str], *, wait: float = 0.0, **load_args: Any) -> LoadSummary:
    """`seotasks_dlt.load` while holding the destination's lock for its pipeline.

    The lock's pipeline is the one `load` runs: same name, destination, dataset and
    pipelines directory (``load_args`` as `load` takes them).
    """
    destination = load_args.get("destination")
    if destination is None:  # a DuckDB file: local, locked by load itself
        return load(providers, **load_args)
    name = load_args.get("name") or pipeline_name(
        load_args.get("profile"), sandbox=bool(load_args.get("sandbox"))
    )
    where: dict[str, Any] = {}
    if load_args.get("pipelines_dir") is not None:
        where["pipelines_dir"] = os.fspath(load_args["pipelines_dir"])
    pipeline = dlt.pipeline(
        pipeline_name=name,
        destination=destination,
        dataset_name=load_args.get("dataset", DEFAULT_DATASET),
        **where,
    )
    with held(pipeline, wait=wait):
        return load(providers, **load_args)
