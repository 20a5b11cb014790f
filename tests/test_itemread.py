"""Wire items -> attrs classes: `seotasks.convert.structure`, the converter's hooks and
`item_reader` (one reading, a precise error), property-tested against the parse functions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from wirevalues import anything, json_values, naive_seconds, wire

from seotasks import ResponseFormatError, SeotasksError
from seotasks.convert import (
    ConversionError,
    NaiveTimestamp,
    Progress,
    Timestamp,
    converter,
    item_reader,
    parse_int,
    parse_progress,
    parse_timestamp,
    register_optional,
    structure,
)
from seotasks.itemread import every_key_hook
from seotasks.jsoncodec import loads, strict_loads


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
    assert str(info.value).startswith("WireItem: the required field 'id' is missing")


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


def _refused_without_orjson(accepted: str, refused: str) -> None:
    """In a child process without orjson: `jsoncodec.loads` reads each of ``accepted``
    (the repr of a ``{bytes: value}`` dict) as given, and refuses each of ``refused`` (the
    repr of a tuple of bytes) with its `JSONDecodeError`."""
    import subprocess
    import sys

    script = (
        "import sys; sys.modules['orjson'] = None\n"
        "from seotasks.jsoncodec import JSONDecodeError, loads\n"
        f"for text, value in {accepted}.items():\n"
        "    assert loads(text) == value, text\n"
        f"for bad in {refused}:\n"
        "    try:\n"
        "        loads(bad)\n"
        "    except JSONDecodeError:\n"
        "        continue\n"
        "    raise SystemExit(f'accepted {bad[:20]!r}')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_vendor_json_is_strict_without_orjson_too() -> None:
    """The standard library's decoder accepts NaN and Infinity by default; orjson does not.
    Both paths of `seotasks.jsoncodec` refuse them (a child process without orjson)."""
    _refused_without_orjson(
        "{b'{\"a\": 1.5}': {'a': 1.5}}", "(b'[NaN]', b'[Infinity]', b'{\"a\": -Infinity}')"
    )


@pytest.mark.parametrize(
    ("data", "read"),
    [
        (b'["\\ud83d"]', ["\ufffd"]),
        (b'{"\\udfff": 1}', {"\ufffd": 1}),
        (b'["a\\uDC00b"]', ["a\ufffdb"]),
    ],
)
def test_half_a_character_is_refused_in_our_files_and_replaced_in_a_vendors_page(
    data: bytes, read: object
) -> None:
    """The escape of a lone surrogate (half of an emoji) reads into a string no UTF-8
    file, request or terminal can take: `strict_loads` (spec files, callbacks) refuses
    it, while a vendor's page reads it as U+FFFD, with orjson and without (refused
    there, one task's tag made every page of a listing unreadable). A whole pair is an
    emoji, read as such."""
    with pytest.raises(ValueError, match="surrogate"):
        strict_loads(data)
    accepted = {data: read, b'["\\ud83d\\ude00"]': ["\U0001f600"], b'["\\u00e9"]': ["\u00e9"]}
    assert all(loads(text) == value for text, value in accepted.items())
    _refused_without_orjson(repr(accepted), "()")


def test_hostile_vendor_json_is_a_decode_error_without_orjson_too() -> None:
    """What orjson refuses (nesting past its 1024 levels, a number that overflows to
    infinity, an integer of 10^5 digits), the standard library's decoder must refuse as a
    decode error too: its `RecursionError` was an internal error, and it read ``1e999``
    as infinity, which no strict JSON file can hold."""
    _refused_without_orjson(
        "{b'[1e308, -2.5e-3, 12]': [1e308, -2.5e-3, 12]}",
        "(b'[' * 100000 + b']' * 100000, b'[1e999]', b'{\"a\": -1e999}', "
        "b'[' + b'9' * 100000 + b']')",
    )


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


read_row = item_reader(converter.copy(), WireItem, where="acme", path="jobs[{}]")


def test_item_reader_reads_the_declared_item() -> None:
    row = read_row({"id": "a", "posted": "2026-03-01 10:00:00 +02:00", "count": "3", "x": 1}, 0)
    posted = datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert row == WireItem(id="a", posted=posted, pct=None, count=3)
    whole = {
        "id": "a",
        "posted": "2026-03-01 10:00:00 +02:00",
        "local": "2026-03-01 10:00:00",
        "pct": "5%",
        "count": 3,
        "cost": 0.0006,
        "tags": ["t"],
        "note": None,
        "x": 1,
    }
    local = datetime(2026, 3, 1, 10, tzinfo=UTC)  # the core converter reads naive as UTC
    assert read_row(whole, 0) == WireItem(
        id="a", posted=posted, local=local, pct=0.05, count=3, cost=Decimal("0.0006"), tags=["t"]
    )
    assert read_row({"id": "a"}, 0) == WireItem(id="a")  # keys left out: the declared defaults


def test_every_key_hook_needs_every_key() -> None:
    hook = every_key_hook(converter, WireItem)
    assert hook is not None
    every: dict[str, Any] = {**dict.fromkeys(attrs.fields_dict(WireItem)), "id": "a", "tags": []}
    assert hook({**every, "count": "7"}, WireItem) == WireItem("a", count=7)
    for name in every:
        with pytest.raises(KeyError):
            hook({key: value for key, value in every.items() if key != name}, WireItem)
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
