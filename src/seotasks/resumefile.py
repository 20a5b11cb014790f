"""The ``--resume`` file on disk: where it may live, reading it strictly, saving it atomically.

A resume file is the user's file, named on the command line: it may be missing, empty,
truncated by a full disk, hand-edited, written by another command or an older version.
Each such case is refused with one `ConfigError` naming the file and what is wrong, never
taken as something it is not (a ``"done": "no"`` is not "done") and never a traceback.
A place where the file cannot be written is a `StorageError`, found before anything is
listed or consumed, not at the first checkpoint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .asked import ACCOUNT_KEY, SECRET_KEY, Recorded
from .errors import ConfigError, CursorError, StorageError
from .jsoncodec import strict_loads
from .store import atomic_write

__all__ = ["FORMAT", "entry", "read", "recorded", "window", "write"]

FORMAT = "seotasks-resume/2"


def read(path: Path) -> dict[str, Any]:
    """The file's JSON object, of a format this version reads."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read resume file {path}: {exc.strerror or exc}") from None
    try:
        data = strict_loads(raw.decode("utf-8"))
    except ValueError as exc:  # not UTF-8 (UnicodeDecodeError), not JSON, NaN, too deep
        raise ConfigError(f"cannot read resume file {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(f"{path} is not a seotasks resume file ({FORMAT})")
    return data


def recorded(path: Path, data: dict[str, Any]) -> Recorded:
    """What the run that wrote the file was asked."""
    query = data.get("query", {})
    if not isinstance(query, dict) or not all(isinstance(v, str | None) for v in query.values()):
        raise ConfigError(f"{path}: the recorded query is malformed")
    command = data.get("command")
    secrets = data.get("secrets", {})
    if not isinstance(command, str | None) or not isinstance(secrets, dict):
        raise ConfigError(f"{path}: the recorded query is malformed")
    digests = {k: v for k, v in secrets.items() if k != "salt"}
    salt = secrets.get("salt")
    hidden = (SECRET_KEY, ACCOUNT_KEY)
    if not all(k.startswith(hidden) and _is_hex(v, 64) for k, v in digests.items()) or (
        digests and not _is_hex(salt, 32)
    ):
        raise ConfigError(f"{path}: the recorded secret digests are malformed")
    return Recorded(
        query,
        digests,
        bytes.fromhex(salt) if isinstance(salt, str) else None,
        command,
    )


def window(path: Path, data: dict[str, Any]) -> dict[str, str]:
    """The times a relative ``--since`` / ``--until`` stood for in the run that wrote the
    file (``{"since": "2026-11-18T00:00:00+00:00"}``), each checked; ``{}`` in a file
    written before they were recorded, or by a run without relative times."""
    from datetime import datetime

    saved = data.get("window", {})
    if not isinstance(saved, dict) or not set(saved) <= {"since", "until"}:
        raise ConfigError(f"{path}: the recorded window is malformed")
    for value in saved.values():
        try:
            datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{path}: the recorded window is malformed") from None
    return dict(saved)


def _is_hex(value: object, length: int) -> bool:
    if not isinstance(value, str) or len(value) != length:
        return False
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return True


def entry(path: Path, name: str, saved: object) -> tuple[str | None, list[str], bool]:
    """One provider's ``(cursor, written keys, done)``, each checked: the cursor is one of
    ours for this provider, the keys are this provider's, ``done`` is a boolean."""
    from .cursor import decode

    if not isinstance(saved, dict):
        raise ConfigError(f"{path}: entry for {name} is malformed")
    cursor, written, done = saved.get("cursor"), saved.get("written"), saved.get("done", False)
    if cursor is not None:
        if not isinstance(cursor, str):
            raise ConfigError(f"{path}: cursor for {name} is malformed")
        try:
            owner = decode(cursor).provider
        except CursorError as exc:
            raise ConfigError(f"{path}: cursor for {name} is not valid: {exc}") from None
        if owner != name:
            raise ConfigError(f"{path}: cursor for {name} is a cursor of {owner}")
    prefix = f"{name}:"
    if not isinstance(written, list) or not all(
        isinstance(k, str) and k.startswith(prefix) for k in written
    ):
        raise ConfigError(f"{path}: written keys for {name} are malformed")
    if not isinstance(done, bool):
        raise ConfigError(f"{path}: done for {name} is not true or false")
    return cursor, written, done


def write(path: Path, data: dict[str, Any]) -> None:
    """Replace the file atomically: a crash leaves the old checkpoint or the new one.

    Owner-only, as before (its account digests are salted, but the file says which
    listings ran). The temporary files a killed run left beside it are removed once
    stale, when a run takes the file (`seotasks.resume.ResumeState`)."""
    try:
        atomic_write(path, json.dumps(data, indent=1).encode(), mode=0o600)
    except OSError as exc:
        raise StorageError(f"cannot save resume file {path}: {exc.strerror or exc}") from None
