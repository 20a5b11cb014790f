"""``raw`` in the DuckDB file is the vendor's item exactly, whatever the other rows hold."""

from __future__ import annotations

import json
from typing import Any

from dltenv import Env

import seotasks


def test_raw_is_each_vendor_item_exactly(env: Env) -> None:
    """DuckDB reads a JSON Lines load file by guessing one type per column: left to guess,
    ``raw`` became one struct holding every key of every row, so a Serpstat item gained
    DataForSEO's keys as nulls (and values of one key were cast to a common type)."""
    env.load()
    truth: dict[tuple[str, str], dict[str, Any]] = {}
    for name, settings in env.options().items():
        with seotasks.connect(name, **settings) as client:
            truth.update({(name, t.id): dict(t.raw) for t in client.tasks(status="any")})
    rows = env.sql("SELECT provider, id, status, raw::VARCHAR FROM {t}.tasks")
    assert len(rows) == len(truth)
    finished = 0
    for provider, task_id, status, raw in rows:
        item, vendor = json.loads(raw), truth[(provider, task_id)]
        assert item.keys() == vendor.keys(), (provider, task_id)
        if status == "completed":  # an unfinished task's progress moves on meanwhile
            finished += 1
            assert item == vendor, (provider, task_id)
    assert finished > len(rows) / 2


def test_the_state_records_dlts_own_duckdb(env: Env) -> None:
    """The file's destination reads JSON Lines its own way, yet is dlt's DuckDB to the
    pipeline's state: another type there makes dlt warn, on stderr, that the state's
    destination differs (on the first run after an upgrade, and in dlt's own tools)."""
    summary = env.load(providers=["serpstat"])
    state = json.loads((env.pipelines / summary.pipeline / "state.json").read_text())
    assert state["destination_type"] == "dlt.destinations.duckdb"
