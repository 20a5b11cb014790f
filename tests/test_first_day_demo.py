"""``make demo`` shows its selling point: the merged listing's first rows, from both vendors,
in completion order (not sent to ``/dev/null``). The Makefile's own command line is run."""

from __future__ import annotations

import shlex
from datetime import datetime
from pathlib import Path

from clihere import run_here
from clirun import cli_env

MAKEFILE = Path(__file__).resolve().parent.parent / "Makefile"


def _demo_lines() -> list[str]:
    text = MAKEFILE.read_text(encoding="utf-8")
    recipe = text.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in recipe.splitlines()[1:] if line.startswith("\t")]


def test_demo_prints_the_merged_rows(tmp_path: Path) -> None:
    lines = _demo_lines()
    assert not any("/dev/null" in line for line in lines)
    merged = next(line for line in lines if line.count(" -p ") >= 2)
    argv = shlex.split(merged)
    assert argv[0] == "$(BIN)/seotasks"
    done = run_here(argv[1:], cli_env(tmp_path))
    assert done.returncode == 0, done.stderr
    head, _rule, *rows = done.stdout.splitlines()
    assert head.split()[:3] == ["PROVIDER", "ID", "STATUS"] and len(rows) == 12
    providers = [row.split()[0] for row in rows]
    assert set(providers) == {"dataforseo", "serpstat"}
    completed = [datetime.fromisoformat(" ".join(row.split()[6:8])) for row in rows]
    assert completed == sorted(completed)
    assert "12 tasks: dataforseo" in done.stderr
