"""Checkpoints for long listings: which tasks reached the output, per provider.

A listing may stop at any moment: Ctrl-C, a vendor error after the retries, a
killed process. To resume without losing or repeating a task, the CLI records per
provider the cursor of the first page whose tasks are *not all* written yet, plus
the keys already written from that page and any later one still in flight (a merged
stream interleaves pages of several providers). On resume each provider restarts
at its cursor and skips those keys.

The state file is replaced atomically (write a temporary file, ``os.replace``), so
a crash leaves either the previous checkpoint or the new one, never a torn file
(`seotasks.resumefile`). It records what the run was asked, secrets masked
(`seotasks.asked`), so that a run asking otherwise is refused.
"""

from __future__ import annotations

import argparse
import bisect
import os
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from . import asked, resumefile
from .asked import Asked, file_digest
from .errors import ConfigError
from .merge import merge_key
from .model import Page, Task

__all__ = ["FORMAT", "ProviderProgress", "ResumeState"]

FORMAT = resumefile.FORMAT


_Key = tuple[datetime, str]


@attrs.define
class _InFlight:
    next_cursor: str | None
    pending: set[str]
    #: Keys of the page known written: by this run, or skipped as written by an earlier one.
    written: set[str] = attrs.field(factory=set)
    #: Sorted mode: the least and greatest `merge_key` of the page's tasks to write.
    low: _Key | None = None
    high: _Key | None = None
    #: Sorted mode with a resume file: the `merge_key` of those tasks, in order (its
    #: second part is the task's key: one tuple a task, where a pair of them with the
    #: key again held 400 bytes a task).
    keys: list[_Key] = attrs.field(factory=list)


@attrs.define
class ProviderProgress:
    """Checkpoint bookkeeping of one provider's stream.

    By default each task still to write is tracked by key, whatever order the tasks are
    written in. When they are written in `merge_key` order (an exact merge:
    `track_sorted`), that is not needed: a page is complete once the last task written
    is due no earlier than the page's last one, and the keys written from a page are
    those due up to it. Then only two keys per page are kept, plus every task's key
    when a resume file must list them.
    """

    cursor: str | None = None
    done: bool = False
    skip: set[str] = attrs.field(factory=set)
    pages: int = 0
    tasks: int = 0
    _inflight: deque[_InFlight] = attrs.field(factory=deque)
    _owner: dict[str, _InFlight] = attrs.field(factory=dict)
    _sorted: bool = False
    _keep_keys: bool = True
    _last: _Key | None = None

    def track_sorted(self, *, keep_keys: bool) -> None:
        """Tasks will be written in `merge_key` order; ``keep_keys``: a file lists them."""
        self._sorted = True
        self._keep_keys = keep_keys

    def page_arrived(self, page: Page) -> list[Task]:
        """Register ``page``; returns its tasks minus those an earlier run already wrote."""
        self.pages += 1
        skip = self.skip
        keep = [t for t in page.tasks if t.key not in skip] if skip else list(page.tasks)
        written = {t.key for t in page.tasks if t.key in skip} if skip else set()
        if self._sorted:
            marks = [merge_key(t) for t in keep]
            entry = _InFlight(
                next_cursor=page.next_cursor,
                pending=set(),
                written=written,
                low=min(marks) if marks else None,
                high=max(marks) if marks else None,
                keys=sorted(marks) if self._keep_keys else [],
            )
        else:
            entry = _InFlight(
                next_cursor=page.next_cursor, pending={t.key for t in keep}, written=written
            )
            for task in keep:
                self._owner[task.key] = entry
        self._inflight.append(entry)
        self._advance()
        return keep

    def written(self, task: Task) -> bool:
        """Mark ``task`` written; True when the checkpoint cursor moved."""
        self.tasks += 1
        if self._sorted:
            self._last = merge_key(task)
            return self._advance()
        entry = self._owner.pop(task.key, None)
        if entry is None:
            return False
        entry.pending.discard(task.key)
        entry.written.add(task.key)
        return self._advance()

    def _complete(self, entry: _InFlight) -> bool:
        if not self._sorted:
            return not entry.pending
        return entry.high is None or (self._last is not None and entry.high <= self._last)

    def _advance(self) -> bool:
        moved = False
        while self._inflight and self._complete(self._inflight[0]):
            entry = self._inflight.popleft()
            self.cursor = entry.next_cursor
            self.skip -= entry.written
            if entry.next_cursor is None:
                self.done = True
            moved = True
        return moved

    def _written_keys(self, entry: _InFlight) -> list[str]:
        """Sorted mode: the keys of ``entry`` written in this run (due up to the last)."""
        last = self._last
        if last is None or entry.low is None or entry.low > last:
            return []
        return [mark[1] for mark in entry.keys if mark <= last]

    def has_unconfirmed(self) -> bool:
        """Whether a task was written that the cursor alone would list again."""
        if self.skip or any(entry.written for entry in self._inflight):
            return True
        if not self._sorted:
            return False
        last = self._last
        return last is not None and any(
            entry.low is not None and entry.low <= last for entry in self._inflight
        )

    def unconfirmed_count(self) -> int:
        """How many keys `unconfirmed_written` would list (without building the list)."""
        count = sum(len(entry.written) for entry in self._inflight) + len(self.skip)
        if self._sorted and self._last is not None:
            last = self._last
            for entry in self._inflight:
                if entry.low is not None and entry.low <= last:
                    count += bisect.bisect_right(entry.keys, last)
        return count

    def unconfirmed_written(self) -> list[str]:
        if self._sorted and not self._keep_keys:
            raise RuntimeError("track_sorted(keep_keys=False): the written keys were not kept")
        keys: set[str] = set()
        for entry in self._inflight:
            keys |= entry.written
            if self._sorted:
                keys.update(self._written_keys(entry))
        return sorted(keys | self.skip)

    def to_json(self) -> dict[str, Any]:
        return {"cursor": self.cursor, "written": self.unconfirmed_written(), "done": self.done}


class ResumeState:
    """All providers' progress, optionally persisted to a file.

    ``query`` is what the run was asked (built by `asked_from`): a file written by
    a run asked otherwise, or by another command, is refused. Secret ``-o`` values are
    never written (see `seotasks.asked`).
    """

    @staticmethod
    def asked_from(
        args: argparse.Namespace, providers: Sequence[str], **extra: str | None
    ) -> dict[str, str | None]:
        """The ``query`` of a command run: the one way every command builds it, so that
        secret ``-o`` values are masked alike everywhere (see `seotasks.asked.asked_from`).
        E.g. ``ResumeState.asked_from(args, names, status=status)``."""
        return asked.asked_from(args, providers, **extra)

    def __init__(
        self,
        path: Path | None,
        providers: Iterable[str],
        query: Mapping[str, str | None] | None = None,
        *,
        defaults: Mapping[str, str] | None = None,
    ) -> None:
        self.path = path
        names = list(providers)
        #: What was asked (status, since, until, options): a resumed run must ask the same.
        self.asked = Asked.from_query(query or {})
        #: Query keys whose flag was omitted (None in ``query``) and that then mean what
        #: the file recorded, as they mean the cursor's (``--status``), else this default.
        self._defaults = dict(defaults or {})
        #: The times a relative --since/--until ("2d") stood for when the file was first
        #: written: a provider left without a cursor (which would carry them) starts from
        #: these, so a resumed window is the first run's, not one moved on, nor none.
        self.window: dict[str, str] = {}
        self.providers: dict[str, ProviderProgress] = {name: ProviderProgress() for name in names}
        #: True when an earlier run's checkpoint was read.
        self.loaded = False
        salt = None
        if path is not None:
            from .store import check_file_target, sweep_temporaries_of  # when used

            check_file_target(path, "--resume")
            sweep_temporaries_of(path)  # a killed run's, once stale: once a run, not a save
            if path.exists():
                salt = self._load(path)
                self.loaded = True
        self._apply_defaults({})
        # The file's own salt is kept (its digests stay the same); a new file gets a fresh
        # one. Stretched once here, not at every save.
        self._salt = salt or os.urandom(16)
        self._digests = {
            key: file_digest(digest, self._salt)
            for key, digest in self.asked.secrets.items()
            if path is not None
        }

    @property
    def query(self) -> dict[str, str | None]:
        """The query as the file records it (secret values masked)."""
        return dict(self.asked.plain)

    def _load(self, path: Path) -> bytes | None:
        """Read the checkpoint of ``path`` into the providers' progress; its salt."""
        data = resumefile.read(path)
        saved_ask = resumefile.recorded(path, data)
        self._apply_defaults(saved_ask.plain)
        mine = self.asked.command
        if saved_ask.command and mine and saved_ask.command != mine:
            raise ConfigError(
                f"{path} is the resume file of a seotasks {saved_ask.command} run, not of "
                f"seotasks {mine}; give each command its own resume file"
            )
        differences = saved_ask.differences(self.asked)
        if differences is not None:
            raise ConfigError(
                f"{path} was written by a run {differences}; "
                "repeat that run's flags or use a new resume file"
            )
        saved = data.get("providers")
        if not isinstance(saved, dict) or set(saved) != set(self.providers):
            have = ", ".join(sorted(saved)) if isinstance(saved, dict) else "?"
            raise ConfigError(
                f"{path} was written for providers {have}; "
                f"this run lists {', '.join(sorted(self.providers))}"
            )
        self.window = resumefile.window(path, data)
        for name, value in saved.items():
            cursor, written, done = resumefile.entry(path, name, value)
            progress = self.providers[name]
            progress.cursor = cursor
            progress.skip = set(written)
            progress.done = done
        return saved_ask.salt

    def _apply_defaults(self, recorded: Mapping[str, str | None]) -> None:
        """Fill each omitted defaulted flag: from ``recorded`` (the file's query) when it
        holds one, else with its default. Without this, ``--resume`` with ``--status``
        left out would compare the default against the file and refuse the very command
        that continues it, though an omitted ``--status`` means the checkpoint's."""
        missing = {k: v for k, v in self._defaults.items() if self.asked.plain.get(k) is None}
        if not missing:
            return
        filled = {k: recorded.get(k) or v for k, v in missing.items()}
        self.asked = attrs.evolve(self.asked, plain={**self.asked.plain, **filled})

    def unconfirmed_count(self) -> int:
        """Keys a save writes out: what makes a save cost more as a listing goes on."""
        return sum(p.unconfirmed_count() for p in self.providers.values())

    @property
    def resuming(self) -> bool:
        return any(p.cursor is not None or p.done for p in self.providers.values())

    def save(self) -> None:
        """Write the checkpoint atomically (no-op without a file)."""
        if self.path is None:
            return
        data: dict[str, Any] = {"format": resumefile.FORMAT}
        if self.asked.command is not None:
            data["command"] = self.asked.command
        data["query"] = self.query
        if self.window:
            data["window"] = dict(self.window)
        if self._digests:
            data["secrets"] = {"salt": self._salt.hex(), **self._digests}
        data["providers"] = {name: p.to_json() for name, p in self.providers.items()}
        resumefile.write(self.path, data)
