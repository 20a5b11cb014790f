"""`SubmitJournal`: what ``seotasks submit --resume FILE`` remembers between runs.

Posting a task is not idempotent: a spec posted twice is two tasks, paid twice. A run
of 30 000 specs stopped at 1757 (a kill, a reboot, a lost connection) must therefore be
re-runnable so that it posts exactly the specs not yet accepted, and never one that may
already exist. The journal is an append-only file of small JSON lines, each fsynced
before the next step depends on it:

1. ``{"sending": [keys]}`` before a batch goes out;
2. one line per spec of the batch once its answer is in: ``{"key", "task_id", "kind"}``
   (accepted; ``kind`` left out where the provider gave none), ``{"key", "error"}``
   (refused: not a task, so a re-run posts it again) or ``{"key", "error", "unknown":
   true}`` (the batch was sent and its answer lost).

A spec named in a ``sending`` line with no answer line after it was sent by a run that
stopped before the answer was written: its outcome is unknown exactly as for a lost
answer. Unknown specs are reported and never re-posted by a re-run: only the vendor's
task list can say whether they exist. A torn last line (a kill in the middle of a write)
is ignored: if it was a ``sending`` line the batch had not been sent yet (the send comes
after the fsync), and if it was an answer line the spec stays unknown (the safe side).
The next run ends it with a newline before appending, so its own lines stay readable.

A spec is known by a digest of its JSON (what is crawled: its callback URLs are left
out, so a re-run with a new ``--pingback`` posts nothing twice) and its occurrence
number among equal specs, not by its line number: lines appended to the file, or a file
reordered, still resume correctly, and the journal holds no keyword and no callback
token. One run at a time: the file is locked (``flock``) while open.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs

from .asked import file_digest
from .errors import ConfigError, StorageError

if TYPE_CHECKING:
    from .provider import Provider
    from .submit import SerpTaskSpec, SubmitResult

__all__ = [
    "JOURNAL_FORMAT",
    "Recorded",
    "SubmitJournal",
    "account_digest",
    "outcome_unknown",
    "same_account",
    "spec_keys",
]

JOURNAL_FORMAT = "seotasks-submit-journal"
_VERSION = 1


#: Where the vendor reports a task, not what it crawls: left out of a spec's key, so a
#: re-run whose callback URL changed (a receiver's secret rotated) posts no spec twice.
_DELIVERY = ("pingback_url", "postback_url", "postback_data")


def spec_keys(specs: Sequence[SerpTaskSpec]) -> list[str]:
    """One key per spec: the digest of its JSON (callbacks left out: `_DELIVERY`) and its
    occurrence among equal specs (the same spec twice in a file is two tasks, both to be
    posted once)."""
    seen: dict[str, int] = {}
    keys = []
    for spec in specs:
        crawl = spec.to_json() | dict.fromkeys(_DELIVERY)
        text = json.dumps(crawl, sort_keys=True, separators=(",", ":"))
        digest = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
        seen[digest] = seen.get(digest, 0) + 1
        keys.append(f"{digest}.{seen[digest]}")
    return keys


@attrs.frozen(slots=True, kw_only=True)
class Recorded:
    """What an earlier run left for one spec: accepted (``task_id``, and the task's
    ``kind`` where the journal has it: one written before kinds were kept has none) or
    ``unknown``."""

    task_id: str | None = None
    kind: str | None = None
    unknown: str | None = None


class SubmitJournal:
    """The journal file of one submission; use as a context manager (`open`)."""

    def __init__(
        self, path: Path, handle: IO[bytes], provider: str, account: str | None = None
    ) -> None:
        self.path = path
        self.provider = provider
        #: `account_digest` of the run's provider: a journal is one account's submission.
        self.account = account
        self._handle = handle
        #: Per key, what earlier runs established (accepted or unknown); refused specs
        #: are not kept: they are posted again.
        self.recorded: dict[str, Recorded] = {}

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: Path, provider: str, account: str | None = None) -> Iterator[SubmitJournal]:
        """The journal at ``path`` (created if absent), locked for this run.

        Raises `StorageError` when it cannot be written or is held by another run, and
        `ConfigError` when it was written for another provider, another account
        (``account``: `account_digest`) or by something else (the file named is the
        mistake, as a mismatched resume file of ``tasks`` is): another account's
        journal reported its tasks as this run's and posted nothing.
        """
        try:
            # Unbuffered: a write the disk cuts short must leave nothing behind in a
            # buffer, which the close would try to write again (and fail on, an OSError
            # instead of this run's StorageError).
            handle = open(path, "a+b", buffering=0)  # noqa: SIM115 (closed below)
        except OSError as exc:
            raise StorageError(f"cannot open --resume {path}: {exc.strerror}") from None
        try:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise StorageError(
                    f"--resume {path} is in use by another seotasks submit; wait for it to end"
                ) from None
            journal = cls(path, handle, provider, account)
            journal._load()
            yield journal
        finally:
            handle.close()

    def _load(self) -> None:
        self._handle.seek(0)
        data = self._handle.read()
        lines = data.split(b"\n")
        if lines == [b""]:
            head: Any = {"format": JOURNAL_FORMAT, "version": _VERSION, "provider": self.provider}
            if self.account is not None:
                salt = os.urandom(16)
                head.update(salt=salt.hex(), account=file_digest(self.account, salt))
            self._append(head)
            return
        try:
            head = json.loads(lines[0])
        except ValueError:
            head = None
        if not isinstance(head, dict) or head.get("format") != JOURNAL_FORMAT:
            raise ConfigError(f"--resume {self.path} is not a submit journal; name a new file")
        if head.get("version") != _VERSION:
            raise ConfigError(
                f"--resume {self.path} was written by another version of seotasks "
                f"(journal format {head.get('version')}); name a new file"
            )
        if head.get("provider") != self.provider:
            raise ConfigError(
                f"--resume {self.path} records a submission to {head.get('provider')}, "
                f"not {self.provider}; name a new file"
            )
        recorded, salted = head.get("account"), head.get("salt")
        if (
            self.account is not None
            and isinstance(recorded, str)
            and not same_account(self.account, recorded, salted)
        ):
            raise ConfigError(
                f"--resume {self.path} records a submission on another {self.provider} "
                "account (its credentials or account options differ); name a new file"
            )
        if not data.endswith(b"\n"):
            # A torn last line: end it, or this run's first line would be glued to it and
            # unreadable, and a batch it records as sent would be posted again.
            self._write(b"\n")
        in_flight: set[str] = set()
        for line in lines[1:]:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a torn last line: see the module's docstring
            if not isinstance(entry, dict):
                continue
            if isinstance(entry.get("sending"), list):
                in_flight.update(str(k) for k in entry["sending"])
                continue
            key = entry.get("key")
            if not isinstance(key, str):
                continue
            in_flight.discard(key)
            if isinstance(entry.get("task_id"), str):
                kind = entry.get("kind")
                kind = kind if isinstance(kind, str) else None
                self.recorded[key] = Recorded(task_id=entry["task_id"], kind=kind)
            elif entry.get("unknown"):
                self.recorded[key] = Recorded(unknown=str(entry.get("error") or "answer lost"))
            else:
                self.recorded.pop(key, None)  # refused: posted again by the next run
        for key in in_flight:
            self.recorded.setdefault(
                key,
                Recorded(
                    unknown="sent by a run that stopped before it recorded the answer (the "
                    "task ids are in that run's output if it printed them)"
                ),
            )

    def sending(self, keys: Sequence[str]) -> None:
        """Record, durably, that the specs of ``keys`` are about to be sent."""
        self._append({"sending": list(keys)})

    def answered(self, keys: Sequence[str], results: Sequence[SubmitResult]) -> None:
        """Record each spec's outcome (one fsync for the whole batch)."""
        lines = []
        for key, result in zip(keys, results, strict=True):
            entry: dict[str, Any] = {"key": key}
            if result.task_id is not None:
                entry["task_id"] = result.task_id
                if result.kind is not None:
                    entry["kind"] = result.kind
                self.recorded[key] = Recorded(task_id=result.task_id, kind=result.kind)
            else:
                entry["error"] = str(result.error)
                if outcome_unknown(result):
                    entry["unknown"] = True
                    self.recorded[key] = Recorded(unknown=str(result.error))
            lines.append(entry)
        self._append(*lines)

    def _append(self, *entries: dict[str, Any]) -> None:
        self._write(
            b"".join(json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in entries)
        )

    def _write(self, data: bytes) -> None:
        """Append ``data`` durably (fsynced before the caller goes on)."""
        try:
            fd = self._handle.fileno()
            os.lseek(fd, 0, os.SEEK_END)
            rest = memoryview(data)
            while rest:  # a short write (a disk filling up) goes on until it raises
                rest = rest[os.write(fd, rest) :]
            os.fsync(fd)
        except OSError as exc:
            raise StorageError(f"cannot write --resume {self.path}: {exc.strerror}") from None


def same_account(account: str, recorded: str, salt: object) -> bool:
    """Whether a journal's ``recorded`` account digest, under its ``salt``, is that of
    ``account`` (an `account_digest`)."""
    try:
        return file_digest(account, bytes.fromhex(str(salt))) == recorded
    except ValueError:  # no salt, or one that is not hex: not a journal this wrote
        return False


def account_digest(provider: Provider) -> str:
    """The account ``provider`` posts on, digested (never written as is): its account
    options (read as a cursor's account is) and its secrets, as the run resolved them."""
    from .asked import account_entry, value_digest

    return value_digest(
        account_entry(option, provider.settings[option.name])
        for option in provider.options
        if (option.account or option.secret) and provider.settings.get(option.name) is not None
    )


def outcome_unknown(result: SubmitResult) -> bool:
    """Whether ``result`` is a spec whose batch was sent and whose answer was lost."""
    return result.error is not None and result.error.outcome_unknown
