"""``seotasks load`` from the command line: sandbox, summary line, lock, missing integration."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import dltenv
import pytest
from dltenv import Env, run_process
from seotasks_dlt import filelock, seotasks_source
from seotasks_dlt import pipeline as pipeline_module
from seotasks_dlt.destinations import resolve
from seotasks_dlt.duckdb_file import open_duckdb

from seotasks import cli
from seotasks.errors import ConfigError, StorageError

SEOTASKS = Path(sys.executable).parent / "seotasks"


def test_sandbox_load_into_the_default_duckdb_file(tmp_path: Path) -> None:
    command = [str(SEOTASKS), "load", "--sandbox", "-p", "dataforseo", "-p", "serpstat"]
    command += ["--pipelines-dir", str(tmp_path / "p"), "--sandbox-size", "300"]
    first = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    [line] = first.stdout.splitlines()
    assert line.startswith(
        "seotasks load: pipeline seotasks_sandbox_0_300 -> duckdb seotasks.duckdb dataset "
        "seotasks: tasks "
    )
    assert " new, 0 updated)" in line and line.endswith(" s")
    assert (tmp_path / "seotasks.duckdb").is_file()
    second = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert "(0 new, " in second.stdout  # the same emulator data: nothing new, merged in place


def test_other_sandbox_data_loads_into_a_pipeline_of_its_own(tmp_path: Path) -> None:
    """A 2000-task sandbox's cursor listed nothing of a 500-task one, run after run."""
    serpstat = [*dltenv.SEOTASKS, "load", "--sandbox", "-p", "serpstat"]
    serpstat += ["--pipelines-dir", str(tmp_path / "p"), "--sandbox-size"]
    for size in (2000, 500):
        done = run_process(
            [*serpstat, str(size)], None, cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert f"pipeline seotasks_sandbox_0_{size} " in done.stdout
        assert f"tasks {size} rows (" in done.stdout


def test_a_second_concurrent_load_of_one_pipeline_is_refused(env: Env) -> None:
    with (
        filelock.exclusive(env.pipelines, "seotasks"),
        pytest.raises(StorageError, match="another load of pipeline seotasks is running"),
    ):
        env.load()
    env.load()  # the lock is gone with its holder


def test_missing_integration_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "seotasks_dlt.pipeline", None)
    assert cli.main(["load", "-p", "serpstat"]) == cli.EXIT_USAGE
    assert "pip install seotasks-dlt" in capsys.readouterr().err


def test_bad_input_is_a_clear_error_before_anything_runs(env: Env, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="status"):
        seotasks_source(["serpstat"], status="done")
    with pytest.raises(ConfigError, match=r"\.duckdb"):
        pipeline_module.load(["serpstat"], to=tmp_path / "x.db", options={})
    with pytest.raises(ConfigError, match="not listed"):
        seotasks_source(["serpstat"], options={"dataforseo": {}})


def test_a_status_never_reported_or_a_missing_folder_is_refused(env: Env, tmp_path: Path) -> None:
    """Both loaded nothing, or elsewhere, and exited 0: a status the provider never
    reports (``seotasks tasks`` refuses it: the list could only be empty, read as no
    such task), and a DuckDB file in a folder that does not exist (made, with every
    folder above it: a typo in the path started a new, empty store)."""
    with pytest.raises(ConfigError, match="serpstat reports no failed tasks"):
        env.load(providers=["serpstat"], status="failed")
    missing = tmp_path / "typo" / "sub" / "x.duckdb"
    with pytest.raises(ConfigError, match=r"the folder .*typo/sub does not exist"):
        pipeline_module.load(["serpstat"], to=missing, options={})
    assert not (tmp_path / "typo").exists()


def test_a_duckdb_url_is_the_file_it_names(env: Env, tmp_path: Path) -> None:
    target = tmp_path / "via url.duckdb"
    summary = pipeline_module.load(
        ["dataforseo", "serpstat"],
        to=f"duckdb:///{target}",
        pipelines_dir=env.pipelines,
        options=env.options(),
        clock=env.clock,
    )
    assert summary.destination == f"duckdb {target}"
    assert target.is_file() and summary.tables["tasks"].new == len(env.truth())


def test_a_postgres_url_is_shown_without_its_password() -> None:
    with contextlib.ExitStack() as stack:
        target = resolve("postgres://u:s3cret%40x@db.example:5433/seo?sslmode=require", None, stack)
    assert target.described == "postgres u@db.example:5433/seo"
    assert "s3cret" not in repr(target)


def test_a_limited_run_resumes_at_the_next_page(env: Env) -> None:
    """The cursor moves with its page: two pages now, the rest next time, nothing twice."""
    import seotasks

    before = env.serp.requests
    options = env.options()["serpstat"]
    with seotasks.connect("serpstat", clock=env.clock, env={}, **options) as client:
        for _page in client.pages(status=None):
            pass
    full = env.serp.requests - before  # what a whole listing costs

    source = seotasks_source(
        ["serpstat"], options={"serpstat": env.options()["serpstat"]}, clock=env.clock
    )
    source.tasks.add_limit(2)
    pipeline = env.pipeline("limited")
    pipeline.run(source)
    requests = env.serp.requests
    assert requests - before - full == 2
    rows = pipeline.last_trace.last_normalize_info.row_counts["tasks"]
    assert 0 < rows < len(env.serp.task_ids())
    pipeline.run(
        seotasks_source(
            ["serpstat"], options={"serpstat": env.options()["serpstat"]}, clock=env.clock
        )
    )
    with pipeline.sql_client() as client:
        [(count, distinct)] = client.execute_sql("SELECT count(*), count(DISTINCT id) FROM tasks")
    assert count == distinct == len(env.serp.task_ids())
    # The second run did not start over: it asked for the pages after the first two only.
    assert env.serp.requests - requests == full - 2


def test_a_package_left_pending_by_a_dead_run_is_loaded_first(env: Env) -> None:
    """A run that died after extracting (before or during its load) left a package behind:
    the next run loads it, then lists what is new - the exact set, once each."""
    import contextlib

    import dlt

    with contextlib.ExitStack() as stack:
        pipeline = dlt.pipeline(
            pipeline_name="seotasks",
            destination=open_duckdb(env.database, stack).destination,
            dataset_name="seotasks",
            pipelines_dir=str(env.pipelines),
        )
        pipeline.extract(
            seotasks_source(["serpstat"], options={"serpstat": env.options()["serpstat"]})
        )
        pipeline.normalize()
        assert pipeline.has_pending_data
    added = env.serp.add_tasks(3)
    summary = env.load(providers=["serpstat"])
    assert summary.pending_loaded
    assert "finished an interrupted run's pending load first" in summary.line()
    keys = env.keys()
    assert len(keys) == len(set(keys))
    assert set(keys) == {("serpstat", i) for i in env.serp.task_ids()}
    assert {("serpstat", i) for i in added} <= set(keys)


def test_a_draining_listing_collected_without_an_outbox_is_refused(env: Env) -> None:
    """Collecting from tasks_ready consumes: without an outbox a result fetched and then
    lost with the run would be gone for good, so such a source refuses before any
    task_get (it says how to run it instead)."""
    extra = {**env.options()["dataforseo"], "source": "ready"}
    source = seotasks_source(
        ["dataforseo"], options={"dataforseo": extra}, clock=env.clock, collect=True
    )
    pipeline = env.pipeline("no_outbox")
    with pytest.raises(Exception, match="drains as results are collected") as raised:
        pipeline.run(source)
    assert "seotasks_dlt.load" in str(raised.value)
    assert env.dfs.collected_ids() == set()
