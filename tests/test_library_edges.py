"""What a library user met at the edges of the public objects (an outside pass): a
keyword typo in `merged` said only at the first ``next()``, a note given as one text
split into characters, reprs that printed a whole result or a token, and an error about
``raw`` that did not name it."""

from __future__ import annotations

from typing import Any

import pytest

import seotasks
from seotasks import Page, SandboxRequest, Task, TaskStatus
from seotasks.collect import Collected
from seotasks.provider import Batch

#: What a type checker refuses, given as an untyped program gives it.
_typo: Any = {"limt": 5}
_not_text: Any = [1]


def _task() -> Task:
    return Task(provider="p", id="t-1", status=TaskStatus.COMPLETED)


def test_merged_refuses_a_keyword_no_listing_takes_when_called() -> None:
    with pytest.raises(TypeError, match=r"'limt'; a listing takes status, .*, limit"):
        seotasks.merged([], **_typo)


def test_a_note_given_as_one_text_is_one_note() -> None:
    assert Page(tasks=(), next_cursor=None, notes="capped").notes == ("capped",)
    assert Batch(tasks=(), next=None, notes="capped at 1000").notes == ("capped at 1000",)
    with pytest.raises(TypeError, match="a note is a str, not a int"):
        Page(tasks=(), next_cursor=None, notes=_not_text)


def test_reprs_show_no_result_and_no_option_value() -> None:
    result = {"items": ["x" * 1000] * 50}
    shown = repr(Collected(task=_task(), index=0, result=result))
    assert "result=<dict of 1>" in shown and "xxxx" not in shown
    request = SandboxRequest(options={"token": "verysecrettoken"})
    assert "verysecrettoken" not in repr(request) and "'token': ***" in repr(request)


def test_a_raw_that_is_no_mapping_is_named() -> None:
    with pytest.raises(TypeError, match=r"Task p:t-1: raw must be a mapping .*, got list"):
        Task(provider="p", id="t-1", status=TaskStatus.COMPLETED, raw=_not_text)
