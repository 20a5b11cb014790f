"""The normalized model: values that are frozen, slotted, UTC-only and range-checked."""

from __future__ import annotations

import copy
import inspect
import pickle
import typing
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import seotasks
from seotasks import Page, Task, TaskQuery, TaskStatus, errors
from seotasks.convert import ConversionError, parse_timestamp

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def make(**kw: object) -> Task:
    fields: dict[str, object] = {"provider": "fake", "id": "42", "status": TaskStatus.COMPLETED}
    fields.update(kw)
    return Task(**fields)  # type: ignore[arg-type]


def test_key_is_provider_colon_id_and_unique_across_providers() -> None:
    a = make(provider="dataforseo", id="11-22")
    b = make(provider="serpstat", id="11-22")
    assert a.key == "dataforseo:11-22"
    assert b.key == "serpstat:11-22"
    assert a != b


def test_sort_time_prefers_completion_then_creation() -> None:
    assert make(created_at=T0, completed_at=T0 + timedelta(hours=1)).sort_time == T0 + timedelta(
        hours=1
    )
    assert make(created_at=T0).sort_time == T0
    assert make().sort_time is None


@pytest.mark.parametrize(
    "obj",
    [make(), TaskQuery(), Page(tasks=(), next_cursor=None)],
    ids=["Task", "TaskQuery", "Page"],
)
def test_model_classes_are_frozen(obj: object) -> None:
    field = attrs.fields(type(obj))[0].name
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(obj, field, None)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        delattr(obj, field)
    with pytest.raises((AttributeError, attrs.exceptions.FrozenInstanceError)):
        obj.extra = 1  # type: ignore[attr-defined]
    # Task keeps an instance dict (cheaper to build); the others are slotted.
    assert hasattr(obj, "__dict__") == isinstance(obj, Task)


def test_task_constructor_takes_the_fields_as_attrs_would() -> None:
    """``Task.__init__`` is written out (cheaper than attrs' own): its keyword-only
    parameters are the fields' constructor names, defaults and types, in declaration
    order, and it stores every field under its name."""
    params = list(inspect.signature(Task).parameters.values())
    fields = attrs.fields(Task)
    assert [p.name for p in params] == [a.alias or a.name for a in fields]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)
    assert [p.default for p in params] == [
        inspect.Parameter.empty if a.default is attrs.NOTHING else a.default for a in fields
    ]
    # `typing.get_type_hints`, not `attrs.resolve_types`: the latter rewrites the fields'
    # types in place, for every later reader of `attrs.fields(Task)` in this process.
    hints, declared = typing.get_type_hints(Task.__init__), typing.get_type_hints(Task)
    assert [hints[p.name] for p in params] == [declared[a.name] for a in fields]
    given: dict[str, Any] = {**FULL, "started_at": T0, "raw": MappingProxyType({"id": "42"})}
    task = Task(**given)
    assert list(vars(task)) == [a.name for a in fields]
    assert [getattr(task, a.name) for a in fields] == list(given.values())


@pytest.mark.parametrize("field", ["created_at", "completed_at", "started_at"])
@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 20, 10, 0),  # naive
        datetime(2026, 11, 20, 10, 0, tzinfo=timezone(timedelta(hours=3))),
        datetime(2026, 7, 1, tzinfo=ZoneInfo("Europe/Kyiv")),
    ],
)
def test_timestamps_must_be_utc(field: str, value: datetime) -> None:
    with pytest.raises(ValueError, match=field):
        make(**{field: value})


@pytest.mark.parametrize("field", ["created_at", "completed_at", "started_at"])
@pytest.mark.parametrize("value", [1763632800000, "2026-11-20T10:00:00Z", T0.date()])
def test_a_timestamp_that_is_no_datetime_is_refused_naming_the_field(
    field: str, value: object
) -> None:
    """A plugin passing the vendor's epoch number or string on got ``AttributeError: 'int'
    object has no attribute 'tzinfo'`` from inside the model, naming neither the field nor
    the task."""
    with pytest.raises(TypeError, match=rf"Task fake:42: {field} must be a datetime, got "):
        make(**{field: value})


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"id": 42}, r"^Task fake:42: id must be a str, got int 42 \(.*str\(\) it\)$"),
        ({"id": None}, r"^Task fake:None: id must be a str, got NoneType None"),
        (
            {"status": "completed"},
            r"^Task fake:42: status must be a TaskStatus, got str 'completed' \(map the",
        ),
        ({"status": "done"}, r"^Task fake:42: status must be a TaskStatus, got str 'done'"),
        ({"status": None}, r"^Task fake:42: status must be a TaskStatus, got NoneType None"),
    ],
)
def test_an_id_or_status_of_the_wrong_type_is_refused(given: dict[str, Any], said: str) -> None:
    """A vendor's number as the id never equals the strings a cursor or a journal holds,
    and its status word (``"completed"`` equals ``TaskStatus.COMPLETED`` as a string)
    matches no status filter: both were built, then dropped or missed silently."""
    with pytest.raises(TypeError, match=said):
        make(**given)


def test_utc_timestamps_and_none_are_accepted() -> None:
    task = make(created_at=T0, completed_at=T0.replace(tzinfo=ZoneInfo("UTC")))
    assert task.created_at == T0
    assert make(created_at=None).created_at is None


@pytest.mark.parametrize("value", [-0.01, 1.0001, float("nan"), float("inf")])
def test_progress_outside_0_1_is_refused(value: float) -> None:
    with pytest.raises(ValueError, match="progress"):
        make(progress=value)


@pytest.mark.parametrize("value", [0.0, 0.5, 1.0, None])
def test_progress_in_range(value: float | None) -> None:
    assert make(progress=value).progress == value


def test_raw_is_a_read_only_copy() -> None:
    source = {"id": "42", "extra": [1, 2]}
    task = make(raw=source)
    assert isinstance(task.raw, MappingProxyType)
    with pytest.raises(TypeError):
        task.raw["id"] = "43"  # type: ignore[index]
    source["id"] = "changed"
    assert task.raw["id"] == "42"
    assert make().raw == {}


def test_raw_does_not_take_part_in_equality_or_hash() -> None:
    a = make(raw={"x": 1})
    b = make(raw={"x": 2})
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b, make(id="43")}) == 2
    assert "raw" not in repr(a)


def test_status_is_a_str_enum() -> None:
    assert TaskStatus("completed") is TaskStatus.COMPLETED
    assert str(TaskStatus.FAILED) == "failed"
    assert TaskStatus.RUNNING == "running"
    with pytest.raises(ValueError):
        TaskStatus("done")


def test_query_defaults_to_completed_and_validates_bounds() -> None:
    assert TaskQuery().status is TaskStatus.COMPLETED
    with pytest.raises(ValueError, match="before"):
        TaskQuery(since=T0, until=T0)
    with pytest.raises(ValueError, match="since"):
        TaskQuery(since=datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        # Equal to TaskStatus.COMPLETED (a str enum), yet matched no task: matches() compares
        # identities. Refused where it is made, with the two ways to say it.
        ({"status": "completed"}, "TaskQuery.status must be a TaskStatus or None"),
        ({"since": "2026-12-01"}, "TaskQuery.since must be a datetime or None, got str"),
        ({"until": 1764547200}, "TaskQuery.until must be a datetime or None, got int"),
    ],
)
def test_query_fields_of_another_type_are_type_errors(fields: dict[str, Any], said: str) -> None:
    with pytest.raises(TypeError, match=said):
        TaskQuery(**fields)
    assert TaskQuery(status=TaskStatus("completed")).status is TaskStatus.COMPLETED


def test_query_matches_status_and_half_open_window() -> None:
    q = TaskQuery(status=TaskStatus.COMPLETED, since=T0, until=T0 + timedelta(hours=1))
    assert q.matches(make(created_at=T0))  # since is inclusive
    assert not q.matches(make(created_at=T0 + timedelta(hours=1)))  # until is exclusive
    assert q.matches(make(created_at=T0 + timedelta(minutes=59, seconds=59)))
    assert not q.matches(make(created_at=T0 - timedelta(microseconds=1)))
    assert not q.matches(make(created_at=None))  # unknown time cannot be in a window
    assert not q.matches(make(created_at=T0, status=TaskStatus.FAILED))
    anything = TaskQuery(status=None)
    assert all(anything.matches(make(status=s)) for s in TaskStatus)
    assert anything.matches(make(created_at=None))


moments = st.none() | st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


@given(
    status=st.none() | st.sampled_from(TaskStatus),
    task_status=st.sampled_from(TaskStatus),
    since=moments,
    until=moments,
    created=moments,
)
def test_matches_is_the_documented_predicate(
    status: TaskStatus | None,
    task_status: TaskStatus,
    since: datetime | None,
    until: datetime | None,
    created: datetime | None,
) -> None:
    if since is not None and until is not None and since >= until:
        with pytest.raises(ValueError):
            TaskQuery(status=status, since=since, until=until)
        return
    query = TaskQuery(status=status, since=since, until=until)
    task = make(status=task_status, created_at=created)
    expected = (status is None or status is task_status) and (
        (since is None and until is None)
        or (
            created is not None
            and (since is None or since <= created)
            and (until is None or created < until)
        )
    )
    assert query.matches(task) is expected


def test_page_holds_tasks_cursor_and_completeness() -> None:
    page = Page(tasks=(make(),), next_cursor="st1.x.y")
    assert page.capped is False
    assert page.notes == ()
    capped = Page(tasks=(), next_cursor=None, capped=True, notes=("1000 shown",))
    assert capped.capped and capped.notes == ("1000 shown",)
    assert page == Page(tasks=(make(),), next_cursor="st1.x.y")


FULL: dict[str, object] = {
    "provider": "fake",
    "id": "42",
    "status": TaskStatus.FAILED,
    "progress": 0.5,
    "created_at": T0,
    "completed_at": T0 + timedelta(minutes=3),
    "kind": "serp/google/organic",
    "tag": "t",
    "cost": Decimal("0.0006"),
    "engine": "google",
    "device": "mobile",
    "location": "2840",
    "language": "en",
    "keywords_count": 3,
    "message": "Task execution failed",
}


def test_every_task_field_is_exported() -> None:
    """The export columns follow ``attrs.fields(Task)``: no list to keep."""
    from seotasks.export import COLUMNS, task_record

    names = [a.alias or a.name for a in attrs.fields(Task)]
    assert list(COLUMNS) == [n for n in names if n != "raw"]
    fields: dict[str, Any] = {**FULL, "raw": {"id": "42"}}
    task = Task(**fields)
    record = task_record(task)
    assert list(record) == list(COLUMNS)
    assert record["cost"] == "0.0006" and record["status"] == "failed"  # exact, as text
    assert record["created_at"] == FULL["created_at"].isoformat()
    assert record["keywords_count"] == 3 and record["engine"] == "google"


@pytest.mark.parametrize("raw", [{"id": "42", "rows": [1, 2]}, MappingProxyType({"id": "42"})])
def test_tasks_pickle_and_copy_with_their_raw_item(raw: Mapping[str, Any]) -> None:
    fields: dict[str, Any] = {**FULL, "raw": raw}
    task = Task(**fields)
    for clone in (
        pickle.loads(pickle.dumps(task)),
        copy.copy(task),
        copy.deepcopy(task),
    ):
        assert type(clone) is Task and clone == task
        assert attrs.asdict(clone, recurse=False) == attrs.asdict(task, recurse=False)
        assert isinstance(clone.raw, MappingProxyType) and clone.raw == task.raw
    assert weakref.ref(task)() is task  # as docs/library.md says: a dict class has the slot


def _raised(call: typing.Callable[[], object]) -> errors.SeotasksError:
    try:
        call()
    except errors.SeotasksError as error:
        return error
    raise AssertionError("nothing was raised")


def test_every_error_pickles_and_copies_with_its_attributes() -> None:
    """Workers hand errors to their parent process: an error whose constructor takes more
    than a message must rebuild there too (a `multiprocessing` pool whose result fails to
    unpickle never returns), with its message and every attribute it carries."""
    raised: list[errors.SeotasksError] = [
        _raised(lambda: seotasks.connect("serpstatt")),
        _raised(lambda: parse_timestamp("garbage", field="tasks[0].date")),
        errors.ProviderError(40501, "Invalid Field", provider="dataforseo"),
        errors.ResponseFormatError("not a list", field="tasks[0].result", item_id="7"),
        errors.RateLimited("slow down", retry_after=3.0),
        errors.TransientError("reset", retry_after=2.0),
        errors.CursorError("edited"),
        errors.Interrupted("stopped"),
    ]
    assert type(raised[0]) is errors.UnknownProvider
    assert type(raised[1]) is ConversionError
    for error in raised:
        error.resume_cursor = "st1.cursor"
        for clone in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):
            assert type(clone) is type(error)
            assert str(clone) == str(error) and clone.args == error.args
            assert vars(clone) == vars(error)
    provider_error = pickle.loads(pickle.dumps(raised[2]))
    assert isinstance(provider_error, errors.ProviderError)
    assert (provider_error.code, provider_error.message, provider_error.provider) == (
        40501,
        "Invalid Field",
        "dataforseo",
    )


def test_raw_is_read_only_and_the_checked_constructor_keeps_its_own_copy() -> None:
    given = {"id": "42", "nested": {"a": 1}}
    task = Task(provider="fake", id="42", status=TaskStatus.COMPLETED, raw=given)
    given["id"] = "changed"
    assert task.raw["id"] == "42"
    with pytest.raises(TypeError):
        task.raw["id"] = "43"  # type: ignore[index]
    with pytest.raises(AttributeError):
        task.raw = {}  # type: ignore[misc]
    assert attrs.evolve(task, tag="t").raw == {"id": "42", "nested": {"a": 1}}
    assert "raw" not in repr(task) and task == attrs.evolve(task, raw={"other": 1})


def test_a_refused_value_names_the_task_and_what_to_do() -> None:
    """The check runs inside a provider plugin's fetch: the CLI reports it as an internal
    error, so the message must say whose task it was and what the plugin got wrong (a
    percentage where a ratio belongs, a naive time)."""
    with pytest.raises(ValueError, match=r"^Task zeta:1002: progress .* got 84\.0") as info:
        Task(provider="zeta", id="1002", status=TaskStatus.RUNNING, progress=84.0)
    assert "a ratio" in str(info.value)
    with pytest.raises(ValueError, match=r"^Task zeta:1002: created_at must be") as info:
        Task(
            provider="zeta",
            id="1002",
            status=TaskStatus.RUNNING,
            created_at=T0.replace(tzinfo=None),
        )
    assert "naive" in str(info.value)
    with pytest.raises(ValueError, match=r"^TaskQuery\.since must be timezone-aware"):
        TaskQuery(since=T0.replace(tzinfo=None))


def test_the_refusal_of_a_time_that_is_no_datetime_stands_alone() -> None:
    """The AttributeError met on the way (``'int' object has no attribute 'tzinfo'``) is
    not chained onto the refusal: a traceback that shows it first sends the reader to
    the model instead of the plugin's value."""
    with pytest.raises(TypeError) as info:
        make(started_at=1763632800)
    assert info.value.__suppress_context__


@pytest.mark.parametrize(
    ("fields", "error", "says"),
    [
        ({"task_id": 5}, TypeError, "task_id"),  # a vendor's number let through
        ({"task_id": ""}, ValueError, "needs a task id"),
        ({"task_id": "t", "tag": 7}, TypeError, "tag"),
        ({"task_id": "t", "error": ["x"]}, TypeError, "error"),
        ({"task_id": "t", "kind": {"a": 1}}, TypeError, "kind"),
        ({"task_id": "t", "result": {"r": 1}, "error": "failed"}, ValueError, "not both"),
    ],
)
def test_a_callback_entry_refuses_what_no_line_or_file_name_can_hold(
    fields: dict[str, Any], error: type[Exception], says: str
) -> None:
    from seotasks.provider import CallbackEntry

    with pytest.raises(error, match=says):
        CallbackEntry(**fields)
