"""Near misses in configuration are named: a misspelt or cut-short env var is neither
read nor silent, and a missing credential's error says which near miss was set."""

from __future__ import annotations

from pathlib import Path

import pytest
from clihere import run_here
from clirun import cli_env
from fakevendor import SECRET, FakeVendor

from seotasks import ConfigError
from seotasks.config import resolve_settings as resolve

pytestmark = pytest.mark.usefixtures("fake_registry")

URL = "http://127.0.0.1:1"


@pytest.mark.parametrize(
    ("env", "said"),
    [
        # A misspelt or cut-short name was never read, and the error only said to set
        # the variable the user believed they had set.
        (
            {"SEOTASKS_FAKEVENDOR_API": "k-123456"},
            "(SEOTASKS_FAKEVENDOR_API is set, but names no option)",
        ),
        (
            {"SEOTASKS_FAKEVENDOR_APIKEY": "k-123456"},
            "(SEOTASKS_FAKEVENDOR_APIKEY is set, but names no",
        ),
        ({"SEOTASKS_FAKEVENDOR_API_KEY": "   "}, "(SEOTASKS_FAKEVENDOR_API_KEY is set, but blank)"),
    ],
)
def test_a_missing_credential_names_the_near_miss_that_was_set(
    env: dict[str, str], said: str, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ConfigError) as info:
        resolve(FakeVendor, {"base_url": URL}, env=env)
    assert f"set SEOTASKS_FAKEVENDOR_API_KEY {said}" in str(info.value)
    assert "k-123456" not in str(info.value) + caplog.text


def test_a_misspelt_env_var_is_warned_about_not_silently_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = {"SEOTASKS_FAKEVENDOR_API_KEY": SECRET, "SEOTASKS_FAKEVENDOR_PAGESIZE": "50"}
    env["SEOTASKS_FAKEVENDOR_UNRELATED_THING"] = "x"  # close to nothing: no word
    settings = resolve(FakeVendor, {"base_url": URL}, env=env)
    assert settings["page_size"] == 100
    [record] = caplog.records
    assert record.getMessage() == (
        "SEOTASKS_FAKEVENDOR_PAGESIZE is set, but fakevendor has no option of that name: did "
        "you mean SEOTASKS_FAKEVENDOR_PAGE_SIZE? (not used)"
    )


def test_a_misspelt_o_key_is_named_with_the_one_meant(tmp_path: Path) -> None:
    """``-o pagesize=5`` listed the options without the one meant; ``-o SerpStat.token``
    (the provider in another case, which ``-p`` takes) said no provider had that name."""
    meant = {"pagesize=5": "page_size", "serpstat.tokn=x": "serpstat.token"}
    meant["SerpStat.tokn=x"] = "serpstat.token"
    for pair, option in meant.items():
        done = run_here(["tasks", "-p", "serpstat", "-o", pair], cli_env(tmp_path))
        assert done.returncode == 2 and f"did you mean {option}? " in done.stderr, done.stderr
