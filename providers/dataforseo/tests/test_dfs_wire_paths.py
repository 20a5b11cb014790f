"""The item readers' inline fast paths must read exactly what the careful paths read.

`readers.ready_tasks` and `readers.HistoryReader.task` handle the documented item shape inline
(and build tasks with `Task.trusted`); anything else goes to the careful, fully checked
readers. These tests feed both paths the emulator's items and hand-made deviations and
require equal tasks, so a fast path can never drift from the rules it shortcuts.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonvalues import apply, changes, same_outcome
from seotasks_dataforseo import readers
from seotasks_dataforseo.emulator import DataForSEOEmulator, vendor_shapes
from seotasks_dataforseo.endpoints import BY_NAME, CATALOGUE, is_token, resolve_history

from seotasks.emulation import HttpRequest
from seotasks.errors import ResponseFormatError
from seotasks.model import Task, TaskStatus

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SERP = CATALOGUE[BY_NAME["serp"]]
HISTORY = resolve_history(["serp"])[0]


SERP_KINDS = [e.name for e in CATALOGUE if e.name.startswith("serp/")]


def _emulator() -> DataForSEOEmulator:
    return DataForSEOEmulator(seed=11, size=3000, now=lambda: NOW, recent=0.4, kinds=SERP_KINDS)


def _call(emu: DataForSEOEmulator, method: str, path: str, body: Any = None) -> list[Any]:
    token = base64.b64encode(f"{emu.login}:{emu.password}".encode()).decode()
    request = HttpRequest(
        method=method,
        path=path,
        query={},
        headers={"authorization": f"Basic {token}"},
        body=b"" if body is None else json.dumps(body).encode(),
    )
    answer = json.loads(emu.app.handle(request, None).body)
    return list(answer["tasks"][0]["result"] or [])


def _history_items(metadata: bool) -> list[dict[str, Any]]:
    request = {
        "datetime_from": "2026-10-22 12:00:00 +00:00",  # the 30-day metadata window
        "datetime_to": "2026-11-20 12:00:00 +00:00",
        "limit": 1000,
        "include_metadata": metadata,
    }
    return _call(_emulator(), "POST", "/v3/serp/id_list", [request])


def _takes_location(kind: str | None) -> bool:
    fields = vendor_shapes.post_fields(kind or "")
    return fields is None or "location_code" in fields


def _deviations(item: dict[str, Any]) -> list[dict[str, Any]]:
    """Copies of ``item`` off the documented shape in one way each."""
    changes: list[dict[str, Any]] = [
        {"datetime_posted": item["datetime_posted"].replace(" +00:00", " +03:00")},
        {"datetime_done": "0000-00-00 00:00:00 +00:00"},
        {"datetime_done": ""},
        {"datetime_done": None, "status": "Task In Queue."},
        {"cost": "0.0025"},
        {"cost": 0},
        {"cost": 0.0},
        {"cost": None},
        {"status": "Task execution failed, resubmit"},
        {"status": "40501 Invalid Field: 'keyword'."},
        {"url": None},
        {"metadata": {}},
        {"metadata": {"tag": 7, "se": "google", "location_code": True}},
        {"metadata": {"location_code": "", "location_name": "London,England,United Kingdom"}},
        {"metadata": {"language_name": "English", "keywords": ["a", "b", "c"]}},
        {"metadata": {"tag": "", "device": "mobile", "keyword": "shoes"}},
    ]
    return [{**item, **change} for change in changes]


@pytest.mark.parametrize("metadata", [True, False])
def test_history_fast_path_equals_careful_path(metadata: bool) -> None:
    items = _history_items(metadata)
    assert len(items) >= 300
    listed = len(items)
    items += [d for item in items[:3] for d in _deviations(item)]
    fast_reader, careful_reader = readers.HistoryReader(), readers.HistoryReader()
    fast = [fast_reader.task(item, i, HISTORY) for i, item in enumerate(items)]
    careful = [careful_reader._checked(item, i, HISTORY) for i, item in enumerate(items)]
    assert fast == careful
    assert all(type(t) is Task for t in fast)
    assert [dict(t.raw) for t in fast if t is not None] == items
    statuses = {t.status for t in fast if t is not None}
    assert {TaskStatus.COMPLETED, TaskStatus.FAILED} <= statuses
    if metadata:
        # The metadata echoes what a task was posted with: a location wherever the
        # endpoint takes one (Naver and Dataset Search take none).
        placed = [t for t in fast[:listed] if t is not None and _takes_location(t.kind)]
        assert placed and all(t.location for t in placed)


def test_history_reader_scrubs_failed_messages() -> None:
    item = _history_items(False)[0]
    failed = {**item, "status": "Invalid Field: 'keyword' (token SECRET-42 rejected)"}
    odd = {**failed, "cost": "0.5"}  # the careful path scrubs too
    reader = readers.HistoryReader(lambda text: text.replace("SECRET-42", "***"))
    for raw in (failed, odd):
        task = reader.task(raw, 0, HISTORY)
        assert task is not None and task.status is TaskStatus.FAILED
        assert task.message is not None and "SECRET-42" not in task.message
        assert "***" in task.message


def test_history_family_filter_applies_on_both_paths() -> None:
    [family] = resolve_history(["serp/google/maps"])
    items = _history_items(False)
    reader = readers.HistoryReader()
    fast = [reader.task(item, i, family) for i, item in enumerate(items)]
    careful = [reader._checked(item, i, family) for i, item in enumerate(items)]
    assert fast == careful
    kept = [t for t in fast if t is not None]
    assert kept and all(t.kind == "serp/google/maps" for t in kept)
    assert len(kept) < len(items)


def _ready_items() -> list[dict[str, Any]]:
    return _call(_emulator(), "GET", "/v3/serp/tasks_ready")


def _careful_ready(items: list[Any]) -> list[Task]:
    """What ready_tasks builds, through the careful field reader and the checked constructor."""
    out = []
    for index, item in enumerate(items):
        task_id, se, tag, created = readers._ready_fields(item, index)
        se_type = item.get("se_type")
        kind = f"serp/{se}/{se_type}" if is_token(se) and is_token(se_type) else "serp"
        out.append(
            Task(
                provider="dataforseo",
                id=task_id,
                status=TaskStatus.COMPLETED,
                progress=1.0,
                created_at=created,
                kind=kind,
                tag=tag,
                engine=se,
                raw=item,
            )
        )
    return out


def test_ready_fast_path_equals_careful_path() -> None:
    items = _ready_items()
    assert len(items) >= 300
    first = items[0]
    items += [
        {**first, "id": "a-1", "date_posted": first["date_posted"].replace("+00:00", "-05:00")},
        {**first, "id": "a-2", "date_posted": "0000-00-00 00:00:00 +00:00"},
        {**first, "id": "a-3", "date_posted": None},
        {**first, "id": "a-4", "se": None, "se_type": None},
        {**first, "id": "a-5", "tag": "mine"},
    ]
    fast = readers.ready_tasks(SERP, items)
    assert fast == _careful_ready(items)
    assert [dict(t.raw) for t in fast] == items
    assert fast[-5].created_at is not None and fast[-5].created_at.tzinfo is UTC
    assert fast[-4].created_at is None and fast[-3].created_at is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": ""}, "tasks[0].result[0].id"),
        ({"se": 5}, "tasks[0].result[0].se"),
        ({"date_posted": "2026-13-45 99:00:00 +00:00"}, "tasks[0].result[0].date_posted"),
    ],
)
def test_ready_fast_path_hands_bad_items_to_the_careful_errors(
    change: dict[str, Any], field: str
) -> None:
    item = {**_ready_items()[0], **change}
    with pytest.raises(ResponseFormatError) as info:
        readers.ready_tasks(SERP, [item])
    assert info.value.field == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cost": "free"}, "tasks[0].result[0].cost"),
        ({"datetime_done": "soon"}, "tasks[0].result[0].datetime_done"),
        ({"metadata": ["not", "an", "object"]}, "tasks[0].result[0].metadata"),
        ({"status": 20000}, "tasks[0].result[0].status"),
    ],
)
def test_history_fast_path_hands_bad_items_to_the_careful_errors(
    change: dict[str, Any], field: str
) -> None:
    item = {**_history_items(True)[0], **change}
    read: Callable[[], object] = lambda: readers.HistoryReader().task(item, 0, HISTORY)  # noqa: E731
    with pytest.raises(ResponseFormatError) as info:
        read()
    assert info.value.field == field


# -- property: any value in any field, both paths agree --------------------------------------

_LIKELY = (
    "2026-11-01 10:00:00 +00:00",
    "2026-11-01 10:00:00 +02:00",
    "2026-11-01 10:00:00",
    "2026-11-01T10:00:00Z",
    "0000-00-00 00:00:00 +00:00",
    "Ok.",
    "Task In Queue.",
    "40602 Task In Queue.",
    "https://api.dataforseo.com/v3/serp/google/maps/task_post",
    "google",
    "0.0025",
)
_HISTORY_KEYS = ("id", "url", "datetime_posted", "datetime_done", "status", "cost", "metadata")
_METADATA_KEYS = (
    "tag",
    "se",
    "device",
    "location_code",
    "location_name",
    "language_code",
    "language_name",
    "keyword",
    "keywords",
)
_HISTORY_SAMPLE = _history_items(True)[:5]
_READY_SAMPLE = _ready_items()[:5]


@settings(max_examples=400, deadline=None)
@given(
    pick=st.integers(min_value=0, max_value=4),
    change=changes(_HISTORY_KEYS, *_LIKELY),
    meta_change=changes(_METADATA_KEYS, *_LIKELY, min_size=0),
)
def test_history_paths_agree_on_any_item(
    pick: int, change: dict[str, Any], meta_change: dict[str, Any]
) -> None:
    item = json.loads(json.dumps(_HISTORY_SAMPLE[pick]))
    if isinstance(item.get("metadata"), dict):
        apply(item["metadata"], meta_change)
    apply(item, change)
    same_outcome(
        lambda: readers.HistoryReader().task(item, 0, HISTORY),
        lambda: readers.HistoryReader()._checked(item, 0, HISTORY),
    )


@settings(max_examples=300, deadline=None)
@given(
    pick=st.integers(min_value=0, max_value=4),
    change=changes(("id", "se", "se_type", "date_posted", "tag"), *_LIKELY),
)
def test_ready_paths_agree_on_any_item(pick: int, change: dict[str, Any]) -> None:
    item = apply(dict(_READY_SAMPLE[pick]), change)
    same_outcome(lambda: readers.ready_tasks(SERP, [item]), lambda: _careful_ready([item]))
