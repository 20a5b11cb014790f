"""Values the model refused only in part: a provider name that is no name, a keyword
count that is no count, a page holding what is no task. Each was kept, then misread far
from where it came in (a key ``1:a``, ``keywords_count == "3"``, a page whose tasks a
caller could append to)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest
from seotasks_serpstat.items import row_reader

from seotasks import Page, Task, TaskStatus
from seotasks.convert import ConversionError


def make(**fields: Any) -> Task:
    return Task(**{"provider": "fake", "id": "42", "status": TaskStatus.COMPLETED, **fields})


@pytest.mark.parametrize(
    ("provider", "error"),
    [(1, TypeError), (None, TypeError), (b"fake", TypeError), ("", ValueError)],
)
def test_a_provider_that_is_no_name_is_refused(provider: object, error: type) -> None:
    """A wrong type is a `TypeError`; an empty name, of the right type, a `ValueError`
    (as an empty id is; the documented rule)."""
    with pytest.raises(error, match=r"provider must be a non-empty str"):
        make(provider=provider)


@pytest.mark.parametrize(
    ("count", "error"), [("3", TypeError), (True, TypeError), (2.0, TypeError), (-1, ValueError)]
)
def test_a_keyword_count_that_is_no_count_is_refused(count: object, error: type) -> None:
    with pytest.raises(error, match=r"^Task fake:42: keywords_count must be an int of 0 or more"):
        make(keywords_count=count)


def test_counts_and_none_are_taken() -> None:
    assert make(keywords_count=0).keywords_count == 0
    assert make(keywords_count=3).keywords_count == 3
    assert make().keywords_count is None


def test_a_negative_count_from_serpstat_names_its_field() -> None:
    read = row_reader(UTC)
    row = {"task_id": "5", "progress": "100%", "keywords_count": "3"}
    assert read(row, 0).keywords_count == 3
    with pytest.raises(ConversionError) as info:
        read({**row, "keywords_count": "-1"}, 0)
    assert info.value.field == "result[0].keywords_count"


def test_a_page_holds_tasks_in_a_tuple_and_refuses_anything_else() -> None:
    page = Page(tasks=[make()], next_cursor=None, notes=["n"])
    assert type(page.tasks) is tuple and type(page.notes) is tuple
    with pytest.raises(TypeError, match=r"^Page.tasks\[1\] is a int, not a Task"):
        Page(tasks=[make(), 1], next_cursor=None)
    number: Any = 5
    with pytest.raises(TypeError, match="next_cursor"):
        Page(tasks=(), next_cursor=number)
