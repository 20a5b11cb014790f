"""Whether the reader of a pipe took what was written to it.

A write into a pipe succeeds as soon as the bytes are in the kernel's pipe buffer (64 KiB
on Linux): a reader that then quits (``| head -1``) drops them, and the writer never
sees an error. ``seotasks collect`` without ``--to`` prints results that the vendor will
not give out again, so before it acknowledges them it asks the kernel: is the reader
still there, and has it read everything (``FIONREAD`` on the write end counts the bytes
still in the pipe)? Files, terminals and sockets cannot be asked; they count as taken.
"""

from __future__ import annotations

import fcntl
import io
import os
import select
import stat
import struct
import termios
import time
from typing import Literal, TextIO

__all__ = [
    "SETTLE_WAIT",
    "PipeState",
    "is_pipe",
    "pipe_state",
    "wait_until_read",
    "whole_writes",
]

PipeState = Literal["taken", "pending", "gone"]

#: Seconds between looks while waiting for a reader to empty the pipe.
_POLL = 0.05
#: Seconds the end of a run into stdout waits for its reader to read the last lines.
SETTLE_WAIT = 10.0


def is_pipe(stream: TextIO) -> bool:
    """Whether ``stream`` writes into a pipe, whose reader may drop what it was sent."""
    try:
        return stat.S_ISFIFO(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError):
        return False


def pipe_state(stream: TextIO) -> PipeState:
    """``gone`` (the reader closed its end), ``pending`` (bytes still unread) or ``taken``."""
    try:
        if not is_pipe(stream):
            return "taken"
        fd = stream.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        for _, events in poller.poll(0):
            if events & (select.POLLERR | select.POLLHUP):
                return "gone"
        unread = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except (OSError, ValueError):
        return "gone"
    return "pending" if unread else "taken"


def wait_until_read(stream: TextIO, timeout: float) -> PipeState:
    """`pipe_state`, waiting up to ``timeout`` seconds for a ``pending`` pipe to empty."""
    end = time.monotonic() + timeout
    state = pipe_state(stream)
    while state == "pending" and time.monotonic() < end:
        time.sleep(_POLL)
        state = pipe_state(stream)
    return state


def whole_writes(stream: TextIO) -> TextIO:
    """``stream``, or a stream on its descriptor that writes every byte it is given.

    Under ``python -u`` or ``PYTHONUNBUFFERED=1`` (set in many container images) the text
    layer hands each write to the unbuffered file, one ``write(2)``, and ignores how many
    bytes the kernel took. A signal that lands while such a write waits on a full pipe
    (SIGTERM from a supervisor, or SIGINT to seotasks alone, while the reader reads on)
    ends the write after the bytes already in the pipe, and the rest of those lines is
    dropped without an error, though the run counts them as written: a resumed listing
    then never writes them, a collected result is gone. A buffered writer on the same
    descriptor writes until every byte is out (running the signal handlers in between);
    line buffering sends each write on at once, as unbuffered output would. The
    descriptor stays open when the new stream is collected (``closefd=False``).
    """
    raw = getattr(stream, "buffer", None)
    if not isinstance(stream, io.TextIOWrapper) or not isinstance(raw, io.FileIO):
        return stream
    return io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(raw.fileno(), "w", closefd=False)),
        encoding=stream.encoding,
        errors=stream.errors,
        line_buffering=True,
    )
