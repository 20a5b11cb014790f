"""Vendor values -> model values, one value at a time: the vendors' spellings, parsed.

Vendors send timestamps as ``"YYYY-MM-DD HH:MM:SS +00:00"`` (DataForSEO) or naive
``"YYYY-MM-DD HH:MM:SS"`` in an undocumented zone (Serpstat), progress as
``"100%"``, numbers as strings, and "no date" as ``""``, ``null`` or zeros.
The parse functions here turn each into a model value or raise `ConversionError`
naming the field and the value; they never leak a bare ``ValueError``.

Public through `seotasks.convert`, which also holds the cattrs converter whose hooks
call these (`seotasks.itemread` reads whole items with it).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError, ResponseFormatError
from .redact import scrub_active

__all__ = [
    "PERCENTS",
    "ConversionError",
    "is_ascii_digits",
    "parse_decimal",
    "parse_int",
    "parse_progress",
    "parse_timestamp",
    "zone",
]

_MAX_SHOWN = 60


class ConversionError(ResponseFormatError):
    """A vendor value that does not convert. ``value`` is a short, printable rendering."""

    def __init__(self, field: str, value: object, expected: str, *, item_id: str | None = None):
        try:
            shown = scrub_active(repr(value))  # before the cut, which would split a secret
        except ValueError:  # an int beyond sys.get_int_max_str_digits()
            shown = f"<{type(value).__name__} too large to show>"
        if len(shown) > _MAX_SHOWN:
            shown = shown[: _MAX_SHOWN - 3] + "..."
        self.value = shown
        self.expected = expected
        super().__init__(f"cannot read {shown} as {expected}", field=field, item_id=item_id)

    def located(self, where: str, *, field: str | None, item_id: str | None) -> ConversionError:
        """This failure as seen from the whole payload: ``field`` the path to the value in
        it, ``item_id`` the item, the message led by ``where`` (the vendor). Still a
        `ConversionError`, ``value`` and ``expected`` kept, as the docs promise for every
        value that does not convert, however deep in an item it sat."""
        found = copy.copy(self)  # by state (`SeotasksError.__reduce__`): value is shown already
        message = f"{where}: cannot read {self.value} as {self.expected}"
        ResponseFormatError.__init__(found, message, field=field, item_id=item_id)
        return found


def zone(name: str) -> tzinfo:
    """A timezone by IANA name (``"UTC"``, ``"Europe/Kyiv"``), or `ConfigError`.

    `ZoneInfo` looks the name up as a file, so a region (``Europe``, a folder) or a name
    too long for a file raises `OSError`: the same unknown name, not an internal error."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
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


#: Bound once: the hooks in `seotasks.convert` call it for every timestamp of a page.
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
        known = PERCENTS.get(value)
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
#: several times a dict hit), each exactly what `parse_progress` makes of it. A hook
#: that reads a progress field of every item looks its value up here first.
PERCENTS: dict[str, float] = {f"{n}%": float(n) / 100.0 for n in range(101)}


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
