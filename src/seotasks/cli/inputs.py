"""A command's input (a file, a FIFO, ``<(...)``, stdin), read so a signal is heard.

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
from collections.abc import Iterator

__all__ = ["read_lines"]

#: Seconds between two looks at pending signals while the input has no data yet.
_WAKE = 0.2
_CHUNK = 1 << 20


def read_lines(path: str, longest: int) -> Iterator[bytes]:
    """The lines of ``path`` (``-``: standard input) as they come, without their ``\n``;
    `OSError` as `open`/`read` raise it (a closed standard input is ``EBADF``), and
    `ValueError` for a line over ``longest`` bytes, as soon as it is.

    Lines, not the whole input: a path that is no such file (``/dev/urandom``, a log of
    gigabytes) was read to its end before its first line was looked at, the memory
    growing until the machine ran out; now its first bad line ends the reading.
    """
    if path != "-":
        fd = os.open(path, os.O_RDONLY)
        try:
            yield from _lines(fd, longest)
        finally:
            os.close(fd)
        return
    if sys.stdin is None:  # started with ``<&-``
        raise OSError(9, "standard input is closed")
    yield from _lines(sys.stdin.fileno(), longest)


def _lines(fd: int, longest: int) -> Iterator[bytes]:
    pending = b""
    for chunk in _chunks(fd):
        *whole, pending = (pending + chunk).split(b"\n")
        for line in whole:  # a long line ended in this chunk: up to a chunk over the limit
            _within(line, longest)
            yield line
        _within(pending, longest)
    if pending:
        yield pending


def _within(line: bytes, longest: int) -> None:
    if len(line) > longest:
        raise ValueError(f"a line longer than {longest:,} bytes")


def _chunks(fd: int) -> Iterator[bytes]:
    waiting = select.poll()
    waiting.register(fd, select.POLLIN)
    while True:
        if not waiting.poll(_WAKE * 1000):
            continue  # back in the interpreter: a pending signal's handler runs now
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            return
        yield chunk
