"""Writers for task streams: JSON Lines, CSV and a terminal table.

Every writer streams: it formats one task at a time and keeps nothing, so memory
stays flat however long the listing. Each ``format`` call returns whole lines, which
is what lets the CLI stop on Ctrl-C without leaving half a record behind.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import attrs

from .model import Task

__all__ = [
    "COLUMNS",
    "CsvWriter",
    "JsonlWriter",
    "TableWriter",
    "make_writer",
    "plain",
    "task_record",
]

#: The columns of every export, in order: every `Task` field but ``raw``, in the class's
#: own order, read off ``attrs.fields(Task)`` so that a field added to the model is
#: exported (and documented by `task_record`) with no list to keep in step here.
COLUMNS: tuple[str, ...] = tuple(
    a.alias or a.name for a in attrs.fields(Task) if (a.alias or a.name) != "raw"
)


def _export_value(value: Any) -> Any:
    """A field value as JSON carries it: times as ISO 8601, the status as its value, and a
    ``Decimal`` (``cost``) as its exact text, ``"0.0006"``: the one rule for decimals
    everywhere seotasks writes JSON (`plain` does the same for a vendor's result), since
    a JSON number is read back as a float by most tools and a cost must not drift.
    """
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def task_record(task: Task, *, raw: bool = False) -> dict[str, Any]:
    """The export shape of a task: exactly `COLUMNS`, plus ``raw`` on request."""
    record: dict[str, Any] = {name: _export_value(getattr(task, name)) for name in COLUMNS}
    if raw:
        record["raw"] = plain(task.raw)
    return record


def plain(value: Any) -> Any:
    """``value`` with only JSON types: mappings as dicts, decimals and times as text."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class Writer(Protocol):
    def header(self) -> str: ...

    def format(self, task: Task) -> str: ...


class JsonlWriter:
    """One JSON object per line."""

    def __init__(self, *, raw: bool = False) -> None:
        self.raw = raw

    def header(self) -> str:
        return ""

    def format(self, task: Task) -> str:
        record = task_record(task, raw=self.raw)
        return json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"


class CsvWriter:
    """RFC 4180 CSV with a header row; ``raw`` becomes a JSON column."""

    def __init__(self, *, raw: bool = False) -> None:
        self.raw = raw
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer, lineterminator="\n")

    def _row(self, values: list[Any]) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._csv.writerow(values)
        return self._buffer.getvalue()

    def header(self) -> str:
        return self._row([*COLUMNS, *(["raw"] if self.raw else [])])

    def format(self, task: Task) -> str:
        record = task_record(task, raw=self.raw)
        values = ["" if record[c] is None else record[c] for c in COLUMNS]
        if self.raw:
            values.append(json.dumps(record["raw"], ensure_ascii=False, default=str))
        return self._row(values)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` without control characters, so a vendor string cannot drive the terminal."""
    # The class covers all of Unicode category Cc (C0, DEL, C1) plus bidi and zero-width
    # format characters, so one substitution is enough.
    return _CONTROL.sub("", text)


class TableWriter:
    """Fixed-width columns, so the table streams without first reading every row."""

    WIDTHS = (10, 36, 9, 5, 19, 19, 34, 12)
    NAMES = ("PROVIDER", "ID", "STATUS", "PROG", "CREATED (UTC)", "COMPLETED (UTC)", "KIND", "TAG")

    def header(self) -> str:
        return self._line(list(self.NAMES)) + self._line(["-" * w for w in self.WIDTHS])

    def _line(self, cells: list[str]) -> str:
        parts = []
        for cell, width in zip(cells, self.WIDTHS, strict=True):
            cell = printable(cell)
            if len(cell) > width:
                cell = cell[: width - 1] + "~"
            parts.append(cell.ljust(width))
        return "  ".join(parts).rstrip() + "\n"

    @staticmethod
    def _time(value: datetime | None) -> str:
        return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")

    def format(self, task: Task) -> str:
        progress = "-" if task.progress is None else f"{task.progress * 100:.0f}%"
        return self._line(
            [
                task.provider,
                task.id,
                task.status.value,
                progress,
                self._time(task.created_at),
                self._time(task.completed_at),
                task.kind or "-",
                task.tag or "-",
            ]
        )


def make_writer(fmt: str, *, raw: bool = False) -> Writer:
    if fmt == "jsonl":
        return JsonlWriter(raw=raw)
    if fmt == "csv":
        return CsvWriter(raw=raw)
    if fmt == "table":
        return TableWriter()
    raise ValueError(f"unknown format {fmt!r}")
