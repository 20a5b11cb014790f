"""The terminal table counts terminal columns, not characters: a Japanese tag or a Korean
location takes two columns a character, and the columns after it must still line up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from seotasks import Task, TaskStatus
from seotasks.export import TableWriter, fit


@pytest.mark.parametrize(
    ("cell", "width", "shown"),
    [
        ("serp", 6, "serp  "),
        ("serp/google/organic", 8, "serp/go~"),
        ("東京", 5, "東京 "),  # 4 columns, one of padding
        ("東京都", 5, "東京~"),  # 6 columns: cut to 4 and the mark
        ("東京都庁", 6, "東京~ "),  # a wide character does not fit the last free column
        ("e\u0301te\u0301", 5, "e\u0301te\u0301  "),  # combining accents take no column
        ("🍵 tea", 4, "🍵 ~"),  # an emoji takes two
    ],
)
def test_fit_counts_terminal_columns(cell: str, width: int, shown: str) -> None:
    assert fit(cell, width) == shown


def test_columns_after_a_wide_tag_line_up() -> None:
    writer = TableWriter(fields=("id", "tag", "status"))
    done = datetime(2026, 3, 1, 10, tzinfo=UTC)
    rows = [
        Task(provider="p", id="1", status=TaskStatus.COMPLETED, completed_at=done, tag=tag)
        for tag in ("ascii-tag", "日本語のタグ", "日本語のタグです", "서울")
    ]
    lines = [writer.format(task) for task in rows]
    # Where STATUS starts, in columns: the ASCII row's offset, for every row.
    offsets = {_columns_before(line, "completed") for line in lines}
    assert offsets == {_columns_before(writer.header().splitlines()[0], "STATUS")}
    assert "日本語のタ~" in lines[2]


def _columns_before(line: str, word: str) -> int:
    """Terminal columns before ``word`` in ``line``: 2 for a CJK character, 1 otherwise."""
    head = line[: line.index(word)]
    return sum(2 if "\u3000" <= char <= "\uffef" else 1 for char in head)
