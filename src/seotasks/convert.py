"""Wire values -> model values: the one place that knows the vendors' quirks.

Vendors send timestamps as ``"YYYY-MM-DD HH:MM:SS +00:00"`` (DataForSEO) or naive
``"YYYY-MM-DD HH:MM:SS"`` in an undocumented zone (Serpstat), progress as
``"100%"``, numbers as strings, and "no date" as ``""``, ``null`` or zeros.
The parse functions (`seotasks.parsing`, exported here) turn each into a model value
or raise `ConversionError` naming the field and the value; they never leak a bare
``ValueError``.

`converter` is a `cattrs.Converter` with hooks for the marker types below; a plugin
takes ``converter.copy()`` (or `make_converter`) and adds its own hooks, then reads
its wire items with an `item_reader` (or `structure`), which turns cattrs' nested
exceptions into one `ResponseFormatError` naming the failing path, as cattrs' own
notes on the exception give it (the path ``cattrs.transform_error`` would print).
Those two live in `seotasks.itemread` and are exported here: this module is the one
a plugin imports.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any, NewType

import cattrs

from .itemread import ItemReader, item_reader, structure
from .parsing import (
    PERCENTS,
    ConversionError,
    is_ascii_digits,
    parse_decimal,
    parse_int,
    parse_progress,
    parse_timestamp,
    zone,
)

__all__ = [
    "PERCENTS",
    "ConversionError",
    "Count",
    "ItemReader",
    "NaiveTimestamp",
    "Progress",
    "Timestamp",
    "converter",
    "is_ascii_digits",
    "item_reader",
    "make_converter",
    "parse_decimal",
    "parse_int",
    "parse_progress",
    "parse_timestamp",
    "register_optional",
    "structure",
    "zone",
]

#: A timestamp with an explicit offset (naive ones are read as UTC).
Timestamp = NewType("Timestamp", datetime)
#: A naive timestamp to be read in the converter's configured zone.
NaiveTimestamp = NewType("NaiveTimestamp", datetime)
#: A completion ratio 0.0..1.0 parsed from "45%", "45.5%", 45 or "0".
Progress = NewType("Progress", float)
#: How many of something: an `int` read as ``int`` is, but never below 0.
Count = NewType("Count", int)

_fromisoformat = datetime.fromisoformat


def _str(value: object, _type: object) -> str:
    # Only for `str` fields: cattrs handles `str | None` before this hook, so a None
    # here is a missing required value, not an empty one.
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ConversionError("string", value, "a string")


def _utc_at_once(suffix: str) -> Callable[[object, object], datetime | None]:
    """A timestamp hook: `parse_timestamp`, with the vendor's usual spelling read at once.

    ``fromisoformat(value + suffix)`` is tried first; whatever does not come out UTC that
    way (an offset of its own, a blank date, a date alone, which ``fromisoformat`` reads
    naive and offset dropped, or anything it refuses) goes to `parse_timestamp`. One body
    for both hooks below: a closure costs a few nanoseconds, a helper call twenty.
    """

    def hook(value: object, _type: object) -> datetime | None:
        if type(value) is str:
            try:
                parsed = _fromisoformat(value + suffix)
            except ValueError:
                return parse_timestamp(value)
            if parsed.tzinfo is UTC:
                return parsed
        return parse_timestamp(value)

    return hook


#: `Timestamp` hook: the vendor's usual ``+00:00`` read as it is.
_timestamp = _utc_at_once("")
#: `NaiveTimestamp` hook read in UTC: a naive string read with the offset spelled out.
#: ``parsed.replace(tzinfo=UTC)`` costs about ten parses on CPython 3.11; the same text
#: with ``+00:00`` appended parses straight to UTC.
_naive_utc = _utc_at_once("+00:00")


def _int(value: object, _type: object) -> int | None:
    """``int`` hook: `parse_int`, an int or a short string of ASCII digits read at once.

    A count repeats from item to item (Serpstat sends ``"keywords_count": "1"`` on most
    rows of a page), so the strings already read are looked up (bounded) before
    ``int()``, which costs several dict hits.
    """
    if type(value) is int:
        return value
    if type(value) is str:
        known = _INTS.get(value)
        if known is not None:
            return known
        if len(value) < 19 and value.isdigit() and value.isascii():
            number = int(value)
            if len(_INTS) < _INTS_MAX:
                _INTS[value] = number
            return number
    return parse_int(value)


def _count(value: object, _type: object) -> int | None:
    number = _int(value, _type)
    if number is not None and number < 0:
        raise ConversionError("number", value, "a count (0 or more)")
    return number


#: Digit strings already read by `_int`, and how many it keeps.
_INTS: dict[str, int] = {}
_INTS_MAX = 4096


def _naive_in(zone: tzinfo) -> Callable[[object, object], datetime | None]:
    return lambda value, _type: parse_timestamp(value, tz=zone)


def _optional_str(value: object, _type: object) -> str | None:
    return None if value is None else _str(value, _type)


def make_converter(*, naive_tz: tzinfo = UTC) -> cattrs.Converter:
    """A fresh converter with the wire rules; ``naive_tz`` is how naive timestamps are read.

    Each marker type's ``X | None`` gets the same hook as ``X`` (every parse function
    reads null as ``None``): left to itself, cattrs structures an optional field by
    looking up the inner type's hook again on every value, a cost paid per field of
    every item of every page.
    """
    conv = cattrs.Converter(forbid_extra_keys=False)
    hooks: dict[Any, Callable[[Any, Any], Any]] = {
        Timestamp: _timestamp,
        NaiveTimestamp: _naive_utc if naive_tz is UTC else _naive_in(naive_tz),
        Progress: lambda v, _t: parse_progress(v),
        Decimal: lambda v, _t: parse_decimal(v),
        int: _int,
        Count: _count,
    }
    for cls, hook in hooks.items():
        conv.register_structure_hook(cls, hook)
        register_optional(conv, cls, hook)
    conv.register_structure_hook(str, _str)
    register_optional(conv, str, _optional_str)
    return conv


def register_optional(conv: cattrs.Converter, cls: Any, hook: Callable[[Any, Any], Any]) -> None:
    """Structure ``cls | None`` fields with ``hook``, which must read null itself.

    cattrs' own handling of an optional field looks the inner type's hook up again on
    every value; and a hook registered for the union type is consulted only after that
    handling, so the hook goes in as a predicate, which cattrs tries first.
    """
    optional = cls | None
    conv.register_structure_hook_func(lambda t: t == optional, hook)


#: The shared converter (naive timestamps read as UTC). Plugins copy it, never mutate it.
converter = make_converter()
