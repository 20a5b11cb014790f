"""The library's way to collect a listing that drains without losing a result to a kill
(docs/library.md, "A listing that drains"): `seotasks.Journal` with `collect_many`, run by
a real process that is SIGKILLed at random instants, then run again to the end.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from clirun import cli_env, kill_while_working, popen, ready_dataforseo, run_process
from seotasks_dataforseo.emulator import DataForSEOEmulator

import seotasks

#: The documented loop, storing each result as a file (written, fsynced, renamed).
SCRIPT = """
import itertools, os, sys
from pathlib import Path

import seotasks
from seotasks.clock import ScaledClock

out = Path(sys.argv[1])
out.mkdir(exist_ok=True)
client = seotasks.connect("dataforseo", clock=ScaledClock(20))


def store(task_id, result):
    temp = out / f".{task_id}.tmp"
    with open(temp, "w") as file:
        file.write(repr(result))
        file.flush()
        os.fsync(file.fileno())
    os.replace(temp, out / f"{task_id}.result")


with seotasks.Journal.open(Path(sys.argv[2]) / client.name, client.name) as journal:
    again = journal.pending()
    known = {task.id for task in again}
    listing = (task for task in client.tasks() if task.id not in known)
    for outcome in client.collect_many(itertools.chain(again, listing), journal=journal):
        if outcome.ok:
            store(outcome.task.id, outcome.result)
            journal.ack(outcome.task.id)
        elif outcome.settles:
            journal.ack(outcome.task.id)
"""


def test_the_journal_loop_killed_at_random_instants_loses_no_result(tmp_path: Path) -> None:
    rng = random.Random(5)
    script = tmp_path / "collect.py"
    script.write_text(SCRIPT)
    out, journal = tmp_path / "out", tmp_path / "journal"
    past = datetime.now(UTC) - timedelta(hours=1)
    with DataForSEOEmulator(
        seed=5, size=0, kinds=("serp/google/organic",), enforce_limits=False
    ) as emu:
        env = cli_env(tmp_path, {"dataforseo": {**emu.settings, "families": "serp"}})
        args = [sys.executable, str(script), str(out), str(journal)]
        truth: set[str] = set()
        kills = 0
        for _ in range(4):
            emu.add_tasks(200, posted=past, code=20000, delay=timedelta(minutes=1))
            truth |= emu.ready_ids()
            proc = popen(args, env=env)
            kills += kill_while_working(proc, emu.server.requests, rng.uniform(0, 0.4))
            proc.wait(timeout=120)
        assert kills, "no run was killed while it worked"
        done = run_process(args, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        stored = {p.name.removesuffix(".result") for p in out.glob("*.result")}
        consumed = emu.collected_ids()
        assert consumed == truth and not emu.ready_ids()
        assert stored == consumed, f"consumed, stored nowhere: {len(consumed - stored)}"
        assert not list(journal.rglob("*.intent.json"))
        gets = sum(1 for r in emu.server.requests if "/task_get/" in r.path)
        assert gets <= len(truth) + kills * 16, (gets, kills)  # window: 2 * 8 workers


def test_a_journal_of_another_provider_is_refused_before_anything_is_taken(
    tmp_path: Path,
) -> None:
    """A journal opened for ``serpstat`` handed to a DataForSEO client's `collect_many`
    recorded the DataForSEO tasks, and its `pending` (one provider's entries) never
    returned them: after a kill, the next run over that journal fetched none of them
    again. It is a `ValueError` at the call, before any task is listed or taken."""
    with (
        ready_dataforseo(3, seed=7) as emu,
        seotasks.Journal.open(tmp_path, "serpstat") as journal,
        seotasks.connect("dataforseo", **emu.settings) as client,
    ):
        ready = emu.ready_ids()
        with pytest.raises(ValueError, match=r"journal of serpstat.* dataforseo"):
            client.collect_many(client.tasks(), journal=journal)
        assert emu.ready_ids() == ready
    assert not list(tmp_path.rglob("*.intent.json"))


def test_opening_a_journal_removes_what_a_kill_left_of_an_entry(tmp_path: Path) -> None:
    """A kill while an entry is written leaves its hidden temporary file: the next open
    removes those an hour old (a live writer's are younger) and keeps every entry."""
    import os
    import time

    from seotasks.store import STALE_SECONDS

    folder = tmp_path / "journal"
    folder.mkdir()
    left = folder / ".abc123.intent.json.0f0f0f.tmp"
    live = folder / ".def456.intent.json.1e1e1e.tmp"
    entry = folder / "abc123.intent.json"
    for path in (left, live, entry):
        path.write_text("{}")
    old = time.time() - STALE_SECONDS - 60
    os.utime(left, (old, old))
    os.utime(entry, (old, old))
    with seotasks.Journal.open(folder, "dataforseo"):
        pass
    assert not left.exists() and live.exists() and entry.exists()


def test_a_journal_holding_another_accounts_tasks_is_refused_before_anything_is_taken(
    tmp_path: Path,
) -> None:
    """The docs' journal folder is per provider: account A's run left tasks in it (read
    by the vendor, their answers unread), and account B's run over it fetched them with
    B's credentials, was told "Task Not Found.", settled them, and A's results were lost
    for good. B is refused at the call now, before it takes a task; A's next run
    delivers them; an empty journal then changes hands."""
    from seotasks.emulation import Fault

    folder = tmp_path / "journal"
    with (
        ready_dataforseo(6, seed=7) as first,
        DataForSEOEmulator(seed=8, size=0, login="other-login") as second,
        seotasks.connect("dataforseo", **first.settings) as a,
        seotasks.connect("dataforseo", **second.settings) as b,
    ):
        first.server.faults.inject(Fault.MISMATCHED_ID, 100, match="/task_get/")
        with seotasks.Journal.open(folder, "dataforseo") as journal:
            outcomes = list(a.collect_many(a.tasks(), journal=journal))
        assert outcomes and not any(o.ok or o.settles for o in outcomes)
        owed = {o.task.id for o in outcomes}
        with seotasks.Journal.open(folder, "dataforseo") as journal:
            with pytest.raises(ValueError, match=r"holds tasks of another dataforseo account"):
                b.collect_many(b.tasks(), journal=journal)
            assert {t.id for t in journal.pending()} == owed
        first.server.faults.clear()
        with seotasks.Journal.open(folder, "dataforseo") as journal:
            delivered = list(a.collect_many(journal.pending(), journal=journal))
            assert all(o.ok for o in delivered) and {o.task.id for o in delivered} == owed
            for outcome in delivered:
                journal.ack(outcome.task.id)
            assert list(b.collect_many([], journal=journal)) == []  # empty: B's now


def test_an_entry_that_cannot_be_read_stops_pending_and_a_damaged_one_is_set_aside(
    tmp_path: Path,
) -> None:
    """`pending` removed every entry it could not read as if a kill had cut it off (an
    EACCES in a group-shared folder, an I/O error): tasks owed, forgotten. A read error
    is a `StorageError` now, the entry kept; one that reads but does not parse (damaged
    on disk: entries are written whole) is renamed aside, not deleted."""
    from seotasks.errors import StorageError

    folder = tmp_path / "journal"
    folder.mkdir()
    (folder / "0a0a.intent.json").mkdir()  # a read of it fails: EISDIR
    (folder / "0b0b.intent.json").write_text('{"version": 1, "ta')
    with seotasks.Journal.open(folder, "dataforseo") as journal:
        with pytest.raises(StorageError, match=r"cannot read the journal entry .*0a0a"):
            journal.pending()
        assert (folder / "0a0a.intent.json").is_dir()
        (folder / "0a0a.intent.json").rmdir()
        assert journal.pending() == []
    assert (folder / "0b0b.intent.json.damaged").read_text() == '{"version": 1, "ta'


def test_an_entry_that_is_no_file_of_ours_is_refused_without_reading_it(tmp_path: Path) -> None:
    """A FIFO named like an entry blocked `pending` for ever (the journal's lock held, so
    every later run failed too), and a link to /dev/zero read gigabytes: each is a
    `StorageError` now, at once, the thing left where it is for a person to see."""
    import os

    from seotasks.errors import StorageError

    for name, make in (
        ("fifo", lambda path: os.mkfifo(path)),
        ("zeros", lambda path: path.symlink_to("/dev/zero")),
    ):
        folder = tmp_path / name
        folder.mkdir()
        entry = folder / "0c0c.intent.json"
        make(entry)
        said = r"cannot read the journal entry .*0c0c"
        with (
            seotasks.Journal.open(folder, "dataforseo") as journal,
            pytest.raises(StorageError, match=said),
        ):
            journal.pending()
        assert entry.is_symlink() or entry.is_fifo()


def test_an_entry_without_its_tasks_id_is_set_aside_not_fetched_for_ever(tmp_path: Path) -> None:
    """An entry whose id is null became a task "None", fetched and failed on every run;
    one nested deeper than Python recurses raised RecursionError; one over a megabyte is
    no entry of ours. Each is damaged: renamed aside."""
    folder = tmp_path / "journal"
    folder.mkdir()
    bodies = {
        "0d0d": '{"version": 1, "task": {"provider": "dataforseo", "id": null}}',
        "0e0e": "[" * 200_000 + "]" * 200_000,
        "0f0f": '{"pad": "' + "x" * (2 << 20) + '"}',
    }
    for name, body in bodies.items():
        (folder / f"{name}.intent.json").write_text(body)
    with seotasks.Journal.open(folder, "dataforseo") as journal:
        assert journal.pending() == []
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        f"{name}.intent.json.damaged" for name in sorted(bodies)
    ]
