"""Reading an HTTP answer's body a chunk at a time, within a cap.

One read of a whole body asks for a buffer of the size the server states before a byte
has come: a server stating 100 GB was a `MemoryError`. And a body kept in memory (a
listing page, an account answer, a result `Client.collect` returns) had no bound: a
server sending 4 GB took 11 GB of memory before failing. So every body comes in chunks,
counted against a cap, into a file (``sink``) or into memory, counted as decoded (a gzip
answer is inflated a piece at a time: `seotasks.inflate`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import BinaryIO

import urllib3

from .errors import ResponseFormatError, TransientError
from .inflate import decoded

__all__ = ["IN_MEMORY_MAX", "read_body"]

#: The largest body held in memory (256 MiB): a page of a thousand tasks is a megabyte or
#: two, and a quarter of a gigabyte of JSON is several gigabytes once decoded.
IN_MEMORY_MAX = 1 << 28
#: Bytes read from the network at a time.
_CHUNK = 1 << 16
#: Most bytes of a non-2xx body kept when streaming (an error page, for its snippet).
_ERROR_BODY_MAX = 1 << 16


def read_body(
    raw: urllib3.BaseHTTPResponse,
    sink: BinaryIO | None,
    max_bytes: int | None,
    url: str,
    *,
    within: float | None = None,
) -> tuple[bytes, int]:
    """The body of ``raw``: a 2xx one into ``sink`` at most ``max_bytes``, or without
    ``sink`` all of it in memory, at most ``max_bytes`` and `IN_MEMORY_MAX`; any other
    status's, its first 64 KiB in memory, read as far as it decodes. A larger 2xx one is
    a `ResponseFormatError` (not retried: it would come the same way again).

    ``within``: seconds the body may take (`Timeouts.answer`); then it is read as it
    arrives, each piece as soon as it comes, and past that a `TransientError`.

    Returns the in-memory body (empty when streamed) and the byte count. A connection
    whose body was not read to its end is closed, never handed back to the pool."""
    whole = False
    try:
        sent = (
            raw.stream(_CHUNK, decode_content=False) if within is None else _timed(raw, within, url)
        )
        pieces = decoded(sent, raw.headers.get("Content-Encoding", ""), url)
        if not 200 <= raw.status < 300:
            # An error page: its status decides (a 5xx or a 429 is retried), its body is
            # a snippet, or a vendor's short error envelope. Read at most 64 KiB of it,
            # and a coding it was not asked for, or a stream cut, ends it where it is.
            kept = bytearray()
            try:
                for piece in pieces:
                    kept += piece
                    if len(kept) >= _ERROR_BODY_MAX:
                        break
                else:
                    whole = True
            except (ResponseFormatError, TransientError):
                pass
            return bytes(kept[:_ERROR_BODY_MAX]), min(len(kept), _ERROR_BODY_MAX)
        cap = max_bytes
        if sink is None:
            cap = IN_MEMORY_MAX if max_bytes is None else min(max_bytes, IN_MEMORY_MAX)
            chunks: list[bytes] = []
        else:
            sink.seek(0)
            sink.truncate()
        size = 0
        for chunk in pieces:
            size += len(chunk)
            if cap is not None and size > cap:
                where, advice = (
                    ("one answer", " (raise the cap to take it)")
                    if sink is not None
                    else ("one answer held in memory", "")
                )
                raise ResponseFormatError(
                    f"the answer from {url} is larger than the {cap:,}-byte cap on {where}; "
                    f"it was not kept{advice}"
                )
            if sink is None:
                chunks.append(chunk)
            else:
                sink.write(chunk)
        whole = True
        if sink is None:
            return b"".join(chunks), size
        sink.flush()
        return b"", size
    finally:
        if not whole:
            raw.close()
        raw.release_conn()


def _timed(raw: urllib3.BaseHTTPResponse, within: float, url: str) -> Iterator[bytes]:
    """The body as it arrives (``read1``: whatever one read brings, not a full chunk),
    ending in a `TransientError` once it has taken more than ``within`` seconds."""
    end = time.monotonic() + within
    while chunk := raw.read1(_CHUNK, decode_content=False):
        yield chunk
        if time.monotonic() > end:
            raise TransientError(
                f"the answer from {url} took more than {within:g} s to arrive (a server "
                "sending it a few bytes at a time)"
            )
