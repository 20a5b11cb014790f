"""The listings' item readers: each item read by its declaration in `items`, then a Task.

The emulator's items give the common shapes; hand-made items give what it does not
produce on its own (offsets, blank dates, the other spellings of cost, status and
metadata), each with the task it must become. Malformed items must be refused with
the path of the field and the item id, never a bare exception.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonvalues import apply, changes, reads_or_names_a_field
from seotasks_dataforseo import readers
from seotasks_dataforseo.emulator import DataForSEOEmulator, vendor_shapes
from seotasks_dataforseo.endpoints import BY_NAME, CATALOGUE, resolve_history

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


def _ready_items() -> list[dict[str, Any]]:
    return _call(_emulator(), "GET", "/v3/serp/tasks_ready")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# -- id_list ------------------------------------------------------------------------------


@pytest.mark.parametrize("metadata", [True, False])
def test_history_page_of_emulator_items(metadata: bool) -> None:
    items = _history_items(metadata)
    assert len(items) >= 300
    tasks = readers.HistoryReader().page(items, HISTORY)
    assert all(type(t) is Task for t in tasks)
    done = [t for t in tasks if t is not None]
    assert [dict(t.raw) for t in done] == items
    for task, item in zip(done, items, strict=True):
        assert task.provider == "dataforseo" and task.id == item["id"]
        assert task.created_at == _time(item["datetime_posted"])
        assert task.kind is not None and task.kind.startswith("serp/")
        assert item["url"].endswith(f"/{task.kind}/task_post")
        assert task.engine == task.kind.split("/")[1]
        assert (task.progress == 1.0) == (task.status is TaskStatus.COMPLETED)
        assert (task.message is not None) == (task.status is TaskStatus.FAILED)
        assert task.cost == (None if item["cost"] is None else Decimal(repr(item["cost"])))
    assert {t.status for t in done} >= {TaskStatus.COMPLETED, TaskStatus.FAILED}
    if metadata:
        # The metadata echoes what a task was posted with: a location wherever the
        # endpoint takes one (Naver and Dataset Search take none).
        placed = [t for t in done if _takes_location(t.kind)]
        assert placed and all(t.location for t in placed)
        assert any(t.keywords_count for t in done)


#: One change each to a documented id_list item, and what the task then holds.
HISTORY_CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        {"datetime_posted": "2026-11-01 10:00:00 +03:00"},
        {"created_at": datetime(2026, 11, 1, 7, 0, tzinfo=UTC)},
    ),
    (
        {"datetime_done": "0000-00-00 00:00:00 +00:00", "status": "Task Handed."},
        {"completed_at": None, "status": TaskStatus.QUEUED},
    ),
    ({"datetime_done": "", "status": "Task Handed."}, {"completed_at": None}),
    (
        {"datetime_done": None, "status": "Task In Queue."},
        {"status": TaskStatus.QUEUED, "progress": None, "message": None},
    ),
    ({"cost": "0.0025"}, {"cost": Decimal("0.0025")}),
    ({"cost": 0}, {"cost": Decimal(0)}),
    ({"cost": 0.0006}, {"cost": Decimal("0.0006")}),
    ({"cost": None}, {"cost": None}),
    (
        {"status": "Task execution failed, resubmit"},
        {"status": TaskStatus.FAILED, "message": "Task execution failed, resubmit"},
    ),
    (
        {"status": "40501 Invalid Field: 'keyword'."},
        {"status": TaskStatus.FAILED, "message": "40501 Invalid Field: 'keyword'."},
    ),
    ({"status": " ok. "}, {"status": TaskStatus.COMPLETED, "progress": 1.0}),
    ({"status": "No Search Results."}, {"status": TaskStatus.COMPLETED}),
    ({"status": "20000 Ok.", "datetime_done": None}, {"status": TaskStatus.COMPLETED}),
    ({"status": "Something new.", "datetime_done": None}, {"status": TaskStatus.RUNNING}),
    ({"url": None, "metadata": None}, {"kind": "serp", "engine": None}),
    (
        {"url": "https://api.dataforseo.com/v3/serp/bing/organic/task_post", "metadata": None},
        {"kind": "serp/bing/organic", "engine": "bing"},
    ),
    (
        {"metadata": {}},
        {"tag": None, "engine": "google", "location": None, "keywords_count": None},
    ),
    (
        {"metadata": {"tag": 7, "se": "yahoo", "location_code": True}},
        {"tag": "7", "engine": "yahoo", "location": None},
    ),
    (
        {"metadata": {"location_code": "", "location_name": "London,England,United Kingdom"}},
        {"location": "London,England,United Kingdom"},
    ),
    (
        {"metadata": {"location_code": 2840, "language_code": "en", "language_name": "English"}},
        {"location": "2840", "language": "en"},
    ),
    (
        {"metadata": {"language_name": "English", "keywords": ["a", "b", "c"]}},
        {"language": "English", "keywords_count": 3},
    ),
    (
        {"metadata": {"tag": "", "device": "mobile", "keyword": "shoes"}},
        {"tag": "", "device": "mobile", "keywords_count": 1},  # as tasks_ready keeps it
    ),
    (  # keywords_data echoes the device posted as a list
        {"metadata": {"device": ["desktop"], "location_code": [2840]}},
        {"device": "desktop", "location": "2840"},
    ),
    ({"metadata": {"device": ["desktop", "mobile"]}}, {"device": None}),
]


@pytest.mark.parametrize(("change", "expected"), HISTORY_CASES)
def test_history_item_off_the_common_shape(
    change: dict[str, Any], expected: dict[str, Any]
) -> None:
    base = {
        "id": "11201200-1535-0066-0000-c3ea4a5b7f2e",
        "url": "https://api.dataforseo.com/v3/serp/google/organic/task_post",
        "datetime_posted": "2026-11-01 10:00:00 +00:00",
        "datetime_done": "2026-11-01 10:00:05 +00:00",
        "status": "Ok.",
        "cost": 0.0012,
        "metadata": {"se": "google", "location_code": 2840, "language_code": "en"},
    }
    item = {**base, **change}
    task = readers.HistoryReader().task(item, 0, HISTORY)
    assert task is not None and type(task) is Task
    for name, value in expected.items():
        assert getattr(task, name) == value, name
    assert dict(task.raw) == item and task.id == base["id"]


def test_history_reader_scrubs_failed_messages() -> None:
    item = _history_items(False)[0]
    failed = {**item, "status": "Invalid Field: 'keyword' (token SECRET-42 rejected)"}
    odd = {**failed, "cost": "0.5"}
    reader = readers.HistoryReader(lambda text: text.replace("SECRET-42", "***"))
    for raw in (failed, odd):
        task = reader.task(raw, 0, HISTORY)
        assert task is not None and task.status is TaskStatus.FAILED
        assert task.message is not None and "SECRET-42" not in task.message
        assert "***" in task.message


def test_history_family_filter_skips_other_kinds_before_judging_them() -> None:
    [family] = resolve_history(["serp/google/maps"])
    items = _history_items(False)
    reader = readers.HistoryReader()
    tasks = reader.page(items, family)
    kept = [t for t in tasks if t is not None]
    assert kept and all(t.kind == "serp/google/maps" for t in kept)
    assert len(kept) < len(items)
    assert [t.id for t in kept] == [i["id"] for i in items if "/serp/google/maps/" in i["url"]]
    # An item of a kind this listing skips is not its to judge: a bad cost is no error.
    other = next(i for i in items if "/serp/google/maps/" not in i["url"])
    assert reader.task({**other, "cost": "free"}, 0, family) is None
    wanted = next(i for i in items if "/serp/google/maps/" in i["url"])
    with pytest.raises(ResponseFormatError):
        reader.task({**wanted, "cost": "free"}, 0, family)


def test_a_bad_item_after_skipped_ones_is_named_by_its_place_in_the_page() -> None:
    [family] = resolve_history(["serp/google/maps"])
    items = _history_items(False)
    at = max(i for i, item in enumerate(items) if "/serp/google/maps/" in item["url"])
    assert any("/serp/google/maps/" not in item["url"] for item in items[:at])
    items[at] = {**items[at], "cost": "free"}
    with pytest.raises(ResponseFormatError) as info:
        readers.HistoryReader().page(items, family, first_index=10)
    assert info.value.field == f"tasks[0].result[{at + 10}].cost"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": ""}, "tasks[0].result[4].id"),
        ({"id": 7}, "tasks[0].result[4].id"),
        ({"cost": "free"}, "tasks[0].result[4].cost"),
        ({"cost": float("nan")}, "tasks[0].result[4].cost"),
        ({"cost": True}, "tasks[0].result[4].cost"),
        ({"datetime_done": "soon"}, "tasks[0].result[4].datetime_done"),
        ({"datetime_posted": 1700000000}, "tasks[0].result[4].datetime_posted"),
        ({"metadata": ["not", "an", "object"]}, "tasks[0].result[4].metadata"),
        ({"status": 20000}, "tasks[0].result[4].status"),
        ({"url": ["x"]}, "tasks[0].result[4].url"),
    ],
)
def test_history_bad_items_name_field_and_item(change: dict[str, Any], field: str) -> None:
    item = {**_history_items(True)[0], **change}
    with pytest.raises(ResponseFormatError) as info:
        readers.HistoryReader().task(item, 4, HISTORY)
    assert info.value.field == field
    if isinstance(item["id"], str) and item["id"]:
        assert info.value.item_id == item["id"]


@pytest.mark.parametrize("item", ["not an object", None, [1, 2], {"url": "x"}])
def test_history_items_that_are_no_task_name_the_item(item: object) -> None:
    with pytest.raises(ResponseFormatError) as info:
        readers.HistoryReader().page([{**_history_items(False)[0]}, item], HISTORY)
    assert info.value.field is not None
    assert info.value.field.startswith("tasks[0].result[1]")


# -- tasks_ready ------------------------------------------------------------------------------


def test_ready_page_of_emulator_items() -> None:
    items = _ready_items()
    assert len(items) >= 300
    tasks = readers.ready_tasks(SERP, items)
    assert all(type(t) is Task for t in tasks)
    assert [dict(t.raw) for t in tasks] == items
    for task, item in zip(tasks, items, strict=True):
        assert task.id == item["id"] and task.status is TaskStatus.COMPLETED
        assert task.progress == 1.0 and task.completed_at is None
        assert task.kind == f"serp/{item['se']}/{item['se_type']}"
        assert task.engine == item["se"] and task.tag == item["tag"]
        assert task.created_at == _time(item["date_posted"])
        assert task.created_at is not None and task.created_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"date_posted": "2026-11-01 10:00:00 -05:00"},
            {"created_at": datetime(2026, 11, 1, 15, 0, tzinfo=UTC)},
        ),
        ({"date_posted": "0000-00-00 00:00:00 +00:00"}, {"created_at": None}),
        ({"date_posted": None}, {"created_at": None}),
        ({"date_posted": ""}, {"created_at": None}),
        ({"se": None, "se_type": None}, {"kind": "serp", "engine": None}),
        ({"se_type": ["organic"]}, {"kind": "serp", "engine": "google"}),
        ({"se_type": "not a token!"}, {"kind": "serp"}),
        ({"tag": "mine"}, {"tag": "mine"}),
        ({"tag": None}, {"tag": None}),
    ],
)
def test_ready_item_off_the_common_shape(change: dict[str, Any], expected: dict[str, Any]) -> None:
    base = {
        "id": "11201200-1535-0066-0000-c3ea4a5b7f2e",
        "se": "google",
        "se_type": "organic",
        "date_posted": "2026-11-01 10:00:00 +00:00",
        "tag": "t",
        "endpoint_regular": "/v3/serp/google/organic/task_get/regular/x",
    }
    item = {**base, **change}
    (task,) = readers.ready_tasks(SERP, [item])
    for name, value in expected.items():
        assert getattr(task, name) == value, name
    assert dict(task.raw) == item


def test_ready_items_of_one_endpoint_take_its_kind() -> None:
    """Only the family endpoints (``serp``, ``merchant``...) read the kind off the item."""
    item = {"id": "a", "se": "google", "se_type": "news"}
    (task,) = readers.ready_tasks(CATALOGUE[BY_NAME["keywords_data/bing/search_volume"]], [item])
    assert task.kind == "keywords_data/bing/search_volume" and task.engine == "google"
    (task,) = readers.ready_tasks(CATALOGUE[BY_NAME["merchant"]], [item])
    assert task.kind == "merchant/google/news"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": ""}, "tasks[0].result[1].id"),
        ({"id": None}, "tasks[0].result[1].id"),
        ({"se": 5}, "tasks[0].result[1].se"),
        ({"tag": ["x"]}, "tasks[0].result[1].tag"),
        ({"date_posted": "2026-13-45 99:00:00 +00:00"}, "tasks[0].result[1].date_posted"),
    ],
)
def test_ready_bad_items_name_field_and_item(change: dict[str, Any], field: str) -> None:
    first = _ready_items()[0]
    item = {**first, **change}
    with pytest.raises(ResponseFormatError) as info:
        readers.ready_tasks(SERP, [first, item])
    assert info.value.field == field
    if isinstance(item["id"], str) and item["id"]:
        assert info.value.item_id == item["id"]
        assert item["id"] in str(info.value)


def test_a_missing_id_is_named() -> None:
    item = {k: v for k, v in _ready_items()[0].items() if k != "id"}
    with pytest.raises(ResponseFormatError) as info:
        readers.ready_tasks(SERP, [item])
    assert info.value.field == "tasks[0].result[0].id"


# -- property: any value in any field, a task or the field named -----------------------------

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


@settings(max_examples=300, deadline=None)
@given(
    pick=st.integers(min_value=0, max_value=4),
    change=changes(_HISTORY_KEYS, *_LIKELY),
    meta_change=changes(_METADATA_KEYS, *_LIKELY, min_size=0),
)
def test_history_reads_or_refuses_any_item(
    pick: int, change: dict[str, Any], meta_change: dict[str, Any]
) -> None:
    item = json.loads(json.dumps(_HISTORY_SAMPLE[pick]))
    if isinstance(item.get("metadata"), dict):
        apply(item["metadata"], meta_change)
    apply(item, change)
    task = reads_or_names_a_field(
        lambda: readers.HistoryReader().task(item, 3, HISTORY), "tasks[0].result[3]", item
    )
    if task is not None:
        assert isinstance(task, Task) and task.id == item["id"] and dict(task.raw) == item
        assert task.created_at is None or task.created_at.tzinfo is UTC
        assert task.completed_at is None or task.completed_at.tzinfo is UTC
        assert task.tag is None or isinstance(task.tag, str)  # "" as posted
        for name in ("engine", "device", "location", "language"):
            value = getattr(task, name)
            assert value is None or (isinstance(value, str) and value)


@settings(max_examples=200, deadline=None)
@given(
    pick=st.integers(min_value=0, max_value=4),
    change=changes(("id", "se", "se_type", "date_posted", "tag"), *_LIKELY),
)
def test_ready_reads_or_refuses_any_item(pick: int, change: dict[str, Any]) -> None:
    item = apply(dict(_READY_SAMPLE[pick]), change)
    tasks = reads_or_names_a_field(
        lambda: readers.ready_tasks(SERP, [item]), "tasks[0].result[0]", item
    )
    if tasks is not None:
        (task,) = tasks
        assert task.id == item["id"] and task.tag == item.get("tag")
        assert dict(task.raw) == item and task.status is TaskStatus.COMPLETED
        assert task.created_at is None or task.created_at.tzinfo is UTC
        if task.created_at is not None and isinstance(item.get("date_posted"), str):
            assert abs(task.created_at - NOW) < timedelta(days=4000)
