"""Refused deliveries: the answer a bad request gets, and the record it leaves behind.

A delivery the receiver cannot use is answered with a 4xx status and a short reason, and
that is all the vendor learns. The operator needs more to find out what went wrong (a
vendor changing its envelope, a proxy mangling gzip), so a malformed delivery is also
kept under ``DIR/.rejected/``: a JSON file with the request's metadata and the first
64 KiB of its body. That record is bounded in count and size, so a flood of junk cannot
fill the disk, and it never holds the request line (the secret may be in the path).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .alarm import WriteAlarm

__all__ = ["MAX_REJECTED", "Refused", "RejectedLog"]

#: Malformed deliveries kept for inspection; beyond this they are only logged.
MAX_REJECTED = 1000
_REJECTED_HEAD = 64 * 1024


class Refused(Exception):
    """Answer with ``status``; record the delivery when ``record`` is set, log the refusal
    when ``logged`` is."""

    def __init__(
        self, status: str, reason: str, *, record: bool = True, logged: bool = True
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.record = record
        #: False when the cause is logged elsewhere, once (a full disk: `WriteAlarm`).
        self.logged = logged


class RejectedLog:
    """Malformed deliveries kept in ``folder`` for inspection (bounded in count and size)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._count = _count(folder)
        self._alarm = WriteAlarm(f"rejected deliveries in {folder}", "refusals are only logged")

    def record(self, environ: Mapping[str, Any], route: str, reason: str, status: str) -> None:
        """Keep one refused delivery: its metadata, and the head of the body it sent."""
        with self._lock:
            if self._count >= MAX_REJECTED:
                return
            self._count += 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"{stamp}-{secrets.token_hex(4)}"
        body = environ.get("seotasks.body", b"")
        meta = {
            "at": stamp,
            "route": route,
            "status": status,
            "reason": reason,
            "remote": environ.get("REMOTE_ADDR"),
            "content_type": environ.get("CONTENT_TYPE"),
            "content_encoding": environ.get("HTTP_CONTENT_ENCODING"),
            "content_length": environ.get("CONTENT_LENGTH"),
            "body_file": f"{name}.body" if body else None,
            "body_bytes_kept": min(len(body), _REJECTED_HEAD),
        }
        files = [self.folder / f"{name}.body", self.folder / f"{name}.json"]
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if body:
                files[0].write_bytes(body[:_REJECTED_HEAD])
            files[1].write_text(json.dumps(meta, indent=1, allow_nan=False))
        except OSError as exc:
            # A record half written (a full disk) is no record: a body with no metadata
            # would stay for good, counted by nothing, seen by no clean-up.
            for path in files:
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)
            with self._lock:
                self._count -= 1
            self._alarm.failed(exc)
        else:
            self._alarm.succeeded()


def _count(folder: Path) -> int:
    try:
        return sum(1 for n in os.listdir(folder) if n.endswith(".json"))
    except FileNotFoundError:
        return 0
