"""The core never imports dlt; ``seotasks load`` takes the selection flags of ``tasks``,
and its help states the defaults `seotasks_dlt.load` has."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest
from seotasks_dlt.pipeline import RESULT_BYTES_PER_RUN, load

from seotasks import cli
from seotasks.cli.load import SELECTION_FLAGS

_CHECK = """
import io, sys
import seotasks
from seotasks import cli
for argv in ARGVS:
    try:
        cli.main(argv)
    except SystemExit:
        pass
loaded = sorted(m for m in sys.modules if m == "dlt" or m.startswith(("dlt.", "duckdb", "seotasks_dlt")))
print("LOADED", loaded)
"""


@pytest.mark.parametrize(
    "argvs",
    [
        [],
        [["--help"]],
        [["load", "--help"]],
        [["providers"]],
        [["tasks", "--sandbox", "-p", "dataforseo", "-p", "serpstat", "--limit", "5"]],
    ],
)
def test_importing_seotasks_and_other_commands_import_no_dlt(argvs: list[list[str]]) -> None:
    code = _CHECK.replace("ARGVS", repr(argvs))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "LOADED []" in done.stdout, done.stdout + done.stderr


def _flags(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {s: a for a in parser._actions for s in a.option_strings}


def _command(name: str) -> argparse.ArgumentParser:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    chosen: argparse.ArgumentParser = sub.choices[name]
    return chosen


def test_load_takes_the_selection_flags_of_tasks() -> None:
    tasks, load = _flags(_command("tasks")), _flags(_command("load"))
    for flag in SELECTION_FLAGS:
        assert flag in tasks, f"tasks lost {flag}: update SELECTION_FLAGS"
        assert flag in load, f"load lacks {flag}"
        ours, theirs = load[flag], tasks[flag]
        assert ours.option_strings == theirs.option_strings
        assert ours.choices == theirs.choices
        assert type(ours) is type(theirs)
    assert load["--status"].default == "any"  # a warehouse keeps unfinished tasks too


def test_run_mb_help_states_the_default_of_load() -> None:
    """The parser imports no dlt, so ``--run-mb``'s help cannot read the figure the
    command uses without it (`RESULT_BYTES_PER_RUN`, `load`'s default too): the two must
    agree."""
    assert load.__kwdefaults__["result_bytes_per_run"] == RESULT_BYTES_PER_RUN
    help_text = _flags(_command("load"))["--run-mb"].help or ""
    assert f"(default {RESULT_BYTES_PER_RUN >> 20})" in help_text
