"""A merge killed outright (SIGKILL) leaves its spill directory; the next merge to spill
under the same folder removes it, and only it: a live merge's, one being made and a link
are kept."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import seotasks
from seotasks import Task, TaskStatus, spill

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _tasks(count: int) -> list[Task]:
    """Newest first: a merge in completion order must sort them, so it spills."""
    return [
        Task(
            provider="p",
            id=str(i),
            status=TaskStatus.COMPLETED,
            completed_at=T0 - timedelta(minutes=i),
        )
        for i in range(count)
    ]


def _spills(folder: Path) -> set[Path]:
    return {p for p in folder.iterdir() if p.name.startswith("seotasks-merge-")}


def _killed_mid_merge(folder: Path) -> Path:
    """The spill directory of a process SIGKILLed while its merge was being read."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from datetime import UTC, datetime, timedelta
        import seotasks
        from seotasks import Task, TaskStatus
        T0 = datetime(2026, 3, 1, tzinfo=UTC)
        tasks = [Task(provider="p", id=str(i), status=TaskStatus.COMPLETED,
                      completed_at=T0 - timedelta(minutes=i)) for i in range(50)]
        stream = seotasks.merged([tasks], buffer=10, tmpdir={str(folder)!r})
        next(stream)
        print("spilled", flush=True)
        time.sleep(60)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "spilled\n"
        (left,) = _spills(folder)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert left.is_dir() and (left / "owner.lock").exists()  # nothing of it ran to clean up
    return left


def test_the_next_merge_to_spill_removes_what_a_killed_one_left(tmp_path: Path) -> None:
    left = _killed_mid_merge(tmp_path)
    stream = seotasks.merged([_tasks(50)], buffer=10, tmpdir=tmp_path)
    first = next(stream)
    (own,) = _spills(tmp_path)
    assert own != left and not left.exists()
    assert [first, *stream] == sorted(_tasks(50), key=lambda t: t.completed_at or T0)
    assert _spills(tmp_path) == set()


def test_a_live_merges_directory_is_kept(tmp_path: Path) -> None:
    running = seotasks.merged([_tasks(50)], buffer=10, tmpdir=tmp_path)
    next(running)
    (theirs,) = _spills(tmp_path)
    another = seotasks.merged([_tasks(40)], buffer=10, tmpdir=tmp_path)
    next(another)
    assert theirs in _spills(tmp_path) and len(_spills(tmp_path)) == 2
    assert len(list(running)) == 49  # its runs were all still there
    another.close()
    assert _spills(tmp_path) == set()


def test_a_directory_being_made_or_a_link_is_kept(tmp_path: Path) -> None:
    # Being made: its lock not yet in place (it is locked under another name first).
    making = tmp_path / "seotasks-merge-making"
    making.mkdir()
    (making / "owner.lock.new").touch()
    # A link to an abandoned-looking directory elsewhere: never followed.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "owner.lock").touch()
    (tmp_path / "seotasks-merge-link").symlink_to(elsewhere, target_is_directory=True)
    # Abandoned: the lock is there and nobody holds it.
    abandoned = tmp_path / "seotasks-merge-abandoned"
    abandoned.mkdir()
    (abandoned / "owner.lock").touch()
    # Held by a process alive (this one, through another descriptor).
    held = tmp_path / "seotasks-merge-held"
    held.mkdir()
    lock = os.open(held / "owner.lock", os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert spill.remove_abandoned(tmp_path) == [abandoned]
        assert making.is_dir() and held.is_dir() and (elsewhere / "owner.lock").exists()
        assert not abandoned.exists()
    finally:
        os.close(lock)
