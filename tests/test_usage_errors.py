"""Usage errors as a user meets them: what is wrong with the command line is named first,
in one line, with exit 2, whatever else the line also lacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from clihere import run_here
from clirun import cli_env


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["tasks", "--bogus"], "--bogus"),
        (["collect", "--bogus"], "--bogus"),
        (["receive", "--bogus"], "--bogus"),
        (["tasks", "--statsu", "any"], "--statsu"),
    ],
)
def test_an_unknown_flag_is_named_before_a_missing_required_one(
    tmp_path: Path, args: list[str], named: str
) -> None:
    """argparse checks required flags before it reports unknown ones: ``tasks --bogus``
    said "-p/--provider is required", and the user who adds ``-p`` learns only then that
    the flag itself was the mistake (a typo of a real flag, say)."""
    done = run_here(args, cli_env(tmp_path))
    assert done.returncode == 2
    assert done.stderr == (
        f"seotasks: unrecognized arguments: {' '.join(args[1:])} (see seotasks {args[0]} --help)\n"
    )


def test_a_missing_required_flag_is_still_named_alone(tmp_path: Path) -> None:
    done = run_here(["tasks"], cli_env(tmp_path))
    assert done.returncode == 2
    assert "required: -p/--provider" in done.stderr
