"""A raw loopback HTTP server for the transport's tests: it answers each connection with
bytes the test wrote itself (a lying length, a gzip bomb, an error page in a coding
nobody asked for), which no well-behaved server library would send."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

__all__ = ["answering", "read_head"]


@contextlib.contextmanager
def answering(*answers: bytes) -> Iterator[tuple[str, list[bytes]]]:
    """A server answering its connections with ``answers`` in turn (the last for every
    one after), each connection closed after its answer; its URL and the request heads
    it read, one a connection."""
    heads: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                heads.append(read_head(conn))
                with contextlib.suppress(OSError):  # the client may hang up mid-answer
                    conn.sendall(answers[min(len(heads), len(answers)) - 1])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", heads
    finally:
        listener.shutdown(socket.SHUT_RDWR)  # wakes the accept
        listener.close()
        thread.join(10)


def read_head(conn: socket.socket) -> bytes:
    """What ``conn`` sends up to the end of an HTTP head (a request's, or an answer's),
    or until it closes."""
    head = b""
    while b"\r\n\r\n" not in head:
        piece = conn.recv(65536)
        if not piece:
            break
        head += piece
    return head
