"""Wire values -> model values: the one place that knows the vendors' quirks.

Vendors send timestamps as ``"YYYY-MM-DD HH:MM:SS +00:00"`` (DataForSEO) or naive
``"YYYY-MM-DD HH:MM:SS"`` in an undocumented zone (Serpstat), progress as
``"100%"``, numbers as strings, and "no date" as ``""``, ``null`` or zeros.
The parse functions here turn each into a model value or raise `ConversionError`
naming the field and the value; they never leak a bare ``ValueError``.

`converter` is a `cattrs.Converter` with hooks for the marker types below; a plugin
takes ``converter.copy()`` (or `make_converter`) and adds its own hooks, then reads
its wire items with an `item_reader` (or `structure`), which turns cattrs' nested
exceptions into one `ResponseFormatError` naming the failing path, as cattrs' own
notes on the exception give it (the path ``cattrs.transform_error`` would print).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, NewType, TypeGuard, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import cattrs
from cattrs.errors import ClassValidationError, IterableValidationError

from .errors import ConfigError, ResponseFormatError

__all__ = [
    "ConversionError",
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

T = TypeVar("T")

#: A timestamp with an explicit offset (naive ones are read as UTC).
Timestamp = NewType("Timestamp", datetime)
#: A naive timestamp to be read in the converter's configured zone.
NaiveTimestamp = NewType("NaiveTimestamp", datetime)
#: A completion ratio 0.0..1.0 parsed from "45%", "45.5%", 45 or "0".
Progress = NewType("Progress", float)

_MAX_SHOWN = 60


class ConversionError(ResponseFormatError):
    """A vendor value that does not convert. ``value`` is a short, printable rendering."""

    def __init__(self, field: str, value: object, expected: str, *, item_id: str | None = None):
        try:
            shown = repr(value)
        except ValueError:  # an int beyond sys.get_int_max_str_digits()
            shown = f"<{type(value).__name__} too large to show>"
        if len(shown) > _MAX_SHOWN:
            shown = shown[: _MAX_SHOWN - 3] + "..."
        self.value = shown
        self.expected = expected
        super().__init__(f"cannot read {shown} as {expected}", field=field, item_id=item_id)


def zone(name: str) -> tzinfo:
    """A timezone by IANA name (``"UTC"``, ``"Europe/Kyiv"``), or `ConfigError`."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown timezone {name!r}: use an IANA name such as Europe/Kyiv"
        ) from None


def _is_blank_date(text: str) -> bool:
    # "", "0", "0000-00-00", "0000-00-00 00:00:00", "0000-00-00 00:00:00 +00:00"...
    return not text.strip(" 0-:+T.Z")


def parse_timestamp(
    value: object, *, tz: tzinfo = UTC, field: str = "timestamp"
) -> datetime | None:
    """A timezone-aware UTC datetime, or ``None`` for empty / null / all-zero dates.

    Accepts ``"YYYY-MM-DD HH:MM:SS"`` with or without an offset (``+00:00``,
    ``+0300``, ``Z``, with or without a space before it) and ISO 8601 with ``T``.
    A naive value is read in ``tz``. `datetime.fromisoformat` does the work: on
    Python 3.11 it parses all of these and costs about 1/50 of ``strptime``.

    Every item of every page passes here, so the usual string is tried as it comes
    first; only a string that does not parse that way (blank, zeros, padded) is
    stripped and looked at again. A blank date never parses (no year 0), so the
    first try cannot read as a date what the second would call empty.
    """
    parsed: datetime | None
    if value is None:
        return None
    if type(value) is str:
        try:
            parsed = _fromisoformat(value)
        except ValueError:
            parsed = _parse_text(value, field)
    elif isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        parsed = _parse_text(value, field)
    else:
        raise ConversionError(field, value, "a date-time string")
    if parsed is None:
        return None
    if parsed.tzinfo is UTC:
        return parsed
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ConversionError(field, value, "a date-time within range") from None


_fromisoformat = datetime.fromisoformat


def _parse_text(value: str, field: str) -> datetime | None:
    text = value.strip()
    if _is_blank_date(text):
        return None
    try:
        return _fromisoformat(text)
    except ValueError:
        raise ConversionError(field, value, "a date-time like 'YYYY-MM-DD HH:MM:SS'") from None


def parse_progress(value: object, *, field: str = "progress") -> float | None:
    """A ratio 0.0..1.0 from ``"100%"``, ``"45.5%"``, ``45``, ``"0"``; ``None`` for null/empty.

    Bare numbers are percentages too (``45`` is 45 %), because that is how the vendors
    mean them; anything outside 0..100 % is an error rather than silently clamped.
    """
    if value is None:
        return None
    if type(value) is str:
        known = _PERCENTS.get(value)
        if known is not None:
            return known
    if isinstance(value, bool):
        raise ConversionError(field, value, "a percentage")
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an int too large for a float is no percentage either
            raise ConversionError(field, value, "a percentage within 0..100") from None
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.endswith("%"):
            text = text[:-1].strip()
        if "_" in text:  # float() would read "1_0" as 10
            raise ConversionError(field, value, "a percentage like '45%'")
        try:
            number = float(text)
        except ValueError:
            raise ConversionError(field, value, "a percentage like '45%'") from None
    else:
        raise ConversionError(field, value, "a percentage")
    if not 0.0 <= number <= 100.0:  # also rejects NaN
        raise ConversionError(field, value, "a percentage within 0..100")
    return number / 100.0


#: ``"0%"``..``"100%"``: the usual spellings, looked up (``float()`` of the text costs
#: several times a dict hit), each exactly what the parse below makes of it.
_PERCENTS: dict[str, float] = {f"{n}%": float(n) / 100.0 for n in range(101)}


def is_ascii_digits(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a non-empty string of ASCII decimal digits (``"0"``..``"9"``).

    Why not ``str.isdigit``: it accepts superscripts (``"\u00b2"``) and other Unicode
    digits that ``int()`` refuses, so a check with it lets a bare ``ValueError`` escape
    later; ``str.isdecimal`` accepts full-width and Arabic-Indic digits, which ``int()``
    takes but no vendor sends. Vendor codes, ids and counts are ASCII digits, so that is
    what every wire reader checks for.
    """
    return type(value) is str and value.isascii() and value.isdigit()


def parse_int(value: object, *, field: str = "number") -> int | None:
    """An int from an int or a numeric string (``"3"``); ``None`` for null/empty."""
    if value is None or type(value) is int:
        return value
    if isinstance(value, bool):
        raise ConversionError(field, value, "an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        digits = text[1:] if text[0] in "+-" else text
        if is_ascii_digits(digits):
            try:
                return int(text)
            except ValueError:  # more digits than int() accepts from a string
                pass
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ConversionError(field, value, "an integer")


def parse_decimal(value: object, *, field: str = "amount") -> Decimal | None:
    """An exact `Decimal` from a number or a numeric string; ``None`` for null/empty.

    Floats go through ``repr`` so ``0.0006`` stays ``Decimal("0.0006")``.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConversionError(field, value, "a decimal number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ConversionError(field, value, "a finite decimal number")
        return Decimal(repr(value))
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ConversionError(field, value, "a decimal number") from None
        if not result.is_finite():
            raise ConversionError(field, value, "a finite decimal number")
        return result
    raise ConversionError(field, value, "a decimal number")


def _str(value: object, _type: object) -> str:
    # Only for `str` fields: cattrs handles `str | None` before this hook, so a None
    # here is a missing required value, not an empty one.
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ConversionError("string", value, "a string")


def _timestamp(value: object, _type: object) -> datetime | None:
    """`Timestamp` hook: `parse_timestamp`, the vendor's usual ``+00:00`` read at once."""
    if type(value) is str:
        try:
            parsed = _fromisoformat(value)
        except ValueError:
            return parse_timestamp(value)
        if parsed.tzinfo is UTC:
            return parsed
    return parse_timestamp(value)


def _naive_utc(value: object, _type: object) -> datetime | None:
    """`NaiveTimestamp` hook read in UTC: `parse_timestamp`, a naive string read at once.

    ``parsed.replace(tzinfo=UTC)`` costs about ten parses on CPython 3.11; the same
    text with the offset spelled out parses straight to UTC. Whatever does not come
    out UTC that way (an offset of its own, a blank date, a date alone, which
    ``fromisoformat`` reads naive and offset dropped) goes to `parse_timestamp`.
    """
    if type(value) is str:
        try:
            parsed = _fromisoformat(value + "+00:00")
        except ValueError:
            return parse_timestamp(value)
        if parsed.tzinfo is UTC:
            return parsed
    return parse_timestamp(value)


def _int(value: object, _type: object) -> int | None:
    """``int`` hook: `parse_int`, an int or a short string of ASCII digits read at once."""
    if type(value) is int:
        return value
    if type(value) is str and len(value) < 19 and value.isdigit() and value.isascii():
        return int(value)
    return parse_int(value)


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

#: What a structure hook raises on a value off its declaration (beside `ConversionError`).
_FAILURES = (
    cattrs.BaseValidationError,
    ResponseFormatError,
    ValueError,
    TypeError,
    LookupError,
    AttributeError,  # e.g. a dict[...] hook calling .items() on null
    ArithmeticError,
)


def structure(
    conv: cattrs.Converter, data: Any, cls: type[T], *, where: str = "", path: str = "$"
) -> T:
    """``conv.structure(data, cls)`` with every failure turned into `ResponseFormatError`.

    The error names the path inside the payload (``$.tasks[0].date_posted``) and, when
    ``data`` is a mapping with an ``id``-like key, the item id. ``path`` is where
    ``data`` sits in the whole body (``tasks[0].result[3]``): the field path starts
    there instead of at ``$``, so an item read on its own is named as in its page.
    The path comes from cattrs' own notes on the exception (``conv`` needs detailed
    validation, the cattrs default, for there to be any).
    """
    try:
        return conv.structure(data, cls)
    except ConversionError:
        raise
    except _FAILURES as exc:
        raise _format_error(exc, data, cls, where=where, path=path) from None


def _format_error(
    exc: BaseException, data: Any, cls: type[Any], *, where: str, path: str
) -> ResponseFormatError:
    item_id = None
    if isinstance(data, dict):
        for key in ("id", "task_id"):
            if isinstance(data.get(key), str | int):
                item_id = str(data[key])
                break
    field: str | None = None
    detail = f"{type(exc).__name__}: {exc}"[:200]
    if isinstance(exc, cattrs.BaseValidationError):
        leaves = list(_leaves(exc, path))
        if leaves:
            inner, field = leaves[0]
            if isinstance(inner, ConversionError):
                detail = str(inner).split(" | ")[0]
            else:
                detail = f"{type(inner).__name__}: {inner}"[:200]
    return ResponseFormatError(f"{where or cls.__name__}: {detail}", field=field, item_id=item_id)


def _leaves(exc: BaseException, path: str) -> Iterator[tuple[BaseException, str]]:
    """Every failure under a cattrs validation error with its path, from the notes cattrs
    attached (``.name`` of a class field, ``.index`` of a list item or mapping key), walked
    as `cattrs.transform_error` walks them."""
    if isinstance(exc, IterableValidationError):
        indexed, loose = exc.group_exceptions()
        for sub, index in indexed:
            yield from _leaves(sub, f"{path}[{index.index!r}]")
    elif isinstance(exc, ClassValidationError):
        named, loose = exc.group_exceptions()
        for sub, name in named:
            yield from _leaves(sub, f"{path}.{name.name}")
    else:
        yield exc, path
        return
    for sub in loose:
        yield from _leaves(sub, path)


#: ``read(data, index)``: the ``index``-th item of a page as its declared class.
ItemReader = Callable[[object, int], T]


def item_reader(conv: cattrs.Converter, cls: type[T], *, where: str, path: str) -> ItemReader[T]:
    """``read(data, index)``: one kind of vendor item as its declared ``cls``, or the
    `ResponseFormatError` naming what in it is off.

    A listing page is up to 1000 items, each structured once. cattrs' detailed
    validation (a ``try`` around every field, notes on every failure) is what makes an
    error name its field, and it is paid by every item, good or bad. So ``read``
    structures with a copy of ``conv`` that has it off, and only an item that fails
    there is structured again, by ``conv`` with it on, for the error naming the field
    path (``path`` formatted with the index, then the field, e.g.
    ``tasks[0].result[3].date_posted``) and the item id. Both runs use the same hooks,
    so an item reads the same either way. An item that is not a JSON object is refused
    as a whole.
    """
    fast: Callable[[object, type[T]], T] = conv.copy(detailed_validation=False).get_structure_hook(
        cls
    )

    def read(data: object, index: int) -> T:
        if type(data) is dict:
            try:
                return fast(data, cls)
            except _FAILURES:
                pass  # read again below, for the message
        where_in_page = path.format(index)
        if type(data) is not dict:
            raise ConversionError(where_in_page, data, "an object")
        return structure(conv, data, cls, where=where, path=where_in_page)

    return read
