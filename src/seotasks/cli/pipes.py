"""Whether the reader of a pipe took what was written to it.

A write into a pipe succeeds as soon as the bytes are in the kernel's pipe buffer (64 KiB
on Linux): a reader that then quits (``| head -1``) drops them, and the writer never
sees an error. ``seotasks collect`` without ``--to`` prints results that the vendor will
not give out again, so before it acknowledges them it asks the kernel: is the reader
still there, and has it read everything (``FIONREAD`` on the write end counts the bytes
still in the pipe)? Files, terminals and sockets cannot be asked; they count as taken.
"""

from __future__ import annotations

import collections
import errno
import fcntl
import io
import os
import select
import stat
import struct
import termios
import threading
import time
from typing import Any, Generic, Literal, TextIO, TypeVar

from ..errors import StorageError

__all__ = [
    "APPEND_HINT",
    "SETTLE_WAIT",
    "STALL_WAIT",
    "STOP_WAIT",
    "PipeState",
    "ReadLedger",
    "cut_back",
    "file_end",
    "full_stdout",
    "is_pipe",
    "open_stderr",
    "overwritten_file",
    "pipe_state",
    "pipe_unread",
    "refuse_closed_stdout",
    "silence_stdout",
    "start_on_a_new_line",
    "stdout_refusal",
    "wait_until_read",
    "whole_writes",
]

PipeState = Literal["taken", "pending", "gone"]
T = TypeVar("T")

#: Seconds between looks while waiting for a reader to empty the pipe.
_POLL = 0.05
#: Seconds the end of a run into stdout waits for its reader to read the last lines.
SETTLE_WAIT = 10.0
#: Seconds a stopping run waits for a reader that reads nothing of a full pipe, and for
#: one that reads too slowly to make room for the lines still to print.
STALL_WAIT = 2.0
STOP_WAIT = 5.0


def is_pipe(stream: TextIO) -> bool:
    """Whether ``stream`` writes into a pipe, whose reader may drop what it was sent."""
    try:
        return stat.S_ISFIFO(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError):
        return False


def pipe_state(stream: TextIO) -> PipeState:
    """``gone`` (the reader closed its end), ``pending`` (bytes still unread) or ``taken``."""
    unread = pipe_unread(stream)
    if unread is None:
        return "gone"
    return "pending" if unread else "taken"


def pipe_unread(stream: TextIO) -> int | None:
    """The bytes written into ``stream``'s pipe that its reader has not read (the last
    ones written: a pipe is first in, first out), or None when the reader closed its
    end; 0 for what is no pipe."""
    try:
        if not is_pipe(stream):
            return 0
        fd = stream.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        for _, events in poller.poll(0):
            if events & (select.POLLERR | select.POLLHUP):
                return None
        unread: int = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except (OSError, ValueError):
        return None
    return unread


def wait_until_read(stream: TextIO, timeout: float) -> PipeState:
    """`pipe_state`, waiting up to ``timeout`` seconds for a ``pending`` pipe to empty."""
    end = time.monotonic() + timeout
    state = pipe_state(stream)
    while state == "pending" and time.monotonic() < end:
        time.sleep(_POLL)
        state = pipe_state(stream)
    return state


class ReadLedger(Generic[T]):
    """The bytes written into ``stream``, and items marked among them, each read once its
    reader has read every byte written before it was marked.

    Into a pipe, a written line is not yet a delivered one: the kernel holds up to 64 KiB
    that a reader which quits drops without a word to the writer. The bytes still in the
    pipe are the last ones written (first in, first out), so from their count (`pipe_unread`)
    `take_read` tells which items the reader has read. ``receive`` marks the forgetting of
    a line owed (an action run once read), ``submit`` the lines themselves (those left
    unread when the reader goes are written again, to stderr). Into anything else every
    byte counts as read as it is written, and nothing is kept.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.piped = is_pipe(stream)
        self._lock = threading.Lock()
        self._written = 0
        self._marked: collections.deque[tuple[int, T]] = collections.deque()

    def write(self, text: str) -> None:
        """Write and flush ``text``, counting its bytes (under the lock `take_read` holds, so
        the count and the pipe's unread bytes are read at one instant)."""
        with self._lock:
            self.stream.write(text)
            self.stream.flush()
            self._written += len(text.encode(self.stream.encoding or "utf-8", "replace"))

    def wait_for_room(
        self,
        text: str,
        stop: threading.Event,
        stall: float = STALL_WAIT,
        patience: float = STOP_WAIT,
    ) -> bool:
        """Wait until the pipe has room for ``text``, so that writing it cannot block;
        False (write nothing) when ``stop`` is set and the reader has read nothing for
        ``stall`` seconds, or read too little to make room ``patience`` seconds after
        the stop was seen (a reader trickling a few bytes a second held a stop for
        minutes). True at once into anything but a pipe, or when the reader has gone
        (the write then fails as it should).

        A write blocks while the pipe is full, and only the thread making it can end the
        wait: a line written from a worker thread (``receive``'s requests) held the stop
        of the whole command for as long as the reader read nothing. Until the stop the
        wait is the pipe's own back-pressure; after it, a reader still reading is waited
        for, a stalled one is not. The room is counted in whole pages, as the kernel
        fills a pipe: the page being read and the one being written may each be partly
        used. A line larger than the pipe waits for it to be empty, and may still wait
        for the reader after that.
        """
        if not self.piped:
            return True
        size = len(text.encode(self.stream.encoding or "utf-8", "replace"))
        capacity = _capacity(self.stream)
        needed = min(size + 2 * _PAGE, capacity)
        least: int | None = None  # the fewest unread bytes seen since the stop
        since = 0.0
        stopped: float | None = None  # when this wait first saw the stop
        while True:
            unread = pipe_unread(self.stream)
            if unread is None or capacity - unread >= needed:
                return True
            if not stop.is_set():
                stop.wait(_POLL)
                continue
            now = time.monotonic()
            stopped = now if stopped is None else stopped
            if now - stopped >= patience:
                return False
            if least is None or unread < least:  # the reader read: wait on
                least, since = unread, now
            elif now - since >= stall:
                return False
            time.sleep(_POLL)

    def mark(self, item: T) -> bool:
        """Keep ``item`` until the bytes written so far are read; False (nothing kept) when
        the stream is no pipe: what is written there is read."""
        if not self.piped:
            return False
        with self._lock:
            self._marked.append((self._written, item))
        return True

    def take_read(self, wait: float = 0.0) -> list[T] | None:
        """The items now read, forgotten (waiting up to ``wait`` seconds for the reader to
        read everything); None when the reader has gone, the items kept."""
        if not self.piped:
            return []
        if wait:
            wait_until_read(self.stream, wait)
        read: list[T] = []
        with self._lock:
            unread = pipe_unread(self.stream)
            if unread is None:
                return None
            upto = self._written - unread
            while self._marked and self._marked[0][0] <= upto:
                read.append(self._marked.popleft()[1])
        return read

    @property
    def kept(self) -> int:
        """How many items are kept, not yet seen read."""
        return len(self._marked)

    def take_unread(self) -> list[T]:
        """Every item still kept, forgotten: what a reader that went may not have read."""
        with self._lock:
            items = [item for _, item in self._marked]
            self._marked.clear()
        return items


#: The unit a pipe is filled in (Linux: a page a slot), and the size of a pipe whose own
#: cannot be asked (``F_GETPIPE_SZ`` is Linux's; macOS pipes start at 16 KiB).
_PAGE = 4096
_SMALL_PIPE = 16384


def _capacity(stream: TextIO) -> int:
    """The bytes ``stream``'s pipe holds."""
    try:
        return int(fcntl.fcntl(stream.fileno(), fcntl.F_GETPIPE_SZ))
    except (AttributeError, OSError, ValueError):
        return _SMALL_PIPE


def full_stdout(exc: ValueError | OSError) -> str | None:
    """Why a write to stdout failed when stdout cannot take more (a full disk, a file-size
    limit, an I/O error), or None when its reader left (a closed pipe or socket, a closed
    stream). The first is a storage failure, the second the end of the reader's interest
    (``| head``), which a run takes calmly."""
    if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError | ConnectionError):
        return exc.strerror or str(exc)
    return None


def open_stderr(stream: TextIO | None) -> TextIO:
    """``stream`` (Python's stderr), or when the process started with descriptor 2 closed
    (``2>&-``, a cron line that wants no mail) and Python made it None: /dev/null, opened
    on descriptor 2. A run with nowhere to say anything still does its work, and no file
    it opens later (a result, a journal entry) takes descriptor 2, where C code and a
    child process write their complaints."""
    if stream is not None:
        return stream
    fd = os.open(os.devnull, os.O_WRONLY)
    if fd != 2:
        os.dup2(fd, 2)
        os.close(fd)
    return open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1)


def silence_stdout(stream: TextIO) -> None:
    """Point stdout, whose reader left, at /dev/null: what is still buffered (flushed when
    the stream is freed, or by the interpreter at exit) goes nowhere, quietly, instead of
    raising `BrokenPipeError` again."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


#: Said after the way on from a run whose stdout is an `overwritten_file`: the re-run
#: prints only the rest, and ``>`` would empty what this run printed.
APPEND_HINT = " appending (>> in place of >, which would empty this run's output)"


def overwritten_file(stream: TextIO) -> bool:
    """Whether ``stream`` writes to a regular file opened without appending (``> FILE``):
    the same command run again would empty it before writing a line."""
    try:
        fd = stream.fileno()
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
        return regular and not fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND
    except (OSError, ValueError):
        return False


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
    """Cut the file ``stream`` writes to back to ``end`` bytes (a `file_end` noted when
    the resume file was saved), then point the stream at /dev/null: what it still buffers
    (the lines that failed) would otherwise be written when it is freed, past the cut.

    Why: ``tasks --resume FILE > out`` stopped by a full disk in the middle of a batch
    of lines left some of them out, the last one cut short, none of them recorded, and
    the resumed run printed them again. Cut back, the file holds exactly the tasks the
    resume file records, whole lines only. Nothing is done where the file cannot be cut
    (a pipe, a device)."""
    try:
        os.ftruncate(stream.fileno(), end)
    except (OSError, ValueError):
        return
    silence_stdout(stream)


def start_on_a_new_line(stream: TextIO) -> None:
    """End the cut-off line a killed run left at the end of the file ``stream`` writes to.

    A run killed (or stopped by a full disk) while a line goes out leaves part of it in
    a file appended to (``>> results.jsonl``). The next run's first line would continue
    it, and a reader that takes the file a line at a time would lose both, the first
    being, from a journal, the very result the cut line held. So when stdout is a regular
    file whose last byte before the write position is not a line break, one is written
    first: the cut part stays one bad line, and every line after it is whole. Anything
    else (a pipe, a terminal, an empty or truncated file) is left alone; where the file
    cannot be read back (no ``/proc``), nothing is done.
    """
    end = file_end(stream)
    if not end:
        return
    try:
        # stdout is opened for writing only: read the last byte through another handle.
        reader = os.open(f"/proc/self/fd/{stream.fileno()}", os.O_RDONLY)
        try:
            last = os.pread(reader, 1, end - 1)
        finally:
            os.close(reader)
        if last != b"\n":
            stream.write("\n")
            stream.flush()
    except (OSError, ValueError):
        return  # the first line's write meets the same trouble and reports it


def whole_writes(stream: TextIO | None) -> TextIO:
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

    Python's usual buffered stdout is made again the same way, its buffering kept, so
    that its failed writes too say they were stdout's (`stdout_refusal`): a full disk
    under ``> FILE`` is exit 6 whether or not the output is unbuffered.

    ``None`` (Python's stdout when the process starts with descriptor 1 closed, as
    ``>&-`` leaves it) becomes a stream that refuses every write, so that a command which
    writes nothing there runs as usual and one that does stops (`stdout_refusal`).
    """
    if stream is None:
        return _Stdout(io.BufferedWriter(_NoDescriptor()), encoding="utf-8", line_buffering=True)
    raw = getattr(stream, "buffer", None)
    if isinstance(raw, io.BufferedWriter):
        raw, line_buffering = raw.raw, bool(stream.line_buffering)
    else:
        line_buffering = True  # unbuffered: each write sent on at once, as it was
    if not isinstance(stream, io.TextIOWrapper) or not isinstance(raw, io.FileIO):
        return stream
    stream.flush()  # nothing written yet, as a rule: kept in order if something was
    return _Stdout(
        io.BufferedWriter(io.FileIO(raw.fileno(), "w", closefd=False)),
        encoding=stream.encoding,
        errors=stream.errors,
        line_buffering=line_buffering,
    )


#: The note a failed write to stdout carries (`_Stdout`), for `stdout_refusal`.
_STDOUT_NOTE = "seotasks: written to stdout"


def stdout_refusal(exc: BaseException) -> BaseException:
    """``exc``, or the `StorageError` it means when it is a write to stdout that failed
    (a full disk, a closed descriptor): exit 6, a place seotasks writes that takes no
    write, as a full ``--to`` disk is, not an internal error. The command's own handlers
    still see the `OSError` (``collect`` stops taking tasks on it)."""
    if isinstance(exc, OSError) and _STDOUT_NOTE in getattr(exc, "__notes__", ()):
        return StorageError(f"cannot write to stdout: {exc.strerror or exc}")
    return exc


class _Stdout(io.TextIOWrapper):
    """stdout, whose failed writes carry a note saying so (`stdout_refusal`). A plain
    ``try`` in each method: one write a line, and a context manager tripled its cost."""

    def write(self, text: str) -> int:
        try:
            return super().write(text)
        except OSError as exc:
            exc.add_note(_STDOUT_NOTE)
            raise

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as exc:
            exc.add_note(_STDOUT_NOTE)
            raise


def refuse_closed_stdout(stream: TextIO) -> None:
    """`StorageError` (exit 6) when ``stream`` is the stdout `whole_writes` made for a
    process started without one (``>&-``): a command whose lines are its record
    (``collect``, ``receive``) refuses it before it takes any work."""
    if isinstance(getattr(getattr(stream, "buffer", None), "raw", None), _NoDescriptor):
        raise StorageError("cannot write to stdout: it is closed")


class _NoDescriptor(io.RawIOBase):
    """The file under the stdout of a process started without one: writes are refused."""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        raise OSError(errno.EBADF, "it is closed")
