"""A third-party plugin's bug on the command line: the error names the plugin and where
in it (not "internal error", which reads as a bug of seotasks), and a ``--resume`` run
keeps what it listed and says how to continue once the plugin is fixed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import seotasks_acme.provider as acme
from clihere import run_here
from clirun import cli_env

from seotasks.provider import Batch


def test_a_plugin_bug_names_the_plugin_and_the_listing_resumes_after_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetch = acme.AcmeProvider.fetch
    pages: list[int] = []

    def second_page_breaks(self: acme.AcmeProvider, query: Any, position: Any) -> Batch:
        pages.append(1)
        if len(pages) == 2:  # the plugin maps its states to strings, not TaskStatus
            for state, status in list(acme._STATUS.items()):
                monkeypatch.setitem(acme._STATUS, state, status.value)
        return fetch(self, query, position)

    command = ["tasks", "--sandbox", "-p", "acme", "-o", "page_size=20", "--status", "any"]
    command += ["--format", "jsonl", "--resume", str(tmp_path / "run.json")]
    monkeypatch.setattr(acme.AcmeProvider, "fetch", second_page_breaks)
    broken = run_here(command, cli_env(tmp_path))
    assert broken.returncode == 4, broken.stderr
    *hint, said = broken.stderr.strip().splitlines()
    assert said.startswith("seotasks: error in provider acme (seotasks_acme.provider line "), said
    assert ", in _task): TypeError: Task acme:" in said, said
    assert said.endswith("; a bug of that plugin, for its author (--debug shows the traceback)")
    [hint_line] = hint
    assert hint_line.startswith(
        "seotasks: 20 tasks written; once the error below is fixed, continue with --resume "
        f"{tmp_path / 'run.json'}"
    ), hint_line
    first = [json.loads(line)["id"] for line in broken.stdout.splitlines()]
    assert len(first) == 20

    monkeypatch.undo()  # the plugin fixed
    fixed = run_here(command, cli_env(tmp_path))
    assert fixed.returncode == 0, fixed.stderr
    rest = [json.loads(line)["id"] for line in fixed.stdout.splitlines()]
    assert rest and not set(rest) & set(first) and len(set(rest)) == len(rest)


@pytest.mark.parametrize("debug", [False, True])
def test_a_plugin_exception_holding_the_key_is_printed_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, debug: bool
) -> None:
    """A plugin's own exception is no seotasks error, whose message the core scrubs: its
    text went out as it was, with the key the plugin had put in it."""
    from seotasks_acme.emulator import AcmeApp

    from seotasks.emulation import EmulatorServer

    key = "acme-live-0003-s3cr3tKEYvalue"

    def telling(self: acme.AcmeProvider, query: Any, position: Any) -> Batch:
        raise KeyError(f"no paging for key {self.settings['api_key']}")

    monkeypatch.setattr(acme.AcmeProvider, "fetch", telling)
    with EmulatorServer(AcmeApp(seed=1, size=5, api_key=key)) as server:
        env = cli_env(tmp_path, {"acme": {"base_url": server.url, "api_key": key}})
        command = [*(["--debug"] if debug else []), "tasks", "-p", "acme"]
        done = run_here(command, env)
    assert done.returncode == 4, done.stderr
    # (Blamed on the core here: the raising code is this test's, not the plugin's.)
    assert "KeyError: 'no paging for key ***'" in done.stderr
    assert key not in done.stderr and key[5:20] not in done.stderr


def test_what_a_plugin_returned_that_the_core_refuses_is_blamed_on_the_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The core's own check of a plugin's return (a ``fetch`` that returns no `Batch`)
    raises in the core, where no frame of the plugin's is: it was "internal error", a bug
    of seotasks to the user, though the message itself named the plugin's mistake."""

    def a_list(self: acme.AcmeProvider, query: Any, position: Any) -> Any:
        return []

    monkeypatch.setattr(acme.AcmeProvider, "fetch", a_list)
    done = run_here(["tasks", "--sandbox", "-p", "acme"], cli_env(tmp_path))
    assert done.returncode == 4, done.stderr
    said = done.stderr.strip().splitlines()[-1]
    assert said.startswith(
        "seotasks: error in provider acme (what it returned): TypeError: acme: fetch "
        "returned a list, not a seotasks.Batch"
    ), said
    assert said.endswith("; a bug of that plugin, for its author (--debug shows the traceback)")
