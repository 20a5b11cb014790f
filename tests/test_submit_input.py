"""``seotasks submit``'s input: a line longer than any spec is refused whatever its
length (a line ending in a later read chunk than it began in was let through, up to
2 MiB), and an input without a spec says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clihere import run_here
from clirun import cli_env

LIMIT = 1 << 20


@pytest.mark.parametrize("size", [LIMIT + 1, LIMIT + LIMIT // 2, 2 * LIMIT + 100])
def test_a_line_over_a_mebibyte_is_no_spec(tmp_path: Path, size: int) -> None:
    head = '{"location": 2840, "language": "en", "keyword": "'
    line = head + "a" * (size - len(head) - 2) + '"}'
    assert len(line) == size
    specs = tmp_path / "specs.jsonl"
    specs.write_text(json.dumps({"keyword": "k", "location": 2840}) + "\n" + line + "\n")
    done = run_here(["submit", "-p", "dataforseo", str(specs)], cli_env(tmp_path))
    assert done.returncode == 2, done.stderr
    assert f"{specs}:2: a line longer than 1,048,576 bytes, not a task spec" in done.stderr


def test_an_input_without_a_spec_says_so(tmp_path: Path) -> None:
    specs = tmp_path / "empty.jsonl"
    specs.write_text("\n\n")
    # Credentials that would work, at an address nothing answers: nothing is sent.
    account = {"login": "me", "password": "not-sent", "base_url": "http://127.0.0.1:9"}
    done = run_here(
        ["submit", "-p", "dataforseo", str(specs)], cli_env(tmp_path, {"dataforseo": account})
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr == f"seotasks: {specs} holds no spec: nothing to post\n"
