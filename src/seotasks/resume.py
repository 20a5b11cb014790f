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

import json
import os
import tempfile
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from .errors import ConfigError
from .model import Page, Task

__all__ = ["ProviderProgress", "ResumeState"]

FORMAT = "seotasks-resume/1"


@attrs.define
class _InFlight:
    next_cursor: str | None
    pending: set[str]
    written: set[str] = attrs.field(factory=set)


@attrs.define
class ProviderProgress:
    """Checkpoint bookkeeping of one provider's stream."""

    cursor: str | None = None
    done: bool = False
    skip: set[str] = attrs.field(factory=set)
    pages: int = 0
    tasks: int = 0
    _inflight: deque[_InFlight] = attrs.field(factory=deque)
    _owner: dict[str, _InFlight] = attrs.field(factory=dict)

    def page_arrived(self, page: Page) -> list[Task]:
        """Register ``page``; returns its tasks minus those an earlier run already wrote."""
        self.pages += 1
        keep = [t for t in page.tasks if t.key not in self.skip]
        entry = _InFlight(
            next_cursor=page.next_cursor,
            pending={t.key for t in keep},
            written={t.key for t in page.tasks if t.key in self.skip},
        )
        self._inflight.append(entry)
        for task in keep:
            self._owner[task.key] = entry
        self._advance()
        return keep

    def written(self, task: Task) -> bool:
        """Mark ``task`` written; True when the checkpoint cursor moved."""
        self.tasks += 1
        entry = self._owner.pop(task.key, None)
        if entry is None:
            return False
        entry.pending.discard(task.key)
        entry.written.add(task.key)
        return self._advance()

    def _advance(self) -> bool:
        moved = False
        while self._inflight and not self._inflight[0].pending:
            entry = self._inflight.popleft()
            self.cursor = entry.next_cursor
            self.skip -= entry.written
            if entry.next_cursor is None:
                self.done = True
            moved = True
        return moved

    def unconfirmed_count(self) -> int:
        """How many keys `unconfirmed_written` would list (without building the list)."""
        return sum(len(entry.written) for entry in self._inflight) + len(self.skip)

    def unconfirmed_written(self) -> list[str]:
        keys: set[str] = set()
        for entry in self._inflight:
            keys |= entry.written
        return sorted(keys | self.skip)

    def to_json(self) -> dict[str, Any]:
        return {"cursor": self.cursor, "written": self.unconfirmed_written(), "done": self.done}


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
