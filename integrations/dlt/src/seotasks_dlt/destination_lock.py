"""One run of a pipeline at a time across machines: a lock the destination holds.

`seotasks load` already refuses a second concurrent run of a pipeline on one machine (a
file lock in dlt's pipelines directory). Orchestrator workers do not share that
directory: two machines running the same account's pipeline share only the
destination, and both would start from the same cursor in the destination's state
table, repeat each other's work, and the later commit would overwrite the earlier
one's state. So the lock has to live where the two meet.

For PostgreSQL it is a session-level advisory lock (``pg_try_advisory_lock``) keyed by
dataset and pipeline name, taken on a connection of its own for the whole run. The
server drops it when that connection ends, so a run killed with SIGKILL never leaves a
stale lock behind (a lock file would): its kernel closes the connection, and the next run
takes the lock at once. (A machine that vanished from the network closes nothing: its
lock lasts until the server's TCP keepalive finds the connection dead: over two hours
with Linux's defaults, so the lock's session sets its own, `KEEPALIVE`, about two
minutes.) The other side of that: a run whose connection ends (the server restarted, the
session terminated, the network dropped) has lost its lock without a word, and another
run may take it. So the run asks, before each write (`Hold.check`), whether its own
session still holds the lock, and stops with `LockLost` if not: its load package stays
for its next run.

Other destinations have no such lock here: a DuckDB file lives on one machine, where
the file lock and DuckDB's own writer lock already apply; a cloud warehouse would need
its own.

`held` takes the lock for a dlt pipeline: `seotasks_dlt.load` (and so ``seotasks load``)
holds it for every run, so the orchestrator recipes call plain `load`.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator
from typing import Any

import dlt
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.exceptions import MissingDependencyException

from seotasks.errors import Interrupted, StorageError

from .destinations import one_line
from .lockwait import LockWait

__all__ = [
    "KEEPALIVE",
    "DestinationLocked",
    "Hold",
    "LockLost",
    "dataset_key",
    "dataset_turn",
    "held",
    "lock_key",
]


class DestinationLocked(StorageError):
    """Another run of the same pipeline holds the destination's lock.

    A `StorageError` like a journal or a DuckDB file another run holds: the caller waits
    for that run (or ``lock_wait``), nothing in the configuration is wrong.
    """


class LockLost(DestinationLocked):
    """The run's session no longer holds its lock: another run may hold it now.

    A `DestinationLocked` (exit 6): what the run fetched is in its load package and its
    journal, loaded by the pipeline's next run, as after any stopped run.
    """


class Hold:
    """The lock a run holds, if the destination has one: `check` it before each write."""

    def __init__(
        self, client: Any = None, key: int = 0, pipeline: dlt.Pipeline | None = None
    ) -> None:
        self._client = client
        self._key = key
        self._pipeline = pipeline
        #: Why the lock's session ended, once a statement on it failed: asked again, a
        #: client that reconnects would answer from a new session, which holds nothing.
        self._ended: str | None = None

    def __bool__(self) -> bool:
        """Whether a destination lock is held (False: the destination has none)."""
        return self._client is not None

    def check(self) -> None:
        """Raise `LockLost` unless this run's own session still holds the lock.

        Asked on the lock's connection: a connection that ended fails the query (dlt
        then opens a new one, which holds nothing), and a session that lives on but was
        given a new connection is not the one that holds it. Both are a lost lock.
        """
        if self._client is None or self._pipeline is None:
            return
        if self._ended is not None:
            raise self._lost(self._ended)
        high, low = (self._key >> 32) & 0xFFFFFFFF, self._key & 0xFFFFFFFF
        try:
            rows = self._client.execute_sql(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid = pg_backend_pid() AND classid::bigint = %s AND objid::bigint = %s "
                "AND objsubid = 1",
                high,
                low,
            )
        except Exception as exc:
            why = f"its session ended ({type(exc).__name__}: {one_line(exc)})"
        else:
            if rows and rows[0][0]:
                return
            why = "its session no longer holds it"
        raise self._lost(why)

    def _lost(self, why: str) -> LockLost:
        pipeline = self._pipeline
        assert pipeline is not None
        return LockLost(
            f"pipeline {pipeline.pipeline_name} (dataset {pipeline.dataset_name}) lost its "
            f"lock in the destination: {why}; another run may be loading, so this one "
            "stopped before its load; nothing fetched is lost: run the same command again"
        )

    @contextlib.contextmanager
    def dataset_turn(self, stop: threading.Event | None = None) -> Iterator[None]:
        """The dataset's write turn while the block runs: one pipeline at a time.

        Pipelines of several accounts may load into one dataset at once (the docs and
        the Airflow recipe's parallel tasks do), yet dlt stages every merge in one
        dataset beside it (``<dataset>_staging``), whose tables a load empties first,
        and creates the dataset's own tables on first use: two loads at once emptied
        each other's staged rows (whole accounts' tasks and results lost, their journal
        acknowledged) or failed on a duplicate. The listing and the collecting, which
        take the time, still run side by side; only dlt's writes take turns. Waited for
        as long as it takes (another run's load is short), a stop ending the wait.
        """
        if self._client is None or self._pipeline is None:
            yield
            return
        key = dataset_key(self._pipeline.dataset_name)
        what = f"dataset {self._pipeline.dataset_name}'s write turn in the destination"

        def attempt() -> bool:
            try:
                rows = self._client.execute_sql("SELECT pg_try_advisory_lock(%s)", key)
            except Exception as exc:  # the session ended: the run's own lock went with it
                self._ended = f"its session ended ({type(exc).__name__}: {one_line(exc)})"
                raise self._lost(self._ended) from None
            return bool(rows and rows[0][0])

        try:
            LockWait(float("inf"), stop).take(attempt, what)
        except Interrupted:
            raise Interrupted(
                f"stopped while waiting for {what}; what was fetched is in the load "
                "package the next run loads first"
            ) from None
        try:
            yield
        finally:
            try:
                self._client.execute_sql("SELECT pg_advisory_unlock(%s)", key)
            except Exception as exc:  # a dead connection released it already
                self._ended = f"its session ended ({type(exc).__name__}: {one_line(exc)})"


def dataset_key(dataset: str) -> int:
    """The advisory lock key of ``dataset``'s write turn (`Hold.dataset_turn`)."""
    digest = hashlib.sha256(f"seotasks-dlt-dataset\0{dataset}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_key(dataset: str, pipeline: str) -> int:
    """The advisory lock's 64-bit key: the same on every machine for one pipeline's state.

    Keyed by dataset too, since a pipeline's state lives in its dataset: one pipeline
    name loading two datasets is two independent states and may run twice at once.
    """
    digest = hashlib.sha256(f"seotasks-dlt\0{dataset}\0{pipeline}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


#: The lock session's server-side TCP keepalive: the first probe after 60 s of silence,
#: then 6 more 10 s apart, and unacknowledged data given up after 120 s. A client that
#: vanished from the network is found dead, its session ended and its lock released in
#: about two minutes. Settings any role may make for its own session (PostgreSQL 12+ for
#: ``tcp_user_timeout``); a server that refuses one keeps its own value.
KEEPALIVE = (
    ("tcp_keepalives_idle", 60),
    ("tcp_keepalives_interval", 10),
    ("tcp_keepalives_count", 6),
    ("tcp_user_timeout", 120_000),
)


def _keep_alive(client: Any) -> None:
    """Ask the server to probe the lock's connection (`KEEPALIVE`). The connection is in
    autocommit, so a refused setting (an older or PostgreSQL-like server) spoils nothing."""
    for name, value in KEEPALIVE:
        with contextlib.suppress(Exception):
            client.execute_sql(f"SET {name} = {int(value)}")


def _is_postgres(pipeline: dlt.Pipeline) -> bool:
    destination = pipeline.destination
    return destination is not None and destination.destination_name == "postgres"


@contextlib.contextmanager
def held(pipeline: dlt.Pipeline, *, wait: LockWait | float = 0.0) -> Iterator[Hold]:
    """Hold the destination's lock for ``pipeline`` while the block runs.

    ``wait``: how long to wait for another run to finish (seconds, or a `LockWait`,
    which a stop cuts short with `Interrupted`; 0: refuse at once).
    Yields the `Hold` (false when the destination has no lock) to `check` before writes.
    Raises `DestinationLocked` when the lock stays taken, `StorageError` when the
    destination cannot be reached (before the run calls any vendor).
    """
    if not _is_postgres(pipeline):
        yield Hold()
        return
    key = lock_key(pipeline.dataset_name, pipeline.pipeline_name)
    client: Any = None
    try:
        # A connection of the lock's own, open for the whole run: dlt's loads use others.
        client = pipeline.sql_client()
        client.open_connection()
        _keep_alive(client)
        _take(client, key, pipeline, wait if isinstance(wait, LockWait) else LockWait(wait))
    except BaseException as exc:
        if client is not None:
            with contextlib.suppress(Exception):
                client.close_connection()
        # Missing configuration or a missing driver: a configuration error the load
        # reports (`pipeline.destination_errors`), fixed by a setting or an install.
        if isinstance(
            exc, DestinationLocked | Interrupted | ConfigFieldMissingException
        ) or not isinstance(exc, Exception):
            raise
        if isinstance(exc, MissingDependencyException):
            raise
        # Unreachable, refused credentials: before any vendor call.
        raise StorageError(
            f"cannot take pipeline {pipeline.pipeline_name}'s lock in the destination: "
            f"{type(exc).__name__}: {one_line(exc)}; nothing was fetched"
        ) from None
    try:
        yield Hold(client, key, pipeline)
    finally:
        with contextlib.suppress(Exception):  # a dead connection released it already
            client.execute_sql("SELECT pg_advisory_unlock(%s)", key)
        with contextlib.suppress(Exception):
            client.close_connection()


def _take(client: Any, key: int, pipeline: dlt.Pipeline, wait: LockWait) -> None:
    """Take the advisory lock ``key``, asking again until ``wait``'s deadline."""

    def attempt() -> bool:
        rows = client.execute_sql("SELECT pg_try_advisory_lock(%s)", key)
        return bool(rows and rows[0][0])

    what = f"pipeline {pipeline.pipeline_name}'s lock in the destination"
    if not wait.take(attempt, what):
        raise DestinationLocked(
            f"another run of pipeline {pipeline.pipeline_name} (dataset "
            f"{pipeline.dataset_name}) holds its lock in the destination: one run "
            "of a pipeline at a time - wait for it, or retry later"
        )


@contextlib.contextmanager
def dataset_turn(
    pipeline: dlt.Pipeline, *, wait: float = 0.0, stop: threading.Event | None = None
) -> Iterator[None]:
    """For `seotasks_source` run in a pipeline of your own: the pipeline's lock (`held`,
    ``wait`` seconds for another run of it) and its dataset's write turn while the block
    runs, so that pipelines of several accounts loading into one PostgreSQL dataset take
    turns (`Hold.dataset_turn` says why they must). `seotasks_dlt.load` takes them by
    itself, and turns only dlt's writes; around your own ``pipeline.run(...)`` the turn
    spans the whole run. Nothing is taken where the destination is not PostgreSQL."""
    with held(pipeline, wait=wait) as hold, hold.dataset_turn(stop):
        yield
