"""Messages in the user's own terms: what a command prints names the user's input and the
flags they used, never a Python object's repr or a call they did not make."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from clihere import run_here
from clirun import cli_env

from seotasks import ConfigError, SerpTaskSpec
from seotasks.submit import spec_from_json

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("device", "tablet", "device must be one of desktop, mobile, got 'tablet'"),
        ("priority", "urgent", "priority must be one of normal, high, got 'urgent'"),
    ],
)
def test_a_bad_choice_in_a_spec(tmp_path: Path, field: str, value: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        spec_from_json({"keyword": "k", "location": 2840, field: value})
    assert str(caught.value) == f"invalid task spec: {words}"
    with pytest.raises(ValueError, match=re.escape(words)):
        SerpTaskSpec(keyword="k", location=2840, **{field: value})
    specs = tmp_path / "specs.jsonl"
    specs.write_text(json.dumps({"keyword": "k", "location": 2840, field: value}) + "\n")
    done = run_here(["submit", "-p", "serpstat", "--sandbox", str(specs)], cli_env(tmp_path))
    assert done.returncode == 2
    assert done.stderr == f"seotasks: {specs}:1: invalid task spec: {words}\n"
    assert "Attribute(" not in done.stderr


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, "MY_RECEIVER_SECRET is not set"),
        ("short", "the secret in MY_RECEIVER_SECRET is 5 characters long"),
    ],
)
def test_receive_secret_names_the_variable_it_was_read_from(
    tmp_path: Path, value: str | None, words: str
) -> None:
    env = cli_env(tmp_path)
    if value is not None:
        env["MY_RECEIVER_SECRET"] = value
    args = ["receive", "--listen", "127.0.0.1:0", "--to", str(tmp_path / "r")]
    done = run_here([*args, "--secret-env", "MY_RECEIVER_SECRET"], env)
    assert done.returncode == 2
    assert words in done.stderr and "at least 16 characters" in done.stderr
    assert "SEOTASKS_RECEIVE_SECRET" not in done.stderr


def test_serpstat_page_says_what_status_failed_does(tmp_path: Path) -> None:
    page = (DOCS / "providers" / "serpstat.md").read_text(encoding="utf-8")
    quoted = re.search(r"--status failed` exits 2 with `([^`]+)`", page.replace("\n", " "))
    assert quoted is not None, "the page should quote what the command says"
    done = run_here(
        ["tasks", "-p", "serpstat", "--sandbox", "--status", "failed"], cli_env(tmp_path)
    )
    assert done.returncode == 2
    assert quoted.group(1) in " ".join(done.stderr.split())
