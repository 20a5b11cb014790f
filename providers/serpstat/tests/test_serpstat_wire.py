"""Row normalization and the JSON-RPC envelope, on hand-made wire values.

These are the edge cases the emulator does not produce on its own (odd progress
strings, blank dates, DST-ambiguous local times); listing tests cover the common path.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonvalues import apply, changes, reads_or_names_a_field
from seotasks_serpstat import wire

from seotasks import (
    AuthError,
    ProviderError,
    RateLimited,
    ResponseFormatError,
    TaskStatus,
    TransientError,
)

KYIV = ZoneInfo("Europe/Kyiv")


def row(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "task_id": "5484945",
        "se_id": "1",
        "country_id": "23",
        "lang_id": "1",
        "region_id": "21176",
        "device_type_id": "1",
        "progress": "100%",
        "keywords_count": "3",
        "created_at": "2025-02-11 13:34:35",
        "parsed_at": "2025-02-11 13:35:07",
    }
    base.update(changes)
    return base


def one(data: dict[str, Any], tz: Any = UTC) -> Any:
    return wire.normalize_rows([data], tz=tz)[0]


def test_documented_example_row() -> None:
    task = one(row())
    assert task.provider == "serpstat" and task.id == "5484945"
    assert task.status is TaskStatus.COMPLETED and task.progress == 1.0
    assert task.created_at == datetime(2025, 2, 11, 13, 34, 35, tzinfo=UTC)
    assert task.completed_at == datetime(2025, 2, 11, 13, 35, 7, tzinfo=UTC)
    assert (task.engine, task.device, task.location, task.language) == (
        "google",
        "desktop",
        "23/21176",
        "1",
    )
    assert task.keywords_count == 3 and task.kind == "serp/google"
    assert task.cost is None and task.tag is None
    assert dict(task.raw) == row()


@pytest.mark.parametrize(
    ("progress", "parsed_at", "status", "ratio"),
    [
        ("0%", None, TaskStatus.QUEUED, 0.0),
        ("45%", None, TaskStatus.RUNNING, 0.45),
        ("45.5%", None, TaskStatus.RUNNING, 0.455),
        ("99%", "", TaskStatus.RUNNING, 0.99),
        ("100%", "2025-02-11 13:35:07", TaskStatus.COMPLETED, 1.0),
        ("100%", None, TaskStatus.RUNNING, 1.0),  # done crawling, results not stored yet
        (" 100 % ", "2025-02-11 13:35:07", TaskStatus.COMPLETED, 1.0),
        (45, None, TaskStatus.RUNNING, 0.45),  # a number where a string is documented
    ],
)
def test_progress_and_status(
    progress: Any, parsed_at: Any, status: TaskStatus, ratio: float
) -> None:
    task = one(row(progress=progress, parsed_at=parsed_at))
    assert task.status is status
    assert task.progress == pytest.approx(ratio)
    assert (task.completed_at is not None) == (status is TaskStatus.COMPLETED)


@pytest.mark.parametrize("blank", [None, "", "0", "0000-00-00 00:00:00", "  "])
def test_blank_parsed_at_is_none_never_a_crash(blank: Any) -> None:
    task = one(row(progress="100%", parsed_at=blank))
    assert task.completed_at is None
    assert task.status is TaskStatus.RUNNING
    created = one(row(created_at=blank))
    assert created.created_at is None


def test_a_stray_parsed_at_on_an_unfinished_task_is_not_a_completion() -> None:
    task = one(row(progress="0%", parsed_at="2025-02-11 13:35:07"))
    assert task.status is TaskStatus.QUEUED and task.completed_at is None


@pytest.mark.parametrize(
    ("progress", "field"),
    [
        ("halfway", "progress"),
        ("101%", "progress"),
        ("-1%", "progress"),
        (None, "progress"),
        (True, "progress"),
        ([50], "progress"),
    ],
)
def test_unknown_progress_names_field_and_task(progress: Any, field: str) -> None:
    with pytest.raises(ResponseFormatError) as info:
        one(row(task_id="77", progress=progress))
    assert info.value.field == f"result[0].{field}"
    assert info.value.item_id == "77"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("created_at", 1700000000),
        ("created_at", "11/02/2025 13:34"),
        ("parsed_at", {"date": "x"}),
        ("keywords_count", "three"),
        ("se_id", 1.5),
    ],
)
def test_wrong_types_name_field_and_task(key: str, value: Any) -> None:
    rows = [row(task_id="1"), row(task_id="2", **{key: value})]
    with pytest.raises(ResponseFormatError) as info:
        wire.normalize_rows(rows)
    assert info.value.field == f"result[1].{key}"
    assert info.value.item_id == "2"
    assert "result[1]" in str(info.value) and "2" in str(info.value)


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        ([row(), "not a row"], "result[1]"),
        ([{"progress": "1%"}], "result[0].task_id"),
        ([row(task_id="abc")], "result[0].task_id"),
        ([row(task_id=None)], "result[0].task_id"),
        ([row(task_id="-5")], "result[0].task_id"),
    ],
)
def test_row_ids_require_numeric_task_ids(rows: list[Any], field: str) -> None:
    with pytest.raises(ResponseFormatError) as info:
        wire.row_ids(rows)
    assert info.value.field == field
    assert str(info.value).startswith("serpstat: ")  # as every other row error


def test_a_missing_progress_is_named_as_missing() -> None:
    rows = [row(task_id="1"), {k: v for k, v in row(task_id="2").items() if k != "progress"}]
    with pytest.raises(ResponseFormatError) as info:
        wire.normalize_rows(rows)
    assert info.value.field == "result[1].progress" and info.value.item_id == "2"
    assert "serpstat: the required field 'progress' is missing" in str(info.value)


def test_numeric_ids_are_accepted_as_strings() -> None:
    assert wire.row_ids([row(task_id=12), row(task_id="13")]) == ["12", "13"]
    assert one(row(task_id=12, se_id=1, device_type_id=2)).id == "12"


@pytest.mark.parametrize(
    ("fields", "engine", "device", "location", "kind"),
    [
        ({}, "google", "desktop", "23/21176", "serp/google"),
        ({"se_id": "2"}, "2", "desktop", "23/21176", "serp"),
        ({"device_type_id": "2", "region_id": "0"}, "google", "mobile", "23", "serp/google"),
        ({"device_type_id": "7", "region_id": ""}, "google", "7", "23", "serp/google"),
        ({"country_id": None, "se_id": None}, None, "desktop", None, "serp"),
    ],
)
def test_ids_normalized_where_useful(
    fields: dict[str, Any], engine: Any, device: Any, location: Any, kind: str
) -> None:
    task = one(row(**fields))
    assert (task.engine, task.device, task.location, task.kind) == (engine, device, location, kind)


def test_timezone_is_applied_and_converted_to_utc() -> None:
    task = one(row(created_at="2025-07-01 15:00:00", parsed_at="2025-07-01 15:30:00"), KYIV)
    assert task.created_at == datetime(2025, 7, 1, 12, 0, tzinfo=UTC)  # EEST, +03:00
    winter = one(row(created_at="2025-01-15 15:00:00"), KYIV)
    assert winter.created_at == datetime(2025, 1, 15, 13, 0, tzinfo=UTC)  # EET, +02:00
    assert task.created_at is not None and task.created_at.tzinfo is UTC


def test_dst_boundaries_in_kyiv() -> None:
    # Spring forward 2026-03-29 03:00 -> 04:00 local (01:00 UTC).
    before = one(row(created_at="2026-03-29 02:59:59"), KYIV)
    after = one(row(created_at="2026-03-29 04:00:00"), KYIV)
    assert before.created_at == datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC)
    assert after.created_at == datetime(2026, 3, 29, 1, 0, 0, tzinfo=UTC)
    # Fall back 2026-10-25 04:00 -> 03:00 local: 03:30 happens twice; a naive string
    # cannot say which, so the first (summer time) reading is used, consistently.
    ambiguous = one(row(created_at="2026-10-25 03:30:00"), KYIV)
    assert ambiguous.created_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    later = one(row(created_at="2026-10-25 04:30:00"), KYIV)
    assert later.created_at == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)


def test_offset_timestamps_are_respected_whatever_the_option() -> None:
    task = one(row(created_at="2025-02-11 13:34:35+02:00"), KYIV)
    assert task.created_at == datetime(2025, 2, 11, 11, 34, 35, tzinfo=UTC)


def test_normalize_from_an_offset_skips_rows() -> None:
    rows = [row(task_id=str(i)) for i in range(1, 6)]
    tasks = wire.normalize_rows(rows, start=3)
    assert [t.id for t in tasks] == ["4", "5"]


@given(st.integers(min_value=0, max_value=100))
def test_every_documented_percentage(percent: int) -> None:
    task = one(row(progress=f"{percent}%", parsed_at="2025-02-11 13:35:07"))
    assert task.progress == pytest.approx(percent / 100)
    expected = (
        TaskStatus.QUEUED
        if percent == 0
        else TaskStatus.COMPLETED
        if percent == 100
        else TaskStatus.RUNNING
    )
    assert task.status is expected


# -- the envelope -----------------------------------------------------------------------------


def test_request_body_is_the_documented_envelope() -> None:
    import json

    body = json.loads(wire.request_body("abc-1", 3, 1000))
    assert body == {
        "id": "abc-1",
        "method": "tasks.getList",
        "params": {"page": 3, "pageSize": 1000},
    }


def test_result_with_id_as_string_or_number() -> None:
    assert wire.read_result({"id": "7", "result": []}, expected_id="7") == []
    assert wire.read_result({"id": 7, "result": [1]}, expected_id="7") == [1]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "8", "result": []}, "id"),
        ({"result": []}, "id"),
        ({"id": True, "result": []}, "id"),
        ({"id": "7", "result": {"tasks": []}}, "result"),
        ({"id": "7", "result": None}, "result"),
        ({"id": "7"}, "result"),
        ({"id": "7", "result": [], "error": {"code": 500, "message": "x"}}, "result"),
        ({"id": "7", "error": "boom"}, "error"),
        ({"id": "7", "error": {"code": "x", "message": "bad"}}, "error.code"),
        ({"id": "7", "error": {"code": 429.0, "message": "bad"}}, "error.code"),
        ({"id": "7", "error": {"code": True, "message": "bad"}}, "error.code"),
        ({"id": "8", "error": {"code": 429, "message": "Query frequency exceeded"}}, "id"),
    ],
)
def test_malformed_envelopes(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ResponseFormatError) as info:
        wire.read_result(body, expected_id="7")
    assert info.value.field == field
    if field == "error.code":  # 429.0 is a number, but no code
        assert "is not a whole number" in str(info.value)


@pytest.mark.parametrize(
    ("code", "message", "kind"),
    [
        (403, "Invalid token", AuthError),
        (403, "User is blocked", AuthError),
        (403, "Not enough credits for this query", ProviderError),  # the balance
        (400, "Missing token", AuthError),
        (400, "JSON schema validation error", ProviderError),
        (429, "Query frequency exceeded", RateLimited),
        (500, "Undefined server error", TransientError),
        (402, "Credits exceeded", ProviderError),
        (404, "Empty result", ProviderError),
        (32012, "Credits exceeded", ProviderError),
        (32017, "Data not found", ProviderError),
        (32117, "Not allowed field", ProviderError),
        (-32602, "Invalid params", ProviderError),
        ("32016", "Large domains not supported", ProviderError),
    ],
)
def test_error_objects_are_typed(code: Any, message: str, kind: type[Exception]) -> None:
    with pytest.raises(kind) as info:
        wire.read_result({"id": "7", "error": {"code": code, "message": message}}, expected_id="7")
    error = info.value
    assert type(error) is kind
    assert message in str(error)
    if isinstance(error, ProviderError):
        assert error.code == int(code) and error.provider == "serpstat"
    if isinstance(error, AuthError):  # "the token" only when the vendor says so
        assert ("refused the token" in str(error)) == ("token" in message.lower())


def test_an_error_without_a_message_says_so() -> None:
    with pytest.raises(ProviderError) as info:
        wire.read_result({"id": "7", "error": {"code": 400}}, expected_id="7")
    assert str(info.value) == "serpstat: vendor error 400: (no message)"


def test_error_without_id_is_still_classified() -> None:
    with pytest.raises(AuthError):
        wire.read_result(
            {"id": None, "error": {"code": 403, "message": "Invalid token"}}, expected_id="7"
        )


def test_vendor_text_is_scrubbed() -> None:
    with pytest.raises(ProviderError) as info:
        wire.read_result(
            {"id": "7", "error": {"code": 402, "message": "token SECRET123 out of credits"}},
            expected_id="7",
            scrub=lambda text: text.replace("SECRET123", "***"),
        )
    assert "SECRET123" not in str(info.value) and "***" in str(info.value)


@pytest.mark.parametrize("tz", [UTC, KYIV])
def test_emulator_rows(tz: Any) -> None:
    from seotasks_serpstat.emulator import SerpstatEmulator

    rows = SerpstatEmulator(seed=4, size=1_500).rows()
    tasks = wire.normalize_rows(rows, tz=tz)
    assert [t.id for t in tasks] == [str(r["task_id"]) for r in rows]
    assert [dict(t.raw) for t in tasks] == rows
    assert {t.status for t in tasks} == {
        TaskStatus.QUEUED,
        TaskStatus.RUNNING,
        TaskStatus.COMPLETED,
    }
    for task, data in zip(tasks, rows, strict=True):
        local = datetime.fromisoformat(data["created_at"]).replace(tzinfo=tz)
        assert task.created_at == local.astimezone(UTC) and task.created_at.tzinfo is UTC
        assert task.progress == pytest.approx(float(data["progress"].rstrip("%")) / 100)
        done = task.status is TaskStatus.COMPLETED
        assert (task.completed_at is not None) == done
        assert done == (data["progress"] == "100%" and bool(data["parsed_at"]))
        assert task.keywords_count == int(data["keywords_count"])


_LIKELY = (
    "0",
    "1",
    "2",
    "0%",
    "45%",
    "100%",
    "100",
    "2025-02-11 13:34:35",
    "2025-02-11T13:34:35",
    "2025-02-11 13:34:35+02:00",
    "0000-00-00 00:00:00",
    "2025-02-11",
)
#: Every documented row field but the id (the id is checked on its own).
_ROW_KEYS = tuple(key for key in row() if key != "task_id")


@settings(max_examples=300, deadline=None)
@given(change=changes(_ROW_KEYS, *_LIKELY), tz=st.sampled_from([UTC, KYIV]))
def test_any_row_is_read_or_refused_by_field(change: dict[str, Any], tz: Any) -> None:
    data = apply(row(), change)
    tasks = reads_or_names_a_field(lambda: wire.normalize_rows([data], tz=tz), "result[0]", data)
    if tasks is not None:
        (task,) = tasks
        assert task.id == "5484945" and dict(task.raw) == data
        assert task.progress is not None and 0.0 <= task.progress <= 1.0
        assert task.created_at is None or task.created_at.tzinfo is UTC
        if task.status is TaskStatus.COMPLETED:
            assert task.progress == 1.0 and task.completed_at is not None
        else:
            assert task.completed_at is None


def test_rows_before_start_are_not_read_and_a_bad_row_is_named_by_its_place() -> None:
    rows = [row(task_id="1", progress="lost"), row(task_id="2"), row(task_id="3")]
    tasks = wire.normalize_rows(rows, start=1)
    assert [t.id for t in tasks] == ["2", "3"]
    rows.append(row(task_id="4", keywords_count="four"))
    with pytest.raises(ResponseFormatError) as info:
        wire.normalize_rows(rows, start=2)
    assert info.value.field == "result[3].keywords_count" and info.value.item_id == "4"
