"""Checkpoints for long listings: which tasks reached the output, per provider.

A listing may stop at any moment: Ctrl-C, a vendor error after the retries, a
killed process. To resume without losing or repeating a task, the CLI records per
provider the cursor of the first page whose tasks are *not all* written yet, plus
the keys already written from that page and any later one still in flight (a merged
stream interleaves pages of several providers). On resume each provider restarts
at its cursor and skips those keys.

The state file is replaced atomically (write a temporary file, ``os.replace``), so
a crash leaves either the previous checkpoint or the new one, never a torn file.
"""

from __future__ import annotations

import bisect
import json
import os
import tempfile
from collections import deque
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from .errors import ConfigError
from .merge import merge_key
from .model import Page, Task

__all__ = ["ProviderProgress", "ResumeState"]

FORMAT = "seotasks-resume/1"


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
    #: Sorted mode with a resume file: ``(merge_key, key)`` of those tasks, in order.
    keys: list[tuple[_Key, str]] = attrs.field(factory=list)


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
                keys=sorted(zip(marks, (t.key for t in keep), strict=True))
                if self._keep_keys
                else [],
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
        return [key for mark, key in entry.keys if mark <= last]

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
                    count += bisect.bisect_right(entry.keys, last, key=_mark)
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


def _mark(pair: tuple[_Key, str]) -> _Key:
    return pair[0]


_FLAGS = {"status": "--status", "since": "--since", "until": "--until", "options": "-o"}


def _flag(key: str, value: object) -> str:
    """A recorded query value as the flag that gives it: ``--status any``, ``no --since``."""
    flag = _FLAGS.get(key, key)
    if value is None:
        return f"no {flag}"
    if key == "options" and isinstance(value, str):
        return " ".join(f"-o {part}" for part in value.split())
    return f"{flag} {value}"


class ResumeState:
    """All providers' progress, optionally persisted to a file."""

    def __init__(
        self,
        path: Path | None,
        providers: Iterable[str],
        query: dict[str, str | None] | None = None,
    ) -> None:
        self.path = path
        #: What was asked (status, since, until, options): a resumed run must ask the same.
        self.query = dict(query or {})
        self.providers: dict[str, ProviderProgress] = {
            name: ProviderProgress() for name in providers
        }
        #: True when an earlier run's checkpoint was read.
        self.loaded = False
        if path is not None and path.exists():
            self._load(path)
            self.loaded = True

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read resume file {path}: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ConfigError(f"{path} is not a seotasks resume file ({FORMAT})")
        saved_query = data.get("query", {})
        if saved_query != self.query:
            changed = sorted(
                k
                for k in set(saved_query) | set(self.query)
                if saved_query.get(k) != self.query.get(k)
            )
            before = ", ".join(_flag(k, saved_query.get(k)) for k in changed)
            now = ", ".join(_flag(k, self.query.get(k)) for k in changed)
            raise ConfigError(
                f"{path} was written by a run with {before}, not {now}; "
                "repeat that run's flags or use a new resume file"
            )
        saved = data.get("providers")
        if not isinstance(saved, dict) or set(saved) != set(self.providers):
            have = ", ".join(sorted(saved)) if isinstance(saved, dict) else "?"
            raise ConfigError(
                f"{path} was written for providers {have}; "
                f"this run lists {', '.join(sorted(self.providers))}"
            )
        for name, entry in saved.items():
            if not isinstance(entry, dict):
                raise ConfigError(f"{path}: entry for {name} is malformed")
            cursor, written, done = entry.get("cursor"), entry.get("written"), entry.get("done")
            if cursor is not None and not isinstance(cursor, str):
                raise ConfigError(f"{path}: cursor for {name} is malformed")
            if not isinstance(written, list) or not all(isinstance(k, str) for k in written):
                raise ConfigError(f"{path}: written keys for {name} are malformed")
            progress = self.providers[name]
            progress.cursor = cursor
            progress.skip = set(written)
            progress.done = bool(done)

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
        data = {
            "format": FORMAT,
            "query": self.query,
            "providers": {name: p.to_json() for name, p in self.providers.items()},
        }
        directory = self.path.parent if str(self.path.parent) else Path(".")
        fd, tmp = tempfile.mkstemp(prefix=".seotasks-resume-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
