"""A postback's body, read, decompressed and parsed within the size caps.

The receiver listens on the internet, so a body is hostile until proved otherwise: it
may claim one length and send another, never end, be a gzip bomb that inflates a few
kilobytes into gigabytes, or be "JSON" that Python's parser accepts but JSON does not
(``NaN``) or cannot hold (100 000 nested brackets). The body is therefore read in chunks
and refused as soon as it passes ``max_body`` bytes as sent; a gzip body is measured by
inflating it chunk by chunk *without keeping the output*, refused as soon as it passes
``max_json`` bytes, and only then inflated for real into a buffer of its exact size; the
JSON is parsed strictly. Every refusal is a `Refused` with the status the sender should
see.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

from ..jsoncodec import strict_loads
from .rejected import Refused

__all__ = [
    "DEFAULT_MAX_BODY",
    "DEFAULT_MAX_JSON",
    "decoded",
    "gunzip",
    "parse_json",
    "read_body",
]

#: Largest request body accepted as sent (compressed), and once decompressed.
DEFAULT_MAX_BODY = 64 * 1024 * 1024
DEFAULT_MAX_JSON = 512 * 1024 * 1024
_CHUNK = 1024 * 1024
#: Compressed input fed to zlib at a time: zlib copies what it did not consume
#: (``unconsumed_tail``) on every call, so feeding a whole 64 MiB body at once would
#: copy it again for each megabyte inflated.
_FEED = 64 * 1024
_GZIP = 16 + zlib.MAX_WBITS
#: How a gzip member begins (RFC 1952), and the most members a body may hold: each costs
#: an inflater of its own, and a body of millions of empty members is no delivery.
_MAGIC = b"\x1f\x8b"
_MAX_MEMBERS = 1024


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
    """Decompress at most ``max_json`` bytes; more is a bomb, a cut stream is truncated.

    Two passes. The first inflates chunk by chunk and keeps nothing but the count, so a
    bomb is refused having held one chunk at a time: keeping the output until the cap
    is reached would let each HTTP thread hold ``max_json`` bytes of zeros at once (8
    threads, 8 x the cap). The second pass runs only for a body proved to fit, and
    inflates it into one buffer of the exact size (no list of chunks joined into a
    second copy). The price is inflating an accepted body twice, a few milliseconds per
    megabyte, small beside parsing the JSON that follows.

    A body may hold several gzip members one after the other (RFC 1952; a sender that
    compresses as it streams, ``cat a.gz b.gz``): every member is read, as
    `gzip.decompress` and ``gunzip`` do; reading the first alone cut the JSON short (a
    400 for a good delivery) or, when the first member held a whole envelope, dropped
    the rest without a word. Bytes after the last member that start no member are
    ignored, as gzip(1) ignores trailing garbage.
    """
    members = _members(raw, max_json)
    if len(members) == 1:
        # bufsize one over the exact size: the output fits one block, and zlib still has
        # room to read the stream's trailer without a second block (and a joining copy).
        return zlib.decompress(raw, _GZIP, members[0][2] + 1)
    view = memoryview(raw)
    return b"".join(zlib.decompress(view[a:b], _GZIP, size + 1) for a, b, size in members)


def _members(raw: bytes, max_json: int) -> list[tuple[int, int, int]]:
    """Each gzip member of ``raw``: where it starts and ends, and how many bytes it
    inflates to, counted without keeping them (see `gunzip`)."""
    members: list[tuple[int, int, int]] = []
    start = total = 0
    while True:
        if len(members) == _MAX_MEMBERS:
            raise Refused("400 Bad Request", f"more than {_MAX_MEMBERS} gzip members")
        end, size = _inflated_size(memoryview(raw)[start:], max_json - total)
        members.append((start, start + end, size))
        total += size
        start += end
        if raw[start : start + 2] != _MAGIC:
            return members


def _inflated_size(view: memoryview, max_json: int) -> tuple[int, int]:
    """How many bytes of ``view`` its first gzip member takes, and how many it inflates
    to, counted without keeping them (see `gunzip`)."""
    inflater = zlib.decompressobj(_GZIP)
    fed = 0
    size = 0
    pending: bytes | memoryview = b""
    try:
        while not inflater.eof:
            if not pending:
                if fed >= len(view):
                    # All input given: drain what zlib still holds, then stop.
                    piece = inflater.decompress(b"", _CHUNK)
                    if not piece:
                        break
                    size += len(piece)
                    if size > max_json:
                        raise Refused("413 Content Too Large", "decompressed body over the cap")
                    continue
                pending = view[fed : fed + _FEED]
                fed += len(pending)
            size += len(inflater.decompress(pending, _CHUNK))
            if size > max_json:
                raise Refused("413 Content Too Large", "decompressed body over the cap")
            pending = inflater.unconsumed_tail
    except zlib.error as exc:
        raise Refused("400 Bad Request", f"not valid gzip: {exc}") from None
    if not inflater.eof:
        raise Refused("400 Bad Request", "gzip stream is truncated")
    return fed - len(inflater.unused_data), size


def parse_json(data: bytes) -> Any:
    """``data`` parsed as strict JSON (RFC 8259), else a 400 `Refused`.

    Python's parser is lenient where the files we write must not be (``NaN``, ``1e999``,
    nesting past the recursion limit, the escape of a lone surrogate): `strict_loads`
    refuses each as orjson does, so every file written is JSON any reader takes. A key
    given twice in one object is refused too: the parser keeps the last one, and the
    first value (a second ``"tasks"`` list, a second ``"id"``) vanished behind a 200 the
    vendor never delivers again.
    """
    try:
        return strict_loads(data, object_pairs_hook=_unique_keys)
    except ValueError as exc:  # not JSON, not UTF-8, not strict, too deep, half a character
        raise Refused("400 Bad Request", f"not JSON: {str(exc)[:80]}") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """One object's pairs as a dict, or a `ValueError` naming a key given twice."""
    built = dict(pairs)
    if len(built) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {key[:40]!r} is given twice in one object")
            seen.add(key)
    return built
