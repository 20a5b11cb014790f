"""Sorted runs of tasks on disk: how `seotasks.merged` sorts more tasks than it may hold.

A source whose disorder outgrows the merge's memory setting is cut into sorted runs of
at most that many tasks, each written to a file; the runs are then read back together
by ``heapq.merge`` (a classic external merge sort). More than `FAN_IN` runs are first
merged in groups into longer runs, so the number of open files stays bounded too.

The files live in one private directory (``tempfile.mkdtemp``: mode 0700, an
unguessable name under ``$TMPDIR``), created only when the first run is written and
removed with everything in it when the merge ends, fails, is interrupted (Ctrl-C), is
closed or garbage-collected, or at interpreter exit (``weakref.finalize``). A process
killed outright (SIGKILL) leaves it behind, as ``$TMPDIR/seotasks-merge-*``: the next
merge to spill under the same parent removes it. Each directory holds ``owner.lock``,
locked (``flock``) by the process that made it for as long as it lives, so a directory
whose lock can be taken has no owner left; one being made, or another user's (which
cannot be entered), is left alone.

Format: each run is a sequence of pickled chunks, each a list of task rows (the
tuple of every `Task` field, ``raw`` as a plain dict). Pickle because it round-trips
every value a task may hold exactly and cheaply: ``Decimal`` costs, timezone-aware
datetimes, ``None``, the vendor's ``raw`` with whatever it decoded to. Unpickling runs
code named by the file, which is safe only for files nobody else can write: these are
written and read by this process alone, in a directory only its user can enter, and
never come from outside (a caller never hands one in).
"""

from __future__ import annotations

import fcntl
import heapq
import operator
import os
import pickle
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs

from .errors import StorageError
from .model import Task

__all__ = ["FAN_IN", "Run", "SpillDir", "task_from_row", "task_row"]

#: Most runs read at once; beyond it runs are merged in groups first.
FAN_IN = 64
_PROTOCOL = pickle.HIGHEST_PROTOCOL
#: A spill directory's name, and the file its process holds locked while it lives.
_PREFIX, _LOCK = "seotasks-merge-", "owner.lock"
#: Every `Task` field, by constructor name and by slot, ``raw`` last: a field added to
#: Task is carried without a change here.
_NAMES = tuple(a.alias or a.name for a in attrs.fields(Task))
_SLOTS = tuple(a.name for a in attrs.fields(Task))
if _NAMES[-1] != "raw":
    raise AssertionError("spill rows expect Task's raw field last")
_values = operator.attrgetter(*_SLOTS)


def task_row(task: Task) -> tuple[Any, ...]:
    """Every field of ``task`` as a plain tuple, in `Task`'s field order (``raw`` a dict)."""
    values: tuple[Any, ...] = _values(task)
    raw = values[-1]  # the task's own dict (or a read-only view): the row holds a dict
    return values if type(raw) is dict else (*values[:-1], dict(raw))


def task_from_row(row: Sequence[Any]) -> Task:
    """The `Task` of a `task_row` tuple.

    ``raw`` goes in as a read-only view of the row's dict, which only this row
    holds (freshly unpickled, or copied by `task_row`): no second copy of it.
    """
    fields = dict(zip(_NAMES, row, strict=True))
    fields["raw"] = MappingProxyType(fields["raw"])
    return Task(**fields)


class Run:
    """One sorted run on disk; read once, then the file is removed."""

    def __init__(self, path: Path, count: int) -> None:
        self.path = path
        self.count = count

    def __iter__(self) -> Iterator[Task]:
        """The run's tasks in order, one chunk in memory at a time; the file goes at the end."""
        try:
            with self.path.open("rb") as fh:
                while True:
                    try:
                        rows = pickle.load(fh)  # one chunk: each has its own memo
                    except EOFError:
                        break
                    for row in rows:
                        yield task_from_row(row)
        finally:
            self.path.unlink(missing_ok=True)


class SpillDir:
    """The private directory of one merge's runs; created on first use, removed by `close`."""

    def __init__(self, parent: str | Path | None = None, *, chunk: int = 1024) -> None:
        self._parent = None if parent is None else str(parent)
        #: Tasks per pickled chunk: a reader holds one chunk per open run.
        self.chunk = max(1, chunk)
        self._path: Path | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._count = 0
        #: The runs being read: `close` ends them, each closing and removing its file.
        self._reading: list[Iterator[Task]] = []
        #: Runs written so far (for tests and benchmarks).
        self.runs_written = 0

    @property
    def path(self) -> Path | None:
        """The directory, once a run was written."""
        return self._path

    def _directory(self) -> Path:
        if self._path is None:
            parent = self._parent or tempfile.gettempdir()
            remove_abandoned(parent)
            try:
                made, owner = _make_owned(parent)
            except OSError as exc:
                raise _unwritable(parent, exc) from None
            self._path = Path(made)
            self._finalizer = weakref.finalize(self, _remove, self._path, owner)
        return self._path

    def write(self, tasks: Iterable[Task]) -> Run:
        """Write ``tasks`` (already in order) as a new run."""
        directory = self._directory()
        self._count += 1
        path = directory / f"run-{self._count:06d}"
        count = 0
        chunk: list[tuple[Any, ...]] = []
        try:
            with path.open("wb") as fh:
                for task in tasks:
                    chunk.append(task_row(task))
                    if len(chunk) >= self.chunk:
                        pickle.dump(chunk, fh, protocol=_PROTOCOL)
                        count += len(chunk)
                        chunk = []
                if chunk:
                    pickle.dump(chunk, fh, protocol=_PROTOCOL)
                    count += len(chunk)
        except OSError as exc:  # a full disk, a quota: say where and what to do
            path.unlink(missing_ok=True)
            raise _unwritable(str(directory.parent), exc) from None
        self.runs_written += 1
        return Run(path, count)

    def merge(self, runs: list[Run], key: Callable[[Task], Any]) -> Iterator[Task]:
        """All ``runs`` as one ordered stream, at most `FAN_IN` files open at a time."""
        runs = list(runs)
        while len(runs) > FAN_IN:
            group, runs = runs[:FAN_IN], runs[FAN_IN:]
            runs.append(self.write(heapq.merge(*self._read(group), key=key)))
        return heapq.merge(*self._read(runs), key=key)

    def _read(self, runs: list[Run]) -> list[Iterator[Task]]:
        readers = [iter(run) for run in runs]
        self._reading.extend(readers)
        return readers

    def close(self) -> None:
        """Close the runs being read and remove the directory with every run in it
        (idempotent). Closed here, not when the garbage collector gets to them: a merge
        ended by an exception (Ctrl-C) keeps its readers alive in the traceback's frames,
        and their open files would outlive the merge."""
        readers, self._reading = self._reading, []
        for reader in readers:
            close = getattr(reader, "close", None)
            if close is not None:
                close()
        if self._finalizer is not None:
            self._finalizer()


def _unwritable(where: str, exc: OSError) -> StorageError:
    return StorageError(
        f"the merge cannot write its temporary files under {where}: "
        f"{exc.strerror or exc}; point TMPDIR (library: merged(tmpdir=...)) at a writable "
        "disk with room, or merge in arrival order (--order arrival; library: "
        "order='arrival', or a larger buffer=)"
    )


def _make_owned(parent: str) -> tuple[str, int]:
    """A new spill directory under ``parent``, and its ``owner.lock`` held: locked under
    another name, then renamed, so a sweeper never finds the lock there and free (it
    would take a directory being made for an abandoned one)."""
    made = tempfile.mkdtemp(prefix=_PREFIX, dir=parent)
    owner = -1
    try:
        making = os.path.join(made, f"{_LOCK}.new")
        owner = os.open(making, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        fcntl.flock(owner, fcntl.LOCK_EX)
        os.rename(making, os.path.join(made, _LOCK))
    except OSError:
        if owner >= 0:
            os.close(owner)
        shutil.rmtree(made, ignore_errors=True)
        raise
    return made, owner


def _remove(path: Path, owner: int) -> None:
    shutil.rmtree(path, ignore_errors=True)
    os.close(owner)  # after: a sweeper must not find the directory unlocked while it goes


def remove_abandoned(parent: str | Path) -> list[Path]:
    """Remove the spill directories under ``parent`` whose process is gone (killed with
    SIGKILL: nothing of it ran to remove them); the ones removed. A directory whose
    ``owner.lock`` is held, is missing (being made) or cannot be opened (another user's,
    mode 0700) is kept; a link is never followed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed  # an unreadable parent: the mkdtemp that follows says so
    for entry in entries:
        if not entry.name.startswith(_PREFIX) or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            lock = os.open(os.path.join(entry.path, _LOCK), os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # held: its process is alive
        finally:
            os.close(lock)
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    return removed
