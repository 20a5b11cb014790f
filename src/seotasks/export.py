"""Writers for task streams: JSON Lines, CSV and a terminal table.

Every writer streams: it formats one task at a time and keeps nothing, so memory
stays flat however long the listing. Each ``format`` call returns whole lines, which
is what lets the CLI stop on Ctrl-C without leaving half a record behind.
"""

from __future__ import annotations

import enum
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import attrs

from .jsoncodec import escape_line_breaks
from .model import Task

__all__ = [
    "COLUMNS",
    "FIELDS",
    "CsvWriter",
    "JsonlWriter",
    "TableWriter",
    "decimal_text",
    "make_writer",
    "parse_fields",
    "plain",
    "task_record",
]

#: The columns of every export, in order: every `Task` field but ``raw``, in the class's
#: own order, read off ``attrs.fields(Task)`` so that a field added to the model is
#: exported (and documented by `task_record`) with no list to keep in step here.
COLUMNS: tuple[str, ...] = tuple(
    a.alias or a.name for a in attrs.fields(Task) if (a.alias or a.name) != "raw"
)


#: What ``--fields`` may name: every export column, and ``raw`` (the vendor's item).
FIELDS: tuple[str, ...] = (*COLUMNS, "raw")


def parse_fields(text: str) -> tuple[str, ...]:
    """``"id,status"`` as ``("id", "status")``: the fields an export keeps, in that order.

    Like ``gh --json fields``, an unknown name is refused with the list of known ones
    (``ValueError``), never dropped: a misspelt column would otherwise be an empty
    column nobody notices. Spaces around names are ignored; a name given twice counts once.
    """
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ValueError(f"name at least one field of: {', '.join(FIELDS)}")
    unknown = [name for name in names if name not in FIELDS]
    if unknown:
        import difflib

        # Compared in lower case: "ID" is 'id' misspelt, and difflib scores it 0.
        lowered = {field.lower(): field for field in FIELDS}
        close = [
            lowered[m] for n in unknown for m in difflib.get_close_matches(n.lower(), lowered, n=1)
        ]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ValueError(
            f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}"
            f"{hint}; known: {', '.join(FIELDS)}"
        )
    return tuple(dict.fromkeys(names))


def _export_value(value: Any) -> Any:
    """A field value as JSON carries it: times as ISO 8601, the status as its value, and a
    ``Decimal`` (``cost``) as its exact text, ``"0.0006"`` (`decimal_text`): the one rule for decimals
    everywhere seotasks writes JSON (`plain` does the same for a vendor's result), since
    a JSON number is read back as a float by most tools and a cost must not drift.
    """
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return decimal_text(value)
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
        return decimal_text(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def decimal_text(value: Decimal) -> str:
    """``value`` as plain decimal text, never in exponent form: ``Decimal("1E-7")`` is
    ``"0.0000001"``, as a spreadsheet, DuckDB's or pandas' reader of a cost expects
    (``str`` gives ``"1E-7"``, which some read as text)."""
    return format(value, "f")


class Writer(Protocol):
    def header(self) -> str: ...

    def format(self, task: Task) -> str: ...


class JsonlWriter:
    """One JSON object per line: every column (and ``raw`` if asked), or ``fields``."""

    def __init__(self, *, raw: bool = False, fields: Sequence[str] | None = None) -> None:
        self.fields = tuple(fields) if fields else (*COLUMNS, *(["raw"] if raw else []))
        self.raw = "raw" in self.fields

    def header(self) -> str:
        return ""

    def format(self, task: Task) -> str:
        full = task_record(task, raw=self.raw)
        record = {name: full[name] for name in self.fields}
        text = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
        return escape_line_breaks(text) + "\n"


class CsvWriter:
    """CSV quoted as RFC 4180 has it (records end in ``\\n``, not its CRLF) with a header
    row; ``raw`` becomes a JSON column.

    A field holding a comma, a quote, a carriage return or a line feed is quoted (the
    `csv` module quotes only its own terminator's characters: with ``"\\n"``, a bare
    carriage return in a tag went out unquoted and a strict reader split the record). An
    empty text is quoted too (``""``) and an unknown value left empty, the convention of
    PostgreSQL's ``COPY``: an empty tag and no tag were one empty cell, and a reader could
    not tell them apart."""

    def __init__(self, *, raw: bool = False, fields: Sequence[str] | None = None) -> None:
        self.fields = tuple(fields) if fields else (*COLUMNS, *(["raw"] if raw else []))
        self.raw = "raw" in self.fields

    @staticmethod
    def _row(cells: list[str]) -> str:
        if cells == [""]:  # a blank line is no record to a reader: one unknown cell
            return '""\n'
        return ",".join(cells) + "\n"

    def header(self) -> str:
        return self._row([_csv_cell(name) for name in self.fields])

    def format(self, task: Task) -> str:
        record = task_record(task, raw=self.raw)
        cells = []
        for name in self.fields:
            if name == "raw":
                text = json.dumps(record["raw"], ensure_ascii=False, default=str)
                cells.append(_csv_cell(text))
            else:
                cells.append("" if record[name] is None else _csv_cell(record[name]))
        return self._row(cells)


#: What makes RFC 4180 quote a field.
_CSV_QUOTED = re.compile(r'[,"\r\n]')


def _csv_cell(value: object) -> str:
    """``value`` as one CSV field: quoted when empty or holding `_CSV_QUOTED`."""
    text = value if isinstance(value, str) else str(value)
    if not text or _CSV_QUOTED.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` without control characters, so a vendor string cannot drive the terminal."""
    # The class covers all of Unicode category Cc (C0, DEL, C1) plus bidi and zero-width
    # format characters, so one substitution is enough.
    return _CONTROL.sub("", text)


def fit(cell: str, width: int) -> str:
    """``cell`` cut (ending ``~``) or padded to ``width`` terminal columns.

    Columns, not characters: a CJK character or an emoji takes two columns of a terminal
    and a combining accent none, so counting characters misaligned every column after a
    Japanese tag or a Korean location name.
    """
    if cell.isascii():  # the usual cell: one column a character
        return cell[: width - 1] + "~" if len(cell) > width else cell.ljust(width)
    columns = [_columns(char) for char in cell]
    if sum(columns) <= width:
        return cell + " " * (width - sum(columns))
    used, end = 0, 0
    while used + columns[end] <= width - 1:  # room for the ``~``
        used += columns[end]
        end += 1
    return cell[:end] + "~" + " " * (width - 1 - used)


def _columns(char: str) -> int:
    """How many terminal columns ``char`` takes (Unicode's East Asian Width)."""
    if unicodedata.category(char) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


#: Table heading and width per export column; a column added to the model later gets
#: its name in capitals and a width of 16 (`TableWriter` never refuses a column).
TABLE_COLUMNS: Mapping[str, tuple[str, int]] = {
    "provider": ("PROVIDER", 10),
    "id": ("ID", 36),
    "status": ("STATUS", 9),
    "progress": ("PROG", 5),
    "created_at": ("CREATED (UTC)", 19),
    "completed_at": ("COMPLETED (UTC)", 19),
    "kind": ("KIND", 34),
    "tag": ("TAG", 12),
    "cost": ("COST", 10),
    "engine": ("ENGINE", 8),
    "device": ("DEVICE", 7),
    "location": ("LOCATION", 24),
    "language": ("LANGUAGE", 8),
    "keywords_count": ("KEYWORDS", 8),
    "message": ("MESSAGE", 40),
    "started_at": ("STARTED (UTC)", 19),
}
#: The columns of the default table (what fits a wide terminal).
TABLE_DEFAULT = (
    "provider",
    "id",
    "status",
    "progress",
    "created_at",
    "completed_at",
    "kind",
    "tag",
)


class TableWriter:
    """Fixed-width columns, so the table streams without first reading every row."""

    def __init__(self, *, fields: Sequence[str] | None = None) -> None:
        self.fields = tuple(fields) if fields else TABLE_DEFAULT
        if "raw" in self.fields:
            raise ValueError("the table has no raw column: use --format jsonl or csv")
        columns = [TABLE_COLUMNS.get(name, (name.upper(), 16)) for name in self.fields]
        self.names = tuple(name for name, _ in columns)
        self.widths = tuple(width for _, width in columns)

    def header(self) -> str:
        return self._line(list(self.names)) + self._line(["-" * w for w in self.widths])

    def _line(self, cells: list[str]) -> str:
        parts = [
            fit(printable(cell), width) for cell, width in zip(cells, self.widths, strict=True)
        ]
        return "  ".join(parts).rstrip() + "\n"

    @staticmethod
    def _cell(name: str, value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        if name == "progress":
            return f"{value * 100:.0f}%"
        if isinstance(value, enum.Enum):
            return str(value.value)
        return str(value)

    def format(self, task: Task) -> str:
        return self._line([self._cell(name, getattr(task, name)) for name in self.fields])


def make_writer(fmt: str, *, raw: bool = False, fields: Sequence[str] | None = None) -> Writer:
    """The writer of ``fmt`` (``jsonl``, ``csv``, ``table``), every column or ``fields``."""
    if fmt == "jsonl":
        return JsonlWriter(raw=raw, fields=fields)
    if fmt == "csv":
        return CsvWriter(raw=raw, fields=fields)
    if fmt == "table":
        return TableWriter(fields=fields)
    raise ValueError(f"unknown format {fmt!r}")
