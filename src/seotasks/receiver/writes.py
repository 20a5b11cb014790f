"""Result files written once each, durably, however often a task is delivered.

Vendors retry callbacks, and a postback and a pingback for the same task can race: the
receiver must still write one file a task and print one line for it. Each task id is
claimed before its file is checked and written, so a second delivery waits for the
first one's write and then finds the file; claims are taken in id order, so two
envelopes sharing tasks cannot wait for each other in a circle. The files are written
through `ResultStore` (atomic, fsynced), exactly as ``seotasks collect --to DIR`` writes
them, so the two ways of collecting mix in one folder. The lines the files need are
recorded first (`OwedLines`), so none is lost to a kill or a failing stdout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from ..store import ResultStore
from .owed import OwedLines

if TYPE_CHECKING:
    from ..provider import JSONValue

__all__ = ["Emit", "LineNotPrinted", "ResultWriter", "line"]

#: Where the receiver's JSON lines go (one a task: written, failed, queued).
Emit = Callable[[dict[str, Any]], None]


class LineNotPrinted(Exception):
    """Raised by an `Emit` whose stdout failed (full, closed, its reader gone): the line
    was not printed. The receiver stops; a written file's line stays owed (`OwedLines`)
    and is printed at the next start."""


def line(
    provider: str,
    task_id: str,
    *,
    tag: Any,
    via: str,
    path: str | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """The JSON line printed for one task (``tag`` only when it is a string)."""
    return {
        "provider": provider,
        "id": task_id,
        "tag": tag if isinstance(tag, str) else None,
        "via": via,
        "path": path,
        "error": error,
    }


class _Claims:
    """Per-task write slots: a second delivery of a task waits for the first one's write."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy: dict[str, threading.Event] = {}

    def claim(self, key: str) -> threading.Event | None:
        """The event to wait on when ``key`` is being written, else None (claimed)."""
        with self._lock:
            event = self._busy.get(key)
            if event is None:
                self._busy[key] = threading.Event()
            return event

    def release(self, key: str) -> None:
        with self._lock:
            event = self._busy.pop(key)
        event.set()


@attrs.define(eq=False)
class ResultWriter:
    """Writes the result files of ``provider``'s tasks into ``store``, each task once.

    A service object, not a value: compared by identity (``eq=False``).
    """

    store: ResultStore
    provider: str
    emit: Emit
    owed: OwedLines
    _claims: _Claims = attrs.field(init=False, factory=_Claims)

    def write_many(self, results: list[tuple[str, JSONValue, Any]], *, via: str) -> int:
        """Write the files of tasks not written yet (durably); returns how many were written.

        Each task is claimed first, so a concurrent delivery of the same task waits for
        this write and then finds the file: one file, one line. Claims are taken in id
        order, so two envelopes sharing tasks cannot wait for each other in a circle.
        The lines are recorded as owed before the files are written and settled once
        printed: a kill or a failing stdout in between leaves them for the next start.
        """
        claimed: list[str] = []
        try:
            wanted: list[tuple[str, JSONValue, Any]] = []
            for task_id, result, tag in sorted(results, key=lambda item: item[0]):
                if task_id in claimed:
                    continue
                while True:
                    wait = self._claims.claim(task_id)
                    if wait is None:
                        break
                    wait.wait(30.0)
                claimed.append(task_id)
                wanted.append((task_id, result, tag))
            # Against other processes too (``collect --to`` on this folder): the check
            # for a file and its write are one step.
            with self.store.claimed(self.provider, claimed):
                fresh = [w for w in wanted if self.store.existing(self.provider, w[0]) is None]
                if not fresh:
                    return 0
                owed = self.owed.record(line(self.provider, i, tag=t, via=via) for i, _, t in fresh)
                try:
                    paths = self.store.write_many(self.provider, [(i, r) for i, r, _ in fresh])
                except BaseException:
                    self._announce_written(fresh, via)
                    self.owed.settle(owed)
                    raise
        finally:
            for task_id in claimed:
                self._claims.release(task_id)
        for (task_id, _, tag), path in zip(fresh, paths, strict=True):
            self.emit(line(self.provider, task_id, tag=tag, via=via, path=str(path)))
        self.owed.settle(owed)
        return len(paths)

    def _announce_written(self, fresh: list[tuple[str, JSONValue, Any]], via: str) -> None:
        """After a failed `write_many` (a full disk), print the lines of the files that
        were written before it failed: each is whole, and a redelivery will find it and
        stay silent, so this is their only chance of a line. Called with the claims held,
        so no other delivery announces them too."""
        for task_id, _, tag in fresh:
            path = self.store.existing(self.provider, task_id)
            if path is not None:
                self.emit(line(self.provider, task_id, tag=tag, via=via, path=str(path)))
