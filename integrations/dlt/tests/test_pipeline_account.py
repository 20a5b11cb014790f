"""Two accounts given one pipeline name (``--pipeline shared`` for both) are refused,
not mixed: a pipeline's state holds one account's cursors.

The second account's run resumed the first one's listing: DataForSEO history's ``since``
mark, the first account's newest task, hid every older task of the second account, and
188 of its 189 tasks were never loaded, without a word. Now its run is a `ConfigError`
before any listing, and under a pipeline of its own it loads all of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dltenv import FAMILIES, duckdb_rows
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_dlt import LoadSummary, load

from seotasks.clock import FakeClock
from seotasks.errors import ConfigError


def _load(tmp: Path, emulator: DataForSEOEmulator, name: str) -> LoadSummary:
    options = {**emulator.settings, "source": "history", "families": list(FAMILIES)}
    return load(
        ["dataforseo"],
        to=tmp / "x.duckdb",
        pipelines_dir=tmp / "p",
        name=name,
        options={"dataforseo": options},
        clock=FakeClock(),
    )


def test_another_accounts_run_of_a_pipeline_is_refused_before_listing(tmp_path: Path) -> None:
    with (
        DataForSEOEmulator(seed=7, size=300, enforce_limits=False) as first,
        DataForSEOEmulator(seed=8, size=300, enforce_limits=False) as second,
    ):
        _load(tmp_path, first, "shared")
        listed = second.calls["id_list"]
        with pytest.raises(ConfigError, match="another dataforseo account"):
            _load(tmp_path, second, "shared")
        assert second.calls["id_list"] == listed
        _load(tmp_path, first, "shared")  # its own account: as before

        _load(tmp_path, second, "second")
        loaded = {i for (i,) in duckdb_rows(tmp_path / "x.duckdb", "SELECT id FROM {t}.tasks")}
        for emulator in (first, second):
            assert set(emulator.history_ids(families=FAMILIES)) <= loaded
