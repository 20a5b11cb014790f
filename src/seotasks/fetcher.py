"""What `Client.collect_many` runs for each task, and when it stops taking them.

Kept apart from `seotasks.answers` (the streaming of answers to disk) and imported with
the client: a run started in a thread after the main thread returned must not import
modules then (``concurrent.futures`` refuses, "can't register atexit after shutdown").
"""

from __future__ import annotations

import os
import threading
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from .account import account_key
from .errors import StorageError
from .journal import Journal
from .store import check_writable, sweep_temporary

if TYPE_CHECKING:
    from .client import Client
    from .model import Task
    from .provider import JSONValue

__all__ = ["Fetcher"]


class Fetcher:
    """What `Client.collect_many` runs for each task: note it in the ``journal``, then
    fetch it, into a file in ``into`` when given.

    The folder is checked when the run is asked for (a folder that is none, or takes no
    write, is a `StorageError` before anything is consumed), and its temporary files a
    killed run left are swept. A `StorageError` while the run goes (the disk filled up,
    the journal turned read-only) ends the intake (`stop`): over a listing that drains,
    each task taken after it would be consumed and lost (190 of 197, one run found).
    """

    def __init__(
        self,
        client: Client,
        journal: Journal | None,
        into: str | PathLike[str] | None,
        stop: threading.Event | None,
    ) -> None:
        if stop is not None and not isinstance(stop, threading.Event):
            raise TypeError(f"stop must be a threading.Event, got {type(stop).__name__}")
        if journal is not None:
            if not isinstance(journal, Journal):
                raise TypeError(f"journal must be a seotasks.Journal, got {type(journal).__name__}")
            journal.check_provider(client.name)
            journal.check_account(account_key(client.provider))
        self.client = client
        self.journal = journal
        self.folder = None if into is None else _writable_folder(into)
        #: The run's stop: the caller's ``stop``, or a `StorageError` met by a fetch.
        self.stop = _EitherStop(stop)

    def __call__(self, task: Task) -> JSONValue | Path:
        try:
            if self.journal is not None:
                self.journal.record(task)
            if self.folder is None:
                return self.client.collect(task)
            from .answers import download_into

            return download_into(self.client, task, self.folder)
        except StorageError:
            self.stop.set()  # the tasks in flight end; no other is taken
            raise


class _EitherStop(threading.Event):
    """Set by the run itself, or by the caller's own event (never set by the run)."""

    def __init__(self, caller: threading.Event | None) -> None:
        super().__init__()
        self._caller = caller

    def is_set(self) -> bool:
        return super().is_set() or (self._caller is not None and self._caller.is_set())


def _writable_folder(into: str | PathLike[str]) -> Path:
    """``into`` as a folder proven writable (and swept of a killed run's leftovers)."""
    if not isinstance(into, str | PathLike) or isinstance(into, bytes):
        raise TypeError(f"into must be a folder path, got {type(into).__name__}")
    if not os.fspath(into):
        raise ValueError("into is an empty path: name the folder ('.' for this one)")
    folder = Path(into)
    if not folder.is_dir():
        what = "not a folder" if folder.exists() else "no such folder"
        raise StorageError(f"cannot stream results into {folder}: {what}; nothing was fetched")
    check_writable(folder, what="the into folder")
    sweep_temporary(folder)  # the temporary files of runs killed over an hour ago
    return folder
