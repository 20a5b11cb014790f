"""stdout as a regular file, cut back to a checkpoint when a write fails.

``seotasks tasks --resume FILE > out.jsonl`` saves, every so many lines, which tasks its
output holds. A full disk (or a file-size limit) stops the run in the middle of a batch
of lines, some of them out, the last one cut short, none of them recorded: the resumed
run printed them again, hundreds of tasks twice. So the output's length is noted at
each save (`file_end`), and when the run cannot settle, the file is cut back to the
last one (`cut_back`): it then holds exactly the tasks the resume file says, and whole
lines only; the resumed run appends the rest, each task once. Only a regular file can
be cut; a pipe or a device is left as it is.
"""

from __future__ import annotations

import fcntl
import os
import stat
from typing import TextIO

from .pipes import silence_stdout

__all__ = ["cut_back", "file_end"]


def file_end(stream: TextIO) -> int | None:
    """Where the next write to ``stream`` lands, once what it buffers is written: the
    length of the file it appends to (``>>``; the descriptor's position is the file's
    end only after a first write) or its position (``>``). None where ``stream`` is no
    regular file, or cannot be asked."""
    try:
        stream.flush()
        fd = stream.fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND:
            return os.fstat(fd).st_size
        return os.lseek(fd, 0, os.SEEK_CUR)
    except (OSError, ValueError):
        return None


def cut_back(stream: TextIO, end: int) -> None:
    """Cut the file ``stream`` writes to back to ``end`` bytes, then point the stream at
    /dev/null: what it still buffers (the lines that failed) would otherwise be written
    when it is freed, past the cut. Nothing is done where the file cannot be cut."""
    try:
        os.ftruncate(stream.fileno(), end)
    except (OSError, ValueError):
        return
    silence_stdout(stream)
