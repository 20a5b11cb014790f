"""``seotasks tasks`` stopped while the vendor stalls on a page: the first SIGTERM ends the
read at once (it waited out the minute's read timeout, or for ever for a server dripping a
byte a second), the pages written stay written, and ``--resume`` lists the rest."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from clihere import run_here
from clirun import CLI, cli_env, popen
from seotasks_dataforseo.emulator import DataForSEOEmulator

from seotasks.emulation import HttpRequest


def test_the_first_signal_ends_a_stalled_page_read_and_resume_lists_the_rest(
    tmp_path: Path,
) -> None:
    release = threading.Event()
    id_lists: list[HttpRequest] = []

    def stall_the_second_page(request: HttpRequest) -> None:
        if "/id_list" in request.path:
            id_lists.append(request)
            if len(id_lists) == 2:
                release.wait(60)  # the vendor's answer never comes, while the test runs

    past = datetime.now(UTC) - timedelta(hours=1)
    with DataForSEOEmulator(seed=3, size=0, kinds=("serp/google/organic",)) as emu:
        emu.add_tasks(120, posted=past, code=20000)
        emu.server.on_request = stall_the_second_page
        settings = {**emu.settings, "source": "history", "page_size": 50, "families": "serp"}
        env = cli_env(tmp_path, {"dataforseo": settings})
        state = tmp_path / "run.json"
        args = ["tasks", "-p", "dataforseo", "--status", "any", "--format", "jsonl"]
        out = tmp_path / "out.jsonl"
        try:
            with out.open("wb") as sink:
                proc = popen(
                    [*CLI, *args, "--resume", str(state)],
                    env=env,
                    stdout=sink,
                    stderr=subprocess.PIPE,
                )
                deadline = time.monotonic() + 60
                while len(id_lists) < 2:  # the first page is in, the second hangs
                    assert time.monotonic() < deadline and proc.poll() is None
                    time.sleep(0.05)
                time.sleep(0.3)
                proc.send_signal(signal.SIGTERM)
                # A hang guard, not a measure: the read timeout is a minute.
                _, stderr = proc.communicate(timeout=20)
            assert proc.returncode == 5, stderr.decode()
            text = stderr.decode()
            assert "interrupted after 50 tasks" in text and "Traceback" not in text, text
            # ``> out.jsonl``: the same command would empty what this run printed
            assert f"continue with --resume {state} appending (>> in place of >" in text
        finally:
            release.set()
        emu.server.on_request = None
        first = [json.loads(line)["id"] for line in out.read_text().splitlines()]
        rest = run_here([*args, "--resume", str(state)], env)
        assert rest.returncode == 0, rest.stderr
        more = [json.loads(line)["id"] for line in rest.stdout.splitlines()]
    assert len(first) == 50
    assert len(first) + len(more) == 120 and len(set(first) | set(more)) == 120


def _stopped_before_any_task(tmp_path: Path, extra: list[str], stdout: Any) -> str:
    """``seotasks tasks ... EXTRA`` SIGTERMed while its first page hangs: exit 5, and
    its stderr."""
    release, asked = threading.Event(), threading.Event()

    def stall(request: HttpRequest) -> None:
        if "/id_list" in request.path:
            asked.set()
            release.wait(60)

    with DataForSEOEmulator(seed=3, size=50) as emu:
        emu.server.on_request = stall
        settings = {**emu.settings, "source": "history", "families": "serp"}
        try:
            proc = popen(
                [*CLI, "tasks", "-p", "dataforseo", "--status", "any", *extra],
                env=cli_env(tmp_path, {"dataforseo": settings}),
                stdout=stdout,
                stderr=subprocess.PIPE,
            )
            assert asked.wait(60) and proc.poll() is None
            proc.send_signal(signal.SIGTERM)
            _, stderr = proc.communicate(timeout=20)  # a hang guard
        finally:
            release.set()
    assert proc.returncode == 5
    text: str = stderr.decode()
    return text


def test_a_signal_before_any_task_gives_no_hint(tmp_path: Path) -> None:
    """Stopped while the first page hangs, without ``--resume``: nothing was written, so
    there is nothing to continue; the same command starts again (it advised a resume
    file "to be able to continue")."""
    said = _stopped_before_any_task(tmp_path, [], subprocess.DEVNULL)
    assert said == "seotasks: interrupted after 0 tasks\n"


def test_a_signal_before_any_task_with_resume_does_not_say_to_append(tmp_path: Path) -> None:
    """With ``--resume`` into ``> out.jsonl`` and nothing written yet, the way on is the
    resume file; "appending (>> in place of >, which would empty this run's output)" was
    beside the point: ``>`` had emptied the file already and this run wrote nothing."""
    state = tmp_path / "run.json"
    with (tmp_path / "out.jsonl").open("wb") as sink:
        said = _stopped_before_any_task(tmp_path, ["--resume", str(state)], sink)
    assert said == f"seotasks: interrupted after 0 tasks; continue with --resume {state}\n"
