"""JSON of vendor bodies: orjson when installed (about twice as fast), else json.

Strict either way: ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON, and orjson
refuses them, so the standard library's decoder is told to refuse them too (it accepts
them by default): a body the fast path refuses is refused without it, and no file
seotasks writes from a decoded body can hold them. The same goes for a number that
overflows to infinity (``1e999``) and for nesting deeper than the decoder recurses, which
orjson refuses as decode errors and the standard library reads as infinity or raises as
`RecursionError`, and for the escape of a lone surrogate (``"\\ud83d"``, half of an emoji):
orjson refuses it, the standard library reads it into a string no UTF-8 file can hold.
`strict_loads` (callback bodies, our own files) refuses it; `loads` (a vendor's pages)
reads it as U+FFFD, so that one task's odd tag does not make every page unreadable.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

__all__ = ["dumps", "escape_line_breaks", "loads", "strict_loads"]


#: The escape of a surrogate (``\\ud800``..``\\udfff``), half of a pair or a lone one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")


def _refuse(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number is infinity when parsed as double: {text[:20]}")
    return value


def strict_loads(
    data: bytes | str, *, object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None
) -> Any:
    """The standard library's decoder held to RFC 8259, every refusal a `ValueError`.

    For what seotasks reads besides vendor pages (callback bodies, spec and resume
    files): the same answer whether or not orjson is installed. ``object_pairs_hook``
    builds each object from its pairs, as for `json.loads` (a reader that must see a key
    given twice, which the default lets the last one win).
    """
    try:
        value = json.loads(
            data, parse_constant=_refuse, parse_float=_finite, object_pairs_hook=object_pairs_hook
        )
        has_escape = (
            _SURROGATE_ESCAPE_BYTES.search(data)
            if isinstance(data, bytes)
            else _SURROGATE_ESCAPE.search(data)
        )
        if has_escape:  # a pair (an emoji as json.dumps writes it) is fine
            json.dumps(value, ensure_ascii=False).encode()
    except RecursionError:  # parsed at the very edge of the limit, too deep to encode
        raise ValueError("nested too deeply") from None
    except UnicodeEncodeError:
        raise ValueError("a string holds a lone surrogate (half of a character)") from None
    return value


#: A UTF-16 surrogate left in a decoded string: half of a character, never a whole one.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _whole_characters(value: Any) -> Any:
    """``value`` with each lone surrogate in its strings (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_whole_characters(item) for item in value]
    if isinstance(value, dict):
        return {_whole_characters(k): _whole_characters(v) for k, v in value.items()}
    return value


def _lone_surrogates_replaced(data: bytes | str, refused: ValueError) -> Any:
    """A vendor body refused only for a lone surrogate's escape (``"\\ud800"``), read
    with each one as U+FFFD, the replacement character (as a browser reads it); any
    other refusal stands (``refused``). Refused whole, one task's tag blocked every
    listing of its account: each page was a malformed answer, retried for ever."""
    if "surrogate" not in str(refused):
        raise refused
    try:
        value = json.loads(data, parse_constant=_refuse, parse_float=_finite)
        return _whole_characters(value)
    except RecursionError:
        raise ValueError("nested too deeply") from None


try:  # pragma: no cover - depends on the environment
    import orjson

    def loads(data: bytes | str) -> Any:
        """A vendor's JSON (see `_lone_surrogates_replaced`)."""
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            return _lone_surrogates_replaced(data, exc)

    JSONDecodeError: tuple[type[Exception], ...] = (orjson.JSONDecodeError, ValueError)
except ImportError:  # pragma: no cover

    def loads(data: bytes | str) -> Any:
        """A vendor's JSON (see `_lone_surrogates_replaced`)."""
        try:
            return strict_loads(data)
        except ValueError as exc:
            return _lone_surrogates_replaced(data, exc)

    JSONDecodeError = (json.JSONDecodeError, ValueError, UnicodeDecodeError)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, the way the vendors expect request bodies."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


#: Line breaks to `str.splitlines` (and to many a line reader) that JSON leaves raw in a
#: string: NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR. The others (``\n``, ``\r``, ``\v``,
#: ``\f``, ``\x1c``..``\x1e``) are control characters, which JSON always escapes.
_RAW_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")


def escape_line_breaks(text: str) -> str:
    """JSON ``text`` with the line breaks it may hold raw written as ``\\u`` escapes (the
    same string to a JSON reader), so that a JSON line stays one line to a reader that
    splits on any line break, as Python's ``str.splitlines`` does. Valid JSON holds
    them only inside strings, where an escape means the same character."""
    # All three are outside ASCII: most lines are ASCII, told in C at a glance, where the
    # search took 12 % of an exported line's time.
    if text.isascii() or _RAW_LINE_BREAKS.search(text) is None:
        return text
    return _RAW_LINE_BREAKS.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
