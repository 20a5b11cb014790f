"""The stdout lines owed for result files: printed at least once, whatever stops the receiver.

A delivery's file is durable before its line is printed, and a redelivery finds the
file and prints nothing. So a receiver killed between the two, or whose stdout fails
(a full disk, a closed descriptor, a reader gone), would leave a file that no line ever
names: whoever reads the lines (a loader, a queue) never hears of that task. Before the
files of a delivery are written, the lines they will need are recorded in one small
durable file under ``DIR/.owed/``; it is removed once every line is printed. The next
start prints the lines of every record left behind whose file exists (a record whose
file never came was a delivery never answered 200) and removes the record. A task the
vendor failed has no file: its error line is recorded the same way, and printed again.

A line is printed at least once, not exactly once: a receiver killed after printing a
line but before removing its record prints it again at the next start. Whoever reads
the lines keys them on ``(provider, id)``, as a second collection of one task would.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..store import atomic_write

__all__ = ["OwedLines"]

_SUFFIX = ".json"


class OwedLines:
    """Records of lines owed, one file per delivery, under ``folder``.

    ``defer``, where given, runs a record's removal later: stdout into a pipe passes
    `Receiving.once_read`, since a line written into a pipe is not yet read, and a
    reader that quits drops what it has not read without an error to the writer.
    """

    def __init__(
        self, folder: Path, defer: Callable[[Callable[[], None]], None] | None = None
    ) -> None:
        self.folder = folder
        self._defer = defer

    def record(self, lines: Iterable[dict[str, Any]]) -> Path:
        """Durably note ``lines`` (``path`` not known yet) before their files are written."""
        self.folder.mkdir(parents=True, exist_ok=True)
        data = json.dumps(list(lines), ensure_ascii=False, allow_nan=False).encode()
        return atomic_write(self.folder / f"{secrets.token_hex(8)}{_SUFFIX}", data)

    def settle(self, record: Path) -> None:
        """Every line of ``record`` is printed (or its file never came): forget it, once
        what was printed is read (``defer``)."""
        if self._defer is None:
            record.unlink(missing_ok=True)
        else:
            self._defer(lambda: record.unlink(missing_ok=True))

    def replay(self, path_of: Callable[[str, str], Path | None]) -> Iterable[dict[str, Any]]:
        """The lines owed by an earlier run, each with the path of its file, in the order
        they were recorded; ``path_of(provider, id)`` finds a file (None: never written).
        Each record is settled once the caller has taken all its lines."""
        try:
            names = [n for n in os.listdir(self.folder) if n.endswith(_SUFFIX)]
        except FileNotFoundError:
            return
        records = sorted((self.folder / n for n in names), key=_written_at)
        for record in records:
            try:
                lines = json.loads(record.read_bytes())
            except (OSError, ValueError):  # unreadable: nothing to print from it
                lines = []
            for line in lines if isinstance(lines, list) else ():
                if not isinstance(line, dict):
                    continue
                if line.get("error") is not None:  # the vendor's error: no file to wait for
                    yield line
                    continue
                path = path_of(str(line.get("provider")), str(line.get("id")))
                if path is not None:
                    yield {**line, "path": str(path)}
            self.settle(record)


def _written_at(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
