"""An answer's gzip coding undone here, one bounded piece at a time.

Every request asks for gzip (`seotasks.transport`): DataForSEO's results are large,
repetitive JSON, a tenth of the size compressed. Undoing it is left to no library: an
urllib3 before 2.6 inflates a whole small body that expands to gigabytes in one read, and
the vendor's own client pins urllib3 below 2.2.3, so a user migrating with both installed
would get that one. Here each compressed piece is inflated at most `PIECE` bytes at a
time, so `read_body`'s caps count decoded bytes and stop a "zip bomb" at the cap.
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


def decoded(pieces: Iterable[bytes], coding: str, url: str) -> Iterator[bytes]:
    """``pieces`` of a body sent with ``Content-Encoding`` ``coding``, decoded, each at
    most `PIECE` bytes when inflated. A coding that was not asked for is a
    `ResponseFormatError` (the body could not be read: another try brings the same), a
    gzip stream that is not one too, and one that ends before its end a `TransientError`
    (cut off on the way, as a short body is)."""
    coding = coding.strip().lower()
    if coding in ("", "identity"):
        yield from pieces
        return
    if coding not in _GZIP:
        raise ResponseFormatError(
            f"the answer from {url} came with Content-Encoding {coding[:40]!r}; seotasks asks "
            "for gzip and reads nothing else"
        )
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    fed = False
    for piece in pieces:
        fed = fed or bool(piece)
        data = piece
        while data:
            try:
                out = inflater.decompress(data, PIECE)
            except zlib.error as exc:
                raise ResponseFormatError(
                    f"the answer from {url} is not the gzip stream it says it is ({exc})"
                ) from None
            if out:
                yield out
            if inflater.eof:  # a member ends; another may follow (RFC 1952 allows several)
                data = inflater.unused_data
                if data:
                    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            else:
                data = inflater.unconsumed_tail
    if fed and not inflater.eof:
        raise TransientError(f"the answer from {url} was cut off inside its gzip stream")
