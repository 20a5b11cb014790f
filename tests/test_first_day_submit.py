"""``seotasks submit --resume FILE``: a re-run posts exactly the specs not yet accepted.

The command runs as a subprocess against the DataForSEO emulator on loopback and is
killed (SIGKILL: no chance to clean up) or stopped (SIGTERM: graceful) in the middle of
a run (the re-runs, to completion, run in this process: `clihere`); the emulator's record of every posted body is the judge: no keyword is ever
posted twice, and one that was never posted is among those reported as unknown.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import forkrun
import pytest
from clihere import run_here
from clirun import CLI, cli_env, popen, run_process

from seotasks.emulation import Fault, HttpRequest

BATCHES = 8
SPECS = 100 * BATCHES  # DataForSEO takes 100 tasks a call


@pytest.fixture
def emu() -> Iterator[Any]:
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    with DataForSEOEmulator(size=0) as running:
        yield running


def _specs(tmp_path: Path, count: int = SPECS) -> Path:
    path = tmp_path / "specs.jsonl"
    lines = [
        json.dumps({"keyword": f"kw {i}", "location": 2840, "language": "en"}) for i in range(count)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _posted(emu: Any) -> Counter[str]:
    return Counter(item["keyword"] for batch in emu.posted() for item in batch)


def _post_calls(emu: Any) -> int:
    return sum(1 for r in emu.server.requests if r.path.endswith("task_post"))


def _lines(stdout: str) -> dict[int, dict[str, Any]]:
    return {line["index"]: line for line in map(json.loads, stdout.splitlines())}


def _start_slow(
    emu: Any, tmp_path: Path, journal: Path | None, *, first: bool = False, count: int = SPECS
) -> subprocess.Popen[str]:
    """The command (on ``count`` specs, with ``--resume journal`` unless None), started
    with every post answered after 0.3 s (so it can be stopped midway), once the emulator
    has received three batches (``first``: once the first batch has reached it, before it
    is processed and answered)."""
    emu.server.faults.slow_seconds = 0.3
    emu.server.faults.schedule([Fault.SLOW], rate=1.0, seed=0, match="task_post")
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    args = ["submit", "-p", "dataforseo", str(_specs(tmp_path, count))]
    args += [] if journal is None else ["--resume", str(journal)]
    process = popen(
        [*CLI, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while (_post_calls(emu) < 1) if first else (len(emu.posted()) < 3):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the command never posted its batches"
        time.sleep(0.01)
    return process


def test_sigkill_midway_then_rerun_posts_each_spec_at_most_once(emu: Any, tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()  # the command makes no folder: a mistyped path is refused
    journal = tmp_path / "state" / "submit.journal"
    process = _start_slow(emu, tmp_path, journal)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    time.sleep(0.6)  # the batch the killed run had sent is still being answered
    emu.server.faults.clear()
    before = _posted(emu)
    assert 0 < sum(before.values()) < SPECS

    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    done = run_here(
        ["submit", "-p", "dataforseo", str(_specs(tmp_path)), "--resume", str(journal)], env
    )
    lines = _lines(done.stdout)
    assert sorted(lines) == list(range(SPECS))  # every spec has its line
    posted = _posted(emu)
    assert max(posted.values()) == 1  # never one twice
    unknown = {i for i, line in lines.items() if line.get("outcome_unknown")}
    never = {i for i in range(SPECS) if posted[f"kw {i}"] == 0}
    assert never <= unknown  # what was not posted is reported, not silently dropped
    assert len(unknown) <= 100  # at most the one batch in flight at the kill
    for i, line in lines.items():
        if i not in unknown:
            assert line["task_id"] and line["error"] is None
    resumed = {i for i, line in lines.items() if line.get("resumed")}
    assert resumed and all(before[f"kw {i}"] == 1 for i in resumed)
    if unknown:
        assert done.returncode == 4, done.stderr
        assert "outcome unknown" in done.stderr and "does not post them" in done.stderr
    else:
        assert done.returncode == 0, done.stderr

    # A third run posts nothing at all.
    again = run_here(
        ["submit", "-p", "dataforseo", str(_specs(tmp_path)), "--resume", str(journal)], env
    )
    assert _posted(emu) == posted
    assert f"{SPECS - len(unknown)} of {SPECS} specs accepted" in again.stderr


def test_sigterm_stops_after_the_batch_in_flight_and_says_how_far(emu: Any, tmp_path: Path) -> None:
    journal = tmp_path / "submit.journal"
    process = _start_slow(emu, tmp_path, journal)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 5, stderr
    first = _lines(stdout)
    accepted = sum(1 for line in first.values() if line["task_id"])
    assert 0 < accepted < SPECS
    assert f"interrupted: {accepted} of {SPECS} specs accepted" in stderr
    assert "run the same command to post the rest" in stderr
    assert sum(_posted(emu).values()) == accepted  # the batch in flight was answered

    emu.server.faults.clear()
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    done = run_here(
        ["submit", "-p", "dataforseo", str(_specs(tmp_path)), "--resume", str(journal)], env
    )
    assert done.returncode == 0, done.stderr
    assert f"{SPECS} of {SPECS} specs accepted ({accepted} by earlier runs)" in done.stderr
    assert set(_posted(emu).values()) == {1} and len(_posted(emu)) == SPECS


def test_a_second_signal_says_how_far_and_what_the_batch_in_flight_may_be(
    emu: Any, tmp_path: Path
) -> None:
    """A second signal ends the run at once: it said only "interrupted", where the first
    says how far the run got, and a batch left unanswered may exist at the vendor."""
    process = _start_slow(emu, tmp_path, None)
    # The next batch is held at the vendor until both signals are sent: the second one
    # then always meets a batch in flight (on a 0.3 s answer, a busy machine let the
    # first stop end before the second signal came).
    arrived, released = threading.Event(), threading.Event()

    def hold(request: HttpRequest) -> None:
        if request.path.endswith("task_post"):
            arrived.set()
            released.wait(60)

    emu.server.on_request = hold
    try:
        assert arrived.wait(60) and process.poll() is None
        process.send_signal(signal.SIGTERM)
        time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        released.set()
        emu.server.on_request = None
    assert process.returncode == 5, stderr
    accepted = sum(1 for line in _lines(stdout).values() if line["task_id"])
    assert f"interrupted at once: {accepted} of {SPECS} specs accepted" in stderr, stderr
    assert "the 100 specs of the batch in flight may exist at the vendor" in stderr, stderr
    assert "a re-run posts every spec again: use --resume FILE" in stderr, stderr


def test_signal_while_the_last_batch_is_in_flight_ends_a_complete_run(
    emu: Any, tmp_path: Path
) -> None:
    """SIGTERM while the last batch is in flight: the batch is answered, every spec has
    its task id, so the run is complete (exit 0). Exit 5 and "a re-run posts every spec
    again" would have an orchestrator run it again and pay for every spec twice."""
    process = _start_slow(emu, tmp_path, None, first=True, count=100)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "interrupted" not in stderr
    assert all(line["task_id"] for line in _lines(stdout).values())
    assert len(_lines(stdout)) == 100


def test_lost_answer_is_recorded_unknown_and_never_reposted(emu: Any, tmp_path: Path) -> None:
    journal = tmp_path / "submit.journal"
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    specs = _specs(tmp_path, 150)
    emu.server.faults.inject(Fault.RESET, match="task_post")  # the first batch's answer is lost
    args = ["submit", "-p", "dataforseo", str(specs), "--resume", str(journal)]
    done = run_here(args, env)
    assert done.returncode == 4, done.stderr
    lines = _lines(done.stdout)
    assert [i for i, line in lines.items() if line.get("outcome_unknown")] == list(range(100))
    assert "check the vendor's task list" in done.stderr
    calls = _post_calls(emu)

    again = run_here(args, env)
    assert again.returncode == 4
    assert _post_calls(emu) == calls  # nothing left to post; unknowns stay
    assert sum(1 for line in _lines(again.stdout).values() if line.get("outcome_unknown")) == 100


def test_unreadable_answer_is_unknown_and_never_reposted(emu: Any, tmp_path: Path) -> None:
    """The vendor created the batch but its answer cannot be read (a mistyped field): a
    re-run must not take that for a refusal and pay for the batch twice."""
    journal = tmp_path / "submit.journal"
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    emu.server.faults.inject(Fault.WRONG_TYPES, match="task_post")
    args = ["submit", "-p", "dataforseo", str(_specs(tmp_path, 150)), "--resume", str(journal)]
    done = run_here(args, env)
    assert done.returncode == 4, done.stderr
    lines = _lines(done.stdout)
    assert [i for i, line in lines.items() if line.get("outcome_unknown")] == list(range(100))

    again = run_here(args, env)
    assert again.returncode == 4
    assert set(_posted(emu).values()) == {1} and len(_posted(emu)) == 150


def test_torn_last_line_does_not_swallow_the_next_runs_first_batch(
    emu: Any, tmp_path: Path
) -> None:
    """A journal whose last write was cut short (a full disk, a crash) ends in half a
    line. The next run, killed while its first batch is in flight, must still have
    recorded that batch as sent: glued to the torn half, its ``sending`` line would be
    unreadable and a third run would post the batch again."""
    journal = tmp_path / "submit.journal"
    journal.write_bytes(
        b'{"format":"seotasks-submit-journal","version":1,"provider":"dataforseo"}\n'
        b'{"sending":["0123'
    )
    process = _start_slow(emu, tmp_path, journal, first=True)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    time.sleep(0.6)  # the batch the killed run had sent is still being answered
    emu.server.faults.clear()

    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    done = run_here(
        ["submit", "-p", "dataforseo", str(_specs(tmp_path)), "--resume", str(journal)], env
    )
    assert max(_posted(emu).values()) == 1, done.stderr  # never one twice
    assert sum(1 for line in _lines(done.stdout).values() if line.get("outcome_unknown")) > 0


def test_batch_posted_when_the_journal_fills_up_still_prints_its_task_ids(
    emu: Any, tmp_path: Path
) -> None:
    """The journal cannot take a batch's answers (the disk is full: here a file size
    limit): the batch was posted all the same, so its task ids reach stdout before the
    run stops with exit 6, or they would exist only at the vendor."""
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    args = ["submit", "-p", "dataforseo", str(_specs(tmp_path, 300)), "--resume"]
    done = run_process(
        [*CLI, *args, str(tmp_path / "submit.journal")],
        env=env,
        capture_output=True,
        text=True,
        # Room for one batch and the next one's "sending" line.
        preexec_fn=forkrun.capped_files(20_000),
        timeout=120,
    )
    assert done.returncode == 6, done.stderr
    assert "cannot write --resume" in done.stderr
    printed = {f"kw {i}": line["task_id"] for i, line in _lines(done.stdout).items()}
    created = _posted(emu)
    assert len(created) == 200  # two batches went out before the journal was full
    assert all(printed.get(keyword) for keyword in created)  # each one's id is printed


def test_a_journal_full_before_a_batch_leaves_stops_with_exit_6(emu: Any, tmp_path: Path) -> None:
    """The journal cannot take a batch's ``sending`` line (the disk is full: here a file
    size limit, so the line is cut short): the run stops with exit 6 and a word, the
    batch unsent, not with an internal error (the file's close used to write the cut
    line's rest again, and fail on it); a re-run posts every spec once."""
    # Room for the journal's head, not for a batch's keys.
    small_files = forkrun.capped_files(1_000)

    journal = tmp_path / "submit.journal"
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    args = ["submit", "-p", "dataforseo", str(_specs(tmp_path, 300)), "--resume", str(journal)]
    done = run_process(
        [*CLI, *args], env=env, capture_output=True, text=True, preexec_fn=small_files, timeout=120
    )
    assert done.returncode == 6, done.stderr
    assert "cannot write --resume" in done.stderr and "internal error" not in done.stderr
    assert _post_calls(emu) == 0

    done = run_here(args, env)
    assert done.returncode == 0, done.stderr
    assert len(_posted(emu)) == 300 and max(_posted(emu).values()) == 1


def test_rerun_prints_every_line_in_input_order(emu: Any, tmp_path: Path) -> None:
    """The money ran out at the second batch (40210: refused, posted again by the re-run),
    the third fitted: the re-run's lines must still come in input order, as the docs
    say, or a pipeline pasting them beside the spec file gives tasks to the wrong
    keywords."""
    journal = tmp_path / "submit.journal"
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    emu.app.wallet.balance = 0.0006 * 150  # 100 tasks, then 50: the batch of 100 between
    args = ["submit", "-p", "dataforseo", str(_specs(tmp_path, 250)), "--resume", str(journal)]
    done = run_here(args, env)
    assert done.returncode == 4, done.stderr
    assert "40210" in _lines(done.stdout)[100]["error"]

    emu.app.wallet.balance = 50.0
    again = run_here(args, env)
    assert again.returncode == 0, again.stderr
    indices = [json.loads(line)["index"] for line in again.stdout.splitlines()]
    assert indices == list(range(250))
    assert set(_posted(emu).values()) == {1} and len(_posted(emu)) == 250


def test_rerun_with_a_new_callback_url_posts_nothing_twice(emu: Any, tmp_path: Path) -> None:
    """The receiver's secret in ``--pingback`` was rotated between the runs (a new
    deploy): the specs are the same crawls, so those accepted are not posted again; only
    the rest would carry the new URL."""
    journal = tmp_path / "submit.journal"
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    args = ["submit", "-p", "dataforseo", str(_specs(tmp_path, 150)), "--resume", str(journal)]
    hook = "https://hooks.example.com/{}/pingback?id=$id"
    assert run_here([*args, "--pingback", hook.format("OLD-SECRET")], env).returncode == 0
    again = run_here([*args, "--pingback", hook.format("NEW-SECRET")], env)
    assert again.returncode == 0, again.stderr
    assert "150 of 150 specs accepted (150 by earlier runs)" in again.stderr
    assert set(_posted(emu).values()) == {1} and len(_posted(emu)) == 150


def test_journal_of_another_provider_or_file_is_refused(emu: Any, tmp_path: Path) -> None:
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    other = tmp_path / "other.journal"
    other.write_text('{"format":"seotasks-submit-journal","version":1,"provider":"serpstat"}\n')
    done = run_here(
        ["submit", "-p", "dataforseo", str(_specs(tmp_path, 2)), "--resume", str(other)], env
    )
    # exit 2: the file named is the mistake (as for tasks and collect), not the disk (6)
    assert done.returncode == 2 and "records a submission to serpstat" in done.stderr
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    done = run_here(
        ["submit", "-p", "dataforseo", str(_specs(tmp_path, 2)), "--resume", str(notes)], env
    )
    assert done.returncode == 2 and "ConfigError: --resume" in done.stderr
    assert "not a submit journal" in done.stderr
    assert notes.read_text() == "my notes\n"
    assert emu.posted() == []
