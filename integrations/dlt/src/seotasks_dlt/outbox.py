"""Consuming reads in a pipeline: nothing fetched is forgotten before its row is loaded.

DataForSEO forgets a ``tasks_ready`` task once ``task_get`` has answered it. In a dlt
run, an answered result becomes a row that reaches the destination only when the whole
run's load package is loaded, seconds or minutes later. A kill in between used to lose
every result fetched so far: the vendor no longer lists them, the table never got them.

`Outbox` keeps, per provider whose listing drains (`Capabilities.drains`), two things
under one folder:

* the `seotasks.journal.Journal`: an entry is recorded, fsynced, *before* each
  consuming fetch, and acknowledged only after the dlt load that holds the task's
  result row has completed (`Outbox.acknowledge`, called once ``pipeline.run`` returned);
* ``fetched/``: each result, streamed there by the fetch itself (`Client.collect_many`
  with ``into=``) and renamed to the task's name as soon as it arrives.

A run that starts with entries left behind re-delivers them first: from ``fetched/``
when the result is there (no vendor call), else by fetching the task again by id. So a
kill at any instant loses nothing, and costs the vendor at most one more fetch per task
that was in flight at the kill (fetched, not yet written to ``fetched/``), never one per
task fetched since the last load.

Why beside the pipeline's working folder and not inside it: dlt wipes that folder when
it finds local data but no dataset at the destination (a first run killed before its
load is exactly that), which would take the journal with it. The folder is
``<pipelines dir>/.seotasks/<pipeline name>/journal/<provider>/`` (`journal_folder`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from seotasks.errors import StorageError
from seotasks.journal import Journal
from seotasks.model import Task

__all__ = ["Deliveries", "Outbox", "journal_folder"]

_FETCHED = "fetched"
_SUFFIX = ".result.json"


def journal_folder(pipelines_dir: str | os.PathLike[str], pipeline: str) -> Path:
    """Where the pipeline ``pipeline`` keeps its journals: one subfolder per provider."""
    return Path(pipelines_dir) / ".seotasks" / pipeline / "journal"


def _name(task_id: str) -> str:
    # A digest, as the journal names its entries: any vendor id is a safe file name.
    return hashlib.blake2b(task_id.encode(), digest_size=16).hexdigest() + _SUFFIX


class Deliveries:
    """One provider's journal and fetched results, for the run that holds its lock."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.fetched = journal.folder / _FETCHED
        self._lock = threading.Lock()
        #: Ids whose result row this run handed to dlt: acknowledged once loaded.
        self._delivered: list[str] = []
        #: Entries an earlier run left behind, found by `pending`.
        self.resumed = 0
        try:
            self.fetched.mkdir(exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create {self.fetched}: {exc.strerror or type(exc).__name__}"
            ) from None

    def pending(self) -> list[Task]:
        """Tasks fetched (or about to be) by an earlier run whose rows were not loaded.

        Also drops what a killed run left in ``fetched/`` that no entry refers to: a
        temporary file (a write cut off by the kill; its entry is still there, so the task
        is fetched again) or a result whose entry was already acknowledged (the run was
        killed between the acknowledgement and the removal of the result).
        """
        tasks = self.journal.pending()
        self.resumed = len(tasks)
        live = {_name(task.id) for task in tasks}
        for name in os.listdir(self.fetched):
            if name not in live:
                with contextlib.suppress(OSError):
                    os.unlink(self.fetched / name)
        return tasks

    def kept(self, task_id: str) -> Mapping[str, Any] | None:
        """The result an earlier run fetched for ``task_id`` and wrote down, if any."""
        path = self.fetched / _name(task_id)
        try:
            result = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except ValueError:  # damaged on disk (written whole, so not by a kill)
            path.unlink(missing_ok=True)
            return None
        return result if isinstance(result, dict) else None

    def keep(self, task_id: str, streamed: Path) -> Path:
        """``streamed`` (a result `Client.collect_many` wrote into ``fetched/``) becomes
        the kept copy of ``task_id``'s result, found by `kept` should the run die.

        A rename, not fsynced: a killed process leaves its written pages to the kernel,
        and after a power cut a damaged copy only means one more fetch (the journal
        entry, which is fsynced, is what guarantees nothing is lost).
        """
        final = self.fetched / _name(task_id)
        os.replace(streamed, final)
        return final

    def delivered(self, task_id: str) -> None:
        """``task_id``'s result row was handed to dlt in this run."""
        with self._lock:
            self._delivered.append(task_id)

    def acknowledge(self) -> int:
        """Every row handed to dlt in this run is loaded: forget their entries."""
        with self._lock:
            done, self._delivered = self._delivered, []
        for task_id in done:
            self.journal.ack(task_id)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.fetched / _name(task_id))
        return len(done)

    def close(self) -> None:
        self.journal.close()


class Outbox:
    """The journals of one pipeline's run, one per provider whose listing drains.

    `seotasks_dlt.load` makes one per run and calls `acknowledge` once ``pipeline.run``
    returned. A caller running `seotasks_dlt.seotasks_source` in a pipeline of its own
    does the same: ``Outbox(journal_folder(pipeline.pipelines_dir, pipeline.pipeline_name))``,
    passed as ``outbox=``, then ``outbox.acknowledge()`` after ``pipeline.run(source)``.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._open: dict[str, Deliveries] = {}
        self._lock = threading.Lock()

    def provider(self, name: str) -> Deliveries:
        """The journal of provider ``name`` (opened, checked writable and locked, once)."""
        with self._lock:
            if name not in self._open:
                self._open[name] = Deliveries(Journal.open(self.folder / name, name))
            return self._open[name]

    def holds(self, name: str) -> bool:
        """Whether provider ``name`` has a journal here: a run whose listing drains made
        it, and the entries it left are delivered by the next run whatever that one lists
        (a run listing another way would fetch those tasks again, and never acknowledge
        them)."""
        return (self.folder / name).is_dir()

    def acknowledge(self) -> int:
        """The run's load completed: acknowledge every result row it delivered."""
        with self._lock:
            opened = list(self._open.values())
        return sum(deliveries.acknowledge() for deliveries in opened)

    @property
    def redelivered(self) -> int:
        """Entries earlier runs left behind, delivered again by this one."""
        with self._lock:
            return sum(deliveries.resumed for deliveries in self._open.values())

    def close(self) -> None:
        with self._lock:
            opened, self._open = list(self._open.values()), {}
        for deliveries in opened:
            deliveries.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
