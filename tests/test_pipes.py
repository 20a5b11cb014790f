"""`seotasks.cli.pipes`: the kernel tells whether a pipe's reader took what was written."""

from __future__ import annotations

import contextlib
import gc
import io
import os
import threading
import time
from pathlib import Path

import pytest

from seotasks.cli.pipes import (
    ReadLedger,
    pipe_state,
    stdout_refusal,
    wait_until_read,
    whole_writes,
)
from seotasks.errors import StorageError


def test_a_pipe_is_pending_until_read_and_gone_once_its_reader_closes() -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "w") as writer:
        assert pipe_state(writer) == "taken"  # nothing written yet
        writer.write("line 1\nline 2\n")
        writer.flush()
        assert pipe_state(writer) == "pending"
        assert wait_until_read(writer, 0.1) == "pending"
        assert os.read(read_end, 4) == b"line"
        assert pipe_state(writer) == "pending"  # part read is not all read
        os.read(read_end, 100)
        assert pipe_state(writer) == "taken"
        writer.write("line 3\n")
        writer.flush()
        os.close(read_end)  # `| head -1` quits: what it had not read is dropped
        assert pipe_state(writer) == "gone"
        assert wait_until_read(writer, 0.1) == "gone"


def test_a_file_counts_as_taken_once_written(tmp_path: Path) -> None:
    with (tmp_path / "out.jsonl").open("w") as sink:
        sink.write("a line\n")
        sink.flush()
        assert pipe_state(sink) == "taken"


def test_an_unbuffered_stdout_gets_a_writer_that_writes_every_byte(tmp_path: Path) -> None:
    """``python -u``: the text layer sits on the raw file, whose one write(2) a signal may
    cut short; `whole_writes` puts a buffered writer on the same descriptor, which the
    new stream leaves open when it goes."""
    read_end, write_end = os.pipe()
    raw = io.FileIO(write_end, "w")
    unbuffered = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    whole = whole_writes(unbuffered)
    assert whole is not unbuffered and isinstance(whole, io.TextIOWrapper)
    assert isinstance(whole.buffer, io.BufferedWriter)
    assert whole.fileno() == write_end and whole.encoding == "utf-8"
    whole.write("a line\n")  # sent on at once, as unbuffered output would be
    assert os.read(read_end, 100) == b"a line\n"
    del whole
    gc.collect()
    assert not raw.closed and os.write(write_end, b"x") == 1  # the descriptor is still open
    os.close(read_end)
    unbuffered.close()
    other = io.StringIO()  # a stream on no descriptor is left as it is
    assert whole_writes(other) is other


def test_a_buffered_stdout_is_made_again_with_its_buffering(tmp_path: Path) -> None:
    """Python's usual stdout (buffered, not a terminal): made again on its descriptor so
    that its failed writes say they were stdout's, still sent on when its buffer fills,
    not line by line."""
    target = tmp_path / "out"
    with target.open("w", encoding="utf-8") as buffered:
        whole = whole_writes(buffered)
        assert whole is not buffered and whole.fileno() == buffered.fileno()
        assert not whole.line_buffering
        whole.write("a line\n")
        assert target.read_bytes() == b""  # held, as the stream it replaces would
        whole.flush()
        assert target.read_bytes() == b"a line\n"
    with open("/dev/full", "w") as full:
        refused = whole_writes(full)
        with pytest.raises(OSError) as raised:
            refused.write("x" * 100_000)
            refused.flush()
        failure = stdout_refusal(raised.value)
        assert isinstance(failure, StorageError) and "No space left" in str(failure)


#: A line of a thousand bytes, as the pipe tests below write.
_LINE = "x" * 999 + "\n"


def _stopped_ledger(writer: io.TextIOWrapper) -> tuple[ReadLedger[str], threading.Event]:
    """A ledger on ``writer``'s pipe, and a stop already set: the moment under test."""
    stop = threading.Event()
    stop.set()
    return ReadLedger(writer), stop


def test_a_full_pipe_is_waited_for_while_its_reader_reads_and_not_once_it_stalls() -> None:
    """`ReadLedger.wait_for_room` at a stop: a reader still reading is waited for (its
    line is then written whole), one that has read nothing for ``stall`` seconds is not."""
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "w") as writer:
        ledger, stop = _stopped_ledger(writer)
        written = 0
        while ledger.wait_for_room(_LINE, stop, stall=0.0):  # never blocks: fills the pipe
            ledger.write(_LINE)
            written += 1
        assert 40 < written < 64 and not ledger.wait_for_room(_LINE, stop, stall=0.2)

        def read_slowly() -> None:  # a little at a time, never enough at once
            for _ in range(20):
                os.read(read_end, 1000)
                time.sleep(0.05)

        reader = threading.Thread(target=read_slowly)
        reader.start()
        assert ledger.wait_for_room(_LINE, stop, stall=0.2)  # the reader reads: room comes
        reader.join()
        os.close(read_end)
        assert ledger.wait_for_room(_LINE, stop, stall=0.2)  # gone: the write will say so


def test_a_reader_trickling_too_slowly_to_make_room_is_given_up_at_the_deadline() -> None:
    """A reader taking a few bytes at a time never stalls, and held a stop for minutes:
    ``patience`` seconds after the stop the line is not waited for."""
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "w") as writer:
        ledger, stop = _stopped_ledger(writer)
        os.set_blocking(write_end, False)  # filled to the last byte
        with contextlib.suppress(BlockingIOError):
            while True:
                os.write(write_end, b"x" * 4096)
        os.set_blocking(write_end, True)
        done = threading.Event()

        def trickle() -> None:  # 100 bytes every 50 ms: about 2 KB/s, never stalled
            while not done.wait(0.05):
                os.read(read_end, 100)

        reader = threading.Thread(target=trickle)
        reader.start()
        try:
            assert not ledger.wait_for_room(_LINE, stop, stall=1.0, patience=0.5)
        finally:
            done.set()
            reader.join()
            os.close(read_end)
