"""Wire values -> model values: property tests of the parse functions.

The converter and the item reader built on them: `test_itemread`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from wirevalues import anything, naive_seconds, wire

from seotasks import ConfigError, ResponseFormatError, SeotasksError
from seotasks.convert import (
    ConversionError,
    NaiveTimestamp,
    Timestamp,
    make_converter,
    parse_decimal,
    parse_int,
    parse_progress,
    parse_timestamp,
    zone,
)

ZONES = ["UTC", "Europe/Kyiv", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]


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
