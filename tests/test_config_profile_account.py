"""A profile given by name holds the account: an exported credential is not read under it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakevendor import SECRET, FakeVendor

from seotasks.config import resolve_settings as resolve
from seotasks.errors import MissingSetting

URL = "http://127.0.0.1:1"


def test_an_exported_credential_is_not_read_under_a_named_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """``--profile client_b`` with account A's key still exported ran on account A,
    silently, and loaded A's tasks into client B's pipeline. The profile's key is used
    (the other one named in a warning, never shown), and a profile without one is a
    missing key naming the variable that was not read."""
    path = tmp_path / "c.toml"
    path.write_text(
        f"[profiles.b.fakevendor]\nbase_url = '{URL}'\napi_key = 'key-of-b-0000'\n"
        f"[profiles.bare.fakevendor]\nbase_url = '{URL}'\npage_size = 5\n"
    )
    path.chmod(0o600)
    monkeypatch.setenv("SEOTASKS_CONFIG", str(path))
    monkeypatch.setenv("SEOTASKS_FAKEVENDOR_API_KEY", SECRET)
    with caplog.at_level("WARNING"):
        assert resolve(FakeVendor, profile="b")["api_key"] == "key-of-b-0000"
    assert (
        "SEOTASKS_FAKEVENDOR_API_KEY is set, but not used: profile 'b', given by name"
        in caplog.text
    )
    assert SECRET not in caplog.text
    with pytest.raises(MissingSetting) as info:
        resolve(FakeVendor, profile="bare")
    said = str(info.value)
    assert "missing 'api_key' in [profiles.bare.fakevendor]" in said
    assert "(SEOTASKS_FAKEVENDOR_API_KEY is set, but not read: a profile given by name" in said
    assert SECRET not in said
    monkeypatch.setenv("SEOTASKS_PROFILE", "bare")  # not given by name: the env's key
    assert resolve(FakeVendor)["api_key"] == SECRET


def test_check_under_a_named_profile_proves_the_profiles_credentials(tmp_path: Path) -> None:
    """``check --profile x`` said "credentials accepted" of the exported token of another
    account while the profile's own token was refused: the run it vouched for would have
    listed the wrong account's tasks."""
    from clihere import run_here
    from clirun import cli_env
    from seotasks_serpstat.emulator import SerpstatEmulator

    with SerpstatEmulator(seed=1, size=5, rps=None) as emulator:
        config = tmp_path / "config.toml"
        config.write_text("[profiles.x.serpstat]\ntoken = 'not-the-token-0000'\n")
        config.chmod(0o600)
        env = cli_env(tmp_path, {"serpstat": emulator.settings})  # the right token, exported
        env["SEOTASKS_CONFIG"] = str(config)
        named = run_here(["check", "-p", "serpstat", "--profile", "x"], env)
        assert named.returncode == 3, named.stdout + named.stderr
        assert "credentials refused" in named.stdout
        assert emulator.token not in named.stdout + named.stderr
        chosen = run_here(["check", "-p", "serpstat"], {**env, "SEOTASKS_PROFILE": "x"})
        assert chosen.returncode == 0, chosen.stdout + chosen.stderr  # the variables first
        # check says whose credentials it proved
        assert "credentials accepted (" in chosen.stdout
        assert "; token from SEOTASKS_SERPSTAT_TOKEN" in chosen.stdout
        config.write_text(f"[profiles.x.serpstat]\ntoken = '{emulator.token}'\n")
        right = run_here(["check", "-p", "serpstat", "--profile", "x"], env)
        assert right.returncode == 0, right.stdout + right.stderr
        assert f"; token from [profiles.x.serpstat] in {config}" in right.stdout
        assert emulator.token not in right.stdout + right.stderr


def test_an_account_option_the_named_profile_leaves_out_is_its_default_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """DataForSEO's base URL is an account option: an exported one (another account's
    proxy) is not read under a named profile, which has none: the default host, and a
    warning that the variable was not used."""
    from seotasks_dataforseo.provider import DataForSEOProvider

    path = tmp_path / "c.toml"
    path.write_text("[profiles.b.dataforseo]\nlogin = 'b-login'\npassword = 'b-pass-0000'\n")
    path.chmod(0o600)
    monkeypatch.setenv("SEOTASKS_CONFIG", str(path))
    monkeypatch.setenv("SEOTASKS_DATAFORSEO_BASE_URL", "https://proxy.example")
    with caplog.at_level("WARNING"):
        settings = resolve(DataForSEOProvider, profile="b")
    assert settings["base_url"] == "https://api.dataforseo.com"
    assert (
        "SEOTASKS_DATAFORSEO_BASE_URL is set, but not used: profile 'b', given by name"
        in caplog.text
    )


def test_a_blank_profile_variable_counts_as_not_set_and_a_padded_name_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``SEOTASKS_PROFILE="  "`` asked for a profile named two blanks ("no
    [profiles.  ]"), where an empty one counts as not set; ``--profile "good "`` was
    refused as ``no [profiles.good ]`` while the list beside it named ``good``: names
    are written as TOML writes them, quoted where they are not bare."""
    from seotasks.errors import ConfigError

    path = tmp_path / "c.toml"
    path.write_text(f"[profiles.good.fakevendor]\nbase_url = '{URL}'\napi_key = 'key-0000'\n")
    path.chmod(0o600)
    monkeypatch.setenv("SEOTASKS_CONFIG", str(path))
    monkeypatch.setenv("SEOTASKS_FAKEVENDOR_API_KEY", SECRET)
    monkeypatch.setenv("SEOTASKS_FAKEVENDOR_BASE_URL", URL)
    monkeypatch.setenv("SEOTASKS_PROFILE", "  ")
    assert resolve(FakeVendor)["api_key"] == SECRET  # no profile: the env's key
    with pytest.raises(ConfigError) as info:
        resolve(FakeVendor, profile="good ")
    assert str(info.value) == f'no [profiles."good "] in {path} (its profiles: good)'


def test_every_reader_of_the_profile_variable_takes_a_blank_one_as_unset(
    tmp_path: Path,
) -> None:
    """The blank rule lived in the settings alone: ``check`` (and a resume file's record)
    read ``SEOTASKS_PROFILE="  "`` as a profile of that name, and ``check`` failed every
    provider as configured by it. It says what it says with the variable unset."""
    from clihere import run_here
    from clirun import cli_env

    env = cli_env(tmp_path)
    unset = run_here(["check"], env)
    blank = run_here(["check"], {**env, "SEOTASKS_PROFILE": "  "})
    assert (blank.returncode, blank.stdout, blank.stderr) == (
        unset.returncode,
        unset.stdout,
        unset.stderr,
    )
    assert "skip " in blank.stdout and "FAIL" not in blank.stdout
