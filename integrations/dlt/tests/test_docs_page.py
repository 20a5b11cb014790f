"""``docs/dlt.md`` runs: its library example loads both emulators, as the page says.

The page's Python block runs as written (not only compiled), from a file of its own,
with the profile it names (``agency_a``) pointing at the two emulators on loopback, in a
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

PAGE = Path(__file__).resolve().parents[3] / "docs" / "dlt.md"
_BLOCK = re.compile(r"^```python\n(?P<code>.*?)^```", re.MULTILINE | re.DOTALL)


def _library_blocks() -> list[str]:
    """The page's Python blocks but the included recipe files (``--8<--``)."""
    found = [m.group("code") for m in _BLOCK.finditer(PAGE.read_text(encoding="utf-8"))]
    return [code for code in found if not code.lstrip().startswith("--8<--")]


def test_the_page_has_a_library_example() -> None:
    blocks = _library_blocks()
    assert len(blocks) == 1 and "seotasks_source(" in blocks[0]


def test_the_library_example_loads_both_vendors(
    small: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small emulators: the example collects (one task_get per completed task, paced on
    # the real clock as a user's run is) and what it shows needs a few tasks, not 1500.
    env = small
    dfs, serp = env.dfs.settings, env.serp.settings
    config = tmp_path / "config.toml"
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
    for name in list(os.environ):
        if name.startswith("SEOTASKS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SEOTASKS_CONFIG", str(config))
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
    monkeypatch.chdir(tmp_path)
    example = tmp_path / "dlt_page.py"
    example.write_text(_library_blocks()[0], encoding="utf-8")
    runpy.run_path(str(example), run_name="dlt_page")
    databases = list(tmp_path.glob("*.duckdb"))
    assert len(databases) == 1
    with duckdb.connect(str(databases[0]), read_only=True) as con:
        providers = dict(
            con.sql(
                "SELECT provider, count(*) FROM seotasks_agency_a.seotasks.tasks GROUP BY 1"
            ).fetchall()
        )
        [(results,)] = con.sql("SELECT count(*) FROM seotasks_agency_a.seotasks.results").fetchall()
    assert providers.get("dataforseo", 0) > 0 and providers.get("serpstat", 0) > 0
    assert results > 0  # collect=True in the example
