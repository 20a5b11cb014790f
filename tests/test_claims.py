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


def test_the_lock_file_follows_the_umask(tmp_path: Path) -> None:
    """Made 0600, a folder a group shares (umask 002) refused the second user's claims:
    it fetched tasks (consumed) and could write none."""
    import os
    import stat

    from seotasks.claims import FolderClaims

    old = os.umask(0o002)
    try:
        claims = FolderClaims(tmp_path)
        claims.check()
    finally:
        os.umask(old)
    assert stat.S_IMODE(claims.path.stat().st_mode) == 0o664


def test_a_lock_file_this_user_cannot_open_stops_collect_before_any_fetch(
    tmp_path: Path,
) -> None:
    from clihere import run_here
    from clirun import cli_env, ready_dataforseo

    out = tmp_path / "o"
    (out / ".seotasks" / "claims.lock").mkdir(parents=True)  # no file: opened by nobody
    with ready_dataforseo(5, seed=4) as emu:
        env = cli_env(tmp_path, {"dataforseo": {**emu.settings, "families": "serp"}})
        done = run_here(["collect", "-p", "dataforseo", "--to", str(out)], env)
        fetched = sum("/task_get/" in r.path for r in emu.server.requests)
    assert done.returncode == 6, done.stderr
    assert "claims.lock" in done.stderr and "StorageError" in done.stderr
    assert fetched == 0
