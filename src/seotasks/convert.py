"""Wire values -> model values: the one place that knows the vendors' quirks.

Vendors send timestamps as ``"YYYY-MM-DD HH:MM:SS +00:00"`` (DataForSEO) or naive
``"YYYY-MM-DD HH:MM:SS"`` in an undocumented zone (Serpstat), progress as
``"100%"``, numbers as strings, and "no date" as ``""``, ``null`` or zeros.
The parse functions here turn each into a model value or raise `ConversionError`
naming the field and the value; they never leak a bare ``ValueError``.

`converter` is a `cattrs.Converter` with hooks for the marker types below; a plugin
takes ``converter.copy()`` (or `make_converter`) and adds its own hooks, then
structures its wire items with `structure`, which turns cattrs' nested exceptions
into one `ConversionError` with the failing path (via ``cattrs.transform_error``).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, NewType, TypeGuard, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import cattrs

from .errors import ConfigError, ResponseFormatError

__all__ = [
    "ConversionError",
    "NaiveTimestamp",
    "Progress",
    "Timestamp",
    "converter",
    "is_ascii_digits",
    "make_converter",
    "parse_decimal",
    "parse_int",
    "parse_progress",
    "parse_timestamp",
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
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if _is_blank_date(text):
            return None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ConversionError(field, value, "a date-time like 'YYYY-MM-DD HH:MM:SS'") from None
    else:
        raise ConversionError(field, value, "a date-time string")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ConversionError(field, value, "a date-time within range") from None


def parse_progress(value: object, *, field: str = "progress") -> float | None:
    """A ratio 0.0..1.0 from ``"100%"``, ``"45.5%"``, ``45``, ``"0"``; ``None`` for null/empty.

    Bare numbers are percentages too (``45`` is 45 %), because that is how the vendors
    mean them; anything outside 0..100 % is an error rather than silently clamped.
    """
    if value is None:
        return None
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
    if value is None:
        return None
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


def make_converter(*, naive_tz: tzinfo = UTC) -> cattrs.Converter:
    """A fresh converter with the wire rules; ``naive_tz`` is how naive timestamps are read."""
    conv = cattrs.Converter(forbid_extra_keys=False)
    conv.register_structure_hook(Timestamp, lambda v, _t: parse_timestamp(v))
    conv.register_structure_hook(NaiveTimestamp, lambda v, _t: parse_timestamp(v, tz=naive_tz))
    conv.register_structure_hook(Progress, lambda v, _t: parse_progress(v))
    conv.register_structure_hook(Decimal, lambda v, _t: parse_decimal(v))
    conv.register_structure_hook(int, lambda v, _t: parse_int(v))
    conv.register_structure_hook(str, _str)
    return conv


#: The shared converter (naive timestamps read as UTC). Plugins copy it, never mutate it.
converter = make_converter()


def structure(
    conv: cattrs.Converter, data: Any, cls: type[T], *, where: str = "", path: str = "$"
) -> T:
    """``conv.structure(data, cls)`` with every failure turned into `ResponseFormatError`.

    The error names the path inside the payload (``$.tasks[0].date_posted``) and, when
    ``data`` is a mapping with an ``id``-like key, the item id. ``path`` is where
    ``data`` sits in the whole body (``tasks[0].result[3]``): the field path starts
    there instead of at ``$``, so an item read on its own is named as in its page.
    """
    try:
        return conv.structure(data, cls)
    except ConversionError:
        raise
    except (
        cattrs.BaseValidationError,
        ValueError,
        TypeError,
        LookupError,
        AttributeError,  # e.g. a dict[...] hook calling .items() on null
        ArithmeticError,
    ) as exc:
        item_id = None
        if isinstance(data, dict):
            for key in ("id", "task_id"):
                if isinstance(data.get(key), str | int):
                    item_id = str(data[key])
                    break
        detail = _describe(exc)
        field = _first_path(exc)
        if field is not None and path != "$" and field.startswith("$"):
            field = path + field[1:]
        raise ResponseFormatError(
            f"{where or cls.__name__}: {detail}", field=field, item_id=item_id
        ) from None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        causes = _leaf_errors(exc)
        if causes:
            inner = causes[0]
            if isinstance(inner, ConversionError):
                return str(inner).split(" | ")[0]
            return f"{type(inner).__name__}: {inner}"[:200]
        return "; ".join(cattrs.transform_error(exc))[:300]
    return f"{type(exc).__name__}: {exc}"[:200]


def _leaf_errors(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, cattrs.BaseValidationError):
        leaves: list[BaseException] = []
        for sub in exc.exceptions:
            leaves.extend(_leaf_errors(sub))
        return leaves
    return [exc]


def _first_path(exc: BaseException) -> str | None:
    if isinstance(exc, cattrs.BaseValidationError):
        messages = cattrs.transform_error(exc)
        if messages:
            # "invalid value for type, expected int @ $.tasks[0].cost"
            _, _, path = messages[0].rpartition(" @ ")
            return path or None
    return None
