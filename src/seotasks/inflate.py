"""An answer's gzip coding undone here, one bounded piece at a time.

Every request asks for gzip (`seotasks.transport`): DataForSEO's results are large,
repetitive JSON, 4.3 times smaller compressed (the sandbox's, at level 1). Undoing it is
left to no library: an urllib3 before 2.6 inflates a whole small body that expands to
gigabytes in one read, and the vendor's own client pins urllib3 below 2.2.3, so a user
migrating with both installed would get that one. Here each compressed piece is inflated
at most `PIECE` bytes at a time, so `read_body`'s caps count decoded bytes and stop a
"zip bomb" at the cap.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

from .errors import ResponseFormatError, TransientError

__all__ = ["PIECE", "decoded"]

#: The most bytes one step of inflating gives.
PIECE = 1 << 16
#: What ``Content-Encoding`` may say: nothing (identity), or the gzip that was asked for.
_GZIP = frozenset({"gzip", "x-gzip"})
#: zlib's window bits for a gzip header and trailer.
_WBITS = 16 + zlib.MAX_WBITS
#: The most bytes read in a row that inflate to nothing (padding, empty members, what
#: follows the last member): a gzip stream's header and trailer take a few dozen.
_IDLE_MOST = 1 << 16
#: How a gzip member begins (RFC 1952).
_MAGIC = b"\x1f\x8b"
#: What may follow the last member: gzip(1) ignores trailing zeros; a newline is common.
_PADDING = b"\x00\r\n\t "


def decoded(pieces: Iterable[bytes], coding: str, url: str) -> Iterator[bytes]:
    """``pieces`` of a body sent with ``Content-Encoding`` ``coding``, decoded, each at
    most `PIECE` bytes when inflated. A coding that was not asked for is a
    `ResponseFormatError` (the body could not be read: another try brings the same), a
    gzip stream that is not one too, and one that ends before its end a `TransientError`
    (cut off on the way, as a short body is).

    Bytes after the last member that start no member are ignored, as gzip(1) and the
    receiver's `gunzip` ignore them: the JSON came whole, and refusing it would lose a
    consuming ``task_get``'s answer for a proxy's trailing newline or banner. They are
    read to the end all the same (the connection is then whole for the pool). At most
    64 KiB in a row may inflate to nothing (padding, empty members, those bytes): more
    is a `ResponseFormatError`, not a read that a server can make last for ever."""
    codings = [c.strip().lower() for c in coding.split(",")]
    applied = [c for c in codings if c not in ("", "identity")]
    if not applied:
        yield from pieces
        return
    if len(applied) != 1 or applied[0] not in _GZIP:
        raise ResponseFormatError(
            f"the answer from {url} came with Content-Encoding {coding[:40]!r}; seotasks asks "
            "for gzip and reads nothing else"
        )
    inflater: zlib._Decompress | None = zlib.decompressobj(_WBITS)
    fed = False
    between = b""  # what came after a member's end, while it is too short to tell
    trailing = False  # bytes after the last member that start no member: read, not used
    idle = 0  # bytes read since the last that inflated to anything
    for piece in pieces:
        fed = fed or bool(piece)
        idle += len(piece)
        data = b"" if trailing else piece  # read to the end: the connection is whole
        while data:
            if inflater is None:  # between members: the next one, or what follows the last
                data = (between + data).lstrip(_PADDING)
                between = data[:1] if len(data) < len(_MAGIC) else b""
                if not data or between:
                    break
                if data[: len(_MAGIC)] != _MAGIC:  # no member: ignored, as gzip(1) does
                    trailing = True
                    break
                inflater = zlib.decompressobj(_WBITS)
            try:
                out = inflater.decompress(data, PIECE)
            except zlib.error as exc:
                raise ResponseFormatError(
                    f"the answer from {url} is not the gzip stream it says it is ({exc})"
                ) from None
            if out:
                idle = 0
                yield out
            if inflater.eof:  # a member ends; another may follow (RFC 1952 allows several)
                data, inflater = inflater.unused_data, None
            else:
                data = inflater.unconsumed_tail
        if idle > _IDLE_MOST:
            # Padding, empty members or trailing bytes that go on: no answer needs them,
            # and without a bound a server sending them for ever held the call for ever.
            raise ResponseFormatError(
                f"the answer from {url} goes on for more than {_IDLE_MOST:,} bytes that "
                "inflate to nothing"
            )
    if fed and inflater is not None and not inflater.eof:
        raise TransientError(f"the answer from {url} was cut off inside its gzip stream")
