"""A postback's body, read and decompressed within the size caps.

The receiver listens on the internet, so a body is hostile until proved otherwise: it
may claim one length and send another, never end, or be a gzip bomb that inflates a few
kilobytes into gigabytes. The body is therefore read in chunks and refused as soon as it
passes ``max_body`` bytes as sent, and it is decompressed in chunks and refused as soon
as it passes ``max_json`` bytes inflated, so neither limit is ever exceeded in memory by
more than one chunk. Every refusal is a `Refused` with the status the sender should see.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

from .rejected import Refused

__all__ = ["DEFAULT_MAX_BODY", "DEFAULT_MAX_JSON", "decoded", "gunzip", "read_body"]

#: Largest request body accepted as sent (compressed), and once decompressed.
DEFAULT_MAX_BODY = 64 * 1024 * 1024
DEFAULT_MAX_JSON = 512 * 1024 * 1024
_CHUNK = 1024 * 1024


def read_body(environ: Mapping[str, Any], max_body: int) -> bytes:
    """The request body, at most ``max_body`` bytes, checked against its Content-Length."""
    length_text = str(environ.get("CONTENT_LENGTH") or "").strip()
    if length_text:
        if not length_text.isdigit():
            raise Refused("400 Bad Request", "bad Content-Length")
        if int(length_text) > max_body:
            raise Refused("413 Content Too Large", "body over the size cap", record=False)
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(min(_CHUNK, max_body + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > max_body:
            raise Refused("413 Content Too Large", "body over the size cap", record=False)
    body = b"".join(chunks)
    if length_text and len(body) < int(length_text):
        raise Refused("400 Bad Request", "body shorter than its Content-Length")
    return body


def decoded(raw: bytes, encoding: str, max_json: int) -> bytes:
    """The JSON bytes of a body sent with Content-Encoding ``encoding`` (lower case).

    gzip is recognised by its header too when no encoding is given (some senders omit
    the header); anything but gzip and identity is 415.
    """
    if encoding in ("gzip", "x-gzip") or (not encoding and raw[:2] == b"\x1f\x8b"):
        return gunzip(raw, max_json)
    if encoding in ("", "identity"):
        if len(raw) > max_json:
            raise Refused("413 Content Too Large", "body over the JSON size cap")
        return raw
    raise Refused("415 Unsupported Media Type", f"content-encoding {encoding[:20]!r}")


def gunzip(raw: bytes, max_json: int) -> bytes:
    """Decompress at most ``max_json`` bytes; more is a bomb, a cut stream is truncated."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out: list[bytes] = []
    size = 0
    pending = raw
    try:
        while pending:
            piece = inflater.decompress(pending, min(_CHUNK, max_json + 1 - size))
            out.append(piece)
            size += len(piece)
            if size > max_json:
                raise Refused("413 Content Too Large", "decompressed body over the cap")
            pending = inflater.unconsumed_tail
            if inflater.eof:
                break
            if not piece and not pending:
                break
    except zlib.error as exc:
        raise Refused("400 Bad Request", f"not valid gzip: {exc}") from None
    if not inflater.eof:
        raise Refused("400 Bad Request", "gzip stream is truncated")
    return b"".join(out)
