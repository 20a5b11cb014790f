"""What the vendor's HTTP layer does around its envelope, as its docs and clients show it.

`VendorHttp` stands between the loopback server and `DataForSEOApp`, which then sees one
spelling of each request:

- the auth scheme in any case and after any run of spaces (``basic``, ``BASIC``: RFC
  9110, 11.1 makes the scheme case-insensitive);
- a body sent gzip-compressed (``Content-Encoding: gzip``, "Data encoding" in the docs'
  introduction) is read inflated; a plain body under that header is read as it is,
  since the vendor's own Python ``RestClient`` labels every body so;
- an answer is gzip-compressed for a client that accepts it (``Accept-Encoding``), as
  the docs say the vendor's answers are.
"""

from __future__ import annotations

import gzip
import zlib

import attrs

from seotasks.emulation import EmulatorApp, Fault, HttpRequest, HttpResponse

__all__ = ["VendorHttp", "accepts_gzip"]

#: The most an inflated request body may hold (a bomb is read as the bytes it came as,
#: and refused as no JSON).
_MAX_INFLATED = 64 << 20


@attrs.define(eq=False)
class VendorHttp:
    """`app` (an `EmulatorApp`) behind the vendor's HTTP conventions (the module's list)."""

    app: EmulatorApp

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        headers = dict(request.headers)
        scheme, _, credentials = headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() == "basic":
            headers["authorization"] = f"Basic {credentials.strip()}"
        body = request.body
        if "gzip" in headers.get("content-encoding", "").lower() and body[:2] == b"\x1f\x8b":
            body = _inflated(body)
        response = self.app.handle(attrs.evolve(request, headers=headers, body=body), fault)
        if not response.body or not accepts_gzip(headers.get("accept-encoding", "")):
            return response
        # Level 1, nginx's default: the same coding, a third of level 6's time.
        packed = gzip.compress(response.body, compresslevel=1, mtime=0)
        return attrs.evolve(
            response,
            body=packed,
            headers={**response.headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )


def accepts_gzip(header: str) -> bool:
    """Whether an ``Accept-Encoding`` value takes gzip: named (or ``*``) without ``q=0``."""
    for part in header.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "x-gzip", "*"):
            weight = params.strip().removeprefix("q=")
            try:
                return not params.strip().startswith("q=") or float(weight) > 0
            except ValueError:
                return False
    return False


def _inflated(body: bytes) -> bytes:
    """``body`` gunzipped, or as it came when it is no whole gzip stream within the cap."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, _MAX_INFLATED + 1)
    except zlib.error:
        return body
    if len(data) > _MAX_INFLATED or not inflater.eof:
        return body
    return data
