"""Loads into a real PostgreSQL server (see `pgtest`): exact sets, incremental runs, secrets.

The same checks as the DuckDB tests, through ``seotasks load --destination postgres``
with the credentials in ``DESTINATION__POSTGRES__CREDENTIALS`` (a ``postgresql://``
URL with a password), and through `seotasks_dlt.load` for the results.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dltenv import FAMILIES, Env, run_process, run_to_completion
from pgenv import Tables, load_command
from pgtest import USER, Server
from seotasks_dlt import LoadSummary, load


@pytest.fixture
def database(server: Server) -> str:
    return server.create_database("load")


def _files_text(root: Path) -> str:
    """Everything dlt left in its pipelines directory, as text (state, traces, logs)."""
    parts = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def _in_a_process(
    command: list[str], environment: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """``command`` in a process of its own: for the secret checks, whose output must be
    all the process writes, a driver's own writes to its stderr included (`run_here`
    captures what Python writes)."""
    return run_process(command, environment, capture_output=True, text=True, timeout=300)


def test_cli_loads_every_task_once_then_only_what_is_new(
    env: Env, server: Server, database: str
) -> None:
    url = server.url(database)
    environment = env.environment(url)
    command = load_command(env)
    first = run_to_completion(command, environment, env.tmp)
    assert first.returncode == 0, first.stderr
    tables = Tables(server, database)
    truth = env.truth()
    tables.assert_once_each(truth)
    [line] = first.stdout.splitlines()
    assert line.startswith("seotasks load: pipeline seotasks -> postgres dataset seotasks: ")
    assert f"tasks {len(truth)} rows ({len(truth)} new, 0 updated)" in line

    id_list_before = env.dfs.calls["id_list"]
    serp_before = env.serp.requests
    posted = datetime.now(UTC) - timedelta(seconds=2)
    added = env.dfs.add_tasks(3, kinds=["serp/google/organic"], posted=posted)
    added_serp = env.serp.add_tasks(2)
    second = run_to_completion(command, environment, env.tmp)
    assert second.returncode == 0, second.stderr
    assert f"({len(added) + len(added_serp)} new, " in second.stdout
    # Only the new pages were asked for: one id_list call per family, Serpstat's head.
    assert env.dfs.calls["id_list"] - id_list_before == len(FAMILIES)
    assert env.serp.requests - serp_before < serp_before / 2
    tables.assert_once_each(env.truth())

    # The password is in the environment only: never printed, never written by dlt.
    for run in (first, second):
        assert server.password not in run.stdout + run.stderr
    assert server.password not in _files_text(env.pipelines)


def test_state_lost_locally_is_restored_from_postgres(
    env: Env, server: Server, database: str, tmp_path: Path
) -> None:
    """A second machine (another pipelines dir) resumes the cursors kept in Postgres."""
    environment = env.environment(server.url(database))
    first = run_to_completion(load_command(env), environment)
    assert first.returncode == 0, first.stderr
    id_list_before = env.dfs.calls["id_list"]
    serp_before = env.serp.requests
    added = env.serp.add_tasks(4)
    elsewhere = load_command(env, pipelines=tmp_path / "other-machine")
    second = run_to_completion(elsewhere, environment)
    assert second.returncode == 0, second.stderr
    assert f"({len(added)} new, " in second.stdout
    assert env.dfs.calls["id_list"] - id_list_before == len(FAMILIES)
    assert env.serp.requests - serp_before < serp_before / 2
    Tables(server, database).assert_once_each(env.truth())


def test_collect_loads_one_result_per_completed_task(
    small: Env, server: Server, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = small
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", server.url(database))
    options = env.options(dataforseo={"source": "ready"})

    def run() -> LoadSummary:
        return load(
            ["dataforseo", "serpstat"],
            destination="postgres",
            pipelines_dir=env.pipelines,
            options=options,
            clock=env.clock,
            collect=True,
        )

    first = run()
    tables = Tables(server, database)
    tables.assert_results_match_completed()
    assert first.tables["results"].new == first.tables["results"].rows > 0
    second = run()
    tables.assert_results_match_completed()
    assert second.tables["results"].new == second.tables["results"].rows
    # The vendor's JSON is one jsonb column, queryable in SQL; no child tables.
    [(code,)] = tables.sql(
        "SELECT result->>'status_code' FROM {t}.results WHERE provider = 'dataforseo' LIMIT 1"
    )
    assert code == "20000"
    types = dict(
        tables.sql(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'seotasks' AND table_name = 'tasks'"
        )
    )
    assert types["raw"] == "jsonb" and types["created_at"] == "timestamp with time zone"
    assert types["cost"] == "numeric"
    names = {t for (t,) in tables.sql("SELECT table_name FROM information_schema.tables")}
    assert not {t for t in names if t.startswith(("results__", "tasks__"))}


def test_cli_loads_into_a_url_and_shows_the_server_without_the_password(
    env: Env, server: Server, database: str
) -> None:
    url = server.url(database)
    done = _in_a_process(env.command("--to", url), env.environment())
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    assert line.startswith(
        f"seotasks load: pipeline seotasks -> postgres {USER}@127.0.0.1:{server.port}/"
        f"{database} dataset seotasks: tasks "
    )
    Tables(server, database).assert_once_each(env.truth())
    assert server.password not in done.stdout + done.stderr
    assert server.password not in _files_text(env.pipelines)


@pytest.mark.parametrize("how", ["environment", "--to"])
@pytest.mark.parametrize("wrong", ["password", "port"])
def test_a_failed_connection_never_prints_the_password(
    env: Env, server: Server, database: str, wrong: str, how: str
) -> None:
    secret = "Sup3r-s3cret-pw"
    port = server.port if wrong == "password" else 1
    url = f"postgresql://{USER}:{secret}@127.0.0.1:{port}/{database}"
    if how == "--to":
        command, environment = env.command("--to", url), env.environment()
    else:
        command, environment = load_command(env), env.environment(url)
    failed = _in_a_process(command, environment)
    assert failed.returncode == 6, failed.stderr  # StorageError: the destination refused
    assert failed.stderr.strip()
    assert secret not in failed.stdout + failed.stderr
    assert secret not in _files_text(env.pipelines)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://someone:Sup3r-s3cret-pw@127.0.0.1:notaport/db",
        "postgresql://someone:Sup3r-s3cret-pw@127.0.0.1:5432/",
        "mysql://someone:Sup3r-s3cret-pw@127.0.0.1/db",
        # An @ left in the password: libpq took what follows it for the host, printed in
        # the error and asked of the resolver.
        "postgresql://someone:Sup3r-s3cret-pw@Tail99@127.0.0.1:5432/db",
    ],
)
def test_an_unusable_url_is_refused_without_quoting_it(env: Env, url: str) -> None:
    failed = _in_a_process(env.command("--to", url), env.environment())
    assert failed.returncode == 2, failed.stderr
    assert failed.stderr.strip()
    assert "Sup3r-s3cret-pw" not in failed.stdout + failed.stderr
    assert "Tail99" not in failed.stdout + failed.stderr
    assert env.serp.requests == 0  # refused before any vendor call
