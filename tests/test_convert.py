"""Wire values -> model values: property tests of the parse functions and the converter."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from seotasks import ConfigError, ResponseFormatError, SeotasksError
from seotasks.convert import (
    ConversionError,
    NaiveTimestamp,
    Progress,
    Timestamp,
    converter,
    item_reader,
    make_converter,
    parse_decimal,
    parse_int,
    parse_progress,
    parse_timestamp,
    register_optional,
    structure,
    zone,
)
from seotasks.itemread import every_key_hook

ZONES = ["UTC", "Europe/Kyiv", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]

# fold=0: the wire's "YYYY-MM-DD HH:MM:SS" cannot say which of a repeated hour it means
# (hypothesis also draws fold=1), and the parser reads the first; the DST cases below
# pin that rule down.
naive_seconds = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda d: d.replace(microsecond=0, fold=0)
)


def wire(d: datetime) -> str:
    return d.strftime("%Y-%m-%d %H:%M:%S")


# -- timestamps ---------------------------------------------------------------------------


@given(local=naive_seconds, offset=st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59))
def test_offset_timestamps_round_trip_to_the_same_instant_in_utc(
    local: datetime, offset: int
) -> None:
    sign = "-" if offset < 0 else "+"
    hh, mm = divmod(abs(offset), 60)
    text = f"{wire(local)} {sign}{hh:02d}:{mm:02d}"
    parsed = parse_timestamp(text)
    assert parsed == local.replace(tzinfo=timezone(timedelta(minutes=offset)))
    assert parsed is not None and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-20 10:00:00 +03:00",
        "2026-11-20 10:00:00+03:00",
        "2026-11-20 10:00:00 +0300",
        "2026-11-20T10:00:00+03:00",
        "2026-11-20 07:00:00 Z",
        "2026-11-20T07:00:00Z",
        " 2026-11-20 07:00:00 +00:00 ",
    ],
)
def test_offset_spellings(text: str) -> None:
    assert parse_timestamp(text) == datetime(2026, 11, 20, 7, 0, tzinfo=UTC)


@given(local=naive_seconds, name=st.sampled_from(ZONES))
def test_naive_timestamps_are_read_in_the_given_zone(local: datetime, name: str) -> None:
    tz = ZoneInfo(name)
    parsed = parse_timestamp(wire(local), tz=tz)
    assert parsed == local.replace(tzinfo=tz).astimezone(UTC)
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        ("2026-07-01 12:00:00", datetime(2026, 7, 1, 9, 0, tzinfo=UTC)),  # summer, +03:00
        ("2026-01-15 12:00:00", datetime(2026, 1, 15, 10, 0, tzinfo=UTC)),  # winter, +02:00
        # 03:30 on 29 March does not exist in Kyiv (03:00 -> 04:00): read with the old offset.
        ("2026-03-29 03:30:00", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        # 03:30 on 25 October happens twice (04:00 -> 03:00): the first one is taken.
        ("2026-10-25 03:30:00", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ],
)
def test_naive_timestamps_across_dst(local: str, utc: datetime) -> None:
    assert parse_timestamp(local, tz=ZoneInfo("Europe/Kyiv")) == utc
    kyiv = make_converter(naive_tz=zone("Europe/Kyiv"))
    assert kyiv.structure(local, NaiveTimestamp) == utc
    # The offset-aware marker type ignores the converter's zone for naive text: UTC.
    assert kyiv.structure(local, Timestamp) == datetime.fromisoformat(local).replace(tzinfo=UTC)


def test_zone_lookup() -> None:
    assert zone("utc") is UTC
    assert zone("Europe/Kyiv") == ZoneInfo("Europe/Kyiv")
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        zone("Mars/Olympus")
    with pytest.raises(ConfigError):
        zone("../../etc/passwd")


@pytest.mark.parametrize(
    "blank",
    [
        None,
        "",
        "   ",
        "0",
        "0000-00-00",
        "0000-00-00 00:00:00",
        "0000-00-00 00:00:00 +00:00",
        "0000-00-00T00:00:00Z",
    ],
)
def test_empty_null_and_zero_dates_are_none(blank: str | None) -> None:
    assert parse_timestamp(blank) is None
    assert parse_timestamp(blank, tz=ZoneInfo("Europe/Kyiv")) is None


@pytest.mark.parametrize(
    "bad",
    ["20/11/2026 10:00", "yesterday", "2026-13-01 00:00:00", "2026-11-20 25:00:00", 12345, [], b""],
)
def test_unknown_timestamp_formats_name_field_and_value(bad: object) -> None:
    with pytest.raises(ConversionError) as info:
        parse_timestamp(bad, field="date_posted")
    assert isinstance(info.value, ResponseFormatError)
    assert info.value.field == "date_posted"
    assert repr(bad) in str(info.value)
    assert "date_posted" in str(info.value)


def test_timestamps_that_leave_datetime_range_are_conversion_errors() -> None:
    with pytest.raises(ConversionError):
        parse_timestamp("9999-12-31 23:59:59 -05:00")
    with pytest.raises(ConversionError):
        parse_timestamp("0001-01-01 00:00:00", tz=ZoneInfo("Asia/Tokyo"))


# -- progress -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ratio"),
    [
        ("100%", 1.0),
        ("45%", 0.45),
        ("45.5%", 0.455),
        (" 45 % ", 0.45),
        (45, 0.45),
        (45.5, 0.455),
        ("0", 0.0),
        (0, 0.0),
        ("0%", 0.0),
        (100, 1.0),
        ("", None),
        (None, None),
    ],
)
def test_progress_values(value: object, ratio: float | None) -> None:
    assert parse_progress(value) == (None if ratio is None else pytest.approx(ratio))


@given(st.integers(min_value=0, max_value=100), st.booleans())
def test_integer_percentages(n: int, as_text: bool) -> None:
    value: object = f"{n}%" if as_text else n
    assert parse_progress(value) == pytest.approx(n / 100)


@given(st.integers(min_value=0, max_value=1000))
def test_one_decimal_percentages(tenths: int) -> None:
    text = f"{tenths // 10}.{tenths % 10}%"
    result = parse_progress(text)
    assert result == pytest.approx(tenths / 1000)
    assert result is not None and 0.0 <= result <= 1.0


@pytest.mark.parametrize(
    "bad",
    [-1, "-0.5%", "101%", 100.01, "nan", "inf%", float("nan"), True, "abc", "45%%", [45], "1_0%"],
)
def test_bad_progress_names_field_and_value(bad: object) -> None:
    with pytest.raises(ConversionError) as info:
        parse_progress(bad, field="pct")
    assert isinstance(info.value, ResponseFormatError)
    assert info.value.field == "pct"
    assert repr(bad)[:40] in str(info.value)


# -- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "number"),
    [("3", 3), (3, 3), ("+3", 3), ("-3", -3), (" 7 ", 7), (3.0, 3), ("", None), (None, None)],
)
def test_parse_int(value: object, number: int | None) -> None:
    assert parse_int(value) == number


@pytest.mark.parametrize("bad", ["3.5", 3.5, "x", True, "+-5", "--5", "٣", "9" * 5000, [], "1_0"])
def test_bad_ints(bad: object) -> None:
    with pytest.raises(ConversionError) as info:
        parse_int(bad, field="keywords")
    assert info.value.field == "keywords"


@given(st.integers())
def test_int_strings_round_trip(n: int) -> None:
    assert parse_int(str(n)) == n


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("0.0006", Decimal("0.0006")),
        (0.0006, Decimal("0.0006")),  # not 0.000599999999...
        (3, Decimal(3)),
        ("1e-3", Decimal("0.001")),
        ("", None),
        (None, None),
    ],
)
def test_parse_decimal(value: object, number: Decimal | None) -> None:
    assert parse_decimal(value) == number


@pytest.mark.parametrize("bad", ["NaN", "inf", float("nan"), float("-inf"), True, "abc", [], {}])
def test_bad_decimals(bad: object) -> None:
    with pytest.raises(ConversionError) as info:
        parse_decimal(bad, field="cost")
    assert info.value.field == "cost"


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimal_strings_round_trip_exactly(d: Decimal) -> None:
    assert parse_decimal(str(d)) == d


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_costs_keep_their_shortest_repr(f: float) -> None:
    assert parse_decimal(f) == Decimal(repr(f))


# -- nothing but SeotasksError, whatever comes in ----------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.decimals()
    | st.datetimes(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
anything = (
    json_values
    | st.from_type(object)
    | st.binary()
    | st.dates()
    | st.integers(min_value=-(10**5000), max_value=10**5000)
)


@pytest.mark.parametrize(
    "parse",
    [parse_timestamp, parse_progress, parse_int, parse_decimal],
    ids=lambda f: f.__name__,
)
@given(value=anything)
@example(value=10**400)
@example(value=10**5000)
@example(value="9" * 5000)
@example(value=datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))))
@example(value=date(2026, 1, 1))
def test_parse_functions_raise_only_seotasks_errors(parse: Any, value: object) -> None:
    try:
        result = parse(value)
    except SeotasksError as exc:
        assert isinstance(exc, ConversionError)
        assert str(exc)  # a message that can be shown
        return
    assert result is None or isinstance(result, datetime | float | int | Decimal)


@attrs.frozen
class WireItem:
    id: str
    posted: Timestamp | None = None
    local: NaiveTimestamp | None = None
    pct: Progress | None = None
    count: int | None = None
    cost: Decimal | None = None
    tags: list[str] = attrs.Factory(list)
    note: str | None = None


wire_items = st.fixed_dictionaries(
    {},
    optional={
        name: json_values
        for name in ("id", "task_id", "posted", "local", "pct", "count", "cost", "tags", "note")
    },
)


@given(data=wire_items | json_values)
def test_structure_raises_only_response_format_errors(data: object) -> None:
    for cls in (WireItem, list[WireItem], dict[str, WireItem]):
        try:
            structure(converter, data, cls)  # type: ignore[arg-type]
        except ResponseFormatError as exc:
            assert str(exc)
        except SeotasksError as exc:  # pragma: no cover - would be a wrong class
            pytest.fail(f"unexpected {type(exc).__name__}: {exc}")


def test_structure_builds_the_wire_item() -> None:
    item = structure(
        converter,
        {
            "id": 7,
            "posted": "2026-11-20 10:00:00 +02:00",
            "local": "2026-11-20 10:00:00",
            "pct": "45.5%",
            "count": "12",
            "cost": "0.0006",
            "tags": ["a"],
            "unknown": "ignored",
        },
        WireItem,
    )
    assert item == WireItem(
        id="7",
        posted=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
        local=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        pct=0.455,
        count=12,
        cost=Decimal("0.0006"),
        tags=["a"],
    )


def test_structure_error_names_path_value_and_item_id() -> None:
    with pytest.raises(ResponseFormatError) as info:
        structure(converter, {"id": "x9", "pct": "140%"}, WireItem, where="item")
    assert info.value.item_id == "x9"
    assert info.value.field == "$.pct"
    assert "'140%'" in str(info.value)
    assert "x9" in str(info.value)
    with pytest.raises(ResponseFormatError) as info:
        structure(converter, {"task_id": 5}, WireItem)
    assert info.value.item_id == "5"
    assert info.value.field == "$.id"


def test_a_required_string_may_not_be_null() -> None:
    with pytest.raises(ResponseFormatError) as info:
        structure(converter, {"id": None}, WireItem)
    assert info.value.field == "$.id"
    assert structure(converter, {"id": "a", "note": None}, WireItem).note is None


def test_plugins_copy_the_converter_without_touching_it() -> None:
    conv = converter.copy()
    conv.register_structure_hook(Progress, lambda v, _t: 0.5)
    assert conv.structure("10%", Progress) == 0.5
    assert converter.structure("10%", Progress) == pytest.approx(0.1)


def test_conversion_error_value_is_short() -> None:
    exc = ConversionError("f", "x" * 500, "something")
    assert len(exc.value) <= 60
    assert len(str(exc)) < 200
    json.dumps(str(exc))  # printable


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("0", True),
        ("20000", True),
        ("", False),
        ("\u00b2", False),
        ("1\u00b2", False),
        ("\uff15", False),
        ("\u0661", False),
        (" 1", False),
        ("-1", False),
        (12, False),
        (None, False),
    ],
)
def test_is_ascii_digits(text: object, digits: bool) -> None:
    from seotasks.convert import is_ascii_digits

    assert is_ascii_digits(text) is digits


@pytest.mark.parametrize("text", ["\u00b2", "1\u00b2", "\u2460"])
def test_parse_int_refuses_digits_int_cannot_read(text: str) -> None:
    with pytest.raises(ConversionError):
        parse_int(text)


def test_vendor_json_is_strict_without_orjson_too() -> None:
    """The standard library's decoder accepts NaN and Infinity by default; orjson does not.
    Both paths of `seotasks.jsoncodec` refuse them (a child process without orjson)."""
    import subprocess
    import sys

    script = (
        "import sys; sys.modules['orjson'] = None\n"
        "from seotasks.jsoncodec import JSONDecodeError, loads\n"
        "assert loads(b'{\"a\": 1.5}') == {'a': 1.5}\n"
        "for bad in (b'[NaN]', b'[Infinity]', b'{\"a\": -Infinity}'):\n"
        "    try:\n"
        "        loads(bad)\n"
        "    except JSONDecodeError:\n"
        "        continue\n"
        "    raise SystemExit(f'accepted {bad!r}')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# -- the converter's hooks: the quick reading of the usual value is the parse function's --

near_dates = st.one_of(
    anything,
    st.sampled_from(
        [
            "2026-01-01",
            "2026-01-01+00:00",
            "20260101",
            "2026-W01",
            "2026-01-01T10",
            "2026-01-01 10:00:00 ",
            " 2026-01-01 10:00:00",
            "2026-01-01 10:00:00Z",
            "2026-01-01 10:00:00 +00:00",
            "2026-01-01 10:00:00+0300",
            "0000-00-00 00:00:00+00:00",
        ]
    ),
    naive_seconds.map(wire),
    naive_seconds.map(lambda d: d.isoformat(timespec="microseconds")),
)


def _outcome(read: Any, value: object) -> object:
    try:
        return read(value)
    except ConversionError as exc:
        return ConversionError, exc.expected


@given(value=near_dates)
@example(value="2026-01-01+00:00")  # fromisoformat reads this naive, the offset dropped
def test_timestamp_hooks_read_as_the_parse_function(value: object) -> None:
    etc_utc = ZoneInfo("Etc/UTC")  # not `UTC` itself: the long way through parse_timestamp
    naive = _outcome(lambda v: converter.structure(v, NaiveTimestamp), value)
    assert naive == _outcome(lambda v: parse_timestamp(v, tz=etc_utc), value)
    if isinstance(naive, datetime):
        assert naive.tzinfo is UTC
    aware = _outcome(lambda v: converter.structure(v, Timestamp), value)
    assert aware == _outcome(parse_timestamp, value)
    for optional in (NaiveTimestamp | None, Timestamp | None):
        assert _outcome(lambda v, t=optional: converter.structure(v, t), value) in (naive, aware)


@given(value=st.one_of(anything, st.integers().map(str), st.sampled_from(["+3", " 3", "0"])))
def test_int_hook_reads_as_parse_int(value: object) -> None:
    expected = _outcome(parse_int, value)
    assert _outcome(lambda v: converter.structure(v, int), value) == expected
    assert _outcome(lambda v: converter.structure(v, int | None), value) == expected


@given(st.integers(min_value=0, max_value=100))
def test_the_percent_table_reads_as_the_parse(n: int) -> None:
    assert parse_progress(f"{n}%") == float(f"{n}") / 100.0 == parse_progress(f" {n} % ")


# -- item_reader: one reading, a precise error ----------------------------------------------


@attrs.define
class Row:
    id: str
    posted: Timestamp | None = None
    pct: Progress | None = None
    count: int | None = None


read_row = item_reader(converter.copy(), Row, where="acme", path="jobs[{}]")


def test_item_reader_reads_the_declared_item() -> None:
    row = read_row({"id": "a", "posted": "2026-03-01 10:00:00 +02:00", "count": "3", "x": 1}, 0)
    assert row == Row(id="a", posted=datetime(2026, 3, 1, 8, tzinfo=UTC), pct=None, count=3)
    whole = {"id": "a", "posted": "2026-03-01 10:00:00 +02:00", "pct": "5%", "count": 3, "x": 1}
    assert read_row(whole, 0) == Row(
        id="a", posted=datetime(2026, 3, 1, 8, tzinfo=UTC), pct=0.05, count=3
    )
    assert read_row({"id": "a"}, 0) == Row(id="a")  # keys left out: the declared defaults


def test_every_key_hook_needs_every_key() -> None:
    hook = every_key_hook(converter, Row)
    assert hook is not None
    assert hook({"id": "a", "posted": None, "pct": None, "count": "7"}, Row) == Row("a", count=7)
    with pytest.raises(KeyError):
        hook({"id": "a", "posted": None, "pct": None}, Row)
    assert every_key_hook(converter, dict) is None  # not an attrs class


@pytest.mark.parametrize(
    ("item", "field", "item_id"),
    [
        ({"id": "a", "pct": "140%"}, "jobs[4].pct", "a"),
        ({"id": "b", "posted": "soon"}, "jobs[4].posted", "b"),
        ({"id": "c", "count": [1]}, "jobs[4].count", "c"),
        ({"posted": None}, "jobs[4].id", None),
        ({"id": None, "task_id": 9}, "jobs[4].id", "9"),
        ("not an object", "jobs[4]", None),
        (None, "jobs[4]", None),
        ([{"id": "a"}], "jobs[4]", None),
    ],
)
def test_item_reader_names_the_field_and_the_item(
    item: object, field: str, item_id: str | None
) -> None:
    with pytest.raises(ResponseFormatError) as info:
        read_row(item, 4)
    assert info.value.field == field
    assert info.value.item_id == item_id
    assert str(info.value)


#: Items as the vendors send them, every declared key present (the reader's quickest
#: reading), with any value in each.
whole_wire_items = st.fixed_dictionaries(
    {
        name: json_values
        for name in ("id", "posted", "local", "pct", "count", "cost", "tags", "note")
    }
)


@given(data=wire_items | whole_wire_items | json_values)
def test_item_reader_reads_or_refuses_like_structure(data: object) -> None:
    """The fast readings and the detailed one are the same declaration: same outcome,
    whether the item carries every declared key or leaves some out."""
    read = item_reader(converter, WireItem, where="item", path="items[{}]")
    try:
        expected: object = structure(converter, data, WireItem)
    except ResponseFormatError:
        with pytest.raises(ResponseFormatError) as info:
            read(data, 0)
        assert info.value.field is not None and info.value.field.startswith("items[0]")
        return
    if isinstance(data, dict):
        assert read(data, 0) == expected
    else:  # structure reads a non-object leniently; an item must be an object
        with pytest.raises(ResponseFormatError):
            read(data, 0)


def test_structure_paths_come_from_cattrs_notes() -> None:
    with pytest.raises(ResponseFormatError) as info:
        structure(converter, [{"id": "a"}, {"id": "b", "cost": "free"}], list[WireItem])
    assert info.value.field == "$[1].cost" and "'free'" in str(info.value)
    with pytest.raises(ResponseFormatError) as info:
        structure(converter, {"k": {"id": "a", "tags": ["x", None]}}, dict[str, WireItem], path="p")
    assert info.value.field == "p['k'].tags[1]"


def test_register_optional_replaces_the_per_value_lookup() -> None:
    conv = converter.copy()
    register_optional(conv, Progress, lambda v, _t: "hook")
    assert conv.structure(None, Progress | None) == "hook"
    assert conv.structure("10%", Progress) == pytest.approx(0.1)  # the plain type: unchanged
