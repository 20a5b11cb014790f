"""A destination that cannot merge (dlt's ``filesystem`` without a table format): rows
read again are appended, and the summary still counts keys, not rows, as new."""

from __future__ import annotations

from pathlib import Path

import pytest
from dltenv import Env
from seotasks_dlt import load


def test_rows_read_again_into_an_appending_destination_are_not_new(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second run reads Serpstat's pages from its oldest unfinished task again: dlt
    appends those rows, and "new" counted them (the table's rows grew), though the run
    found no task the bucket did not hold."""
    monkeypatch.setenv("DESTINATION__FILESYSTEM__BUCKET_URL", (tmp_path / "bucket").as_uri())

    def run() -> tuple[int, int | None]:
        summary = load(
            ["serpstat"],
            destination="filesystem",
            pipelines_dir=env.pipelines,
            options={"serpstat": env.options()["serpstat"]},
            clock=env.clock,
        )
        count = summary.tables["tasks"]
        return count.rows, count.new

    assert run() == (len(env.serp.task_ids()), len(env.serp.task_ids()))
    again, new = run()
    assert again > 0  # read again, appended
    assert new == 0
    added = env.serp.add_tasks(3)
    assert run()[1] == len(added)
