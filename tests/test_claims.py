"""Claims on task ids across processes (`seotasks.claims`): a claim held by another
process is waited for, one on another id is not, and a process that dies lets go."""

from __future__ import annotations

import subprocess
import sys
import threading
import zlib
from pathlib import Path

from seotasks.claims import claims_for

HOLDER = """
import sys
from pathlib import Path
from seotasks.claims import claims_for
with claims_for(Path(sys.argv[1])).claimed("dataforseo", [sys.argv[2]]):
    print("held", flush=True)
    sys.stdin.readline()
"""


def _holder(folder: Path, task_id: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder), task_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def _claim_in_a_thread(folder: Path, task_id: str) -> threading.Event:
    got = threading.Event()

    def claim() -> None:
        with claims_for(folder).claimed("dataforseo", [task_id]):
            got.set()

    threading.Thread(target=claim, daemon=True).start()
    return got


def test_a_claim_another_process_holds_is_waited_for(tmp_path: Path) -> None:
    holder = _holder(tmp_path, "t-1")
    got = _claim_in_a_thread(tmp_path, "t-1")
    assert not got.wait(0.5)  # held elsewhere: still waiting
    assert holder.stdin is not None
    holder.stdin.write("go\n")
    holder.stdin.flush()
    assert got.wait(30)
    holder.wait(30)


def test_a_process_that_dies_lets_its_claims_go(tmp_path: Path) -> None:
    holder = _holder(tmp_path, "t-1")
    got = _claim_in_a_thread(tmp_path, "t-1")
    assert not got.wait(0.3)
    holder.kill()
    holder.wait(30)
    assert got.wait(30)


def test_another_id_is_not_waited_for(tmp_path: Path) -> None:
    slot = zlib.crc32(b"dataforseo/t-1") % 4096
    other = next(
        f"t-{n}" for n in range(2, 100) if zlib.crc32(f"dataforseo/t-{n}".encode()) % 4096 != slot
    )
    holder = _holder(tmp_path, "t-1")
    try:
        assert _claim_in_a_thread(tmp_path, other).wait(30)
    finally:
        holder.kill()
        holder.wait(30)
