"""One option's value as a setting gives it: text from an env var or a flag, or a typed
value from a TOML profile or ``connect()``, read as the option's kind (`Option.kind`).

Apart from `seotasks.config`, which decides where each value comes from: this module
only says whether one value means what its option takes, and why not."""

from __future__ import annotations

import math
from typing import Any

from .errors import ConfigError
from .provider import Option

__all__ = ["parse_option_value"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_option_value(option: Option, value: Any, source: str) -> Any:
    """Read ``value`` (a string from env/CLI, or a typed TOML/Python value) as ``option.kind``."""
    kind = option.kind
    if not _is_text(value):
        # Bytes that are not UTF-8 in argv or an env var arrive as lone surrogates: they
        # could never be sent (an encoding error deep in the transport), so refuse here.
        shown = "the value" if option.secret else repr(value)
        raise ConfigError(f"{source}: {option.name!r} is not valid UTF-8 text: {shown}")
    if not option.secret and isinstance(value, str) and "://" in value:
        # A URL pasted with a blank or a newline around it (an env file, a TOML string):
        # urllib3 would refuse it after every retry, as if the host were down, and no URL
        # means them; dropped as around a number. A secret is left as given.
        value = value.strip()
    if _has_control(value):
        # A key read with its line break (an env file with CRLF endings): http.client
        # refuses it in a header with a ValueError quoting the whole header, the key in
        # clear, and a query or a login would carry it to a vendor that refuses it.
        shown = "the value" if option.secret else repr(value)
        raise ConfigError(
            f"{source}: {option.name!r} holds a control character (a line break, a tab), "
            f"which no setting means; remove it: {shown}"
        )
    try:
        if kind == "str":
            if not isinstance(value, str):
                raise TypeError
            # A choice padded with blanks (``-o 'source = history'``) means the choice.
            result: Any = value if option.choices is None else value.strip()
        elif kind == "int":
            if isinstance(value, bool | float):  # int(2.7) would quietly be 2
                raise TypeError
            result = int(_number(value) if isinstance(value, str) else value)
        elif kind == "float":
            if isinstance(value, bool):
                raise TypeError
            result = float(_number(value) if isinstance(value, str) else value)
            if not math.isfinite(result):  # nan, inf: no rate or timeout means them
                raise ValueError
        elif kind == "bool":
            word = value.strip().lower() if isinstance(value, str) else None
            if isinstance(value, bool):
                result = value
            elif word in _TRUE | _FALSE:
                result = word in _TRUE
            else:
                raise ValueError
        else:  # list
            if isinstance(value, str):
                result = [part.strip() for part in value.split(",") if part.strip()]
            elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                result = list(value)
            else:
                raise TypeError
    except (TypeError, ValueError):
        shown = "***" if option.secret else repr(value)
        raise ConfigError(f"{source}: expected {kind} for {option.name!r}, got {shown}") from None
    if option.choices is not None:
        bad = [
            v for v in (result if isinstance(result, list) else [result]) if v not in option.choices
        ]
        if bad:
            raise ConfigError(
                f"{source}: {option.name!r} must be one of {', '.join(option.choices)}; got "
                f"{', '.join(map(repr, bad))}"
            )
    return result


def _number(text: str) -> str:
    """A number as an env var or a flag writes it: surrounding blanks dropped, as for
    every kind. Python's own readers also take ``5_00`` and non-ASCII digits (Arabic-Indic,
    say), which no one means in a setting: refused (`ValueError`)."""
    text = text.strip()
    if not text.isascii() or "_" in text:
        raise ValueError(text)
    return text


def _has_control(value: Any) -> bool:
    """Whether a string in ``value`` (a string, or a list of them) holds a C0 control
    character or DEL: a line break, a tab, a NUL."""
    strings = value if isinstance(value, list | tuple) else [value]
    return any(
        isinstance(item, str) and any(ord(c) < 32 or ord(c) == 127 for c in item)
        for item in strings
    )


def _is_text(value: Any) -> bool:
    """Whether every string in ``value`` (a string, or a list of them) encodes as UTF-8."""
    strings = value if isinstance(value, list | tuple) else [value]
    for item in strings:
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True
