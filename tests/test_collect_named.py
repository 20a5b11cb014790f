"""``seotasks collect --id``: named tasks, each collected or named on its own line."""

from __future__ import annotations

import json
from pathlib import Path

from clihere import run_here

from seotasks.config import env_name


def test_one_malformed_id_among_many_is_named_and_the_rest_are_collected(
    env: dict[str, str], tmp_path: Path
) -> None:
    """A Serpstat id that is not a number is refused before any call: it failed the whole
    run, and which of the other named tasks were collected first depended on the
    threads (one run one of two, the next none). Every other id is collected; the
    command still ends with exit 2, naming the id."""
    listed = run_here(["tasks", "-p", "serpstat", "-L", "3", "--format", "jsonl"], env)
    ids = [json.loads(line)["id"] for line in listed.stdout.splitlines()]
    assert len(ids) == 3
    folder = tmp_path / "results"
    named = [arg for i in ["abc", *ids] for arg in ("--id", i)]
    paced = {**env, env_name("serpstat", "rps"): "2"}  # the others wait on the pacer
    result = run_here(["collect", "-p", "serpstat", *named, "--to", str(folder)], paced)
    assert result.returncode == 2, result.stderr
    assert "task id 'abc' is not numeric" in result.stderr.splitlines()[-1]
    assert sorted(p.stem for p in (folder / "serpstat").glob("*.json")) == sorted(ids)
    lines = {json.loads(line)["id"]: json.loads(line) for line in result.stdout.splitlines()}
    assert set(lines) == {*ids, "abc"} and "not numeric" in lines["abc"]["error"]
