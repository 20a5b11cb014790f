"""The pipeline's working folder does not keep a copy of what was loaded (`workdir`)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dltenv import Env
from seotasks_dlt import workdir


def _loaded(env: Env) -> Path:
    return env.pipelines / "seotasks" / "load" / "loaded"


def _job_files(env: Env) -> list[Path]:
    return sorted(p for p in _loaded(env).glob("*/completed_jobs/*") if p.is_file())


def _data_files(env: Env) -> list[Path]:
    """The rows' files (not the SQL of a merge, which dlt writes plain)."""
    return [p for p in _job_files(env) if ".jsonl" in p.name or ".insert_values" in p.name]


def test_loads_leave_no_data_files_and_only_the_newest_packages(
    small: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workdir, "KEEP_LOADED", 2)
    summary = small.load(collect=True, results_per_run=40)
    assert summary.tables["results"].rows > 80  # three runs and more: three packages
    for _ in range(2):
        small.load(collect=True)
    # Every task and result is in DuckDB, none of it in the pipelines folder.
    assert set(small.keys()) == small.truth()
    assert set(small.keys("results")) <= small.truth()
    assert _job_files(small) == []
    packages = sorted(_loaded(small).iterdir(), key=lambda p: float(p.name))
    assert len(packages) == 2
    # The next run still starts from the destination's state: nothing new, nothing twice.
    again = small.load(collect=True)
    assert again.tables["tasks"].new == 0
    assert again.tables["results"].new == 0
    kept = sorted(_loaded(small).iterdir(), key=lambda p: float(p.name))
    assert len(kept) == 2 and kept[0] == packages[1]  # the oldest went


def test_a_duckdb_files_packages_are_written_plain_and_the_users_dlt_settings_win(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The user keeps dlt's loaded files: they stay, written without gzip for a DuckDB file.
    monkeypatch.setenv("LOAD__DELETE_COMPLETED_JOBS", "false")
    env.load()
    plain = _data_files(env)
    assert any(p.name.startswith("tasks.") for p in plain)
    for path in plain:
        assert path.read_bytes()[:2] != b"\x1f\x8b", path.name
    # And a user who asks for gzip gets it.
    monkeypatch.setenv("DATA_WRITER__DISABLE_COMPRESSION", "false")
    env.dfs.add_tasks(5, kinds=["serp/google/organic"], posted=datetime.now(UTC))
    env.load()
    zipped = [p for p in _data_files(env) if p not in plain]
    assert zipped
    for path in zipped:
        assert gzip.decompress(path.read_bytes())
