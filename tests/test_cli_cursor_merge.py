"""A merged ``seotasks tasks`` continued from a cursor lists one query for every provider.

A ``--cursor`` for one provider of several used to leave the others on the command
line's defaults: the cursor's provider went on with ``status=any`` and its ``since``,
the other listed completed tasks of all time, and the stream mixed the two without a
word. Where the command line leaves a field to the cursor, every provider takes the
cursor's; cursors of different listings are refused.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from clihere import run_here
from clirun import cli_env

SANDBOX = ["--sandbox", "--sandbox-day", "2026-11-20", "--seed", "3", "--sandbox-size", "3000"]


def _cursor(args: list[str], env: dict[str, str]) -> str:
    done = run_here(["tasks", *args, *SANDBOX, "--format", "jsonl"], env)
    assert done.returncode == 0, done.stderr
    found = re.search(r"--cursor (\S+)", done.stderr)
    assert found, done.stderr
    return found.group(1)


SERPSTAT = ["-p", "serpstat", "-o", "page_size=100", "--status", "any", "--since", "3d"]
MERGED = ["-p", "dataforseo", "-p", "serpstat", "-o", "dataforseo.source=history"]


def test_a_cursor_for_one_provider_sets_the_query_of_the_merged_stream(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    cursor = _cursor([*SERPSTAT, "-L", "204"], env)  # a page boundary
    merged = [*MERGED, "-o", "serpstat.page_size=100", "--format", "jsonl", "--cursor", cursor]
    done = run_here(["tasks", *merged, *SANDBOX], env)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    dfs = [r for r in rows if r["provider"] == "dataforseo"]
    assert dfs and {r["status"] for r in dfs} > {"completed"}  # the cursor's status=any
    assert min(r["created_at"] for r in dfs) >= "2026-11-17T00:00:00+00:00"  # its since


def test_cursors_of_different_listings_are_refused(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    serpstat = _cursor([*SERPSTAT, "-L", "204"], env)  # a page boundary
    history = ["-p", "dataforseo", "-o", "source=history", "-o", "page_size=5", "--since", "2d"]
    dataforseo = _cursor([*history, "-L", "5"], env)
    cursors = ["--cursor", serpstat, "--cursor", dataforseo]
    done = run_here(["tasks", *MERGED, "-o", "serpstat.page_size=100", *SANDBOX, *cursors], env)
    assert done.returncode == 2 and done.stdout == ""
    assert "continue different listings" in done.stderr
    assert "serpstat: status=any, since=2026-11-17T00:00:00+00:00" in done.stderr
