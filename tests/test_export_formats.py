"""`seotasks.export`'s writers hold any value a vendor sends: a CSV record stays one
record for a strict reader, JSON lines stay one line for a reader that splits on any
line break, and a cost is written as the plain decimal it is."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from seotasks import Task, TaskStatus
from seotasks.export import CsvWriter, JsonlWriter, task_record

_AWKWARD = ["cr\rlf", "lf\nonly", "crlf\r\nboth", 'quote"and,comma', "\u2028sep\u2029", "nel\x85"]


def _task(tag: str, cost: Decimal | None = Decimal("0.0006")) -> Task:
    done = datetime(2026, 3, 1, 12, tzinfo=UTC)
    return Task(
        provider="dataforseo",
        id="t-1",
        status=TaskStatus.COMPLETED,
        progress=1.0,
        created_at=done,
        completed_at=done,
        tag=tag,
        cost=cost,
    )


@pytest.mark.parametrize("tag", _AWKWARD)
def test_a_csv_record_with_any_line_break_in_a_field_reads_back_as_one_record(tag: str) -> None:
    """A bare carriage return went out unquoted (the writer quoted only its own "\\n"):
    a strict reader split the task into two broken rows."""
    writer = CsvWriter()
    text = writer.header() + writer.format(_task(tag))
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == 1 and rows[0]["tag"] == tag
    assert text.endswith("\n") and not text.endswith("\r\n")  # records end as before


@pytest.mark.parametrize("tag", _AWKWARD)
def test_a_json_line_holds_no_character_a_line_splitter_breaks_on(tag: str) -> None:
    line = JsonlWriter().format(_task(tag))
    assert len(line.splitlines()) == 1 and line.endswith("\n")
    assert json.loads(line)["tag"] == tag


@pytest.mark.parametrize(
    ("cost", "text"),
    [(Decimal("1E-7"), "0.0000001"), (Decimal("0.0006"), "0.0006"), (Decimal("1E+3"), "1000")],
)
def test_a_cost_is_written_as_a_plain_decimal_never_in_exponent_form(
    cost: Decimal, text: str
) -> None:
    assert task_record(_task("t", cost))["cost"] == text
    assert json.loads(JsonlWriter().format(_task("t", cost)))["cost"] == text
    writer = CsvWriter()
    [row] = csv.DictReader(io.StringIO(writer.header() + writer.format(_task("t", cost))))
    assert row["cost"] == text


def test_a_collect_line_stays_one_line_whatever_the_result_holds(tmp_path: Path) -> None:
    """``collect``'s stdout line: the task's record and its result, whole or copied in
    from the file it was streamed to; either may hold a vendor's U+2028."""
    from seotasks.cli.collect_support import copy_json_line, line_text

    result = {"items": [{"snippet": "one\u2028two\x85three"}]}
    text, streamed = line_text(_task("a\u2029b"), None, None, result, None, to=False)
    assert streamed is None and len(text.splitlines()) == 1
    assert json.loads(text)["result"] == result and json.loads(text)["task"]["tag"] == "a\u2029b"
    body = tmp_path / "result.json"
    body.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    out = io.StringIO()
    copy_json_line(body, out)
    assert len(out.getvalue().splitlines()) == 1 and json.loads(out.getvalue()) == result


@pytest.mark.parametrize("awkward", _AWKWARD)
def test_csv_quotes_what_pythons_csv_module_does_and_nothing_else(awkward: str) -> None:
    """The writer's own quoting reads back as the standard library wrote it."""
    writer = CsvWriter(fields=["id", "tag", "cost"])
    mine = writer.format(_task(awkward, Decimal("2")))
    theirs = io.StringIO()
    csv.writer(theirs, lineterminator="\r\n").writerow(["t-1", awkward, "2"])
    assert mine == theirs.getvalue()[:-2] + "\n"


def test_an_empty_tag_and_no_tag_are_two_cells_a_reader_tells_apart(tmp_path: Path) -> None:
    """Both were one empty cell: PostgreSQL's convention (an empty text quoted, an
    unknown value empty) keeps them apart for a reader that follows it."""
    import duckdb

    writer = CsvWriter(fields=["id", "tag", "cost"])
    empty, unknown = _task("", None), attrs.evolve(_task("x"), id="t-2", tag=None)
    text = writer.header() + writer.format(empty) + writer.format(unknown)
    assert text.splitlines()[1:] == ['t-1,"",', "t-2,,0.0006"]
    path = tmp_path / "tasks.csv"
    path.write_text(text, encoding="utf-8")
    read = duckdb.sql(
        f"SELECT id, tag FROM read_csv('{path}', allow_quoted_nulls = false, "
        "columns = {'id': 'VARCHAR', 'tag': 'VARCHAR', 'cost': 'VARCHAR'}, header = true) "
        "ORDER BY id"
    ).fetchall()
    assert read == [("t-1", ""), ("t-2", None)]
    one_column = CsvWriter(fields=["tag"]).format(unknown)
    assert one_column == '""\n'  # a blank line would be no record at all
