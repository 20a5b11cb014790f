"""One run of a pipeline at a time on one machine: a file lock in its pipelines folder.

A run extracts into the pipeline's working directory, then commits the new state with
the load. Two runs of the same pipeline at once share that directory (one may normalize
or delete the other's half-written load package) and both start from the same cursor, so
the second to commit overwrites the first's state. dlt itself does not lock, so `load`
takes `exclusive` per pipeline and refuses a second concurrent run with a clear error, or
waits for it (`lockwait.LockWait`: ``--lock-wait``).
Across machines the destination holds the lock (`seotasks_dlt.destination_lock`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from seotasks.errors import StorageError

from .lockwait import LockWait

__all__ = ["exclusive", "flock"]


@contextlib.contextmanager
def exclusive(directory: Path, name: str, wait: LockWait | None = None) -> Iterator[None]:
    """Hold pipeline ``name``'s lock in ``directory``; `StorageError` when another run
    holds it (after ``wait``, if given)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f".{name}.seotasks-lock"
    what = f"another load of pipeline {name} to end (lock {path})"
    with flock(path, wait, what) as taken:
        if not taken:
            raise StorageError(
                f"another load of pipeline {name} is running (lock {path}); dlt must not run "
                "two loads of one pipeline at once - wait for it, or use another profile"
            )
        yield


@contextlib.contextmanager
def flock(path: Path, wait: LockWait | None = None, what: str = "") -> Iterator[bool]:
    """An exclusive, non-blocking ``flock`` on ``path``: yields whether it was taken
    (asked again until ``wait``'s deadline, if given, while waiting for ``what``).

    Held for the run and released by the kernel whatever way the process ends, so a
    killed run never leaves a stale lock behind.
    """
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def attempt() -> bool:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    try:
        yield attempt() if wait is None else wait.take(attempt, what or str(path))
    finally:
        os.close(handle)
