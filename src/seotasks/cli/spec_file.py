"""The spec file of ``seotasks submit``, read line by line and every line checked before
anything is posted: JSON, the spec's fields, and what the provider refuses without a call
(`Provider.check_spec`).

Every refused line is named in one go, whatever refused it: a file with a line that is
not JSON and another the provider refuses took two runs to fix, the second only named
once the first was mended. A file that is no spec file stops the reading early: one that
is no text at all at its first bad line, one whose first lines are all refused (a log)
after `SHOWN` of them, in bounded memory either way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .common import UsageError

__all__ = ["read_specs"]

#: The refused lines named in the error; the rest are counted.
SHOWN = 10
#: The longest line read as a spec: one holds a keyword and a few fields (a tag and
#: callback URLs are the long ones), never a megabyte.
_LONGEST_LINE = 1 << 20
#: Characters that no JSON line holds raw (JSON escapes them in strings): a binary file.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


class _Refused:
    """The refused lines of one spec file: the first `SHOWN` named, the others counted."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.named: list[str] = []
        self.count = 0

    def add(self, number: int, message: str) -> None:
        self.count += 1
        if len(self.named) < SHOWN:
            self.named.append(f"{self.path}:{number}: {message}")

    def error(self, *, stopped_at: int | None = None) -> UsageError:
        said = list(self.named)
        if stopped_at is not None:
            said.append(f"no line up to {stopped_at} is a task spec: read no further")
        elif self.count > len(self.named):
            said.append(f"and {self.count - len(self.named)} more refused lines")
        return UsageError("; ".join(said))


def read_specs(
    path: str, prepare: Callable[[Any, int], Any], check: Callable[[Any], None]
) -> list[Any]:
    """The specs of ``path``, each passed through ``prepare(spec, index)`` (which fills
    the command's flags in); a `UsageError` naming every line that is no spec or that
    ``check`` (the provider's `check_spec`) refuses."""
    from ..errors import UnsupportedQuery
    from .inputs import read_lines

    specs: list[Any] = []
    seen = False  # a line that is a spec, refused by the provider or not
    refused = _Refused(path)
    number = 0
    lines = read_lines(path, _LONGEST_LINE)
    while True:
        # Checked as they come (a signal stops a read from a waiting pipe), so that a
        # path that is no spec file fails at its first line, not once read whole.
        try:
            raw = next(lines, None)
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
        except ValueError as exc:  # a line longer than any spec: no spec file
            raise UsageError(f"{path}:{number + 1}: {exc}, not a task spec") from None
        if raw is None:
            break
        for line in _text(path, number + 1, raw).splitlines() or [""]:  # "\r\n", and the rest
            number += 1
            if not line.strip():  # blank lines are skipped
                continue
            try:
                spec = _spec(line)
            except _NoSpec as exc:
                refused.add(number, str(exc))
                if refused.count >= SHOWN and not seen:  # ten lines, and not one a spec
                    raise refused.error(stopped_at=number) from None
                continue
            seen = True
            try:
                spec = prepare(spec, len(specs))
                check(spec)
            except UnsupportedQuery as exc:
                refused.add(number, str(exc))
                continue
            specs.append(spec)
    if refused.count:
        raise refused.error()
    return specs


def _text(path: str, number: int, raw: bytes) -> str:
    """The text of the line read from ``path`` at line ``number``; a `UsageError` when it
    is none (not UTF-8, or binary): the file is no spec file."""
    if number == 1:
        raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte order mark (Windows editors)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}:{number}: not UTF-8 text (specs are JSON Lines)") from None
    if control := _CONTROL.search(text):  # a binary file: "not JSON" would say less
        column = control.start() + 1
        raise UsageError(
            f"{path}:{number}: not text, a control character at column {column} "
            "(specs are JSON Lines)"
        )
    return text


class _NoSpec(Exception):
    """A line that is no valid spec; its message says why."""


def _spec(line: str) -> Any:
    """The spec of one line, or `_NoSpec` saying why it is none."""
    import json

    from ..errors import ConfigError
    from ..jsoncodec import strict_loads
    from ..submit import spec_from_json

    try:
        return spec_from_json(strict_loads(line, object_pairs_hook=_each_field_once))
    except ConfigError as exc:
        raise _NoSpec(str(exc)) from None
    except json.JSONDecodeError as exc:
        # Its own "line 1 column 17 (char 16)" counts within this one line: the
        # column is news, "line 1" beside the file's line number misleads.
        raise _NoSpec(f"not JSON: {exc.msg} at column {exc.colno}") from None
    except ValueError as exc:
        raise _NoSpec(f"not JSON: {exc}") from None


def _each_field_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A spec's object; a field given twice is refused (JSON would keep the last one, and
    post one of two keywords without a word)."""
    from ..errors import ConfigError

    fields: dict[str, Any] = {}
    for name, value in pairs:
        if name in fields:
            raise ConfigError(f"invalid task spec: field {name!r} given twice")
        fields[name] = value
    return fields
