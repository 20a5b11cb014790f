"""Claims on task ids across the processes that write one result folder.

``seotasks collect --to DIR`` and ``seotasks receive --to DIR`` (its postbacks and its
pingback worker) may run side by side on one folder, and each writes a task's file only
when none is there. Checked and written without a claim, both could find no file, both
write, both print a line: the same task twice in the lines a loader reads (26 and 28 of
300 pingback tasks, in two of four tries). So the check and the write happen under a
claim on the task id that every process writing the folder respects.

A claim is a byte-range lock (`fcntl.lockf`) on one lock file in the folder, one byte per
slot of the id's hash: held by the process, released by the kernel when it dies. Record
locks belong to a process, not a thread, so a thread lock per slot orders the threads of
one process; and a process must keep a single descriptor of the file (closing any other
would drop its locks): the claims of a folder are one object per process
(`claims_for`). Slots are taken in order and waited for by polling, so two processes can
wait for each other neither in fact nor, as the kernel's deadlock check judges a process
whole, in its eyes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import StorageError

__all__ = ["FolderClaims", "claims_for"]

#: Slots of the lock file: two ids sharing one wait for each other, nothing worse.
_SLOTS = 4096
#: Seconds between two tries of a slot another process holds.
_POLL = 0.01

_registry: dict[str, FolderClaims] = {}
_registry_lock = threading.Lock()


def claims_for(folder: Path) -> FolderClaims:
    """The one `FolderClaims` of ``folder`` in this process."""
    key = os.path.realpath(folder)
    with _registry_lock:
        claims = _registry.get(key)
        if claims is None:
            claims = _registry[key] = FolderClaims(Path(key))
        return claims


class FolderClaims:
    """Claims on the task ids of one result folder (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / ".seotasks" / "claims.lock"
        self._fd: int | None = None
        self._open = threading.Lock()
        self._slots = [threading.Lock() for _ in range(_SLOTS)]

    def check(self) -> None:
        """Open the lock file now: `StorageError` when this user cannot (one another user
        made, in a folder a group shares), before anything is taken from a vendor."""
        try:
            self._descriptor()
        except OSError as exc:
            raise StorageError(
                f"cannot open {self.path}: {exc.strerror or exc} (every process writing "
                f"{self.path.parent.parent} takes its claims there: it must be writable by "
                "each user who runs one)"
            ) from None

    def _descriptor(self) -> int:
        with self._open:
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # The umask decides, as for the results: a folder a group shares (umask
                # 002) gets a lock file the group can open. It holds nothing secret.
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            return self._fd

    @contextlib.contextmanager
    def claimed(self, provider: str, task_ids: Iterable[str]) -> Iterator[None]:
        """Hold the claims of ``task_ids`` (every process writing the folder waits)."""
        slots = sorted({zlib.crc32(f"{provider}/{i}".encode()) % _SLOTS for i in task_ids})
        fd = self._descriptor()
        held: list[int] = []
        try:
            for slot in slots:
                self._slots[slot].acquire()
                try:
                    _lock(fd, slot)
                except BaseException:
                    self._slots[slot].release()
                    raise
                held.append(slot)
            yield
        finally:
            for slot in reversed(held):
                fcntl.lockf(fd, fcntl.LOCK_UN, 1, slot)
                self._slots[slot].release()


def _lock(fd: int, slot: int) -> None:
    while True:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, slot)
            return
        except BlockingIOError:
            time.sleep(_POLL)
        except PermissionError:  # some systems say EACCES for a lock held elsewhere
            time.sleep(_POLL)
