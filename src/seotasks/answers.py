"""Vendor answers kept on disk: validated as JSON, and read for a few fields, in bounded memory.

A task's result can be hundreds of megabytes. Parsed into Python objects it takes three to
ten times that; held as bytes, parsed, and re-encoded for its file, about 3.2 times (what
``collect`` did before). A result is therefore streamed from the network into its file
(`Transport.download`) and checked there: `scan` runs the whole file through a streaming
JSON parser (ijson's C backend over yajl: about 70 MB a second, no object built), which
proves it is exactly one well-formed, strictly valid JSON document (no NaN, no trailing
bytes, valid UTF-8, nested at most `MAX_DEPTH` levels), and picks out the few scalar fields
the provider asked for (a status code, the task id the answer names). The file keeps the
vendor's bytes exactly.

The depth is bounded because ijson's path-tracking parsers hold every open level's path,
memory quadratic in the depth: a 200 KB answer of 100 000 nested brackets took 23 GB.
Its event parser holds a byte a level, so the depth is measured with it first.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Collection, Mapping
from contextlib import suppress
from itertools import accumulate
from operator import itemgetter
from typing import TYPE_CHECKING, Any, BinaryIO

import ijson

from .errors import ResponseFormatError, StorageError, TransientError
from .export import plain

if TYPE_CHECKING:
    from pathlib import Path

    from .call import Response
    from .client import Client
    from .model import Task

__all__ = ["MAX_DEPTH", "download_into", "fetch_into", "scan"]

#: The deepest nesting an answer may have: what orjson, which decodes every other vendor
#: answer, accepts.
MAX_DEPTH = 1024
_SCALARS = frozenset({"string", "number", "boolean", "null"})
#: The most scalars `scan` keeps of one array field.
_ARRAY_MOST = 64
#: How each ijson event moves the nesting depth.
_STEP = {"start_map": 1, "start_array": 1, "end_map": -1, "end_array": -1}
_STEP.update(dict.fromkeys(("map_key", *_SCALARS), 0))


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
    for any element of an array); one ending in ``.item`` (``"tasks.item.path.item"``)
    gives the first such array's scalars, a list (at most 64). A field absent from the
    document is absent from the result. A document that does not parse (empty, cut off,
    NaN, trailing bytes, broken UTF-8) is a `TransientError`, as `Response.json` judges a
    2xx body that does not parse: the answer was damaged on its way, and the transport
    asks again. One nested deeper than `MAX_DEPTH` is a `ResponseFormatError`: the same
    answer would come again.
    """
    wanted = frozenset(fields)
    found: dict[str, Any] = {}
    try:
        sink.seek(0)
        # The whole document, validated and measured in C: only the events' names reach
        # Python, through builtins.
        events = map(itemgetter(0), ijson.basic_parse(sink, use_float=True))
        depth = max(accumulate(map(_STEP.__getitem__, events)), default=0)
        if depth > MAX_DEPTH:
            raise ResponseFormatError(
                f"the answer from {where} is nested {depth} levels deep, deeper than the "
                f"{MAX_DEPTH} a vendor answer may be; nothing was stored"
            )
        if wanted:
            sink.seek(0)
            # A field ending in ``.item`` is an array: its scalars, as a list.
            arrays = {f.removesuffix(".item"): f for f in wanted if f.endswith(".item")}
            closed: set[str] = set()
            for prefix, event, value in ijson.parse(sink, use_float=True):
                if event in _SCALARS and prefix in wanted:
                    if prefix not in arrays.values():
                        found.setdefault(prefix, value)
                    elif prefix not in closed and len(found[prefix]) < _ARRAY_MOST:
                        found[prefix].append(value)
                elif event == "start_array" and prefix in arrays:
                    found.setdefault(arrays[prefix], [])
                elif event == "end_array" and prefix in arrays:
                    closed.add(arrays[prefix])
                if len(found) == len(wanted) and len(closed) == len(arrays):
                    break
    except ijson.JSONError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if scrub is not None:
            reason = scrub(reason)
        raise TransientError(f"malformed JSON from {where}: {reason}") from None
    return found


def fetch_into(client: Client, task: Task, sink: BinaryIO) -> str | None:
    """`Client.collect_to`'s work: ``task``'s result into ``sink``; returns the id of the
    task the vendor's answer names (None when it names none, or was not streamed).

    Streamed when the provider offers a `Provider.result_download` (the vendor's bytes,
    validated by `scan`, at most ``client.max_result_bytes``); otherwise `Client.collect`'s
    result, checked there, written as strict JSON.
    """
    # The answer is read back from sink to be validated: a file opened "wb" failed that
    # read only after the fetch, which takes a task off a draining listing.
    if not all(callable(getattr(sink, m, None)) for m in ("readable", "writable", "seekable")):
        raise TypeError(
            f"collect_to takes a binary file open for writing and reading, e.g. "
            f"open(path, 'w+b'), got {type(sink).__name__}; nothing was fetched"
        )
    if not (sink.readable() and sink.writable() and sink.seekable()):
        raise ValueError(
            "collect_to needs a file open for writing and reading, e.g. open(path, 'w+b'): "
            "the answer is read back from it to be validated; nothing was fetched"
        )
    try:
        return _fetch_into(client, task, sink)
    except OSError as exc:  # the caller's file took no more (a full disk, a quota)
        name = getattr(sink, "name", None)
        where = f" to {os.fsdecode(name)}" if isinstance(name, str | os.PathLike) else ""
        raise StorageError(
            f"cannot write the result of task {task.id}{where}: {exc.strerror or exc} "
            "(a listing that drains may no longer show it; its id still fetches it)"
        ) from None


def _fetch_into(client: Client, task: Task, sink: BinaryIO) -> str | None:
    redactor = client.transport.redactor
    with redactor.active():  # errors built in the provider's code are scrubbed
        spec = client.provider.result_download(task)
        if spec is None:
            _write_json(client, task, sink)
            return None

        def parse(response: Response) -> str | None:
            head: Mapping[str, Any] = {}
            if 200 <= response.status < 300:
                head = scan(sink, spec.fields, where=response.url, scrub=redactor.scrub)
            return spec.check(response, head)

        return client.transport.download(
            spec.request, sink, parse, max_bytes=client.max_result_bytes
        )


def _write_json(client: Client, task: Task, sink: BinaryIO) -> None:
    try:  # strict JSON in every file: a NaN the decoder let through is refused
        data = json.dumps(
            plain(client.collect(task)), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )
    except ValueError as exc:
        raise ResponseFormatError(
            f"{client.name}: the answer for task {task.id} holds a number JSON has no form "
            f"for ({exc})",
            item_id=task.id,
        ) from None
    sink.seek(0)
    sink.truncate()
    sink.write(data.encode())
    sink.flush()


def download_into(client: Client, task: Task, into: Path) -> Path:
    """Stream ``task``'s result into a new hidden file in ``into`` (`Client.collect_many`
    with ``into``); a file that cannot be written (a full disk) is a `StorageError`, so
    the caller stops taking tasks rather than consuming ones it cannot keep."""
    from .client import RESULT_SUFFIX

    temp = into / f".{secrets.token_hex(8)}{RESULT_SUFFIX}"
    try:
        with open(temp, "w+b") as sink:
            client.collect_to(task, sink)
    except OSError as exc:  # opening the file (writing it is collect_to's StorageError)
        _remove(temp)
        raise StorageError(
            f"cannot write the result of task {task.id} under {into}: {exc.strerror or exc}"
        ) from None
    except BaseException:
        _remove(temp)
        raise
    return temp


def _remove(temp: Path) -> None:
    """Remove a partial result file, if there is one. Only `FileNotFoundError` is what
    ``unlink(missing_ok=True)`` forgives: ``into`` being a file (`NotADirectoryError`) or a
    folder without search permission would escape as a raw `OSError` and hide the error
    being reported."""
    with suppress(OSError):
        temp.unlink(missing_ok=True)
