"""Pingbacks: a durable queue of tasks to collect, and the worker that collects them.

A pingback only says "task X is ready"; the result still has to be fetched with the
provider's ``collect`` (``task_get``), which may be slow or fail for a while. So the
receiver answers a pingback at once after putting the task in `PingbackQueue` (one small
file a task, written atomically: a restart loses nothing), and `PingbackWorker` drains
that queue in the background with ``client.collect_many``, writing the same result file
a postback would. A vendor never waits on a collection, and a collection that fails
transiently is simply tried again later.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..store import atomic_write, safe_name
from .writes import LineNotPrinted, line

if TYPE_CHECKING:
    from ..client import Client
    from ..model import Task
    from .app import ReceiverApp

__all__ = ["IDLE_WAIT", "PingbackQueue", "PingbackWorker"]

log = logging.getLogger("seotasks.receive")

#: The longest the worker sleeps with nothing due, in seconds: an entry that another
#: process put in the folder (not through `PingbackQueue.put`, which wakes the worker)
#: is seen within it.
IDLE_WAIT = 5.0
_SHORTEST_WAIT = 0.01


class PingbackQueue:
    """Pending pingbacks, one JSON file each under ``folder`` (written like results)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.changed = threading.Condition()

    def put(self, task_id: str, tag: str | None, kind: str | None) -> None:
        """Queue a task durably (a repeated pingback replaces its own entry)."""
        entry = {"id": task_id, "tag": tag, "kind": kind, "at": time.time()}
        self.folder.mkdir(parents=True, exist_ok=True)
        data = json.dumps(entry, allow_nan=False).encode()
        atomic_write(self.folder / f"{task_id}.json", data)
        with self.changed:
            self.changed.notify_all()

    def entries(self) -> list[dict[str, Any]]:
        """Every pending entry (oldest first); unreadable ones are skipped and logged."""
        found: list[tuple[float, dict[str, Any]]] = []
        try:
            names = [n for n in os.listdir(self.folder) if n.endswith(".json")]
        except OSError:  # not created yet, or unreadable: nothing to collect now
            return []
        for name in names:
            path = self.folder / name
            try:
                entry = json.loads(path.read_bytes())
                stamp = path.stat().st_mtime
            except (OSError, ValueError):
                continue
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                found.append((stamp, entry))
        found.sort(key=lambda pair: pair[0])
        return [entry for _, entry in found]

    def holds(self, task_id: str) -> bool:
        """Whether ``task_id``'s entry is still queued."""
        return (self.folder / f"{task_id}.json").is_file()

    def done(self, task_id: str) -> None:
        (self.folder / f"{task_id}.json").unlink(missing_ok=True)

    def __len__(self) -> int:
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            return 0
        return sum(1 for e in entries if e.name.endswith(".json") and e.is_file())


@attrs.define(eq=False)
class PingbackWorker:
    """Collects queued pingbacks with ``client.collect_many`` until stopped.

    An entry leaves the queue once its file is written (or was there already). A task
    the vendor says has no result (unknown, expired: `NoResult`) or the provider cannot
    collect is moved to ``.pingbacks/failed/`` and logged; any other failure (transient,
    an answer that does not read, a task not done yet: a pingback that came early, a
    proxy's refusal, a wait cut short by `halt`) stays queued and is tried again after
    ``retry_after`` seconds, twice as long after each failure up to ``longest_wait``, or at
    the next start. Credentials the vendor
    refuses (`AuthError`: wrong, rotated, blocked) say nothing of the task: the worker
    stops, said in one line, and every entry stays queued for a start with working
    ones. A service object, not a value: compared by identity (``eq=False``).
    """

    app: ReceiverApp
    client: Client
    workers: int = attrs.field(default=4, kw_only=True)
    retry_after: float = attrs.field(default=60.0, kw_only=True)
    #: The longest wait between two tries of one entry (see `_waits`).
    longest_wait: float = attrs.field(default=3600.0, kw_only=True)
    stop: threading.Event = attrs.field(init=False, factory=threading.Event)
    _tried: dict[str, float] = attrs.field(init=False, factory=dict)
    #: How long each entry that failed waits before its next try: ``retry_after``, then
    #: twice as long after each failure, up to ``longest_wait``. A fetch the vendor keeps
    #: refusing (a kind it has no API for, ``40400``) was asked, and said, every minute
    #: for ever; the entry stays queued all the same (a proxy's refusal ends).
    _waits: dict[str, float] = attrs.field(init=False, factory=dict)
    _busy: set[str] = attrs.field(init=False, factory=set)
    thread: threading.Thread = attrs.field(init=False)

    @thread.default
    def _worker_thread(self) -> threading.Thread:
        return threading.Thread(target=self._run, name="seotasks-pingbacks", daemon=True)

    def start(self) -> PingbackWorker:
        self.thread.start()
        return self

    def halt(self) -> None:
        """Take no more entries, and end any pacing or ``Retry-After`` wait now (a vendor
        may ask for an hour): the call waited for is not sent, its entry stays queued for
        the next start. Calls already sent finish and are written. Safe from a signal
        handler: it only sets events."""
        self.stop.set()
        self.client.transport.interrupt.set()

    def close(self, timeout: float = 60.0) -> bool:
        """Stop, waiting up to ``timeout`` seconds for the fetches in flight; whether they
        ended. One still waiting for the vendor's answer is left (the thread is a daemon):
        its entry stays queued, and a write it started is atomic or not there at all."""
        self.stop.set()
        with self.app.pingbacks.changed:
            self.app.pingbacks.changed.notify_all()
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def _due(self) -> Iterator[Task]:
        from ..model import Task, TaskStatus

        queue = self.app.pingbacks
        while not self.stop.is_set():
            now = time.monotonic()
            fresh = False
            next_due = now + IDLE_WAIT
            for entry in queue.entries():
                task_id = entry["id"]
                tried = self._tried.get(task_id)
                wait = self._waits.get(task_id, self.retry_after)
                if task_id in self._busy or (tried is not None and now - tried < wait):
                    if tried is not None:  # due again then, if its fetch fails
                        next_due = min(next_due, tried + wait)
                    continue
                if not safe_name(task_id):
                    queue.done(task_id)
                    continue
                if not queue.holds(task_id):
                    # Settled since `entries` was read (collected, or set aside with its
                    # error line): fetched again from this stale list, a refused task
                    # was asked and reported twice.
                    continue
                try:
                    stored = self.app.store.existing(self.app.provider, task_id) is not None
                except OSError as exc:  # a folder in the way of its file: said once a burst
                    self.app.stored.failed(exc)
                    self._tried[task_id] = now  # looked at again after its wait
                    continue
                if stored:
                    # Written since it was queued (``collect --to`` on the same folder,
                    # or a kill between the write and `done`): nothing left to fetch.
                    queue.done(task_id)
                    continue
                kind = entry.get("kind") if isinstance(entry.get("kind"), str) else None
                tag = entry.get("tag") if isinstance(entry.get("tag"), str) else None
                self._busy.add(task_id)
                self._tried[task_id] = now
                fresh = True
                yield Task(
                    provider=self.client.name,
                    id=task_id,
                    status=TaskStatus.COMPLETED,
                    kind=kind,
                    tag=tag,
                )
                if self.stop.is_set():
                    return
            if not fresh:
                # Nothing due: sleep until the next entry is (a pingback queued meanwhile
                # wakes the worker at once). Reading every entry twice a second instead
                # costs a large backlog, all waiting out a failure, its files' reads.
                with queue.changed:
                    queue.changed.wait(max(next_due - time.monotonic(), _SHORTEST_WAIT))

    def _run(self) -> None:
        from ..collect import VERDICTS
        from ..errors import AuthError

        queue = self.app.pingbacks
        for outcome in self.client.collect_many(self._due(), workers=self.workers, stop=self.stop):
            task_id = outcome.task.id
            try:
                # Whatever JSON ``collect`` answered (DataForSEO's task_get an object, a
                # vendor whose result is a list of items an array) is what the file holds.
                if outcome.error is None:
                    self.app.write(task_id, outcome.result, via="pingback", tag=outcome.task.tag)
                    queue.done(task_id)
                    self._forget(task_id)
                elif isinstance(outcome.error, VERDICTS):
                    log.warning("receiver: pingback %s failed: %s", task_id, outcome.error)
                    self._fail(task_id, outcome.describe_error() or "", outcome.task.tag)
                elif isinstance(outcome.error, AuthError):
                    if not self.stop.is_set():
                        log.error(
                            "receiver: the vendor refused the credentials (%s): pingbacks "
                            "are queued, not collected, until a start with working ones",
                            outcome.error,
                        )
                        self.halt()
                else:
                    # Kept queued: the task is still to be had (a transient failure, a
                    # stop, a task not done yet, a proxy's refusal), or an answer we could
                    # not take may have consumed it at the vendor, which then lists it no
                    # more (`collect` keeps such a fetch in its journal).
                    wait = min(
                        self._waits.get(task_id, self.retry_after / 2) * 2, self.longest_wait
                    )
                    self._waits[task_id] = wait
                    log.warning(
                        "receiver: pingback %s not collected yet (tried again in %s): %s",
                        task_id,
                        f"{wait / 60:g} min" if wait >= 60 else f"{wait:g} s",
                        outcome.error,
                    )
            except (OSError, LineNotPrinted):
                # A write: logged once per burst by app.stored; the entry stays queued and
                # is tried again after retry_after. stdout: the command stops, the line is
                # owed, and the next start finds the file and settles the entry.
                pass
            finally:
                self._busy.discard(task_id)

    def _fail(self, task_id: str, error: str, tag: str | None) -> None:
        # The line is owed before the entry is set aside, printed after: a failed stdout
        # leaves it for the next start, which does not fetch the task again.
        said = line(self.app.provider, task_id, tag=tag, via="pingback", error=error)
        self.app.announce(said, then=lambda: self._set_aside(task_id, error))

    def _set_aside(self, task_id: str, error: str) -> None:
        queue = self.app.pingbacks
        failed = queue.folder / "failed"  # made at the start (`receiver_places`)
        failed.mkdir(parents=True, exist_ok=True)
        source = queue.folder / f"{task_id}.json"
        try:
            os.replace(source, failed / f"{task_id}.json")
            (failed / f"{task_id}.error.txt").write_text(error + "\n")
        except OSError:
            queue.done(task_id)
        self._forget(task_id)

    def _forget(self, task_id: str) -> None:
        """An entry settled: its tries are no longer counted."""
        self._tried.pop(task_id, None)
        self._waits.pop(task_id, None)
