"""`Journal`: the intents of consuming reads, so a fetched result is never lost.

Some reads consume: DataForSEO forgets a ``tasks_ready`` task once ``task_get`` has
answered it, so a result fetched and then lost (a kill, a full disk, a closed pipe) is
gone from the only listing that would have offered it again. A message-queue consumer
solves the same problem by acknowledging a delivery only once its effect is durable.
Here the order is:

1. `Journal.record` the task (its id and everything its provider needs to fetch it again
   by id: kind, the vendor's own item) in one small file, fsynced, *before* the fetch;
2. fetch; write the result where it goes (a file, a table row) durably;
3. `Journal.ack` the task: its entry is removed.

At the next start, `Journal.pending` returns every entry left behind: the tasks whose
fetch may have consumed them without their result reaching storage. The caller fetches
them again by id first. A kill at any instant therefore loses nothing, and costs the
vendor at most one more fetch per task that was in flight.

One file per entry (named by a digest of the task id, so any id is a safe name) rather
than an append-only log: an entry is written whole or not at all (`atomic_write`), an
acknowledgement is one ``unlink``, and nothing ever needs compacting. An ``unlink`` that
a power cut undoes only brings a task back for one more fetch; the caller skips the
fetch when the result is already stored. Entries are plain JSON: a journal may outlive
the process that wrote it and is read by a later one, so nothing in it runs code.

A journal is used by one run at a time: `Journal.open` takes an exclusive lock on the
folder (``flock``), so a second run over the same folder fails at once with
`StorageError` instead of replaying the first run's fetches under its feet.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import stat
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from .errors import StorageError
from .export import task_record
from .model import Task, TaskStatus
from .store import atomic_write, check_writable, hold_lock, sweep_temporary

__all__ = ["Journal", "held_ids", "task_from_entry"]

_VERSION = 1
_SUFFIX = ".intent.json"
#: The file naming the account whose tasks the journal holds (`Journal.check_account`).
_ACCOUNT = ".account"
#: The largest entry `pending` reads (one task's record and its vendor item: kilobytes).
_ENTRY_MAX = 1 << 20


def _entry_name(task_id: str) -> str:
    return hashlib.blake2b(task_id.encode(), digest_size=16).hexdigest() + _SUFFIX


def _entry(task: Task) -> bytes:
    record = task_record(task, raw=True)
    record["provider"] = task.provider
    record["id"] = task.id
    data = {"version": _VERSION, "task": record}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def task_from_entry(record: Mapping[str, Any]) -> Task:
    """The `Task` a journal entry recorded: what a provider's ``collect`` needs again.

    The vendor's item (``raw``), the id, kind and status come back exactly; times and
    cost as their ISO / decimal text allows. A value that no longer validates is dropped
    (None) rather than refused: the entry exists to fetch the task again by id, and a
    fetch needs the id, the kind and the raw item, not a perfect copy of the listing.
    """
    status_text = record.get("status")
    try:
        status = TaskStatus(status_text) if status_text else TaskStatus.COMPLETED
    except ValueError:
        status = TaskStatus.COMPLETED
    cost: Decimal | None = None
    if isinstance(record.get("cost"), int | float | str):
        with contextlib.suppress(InvalidOperation):
            cost = Decimal(str(record["cost"]))
    raw = record.get("raw")

    def text(name: str) -> str | None:
        value = record.get(name)
        return value if isinstance(value, str) else None

    count = record.get("keywords_count")
    return Task(
        provider=str(record["provider"]),
        id=str(record["id"]),
        status=status,
        created_at=_time(record.get("created_at")),
        started_at=_time(record.get("started_at")),
        completed_at=_time(record.get("completed_at")),
        kind=text("kind"),
        tag=text("tag"),
        cost=cost,
        engine=text("engine"),
        device=text("device"),
        location=text("location"),
        language=text("language"),
        keywords_count=count if type(count) is int else None,
        message=text("message"),
        raw=raw if isinstance(raw, dict) else {},
    )


class Journal:
    """Intent entries of one provider's consuming reads, in ``folder``.

    Create it with `Journal.open` (which checks the folder is writable and locks it);
    `close` releases the lock. Thread-safe: `record` runs on the collect workers, `ack`
    on the thread that made the result durable; each touches only its own entry's file.
    """

    def __init__(self, folder: Path, provider: str, lock: IO[bytes]) -> None:
        self.folder = folder
        self.provider = provider
        self._lock = lock
        #: Entries written by this run (for the closing summary and the tests).
        self.recorded = 0

    @classmethod
    def open(cls, folder: str | os.PathLike[str], provider: str) -> Journal:
        """The journal in ``folder`` (any path, text included) for ``provider``: proven
        writable and locked.

        `StorageError` when the folder cannot be written (nothing has been consumed
        yet, so the fix loses nothing) or when another run holds it.
        """
        folder = Path(folder)
        check_writable(folder, what="the journal folder")
        lock = hold_lock(  # held until close()
            folder / ".lock",
            busy=f"another seotasks run is using the journal in {folder}: wait for it to "
            "end (two runs over one journal would fetch each other's tasks)",
            unopened=f"the journal folder {folder} is not writable",
        )
        sweep_temporary(folder)  # entries a kill cut off while they were written
        return cls(folder, provider, lock)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
        self._lock.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_provider(self, name: str) -> None:
        """`ValueError` unless this is ``name``'s journal, and open: `pending` returns its
        provider's entries only, so another provider's tasks recorded here would never
        come back; and a closed one no longer holds its lock (another run may)."""
        if self._lock.closed:
            raise ValueError(f"the journal in {self.folder} is closed: open it again")
        if name != self.provider:
            raise ValueError(
                f"this is the journal of {self.provider}, not of {name}: open one for "
                f"{name} (seotasks.Journal.open(folder, {name!r}))"
            )

    def check_account(self, account: str | None) -> None:
        """`ValueError` when entries of another account (`seotasks.account.account_key`:
        another login or API host) are pending here; else this journal is ``account``'s.

        Fetched with this account's credentials, another's tasks are "not found" (the
        vendor's word on the task: `NoResult`) and settled, their results lost for good.
        The account is kept in the folder (``.account``); an empty journal changes hands.
        """
        if account is None:  # a provider without account options: nothing to tell apart
            return
        marker = self.folder / _ACCOUNT
        try:
            held: str | None = marker.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            held = None
        except (OSError, UnicodeDecodeError) as exc:
            raise StorageError(f"cannot read {marker}: {exc}") from None
        if held == account:
            return
        if held is not None and next(self._entries(), None) is not None:
            raise ValueError(
                f"the journal in {self.folder} holds tasks of another {self.provider} account "
                "(another login or API host): fetched with this one's credentials they would "
                "be 'not found' and dropped. Give each account a journal folder of its own, "
                "and run the other account over this one to deliver them"
            )
        try:
            atomic_write(marker, account.encode())
        except OSError as exc:
            raise StorageError(f"cannot write {marker}: {exc.strerror}") from None

    def record(self, task: Task) -> None:
        """Durably note that ``task`` is about to be fetched (file and folder fsynced).

        Raises `StorageError` when the entry cannot be written: the fetch must then not
        happen, since nothing would bring the task back should its result be lost.
        """
        try:
            atomic_write(self.folder / _entry_name(task.id), _entry(task))
        except OSError as exc:
            raise StorageError(
                f"cannot record task {task.id} in the journal {self.folder}: {exc.strerror}; "
                "it was not fetched"
            ) from None
        self.recorded += 1

    def ack(self, task_id: str) -> None:
        """The task's result is durable: forget its entry (``task_id``, the `Task.id`).

        Raises `StorageError` when the entry cannot be removed (the folder turned
        read-only, say): nothing is lost, since the entry only brings the task back for
        a check (its file exists) or one more fetch, but the folder no longer takes the
        writes a run needs, and the caller should stop as it does for a full disk.
        """
        if not isinstance(task_id, str):
            raise TypeError(f"ack takes the task's id (task.id), got {type(task_id).__name__}")
        try:
            os.unlink(self.folder / _entry_name(task_id))
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageError(
                f"cannot remove task {task_id}'s entry from the journal {self.folder}: "
                f"{exc.strerror}"
            ) from None

    def pending(self) -> list[Task]:
        """Every task recorded and not acknowledged, oldest entry first.

        An entry that cannot be *read* (permissions, an I/O error) is a `StorageError`:
        its task may be owed, and the folder needs fixing first. One that reads but does
        not parse was damaged on disk (`record` writes whole files, by a rename): it is
        renamed ``*.damaged``, out of every later run's way, and kept for a person to
        look at; its task cannot be fetched again without its id.
        """
        found: list[tuple[float, str, Task]] = []
        for path in self._entries():
            try:
                data, mtime = _read_entry(path)
            except FileNotFoundError:  # acknowledged meanwhile
                continue
            except OSError as exc:
                raise StorageError(
                    f"cannot read the journal entry {path}: {exc.strerror}; its task may be "
                    "owed, so nothing is fetched until the folder reads"
                ) from None
            try:
                record = _entry_record(data, self.provider)
                if record is None:
                    continue
                task = task_from_entry(record)
            except _DAMAGED:
                with contextlib.suppress(OSError):
                    path.rename(path.with_name(path.name + ".damaged"))
                continue
            found.append((mtime, path.name, task))
        found.sort(key=lambda item: (item[0], item[1]))
        return [task for _, _, task in found]

    def _entries(self) -> Iterator[Path]:
        return _entry_paths(self.folder)


def held_ids(folder: Path, provider: str) -> set[str]:
    """The ids of ``provider``'s tasks the journal in ``folder`` holds, read as a look,
    not a run (``seotasks status``): no lock taken, nothing renamed or swept. A folder
    that does not exist holds none; an entry that does not read is passed over (the run
    that opens the journal says what is wrong with it)."""
    held: set[str] = set()
    if not folder.exists():
        return held
    for path in _entry_paths(folder):
        try:
            record = _entry_record(_read_entry(path)[0], provider)
        except (OSError, *_DAMAGED):
            continue
        if record is not None:
            held.add(record["id"])
    return held


def _entry_paths(folder: Path) -> Iterator[Path]:
    """The entries in ``folder`` (`StorageError` when it cannot be listed)."""
    try:
        names = os.listdir(folder)
    except OSError as exc:
        raise StorageError(
            f"cannot list the journal {folder}: {exc.strerror}; its tasks may be owed"
        ) from None
    for name in names:
        if name.endswith(_SUFFIX) and not name.startswith("."):
            yield folder / name


#: What reading an entry that was damaged on disk raises (`_entry_record`).
_DAMAGED = (ValueError, KeyError, TypeError, RecursionError)


def _entry_record(data: bytes, provider: str) -> dict[str, Any] | None:
    """An entry's task record, None when it is another provider's; one of `_DAMAGED`
    when it does not parse, or names no task id."""
    if len(data) > _ENTRY_MAX:
        raise ValueError("no entry of ours is that large")
    record: dict[str, Any] = json.loads(data)["task"]  # else a TypeError just below
    if record["provider"] != provider:
        return None
    if not isinstance(record["id"], str) or not record["id"]:
        raise ValueError("an entry without its task's id")
    return record


def _read_entry(path: Path) -> tuple[bytes, float]:
    """An entry's bytes and its time, read only from a regular file of at most
    `_ENTRY_MAX` bytes (one byte more is read, to tell a larger one, damaged): a FIFO
    named like an entry would block the run for ever (its lock held), a link to
    ``/dev/zero`` fill the memory. Anything but a regular file is an `OSError`."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(_ENTRY_MAX + 1)
    finally:
        os.close(fd)
    return data, info.st_mtime
