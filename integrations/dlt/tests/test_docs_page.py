"""``docs/dlt.md`` runs: its library examples load both emulators, as the page says.

The page's Python blocks run as written (not only compiled), each from a file of its own,
with the profile they name (``agency_a``) pointing at the two emulators on loopback, in a
fresh working directory. The recipes the page includes are run by their orchestrators
(``orchestrator_tests``: ``make dagster``, ``make airflow``). The unit suite's
docs test skips this page because dlt is installed only for ``make dlt``.
"""

from __future__ import annotations

import os
import re
import runpy
from pathlib import Path

import duckdb
import pytest
from dltenv import Env
from pgenv import Tables
from pgtest import Server

PAGE = Path(__file__).resolve().parents[3] / "docs" / "dlt.md"
_BLOCK = re.compile(r"^```python\n(?P<code>.*?)^```", re.MULTILINE | re.DOTALL)


def _library_blocks() -> list[str]:
    """The page's Python blocks but the included recipe files (``--8<--``)."""
    found = [m.group("code") for m in _BLOCK.finditer(PAGE.read_text(encoding="utf-8"))]
    return [code for code in found if not code.lstrip().startswith("--8<--")]


def test_the_page_has_its_library_examples() -> None:
    blocks = _library_blocks()
    assert len(blocks) == 3
    assert "seotasks_source(" in blocks[0] and "summary = load(" in blocks[1]
    assert "with dataset_turn(pipeline" in blocks[2]


def _agency_a(env: Env, config: Path) -> None:
    """A ``SEOTASKS_CONFIG`` with the profile the examples name, at ``env``'s emulators."""
    dfs, serp = env.dfs.settings, env.serp.settings
    config.write_text(
        "[profiles.agency_a.dataforseo]\n"
        f'base_url = "{dfs["base_url"]}"\nlogin = "{dfs["login"]}"\n'
        f'password = "{dfs["password"]}"\n'
        # One id_list family: the page's default (all eleven) is eleven calls at the
        # vendor's 10 a minute, a minute of real time for a test.
        'families = ["serp"]\n'
        "[profiles.agency_a.serpstat]\n"
        f'base_url = "{serp["base_url"]}"\ntoken = "{serp["token"]}"\nrps = 100\n',
        encoding="utf-8",
    )
    config.chmod(0o600)  # as the docs ask: a file others can read is warned of


def _run_block(
    index: int, env: Env, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, int]:
    """Run the page's block ``index`` as written, in ``folder`` (profile ``agency_a`` at
    the emulators, dlt's data under it); the tasks per provider in the one DuckDB file it
    leaves there, and ``results`` rows."""
    _run_only(index, env, folder, monkeypatch)
    databases = list(folder.glob("*.duckdb"))
    assert len(databases) == 1
    catalog = databases[0].stem
    with duckdb.connect(str(databases[0]), read_only=True) as con:
        found = dict(
            con.sql(
                f"SELECT provider, count(*) FROM {catalog}.seotasks.tasks GROUP BY 1"
            ).fetchall()
        )
        [(results,)] = con.sql(f"SELECT count(*) FROM {catalog}.seotasks.results").fetchall()
    return {**found, "results": results}


def _run_only(index: int, env: Env, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder.mkdir()
    config = folder / "config.toml"
    _agency_a(env, config)
    for name in list(os.environ):
        if name.startswith("SEOTASKS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SEOTASKS_CONFIG", str(config))
    monkeypatch.setenv("DLT_DATA_DIR", str(folder / "dlt"))
    monkeypatch.chdir(folder)
    example = folder / "dlt_page.py"
    example.write_text(_library_blocks()[index], encoding="utf-8")
    runpy.run_path(str(example), run_name="dlt_page")


def test_the_dataset_turn_example_loads_into_postgresql(
    small: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: Server
) -> None:
    database = server.create_database("page")
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", server.url(database))
    _run_only(2, small, tmp_path / "example", monkeypatch)
    tables = Tables(server, database)
    assert {provider for provider, _ in tables.keys("tasks")} == {"dataforseo", "serpstat"}
    assert tables.keys("results")


@pytest.mark.parametrize("index", [0, 1], ids=["seotasks_source", "load"])
def test_each_library_example_loads_both_vendors(
    index: int,
    small: Env,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Small emulators: the examples collect (one task_get per completed task, paced on
    # the real clock as a user's run is) and what they show needs a few tasks, not 1500.
    counts = _run_block(index, small, tmp_path / "example", monkeypatch)
    assert counts.get("dataforseo", 0) > 0 and counts.get("serpstat", 0) > 0
    assert counts["results"] > 0  # collect=True in both
    if index == 1:
        # The summary line, then a line per table: every row new to the example's file.
        printed = capsys.readouterr().out.splitlines()
        assert printed[0].startswith("seotasks load: pipeline seotasks_agency_a -> duckdb")
        assert printed[1].startswith("tasks ") and printed[1].endswith(" new, 0 updated")
        assert printed[2].startswith("results ") and printed[2].endswith(" new, 0 updated")
