"""`seotasks.cli.pipes`: the kernel tells whether a pipe's reader took what was written."""

from __future__ import annotations

import os
from pathlib import Path

from seotasks.cli.pipes import pipe_state, wait_until_read


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
