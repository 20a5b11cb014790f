"""Vendor answers kept on disk: validated as JSON, and read for a few fields, in bounded memory.

A task's result can be hundreds of megabytes. Parsed into Python objects it takes three to
ten times that; held as bytes, parsed, and re-encoded for its file, about 3.2 times (what
``collect`` did before). A result is therefore streamed from the network into its file
(`Transport.download`) and checked there: `scan` runs the whole file through a streaming
JSON parser (ijson's C backend over yajl: about 100 MB a second, no object built), which
proves it is exactly one well-formed, strictly valid JSON document (no NaN, no trailing
bytes, valid UTF-8), and picks out the few scalar fields the provider asked for (a status
code, the task id the answer names). The file keeps the vendor's bytes exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, BinaryIO

import ijson

from .errors import TransientError

__all__ = ["scan"]

_SCALARS = frozenset({"string", "number", "boolean", "null"})
#: A path no JSON document has (ijson paths never hold a NUL): `ijson.items` over it
#: walks the whole document in C without yielding anything.
_NOWHERE = "\x00"


def scan(
    sink: BinaryIO,
    fields: Collection[str],
    *,
    where: str,
    scrub: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """Validate ``sink`` (from its start) as one JSON document; return the first scalar
    found at each of ``fields``.

    ``fields`` are ijson paths: ``"status_code"``, ``"tasks.item.id"`` (``item`` stands
    for any element of an array). A field absent from the document is absent from the
    result. A document that does not parse (empty, cut off, NaN, trailing bytes, broken
    UTF-8) is a `TransientError`, as `Response.json` judges a 2xx body that does not
    parse: the answer was damaged on its way, and the transport asks again.
    """
    wanted = frozenset(fields)
    found: dict[str, Any] = {}
    try:
        if wanted:
            sink.seek(0)
            for prefix, event, value in ijson.parse(sink, use_float=True):
                if event in _SCALARS and prefix in wanted and prefix not in found:
                    found[prefix] = value
                    if len(found) == len(wanted):
                        break
        sink.seek(0)
        for _ in ijson.items(sink, _NOWHERE):
            pass  # pragma: no cover - nothing lives at _NOWHERE
    except ijson.JSONError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if scrub is not None:
            reason = scrub(reason)
        raise TransientError(f"malformed JSON from {where}: {reason}") from None
    return found
