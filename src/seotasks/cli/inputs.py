"""A command's whole input (a file, a FIFO, ``<(...)``, stdin), read so a signal is heard.

A blocking ``read()`` that starts just after a signal arrived is not cut short by it:
CPython runs the Python handler only once the read returns, which for a pipe whose
writer waits may be never. ``seotasks submit specs.fifo`` stopped by SIGTERM at that
instant hung until the writer closed (4 of 80 tries). So the read waits for data with a
timeout (`select.poll`) and goes back to the interpreter between waits: a pending
handler runs within ``_WAKE`` seconds (and stops the command as it should).
"""

from __future__ import annotations

import os
import select
import sys

__all__ = ["read_whole"]

#: Seconds between two looks at pending signals while the input has no data yet.
_WAKE = 0.2
_CHUNK = 1 << 20


def read_whole(path: str) -> bytes:
    """The bytes of ``path`` (``-``: standard input) to their end; `OSError` as
    `open`/`read` raise it (a closed standard input is ``EBADF``)."""
    if path != "-":
        fd = os.open(path, os.O_RDONLY)
        try:
            return _read_fd(fd)
        finally:
            os.close(fd)
    if sys.stdin is None:  # started with ``<&-``
        raise OSError(9, "standard input is closed")
    return _read_fd(sys.stdin.fileno())


def _read_fd(fd: int) -> bytes:
    waiting = select.poll()
    waiting.register(fd, select.POLLIN)
    chunks: list[bytes] = []
    while True:
        if not waiting.poll(_WAKE * 1000):
            continue  # back in the interpreter: a pending signal's handler runs now
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
