"""``seotasks status -p NAME`` against the DataForSEO emulator on loopback: the counts are
judged against the emulator's own record of its tasks, not against another listing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from clihere import run_here
from clirun import cli_env

from seotasks.emulation import EmulatorServer, Fault, HttpRequest, HttpResponse

#: One family, so the listing is a few calls at the vendor's pace (id_list: 10 a minute).
SERP = ["-o", "families=serp"]


@pytest.fixture
def emu() -> Iterator[Any]:
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    with DataForSEOEmulator(size=300, seed=3) as running:
        yield running


def _status(emu: Any, tmp_path: Path, *args: str) -> dict[str, Any]:
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    done = run_here(["status", "-p", "dataforseo", "--format", "json", *SERP, *args], env)
    assert done.returncode == 0, done.stderr
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


def test_history_counts_by_status_oldest_and_ready(emu: Any, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    for hours in (3, 7):  # two unfinished tasks: the older waits 7 hours
        emu.add_tasks(
            1,
            kinds=["serp/google/organic"],
            posted=now - timedelta(hours=hours),
            delay=timedelta(days=1),
        )
    results = tmp_path / "results"
    summary = _status(emu, tmp_path, "-o", "source=history", "--to", str(results))
    expected = {
        s: len(emu.history_ids(status=s, families=["serp"]))
        for s in ("completed", "failed", "queued", "running")
    }
    assert summary["by_status"] == {s: n for s, n in expected.items() if n}
    assert (
        summary["tasks"]
        == len(emu.history_ids(families=["serp"]))
        == sum(summary["by_kind"].values())
    )
    assert summary["statuses"] == "all"
    unfinished = emu.history_ids(status="queued", families=["serp"]) | emu.history_ids(
        status="running", families=["serp"]
    )
    assert len(unfinished) == 2
    oldest = summary["oldest_unfinished"]
    posted = {i: emu.task(i)["posted"] for i in unfinished}
    assert oldest["id"] in unfinished and posted[oldest["id"]] == min(posted.values())
    assert 6.9 <= oldest["waiting_hours"] <= 7.2
    # No results folder yet: every completed task waits, but for those finished longer
    # ago than DataForSEO keeps a result (30 days: no fetch brings them, and `collect`
    # would not list them); a file for one takes it off.
    completed = emu.history_ids(status="completed", families=["serp"])
    gone = {i for i in completed if now - emu.task(i)["done"] > timedelta(days=30)}
    assert 0 < len(gone) < len(completed)  # the seeded data spans 120 days
    assert summary["ready_not_collected"] == len(completed) - len(gone)
    assert summary["expired"] == len(gone) and summary["results_kept_days"] == 30
    assert summary["not_collectable"] == 0
    one = sorted(completed - gone)[0]
    (results / "dataforseo").mkdir(parents=True)
    (results / "dataforseo" / f"{one}.json").write_text("{}")
    again = _status(emu, tmp_path, "-o", "source=history", "--to", str(results))
    assert again["ready_not_collected"] == len(completed) - len(gone) - 1
    # Charged when posted (task_post's answer says what): unfinished tasks count too.
    listed = emu.history_ids(families=["serp"])
    spent = sum((Decimal(str(emu.task(i)["cost"])) for i in listed), Decimal(0))
    assert spent > 0 and Decimal(again["spend"]) == spent


def test_ready_listing_counts_what_waits_to_be_collected(emu: Any, tmp_path: Path) -> None:
    summary = _status(emu, tmp_path)
    assert summary["statuses"] == "completed"
    assert summary["ready_not_collected"] == len(emu.ready_ids(["serp"])) == summary["tasks"]
    assert summary["capped_lists"] == []
    # Finished tasks only: an unfinished one cannot be seen, so none is not claimed.
    assert summary["oldest_unfinished"] is None
    assert emu.collected_ids() == set()  # looking collected nothing
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    text = run_here(["status", "-p", "dataforseo", *SERP], env).stdout
    assert "oldest unfinished: unknown (the listing shows completed tasks only)" in text


def test_a_capped_ready_list_is_a_floor_and_said(tmp_path: Path) -> None:
    """tasks_ready shows 1000 a list: 1200 waiting were counted as 1000, exact, and said
    nothing, where ``seotasks tasks`` warns on the same listing."""
    from datetime import UTC, datetime, timedelta

    from seotasks_dataforseo.emulator import DataForSEOEmulator

    with DataForSEOEmulator(size=0, seed=3, kinds=("serp/google/organic",)) as emu:
        emu.add_tasks(1200, posted=datetime.now(UTC) - timedelta(hours=1), code=20000)
        env = cli_env(tmp_path, {"dataforseo": emu.settings})
        done = run_here(["status", "-p", "dataforseo", "--format", "json", *SERP], env)
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        assert summary["ready_not_collected"] == 1000 and summary["capped_lists"]
        assert "the vendor capped 1 list(s)" in done.stderr
        text = run_here(["status", "-p", "dataforseo", *SERP], env).stdout
    assert "ready, not collected: at least 1000 - " in text


def test_text_output(emu: Any, tmp_path: Path) -> None:
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    done = run_here(["status", "-p", "dataforseo", *SERP, "-o", "source=history"], env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("dataforseo: ") and "statuses: all" in lines[0]
    labels = [line.split(":")[0].strip() for line in lines[1:]]
    assert labels == ["by status", "by kind", "oldest unfinished", "ready, not collected", "spend"]
    assert "unknown without --to DIR" in done.stdout


def test_results_no_fetch_can_bring_are_not_counted_as_waiting(emu: Any, tmp_path: Path) -> None:
    """``--to DIR`` of a history listing counted every completed task without a file as
    waiting, where ``collect --to DIR`` fetched none of them: those finished longer ago
    than the vendor keeps a result, and those of a live-only API (no task_get). Each is
    counted and said on a line of its own, as the report says them."""
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    families = ["serp", "dataforseo_labs"]
    listing = ["-o", "source=history", "-o", f"families={','.join(families)}"]
    now = datetime.now(UTC)
    completed = emu.history_ids(status="completed", families=families)
    gone = {i for i in completed if now - emu.task(i)["done"] > timedelta(days=30)}
    live = {i for i in completed - gone if emu.task(i)["kind"].startswith("dataforseo_labs/")}
    assert gone and live
    to = ["--to", str(tmp_path / "results")]
    done = run_here(["status", "-p", "dataforseo", *listing, *to, "--format", "json"], env)
    summary = json.loads(done.stdout)
    assert summary["ready_not_collected"] == len(completed) - len(gone) - len(live)
    assert (summary["expired"], summary["not_collectable"]) == (len(gone), len(live))
    [why] = summary["not_collectable_why"]
    assert "dataforseo_labs is a live-only API" in why
    text = run_here(["status", "-p", "dataforseo", *listing, *to], env).stdout
    assert f"  expired:           {len(gone)} - completed over 30 days ago, longer " in text
    assert f"  not collectable:   {len(live)} - dataforseo: dataforseo_labs is a " in text


def test_a_results_folder_that_is_a_file_is_refused(emu: Any, tmp_path: Path) -> None:
    """``--to`` naming a file counted every completed task as not collected, as if the
    results were lost; ``collect --to`` refuses that path, so ``status`` does too, before
    it lists anything."""
    results = tmp_path / "results.jsonl"
    results.write_text("")
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    done = run_here(["status", "-p", "dataforseo", *SERP, "--to", str(results)], env)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"seotasks: --to {results}: not a directory\n"
    assert not any(emu.calls.values())


class _Renaming:
    """The emulator, one task id in its answers replaced by ``new``: a vendor whose id
    holds what a terminal obeys."""

    def __init__(self, emu: Any, old: str, new: str) -> None:
        self.emu, self.old, self.new = emu, old.encode(), json.dumps(new)[1:-1].encode()

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        answer = self.emu.app.handle(request, fault)
        body = answer.body.replace(self.old, self.new)
        return HttpResponse(status=answer.status, body=body, headers=answer.headers)


def test_text_output_cannot_drive_the_terminal(emu: Any, tmp_path: Path) -> None:
    """The text quotes the vendor (the oldest unfinished task's id) without its control
    characters, line breaks included, as the table of `seotasks tasks` does."""
    now = datetime.now(UTC).replace(microsecond=0)
    [old] = emu.add_tasks(
        1, kinds=["serp/google/organic"], posted=now - timedelta(days=20), delay=timedelta(days=30)
    )
    with EmulatorServer(
        _Renaming(emu, old, "t-1\x1b]0;owned\x07\x1b[2J\x9b31m\u202e\x00\r\nready, forged")
    ) as hostile:
        env = cli_env(tmp_path, {"dataforseo": {**emu.settings, "base_url": hostile.url}})
        done = run_here(["status", "-p", "dataforseo", *SERP, "-o", "source=history"], env)
    assert done.returncode == 0, done.stderr
    # On its own line: a line break in the id started a line the vendor wrote.
    assert "oldest unfinished: t-1]0;owned[2J31mready, forged queued" in done.stdout
    assert not [line for line in done.stdout.splitlines() if line.startswith("ready")]
    bad = [ch for ch in done.stdout if (ord(ch) < 0x20 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F]
    bad += [ch for ch in done.stdout if ch in "\u200b\u202e\u2066"]
    assert not bad, f"control characters reached the terminal: {bad!r}"


def test_a_long_wait_before_a_retry_is_said(
    emu: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Retry-After of minutes held ``status`` silent in a scheduler's log, where
    ``tasks`` says it (the clock here moves only when waited on: no real wait)."""
    import seotasks.transport
    from seotasks.clock import FakeClock

    monkeypatch.setattr(seotasks.transport, "SystemClock", FakeClock)
    emu.server.faults.retry_after = "120"
    emu.server.faults.inject(Fault.HTTP_429_RETRY_AFTER, 1, match="tasks_ready")
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    done = run_here(["status", "-p", "dataforseo", *SERP], env)
    assert done.returncode == 0, done.stderr
    assert "seotasks: dataforseo: retrying tasks_ready in 120s (rate limited)" in done.stderr


def test_a_window_the_vendor_refuses_is_said_as_every_command_says_it(tmp_path: Path) -> None:
    """``status`` said ``seotasks: serpstat: ...`` where ``tasks``, ``collect`` and
    ``report`` say ``seotasks: UnsupportedQuery: ...`` (docs/errors.md)."""
    from seotasks_serpstat.emulator import SerpstatEmulator

    with SerpstatEmulator(size=0, rps=None) as ss:
        env = cli_env(tmp_path, {"serpstat": ss.settings})
        done = run_here(["status", "-p", "serpstat", "--since", "30d"], env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("seotasks: UnsupportedQuery: serpstat keeps tasks for 7 days")


def test_results_a_killed_collect_fetched_are_counted_as_not_collected(
    emu: Any, tmp_path: Path
) -> None:
    """After a killed ``collect --to DIR``, tasks it had fetched are no longer listed
    (the fetch consumed them) and not yet written: its journal holds them. ``status``
    counted the listing only (707 where the next run delivered 714). They count now,
    once, and the next ``collect --to DIR`` writes exactly that many files."""
    import seotasks
    from seotasks.account import account_key
    from seotasks.journal import Journal

    results = tmp_path / "results"
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    with seotasks.connect("dataforseo", families=["serp"], **emu.settings) as client:
        ready = list(client.tasks())
        assert len(ready) > 5
        folder = results / ".seotasks" / "journal" / "dataforseo"
        key = account_key(client.provider)
        assert key is not None
        # A run killed after these fetches (the vendor forgot the first three) and
        # before the last was sent (it is still listed): its entries stay.
        with Journal.open(folder / key, "dataforseo") as journal:
            journal.check_account(key)
            for task in ready[:4]:
                journal.record(task)
            for task in ready[:3]:
                client.collect(task)
    summary = _status(emu, tmp_path, "--to", str(results))
    assert summary["tasks"] == len(ready) - 3
    assert summary["held_in_journal"] == 3
    assert summary["ready_not_collected"] == len(ready)
    assert "3 of them fetched by an interrupted collect" in summary["ready_how"]
    done = run_here(["collect", "-p", "dataforseo", *SERP, "--to", str(results)], env)
    assert done.returncode == 0, done.stderr
    assert len(list((results / "dataforseo").glob("*.json"))) == len(ready)
    after = _status(emu, tmp_path, "--to", str(results))
    assert (after["ready_not_collected"], after["held_in_journal"]) == (0, 0)


def test_the_listing_is_counted_as_it_streams_not_held(tmp_path: Path) -> None:
    """``status`` kept every listed task (vendor item included) until the end: 343 MB
    for 200 000 Serpstat tasks where 37 MB do. The counts are taken page by page, so
    the memory traced while it lists 8000 tasks stays that of a few pages."""
    import tracemalloc

    from seotasks_serpstat.emulator import SerpstatEmulator

    with SerpstatEmulator(seed=5, size=8_000, rps=None, max_rows=None) as emu:
        env = cli_env(tmp_path, {"serpstat": {**emu.settings, "page_size": 500, "rps": 100}})
        tracemalloc.start()
        try:
            done = run_here(["status", "-p", "serpstat", "--format", "json"], env)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tasks"] == 8_000
    assert peak < 8 * 2**20, f"{peak / 2**20:.0f} MiB traced while listing"
