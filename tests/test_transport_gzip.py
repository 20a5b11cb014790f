"""Compressed answers: the transport asks for gzip (DataForSEO's official clients do, and
its results are large, repetitive JSON), reads a gzip answer as the JSON it stands for,
and counts the caps on the *decoded* bytes, so a small compressed body that inflates to
gigabytes (a "zip bomb") is refused after the cap, never inflated whole into memory,
whichever urllib3 is installed (`seotasks.inflate` does the inflating, not urllib3: one
before 2.6 inflates a whole body in one read, and the vendor's client pins such one)."""

from __future__ import annotations

import gzip
import json
import tempfile
import tracemalloc
import zlib

import pytest
from loopback import answering

from seotasks import ResponseFormatError, TransientError, inflate, response_body
from seotasks.redact import Redactor
from seotasks.transport import Request, RetryPolicy, Transport


def _answer(body: bytes, coding: str, *, status: str = "200 OK", length: bool = True) -> bytes:
    """An answer with ``body`` in ``coding``, the connection closed after it (as the
    loopback server does: said, so that no client sends it a second request)."""
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Encoding: {coding}\r\n"
    framing = f"Content-Length: {len(body)}\r\n" if length else ""
    return (head + framing + "Connection: close\r\n\r\n").encode() + body


def _transport(attempts: int = 1) -> Transport:
    return Transport(redactor=Redactor(), retry=RetryPolicy(attempts=attempts, base=0.001))


def _json(url: str, attempts: int = 1) -> object:
    """``GET url/page`` through a transport of ``attempts``, read as JSON."""
    transport = _transport(attempts)
    try:
        request = Request(method="GET", url=url + "/page", endpoint="page")
        return transport.call(request, lambda response: response.json())
    finally:
        transport.close()


def _bomb(decoded: int) -> bytes:
    """``decoded`` bytes of spaces as a gzip stream about a thousandth of that size."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b" " * (1 << 20)
    parts = [packer.compress(block) for _ in range(decoded >> 20)]
    return b"".join([*parts, packer.flush()])


def test_the_transport_asks_for_gzip_and_reads_it_as_json() -> None:
    page = {"tasks": [{"id": f"task-{n}", "result": ["x" * 50] * 20} for n in range(200)]}
    text = json.dumps(page).encode()
    packed = gzip.compress(text)
    assert len(packed) * 10 < len(text)  # what asking for it saves on the wire
    with answering(_answer(packed, "gzip")) as (url, heads):
        transport = _transport()
        request = Request(method="GET", url=url + "/page", endpoint="page")
        assert transport.call(request, lambda response: response.json()) == page
        with tempfile.TemporaryFile() as sink:  # a result streamed to its file
            transport.download(request, sink, lambda response: None, max_bytes=len(text))
            sink.seek(0)
            assert sink.read() == text
        transport.close()
    asked = [h.lower().split(b"\r\naccept-encoding: ", 1)[1].split(b"\r\n")[0] for h in heads]
    assert asked == [b"gzip", b"gzip"]


@pytest.mark.parametrize("where", ["memory", "file"])
def test_a_gzip_bomb_is_refused_at_the_cap_of_decoded_bytes(
    where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """256 MiB of JSON whitespace in a 256 KiB gzip body, against a 4 MiB cap: refused,
    and the memory the read took stays near the cap, far from what the body inflates to."""
    cap = 4 << 20
    monkeypatch.setattr(response_body, "IN_MEMORY_MAX", cap)
    bomb = _bomb(256 << 20)
    assert len(bomb) < 1 << 20
    with answering(_answer(bomb, "gzip")) as (url, _):
        transport = _transport()
        request = Request(method="GET", url=url + "/bomb", endpoint="bomb")
        tracemalloc.start()
        try:
            with pytest.raises(ResponseFormatError, match="larger than the 4,194,304-byte cap"):
                if where == "memory":
                    transport.call(request, lambda response: response.json())
                else:
                    with tempfile.TemporaryFile() as sink:
                        transport.download(request, sink, lambda response: None, max_bytes=cap)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        transport.close()
    assert peak < 4 * cap, f"{peak:,} bytes held to refuse a {cap:,}-byte cap"


def test_gzip_members_one_after_another_read_as_one_body() -> None:
    """RFC 1952 allows several members in one stream (a server flushing as it goes)."""
    body = gzip.compress(b'{"tasks": [1,') + gzip.compress(b" 2]}")
    with answering(_answer(body, "gzip")) as (url, _):
        assert _json(url) == {"tasks": [1, 2]}


def test_a_coding_not_asked_for_is_refused_by_name() -> None:
    with (
        answering(_answer(b"\x8b\x00brotli", "br")) as (url, heads),
        pytest.raises(ResponseFormatError, match=r"Content-Encoding 'br'; seotasks asks for"),
    ):
        _json(url)
    assert len(heads) == 1  # not retried: it would come the same way


def test_a_gzip_stream_cut_off_is_transient_and_retried() -> None:
    """A server that closes the connection inside the stream, with no length to say so:
    the stream's own end is missing, as a short body's last bytes are."""
    whole = gzip.compress(json.dumps({"tasks": list(range(5000))}).encode())
    with (
        answering(_answer(whole[: len(whole) // 2], "gzip", length=False)) as (url, heads),
        pytest.raises(TransientError, match=r"was cut off inside its gzip stream"),
    ):
        _json(url, attempts=2)
    assert len(heads) == 2


def test_a_body_that_is_no_gzip_stream_is_a_format_error() -> None:
    with (
        answering(_answer(b'{"tasks": []}', "gzip")) as (url, _),
        pytest.raises(ResponseFormatError, match=r"is not the gzip stream it says it is"),
    ):
        _json(url)


@pytest.mark.parametrize(
    "page",
    [
        _answer(b"\x8b\x00brotli page", "br", status="503 Service Unavailable"),  # not asked for
        _answer(b"<html>oops</html>", "gzip", status="500 Internal Server Error"),  # no gzip at all
        _answer(gzip.compress(b"<html>down</html>")[:12], "gzip", status="502 Bad Gateway"),  # cut
        _answer(_bomb(64 << 20), "gzip", status="429 Too Many Requests"),  # a bomb for a page
    ],
)
def test_an_error_pages_coding_never_hides_its_status(page: bytes) -> None:
    """A 5xx or a 429 is retried whatever its body: a page whose coding did not read was a
    `ResponseFormatError`, not retried (one CDN page failed a whole run), and a bomb for
    an error page was inflated up to the 256 MiB cap."""
    good = _answer(gzip.compress(b'{"tasks": []}'), "gzip")
    with answering(page, good) as (url, heads):
        transport = Transport(redactor=Redactor(), retry=RetryPolicy(attempts=2, base=0.001))
        request = Request(method="GET", url=url + "/page", endpoint="page")
        tracemalloc.start()
        try:
            assert transport.call(request, lambda response: response.json()) == {"tasks": []}
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        transport.close()
    assert len(heads) == 2 and peak < 8 << 20


@pytest.mark.parametrize(
    ("coding", "tail"),
    [
        ("gzip", b"\n"),
        ("gzip", b"\x00" * 16),
        ("gzip, identity", b""),
        ("identity, GZIP", b""),
        ("gzip", b"\r\n<!-- served by a proxy -->"),
        ("gzip", b"\x1f"),
    ],
)
def test_what_gzip_itself_reads_is_read(coding: str, tail: bytes) -> None:
    """A newline or zero padding after the last member (gzip(1) ignores them) was taken
    for a cut stream and retried, each retry another consuming read; a coding list
    naming gzip and identity was refused. Bytes after the last member that start no
    member are what gzip(1) calls trailing garbage and ignores: refused, they lost the
    answer to a consuming ``task_get`` whose whole JSON had come."""
    body = gzip.compress(b'{"tasks": [7]}') + tail
    with answering(_answer(body, coding)) as (url, heads):
        assert _json(url) == {"tasks": [7]}
    assert len(heads) == 1


def test_members_are_read_across_pieces_and_trailing_bytes_are_bounded() -> None:
    """A member's two magic bytes split between two pieces still start a member; past
    64 KiB in a row that inflate to nothing (trailing bytes, padding, empty members), the
    answer is refused, not read on for as long as a server sends them."""
    first, second = gzip.compress(b'{"a": '), gzip.compress(b"1}")
    split = [first + second[:1], second[1:]]
    assert b"".join(inflate.decoded(split, "gzip", "u")) == b'{"a": 1}'
    said = r"goes on for more than 65,536 bytes that inflate to nothing"
    for endless in (
        [first, b"<html>" * 5000, b"<html>" * 10_000],  # trailing bytes
        [first, *[b"\x00" * 8192] * 9],  # padding: it was read for as long as it came
        [first, *[gzip.compress(b"")] * 4000],  # empty members, as long
    ):
        with pytest.raises(ResponseFormatError, match=said):
            b"".join(inflate.decoded(endless, "gzip", "u"))
