"""A server whose framing lies about the body's size: the transport reads a body a chunk
at a time, so a stated length of 100 GB (or a chunk of 1 TB) that never arrives is a
`TransientError` like any cut-off answer, never a `MemoryError` from a buffer of the
stated size asked for before a byte came."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest
from loopback import answering

from seotasks import ResponseFormatError, TransientError, response_body
from seotasks.redact import Redactor
from seotasks.transport import Request, RetryPolicy, Timeouts, Transport

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
LYING = {
    "length": HEAD + b"Content-Length: 99999999999\r\n\r\n{}",
    "chunk": HEAD + b"Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFF\r\n{}",
}


@pytest.fixture
def lying_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, list[bytes]]]:
    """A loopback server answering each connection with ``LYING[param]`` then closing
    it; the URL, and the requests it answered."""
    with answering(LYING[request.param]) as served:
        yield served


@pytest.mark.parametrize("lying_server", sorted(LYING), indirect=True)
def test_a_stated_size_that_never_arrives_is_transient_and_retried(
    lying_server: tuple[str, list[bytes]],
) -> None:
    url, answered = lying_server
    transport = Transport(redactor=Redactor(), retry=RetryPolicy(attempts=2, base=0.001))
    request = Request(method="GET", url=url + "/page", endpoint="page")
    with pytest.raises(TransientError) as info:
        transport.call(request, lambda response: response.json())
    assert "/page" in str(info.value)
    assert len(answered) == 2  # retried, as a cut-off answer is
    transport.close()


def test_a_body_past_the_in_memory_cap_is_refused_not_held(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A listing or account answer is held in memory: a server sending 4 GB took 11 GB
    before failing. Past `IN_MEMORY_MAX` (made 1 MiB here, with 8 MiB sent) the call ends
    with a `ResponseFormatError`, not retried, the connection dropped."""
    monkeypatch.setattr(response_body, "IN_MEMORY_MAX", 1 << 20)
    size = 8 << 20
    answered: list[int] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                with conn:
                    conn.recv(65536)
                    answered.append(1)
                    conn.sendall(HEAD + f"Content-Length: {size}\r\n\r\n".encode())
                    conn.sendall(b" " * size)  # the client hangs up part-way: OSError

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    transport = Transport(redactor=Redactor(), retry=RetryPolicy(attempts=3, base=0.001))
    try:
        with pytest.raises(ResponseFormatError) as info:
            transport.call(
                Request(method="GET", url=url + "/page", endpoint="page"), lambda r: r.body
            )
    finally:
        transport.close()
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(10)
    assert "larger than the 1,048,576-byte cap on one answer held in memory" in str(info.value)
    assert len(answered) == 1  # not retried: it would come the same way again


def test_a_body_dripping_past_the_answer_bound_is_transient() -> None:
    """A server sending a byte every tenth of a second is never late for a read, and held
    ``seotasks check`` past twelve minutes: `Timeouts.answer` bounds the whole body."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    stop = threading.Event()

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(HEAD + b"Content-Length: 1000\r\n\r\n")
                while not stop.wait(0.1):
                    conn.sendall(b" ")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    transport = Transport(
        redactor=Redactor(),
        retry=RetryPolicy(attempts=1),
        timeouts=Timeouts(connect=5, read=5, answer=0.5),
    )
    try:
        with pytest.raises(TransientError, match=r"took more than 0\.5 s to arrive"):
            transport.call(
                Request(method="GET", url=url + "/page", endpoint="page"), lambda r: r.body
            )
    finally:
        stop.set()
        transport.close()
        listener.close()
        thread.join(10)
