"""The pipeline's working folder does not keep a copy of what was loaded (`workdir`)."""

from __future__ import annotations

import contextlib
import gzip
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dltenv import SEOTASKS, Env, cli_env, run_process
from seotasks_dlt import workdir
from seotasks_dlt.destinations import resolve

from seotasks.errors import ConfigError


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
    monkeypatch.setattr(workdir, "KEEP_LOADED", 1)
    monkeypatch.setenv("LOAD__DELETE_COMPLETED_JOBS", "false")
    env.load()
    plain = _data_files(env)
    assert any(p.name.startswith("tasks.") for p in plain)
    for path in plain:
        assert path.read_bytes()[:2] != b"\x1f\x8b", path.name
    # Keeping dlt's completed jobs keeps the packages that hold them: none pruned.
    before = sorted(_loaded(env).iterdir())
    assert before
    # And a user who asks for gzip gets it.
    monkeypatch.setenv("DATA_WRITER__DISABLE_COMPRESSION", "false")
    env.dfs.add_tasks(5, kinds=["serp/google/organic"], posted=datetime.now(UTC))
    env.load()
    zipped = [p for p in _data_files(env) if p not in plain]
    assert zipped
    for path in zipped:
        assert gzip.decompress(path.read_bytes())
    assert set(before) <= set(_loaded(env).iterdir())


def test_completed_jobs_kept_for_this_pipeline_alone_keep_its_packages(
    small: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dlt reads a setting under the pipeline's name first: kept there, the files stay,
    and so do the packages (the pruning read only the global key, which seotasks set)."""
    monkeypatch.setattr(workdir, "KEEP_LOADED", 1)
    monkeypatch.setenv("SEOTASKS__LOAD__DELETE_COMPLETED_JOBS", "false")
    small.load()
    first = sorted(_loaded(small).iterdir())
    small.dfs.add_tasks(3, kinds=["serp/google/organic"], posted=datetime.now(UTC))
    small.load()
    assert len(first) >= 1 and set(first) < set(_loaded(small).iterdir())
    assert _data_files(small)


def test_a_dlt_setting_of_the_wrong_type_met_mid_run_is_a_config_error(
    small: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Met by dlt's extract after the listing began: "run the same command again" (exit
    6) or an internal error (exit 4) before, which the same value fails again."""
    monkeypatch.setenv("DATA_WRITER__BUFFER_MAX_ITEMS", "abc")
    with pytest.raises(ConfigError, match=r"dlt's configuration: .*buffer_max_items"):
        small.load()


@pytest.mark.parametrize(
    ("variable", "key"),
    [
        ("LOAD__DELETE_COMPLETED_JOBS", "load.delete_completed_jobs"),
        ("DATA_WRITER__DISABLE_COMPRESSION", "data_writer.disable_compression"),
    ],
)
def test_a_dlt_setting_that_is_no_boolean_is_a_config_error_before_any_call(
    small: Env, monkeypatch: pytest.MonkeyPatch, variable: str, key: str
) -> None:
    monkeypatch.setenv(variable, "maybe")
    with pytest.raises(ConfigError, match=f"dlt's configuration: .*`{key}`"):
        small.load(collect=True)
    assert small.dfs.calls["tasks_ready"] == small.dfs.calls["id_list"] == 0
    assert small.dfs.calls["other"] == 0


def test_a_killed_extracts_folder_is_removed_by_the_next_run(small: Env) -> None:
    small.load()
    normalize = small.pipelines / "seotasks" / "normalize"
    left = normalize / "0123456789abcdef" / "1796495661.9733565" / "new_jobs"
    left.mkdir(parents=True)
    (left / "results.0a1b2c3d4e.0.typed-jsonl").write_bytes(b"{}" * 1000)
    other = normalize / "not-dlts"  # not a name dlt gives its extracts: left alone
    other.mkdir()
    small.load()
    assert not (normalize / "0123456789abcdef").exists()
    assert other.is_dir() and (normalize / "extracted").is_dir()


def test_a_schema_file_a_kill_left_half_saved_is_removed_by_the_next_run(small: Env) -> None:
    """dlt saves a schema through a temporary file beside it (16 hex digits, renamed over
    the schema): a kill in between left it in ``schemas/``, which dlt reads as a schema
    named so, refused (``InvalidSchemaName``) by every later run, exit 6."""
    small.load()
    schemas = small.pipelines / "seotasks" / "schemas"
    (schemas / "94747be26a578ab3").write_text('{"version": 3, "name": "seo')
    small.load()
    assert sorted(p.name for p in schemas.iterdir()) == ["seotasks.schema.json"]


def test_named_destinations_reading_files_here_get_them_plain() -> None:
    with contextlib.ExitStack() as stack:
        assert resolve(None, "postgres", stack).local_files
        assert resolve(None, "duckdb", stack).local_files
        assert not resolve(None, "filesystem", stack).local_files


def test_a_dlt_config_file_that_does_not_parse_is_exit_2_and_leaves_no_file(
    tmp_path: Path,
) -> None:
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text("[load\ndelete_completed_jobs = true\n")
    database = tmp_path / "x.duckdb"
    done = run_process(
        [*SEOTASKS, "load", "--sandbox", "-p", "serpstat", "--to", str(database)],
        cli_env(tmp_path, {}),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "ConfigError: dlt's configuration:" in done.stderr
    assert "config.toml" in done.stderr and "internal error" not in done.stderr
    assert not database.exists()


def test_a_package_killed_between_loaded_and_moved_is_moved_by_the_next_run(
    small: Env,
) -> None:
    """dlt marks a package loaded, then moves it to ``loaded/``: a kill between the two
    left it among those to load, and dlt refused it on every later run."""
    small.load()
    newest = max(_loaded(small).iterdir(), key=lambda p: float(p.name))
    assert (newest / "package_completed.json").is_file()
    normalized = small.pipelines / "seotasks" / "load" / "normalized"
    normalized.mkdir(exist_ok=True)
    newest.rename(normalized / newest.name)
    summary = small.load()
    assert summary.tables["tasks"].new == 0  # nothing loaded twice, nothing refused
    assert (_loaded(small) / newest.name).is_dir()
    assert not (normalized / newest.name).exists()
    assert set(small.keys()) == small.truth()


def test_a_package_moved_in_part_before_a_kill_is_moved_whole(small: Env) -> None:
    """dlt moves a folder file by file when renaming it fails: a kill then leaves the
    package in both places, which the next run merges into ``loaded/``."""
    small.load()
    newest = max(_loaded(small).iterdir(), key=lambda p: float(p.name))
    normalized = small.pipelines / "seotasks" / "load" / "normalized"
    shutil.copytree(newest, normalized / newest.name)
    (newest / "package_completed.json").unlink()  # not moved yet when the kill came
    small.load()
    assert (newest / "package_completed.json").is_file()
    assert not (normalized / newest.name).exists()
    assert set(small.keys()) == small.truth()
