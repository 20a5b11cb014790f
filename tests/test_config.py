"""Settings: explicit > env var > TOML profile > default, strict and secret-safe."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
from fakevendor import SECRET, FakeVendor, PluginOf

import seotasks
from seotasks import ConfigError
from seotasks.config import config_path, env_name, load_profile, parse_option_value
from seotasks.config import resolve_settings as resolve
from seotasks.provider import Option

pytestmark = pytest.mark.usefixtures("fake_registry")

URL = "http://127.0.0.1:1"


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        "[profiles.work.fakevendor]\n"
        f'base_url = "{URL}"\n'
        'api_key = "from-profile-key"\n'
        "page_size = 7\n"
        "[profiles.home.fakevendor]\n"
        'api_key = "home-key-000"\n'
    )
    monkeypatch.setenv("SEOTASKS_CONFIG", str(path))
    return path


def test_env_var_names() -> None:
    assert env_name("fakevendor", "api_key") == "SEOTASKS_FAKEVENDOR_API_KEY"
    assert env_name("my-vendor", "base-url") == "SEOTASKS_MY_VENDOR_BASE_URL"


def test_default_when_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = resolve(FakeVendor, {"base_url": URL, "api_key": SECRET})
    assert settings["page_size"] == 100 and settings["auth"] == "header"


def test_precedence(profile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve(FakeVendor, profile="work")["page_size"] == 7
    assert resolve(FakeVendor, profile="work")["api_key"] == "from-profile-key"
    monkeypatch.setenv("SEOTASKS_FAKEVENDOR_PAGE_SIZE", "9")
    monkeypatch.setenv("SEOTASKS_FAKEVENDOR_API_KEY", SECRET)
    # A profile selected by SEOTASKS_PROFILE: the env vars come first.
    monkeypatch.setenv("SEOTASKS_PROFILE", "work")
    settings = resolve(FakeVendor)
    assert settings["page_size"] == 9 and settings["api_key"] == SECRET
    # A profile given by name (--profile, connect(profile=)): the profile comes first,
    # and its account is never an exported one (a token of another account, left set).
    settings = resolve(FakeVendor, profile="work")
    assert settings["page_size"] == 7 and settings["api_key"] == "from-profile-key"
    settings = resolve(FakeVendor, {"page_size": 11}, profile="work")
    assert settings["page_size"] == 11
    assert settings["base_url"] == URL  # still from the profile
    assert resolve(FakeVendor, {"page_size": None}, profile="work")["page_size"] == 7
    monkeypatch.delenv("SEOTASKS_PROFILE")
    bare = resolve(FakeVendor, {"page_size": None, "base_url": URL})  # no profile at all
    assert bare["page_size"] == 9


def test_empty_env_var_counts_as_unset(profile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEOTASKS_FAKEVENDOR_PAGE_SIZE", "")
    assert resolve(FakeVendor, profile="work")["page_size"] == 7


def test_profile_from_env_and_connect(profile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEOTASKS_PROFILE", "work")
    client = seotasks.connect("fakevendor")
    assert client.provider.settings["page_size"] == 7
    assert client.provider.settings["base_url"] == URL
    client = seotasks.connect("fakevendor", profile="home", base_url=URL)
    assert client.provider.settings["api_key"] == "home-key-000"


def test_an_explicit_env_mapping_replaces_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEOTASKS_FAKEVENDOR_API_KEY", "from-os-environ")
    client = seotasks.connect(
        "fakevendor", env={"SEOTASKS_FAKEVENDOR_API_KEY": SECRET}, base_url=URL
    )
    assert client.provider.settings["api_key"] == SECRET


def test_a_choice_with_blanks_around_it_is_the_choice() -> None:
    """``-o 'auth = query'`` split at ``=`` left `` query``, refused with a message that
    read "must be one of header, query; got query"."""
    client = seotasks.connect(
        "fakevendor",
        env={"SEOTASKS_FAKEVENDOR_SOURCE": " archive "},
        base_url=URL,
        api_key=SECRET,
        auth=" query",
    )
    assert client.provider.settings["auth"] == "query"
    assert client.provider.settings["source"] == "archive"


def test_missing_required_names_the_env_var() -> None:
    with pytest.raises(ConfigError) as info:
        seotasks.connect("fakevendor", base_url=URL)
    assert "SEOTASKS_FAKEVENDOR_API_KEY" in str(info.value)
    assert "'api_key'" in str(info.value)
    with pytest.raises(ConfigError, match="SEOTASKS_FAKEVENDOR_BASE_URL"):
        seotasks.connect("fakevendor", api_key=SECRET)


@pytest.mark.parametrize(
    ("kw", "env", "message"),
    [
        # The provider named: with several -p, an unscoped -o reaches each of them.
        (
            {"page_size": "many"},
            {},
            "^fakevendor: option page_size: expected int for 'page_size', got 'many'$",
        ),
        ({"page_size": 2.5}, {}, "expected int"),
        ({"page_size": True}, {}, "expected int"),
        ({}, {"SEOTASKS_FAKEVENDOR_PAGE_SIZE": "ten"}, "SEOTASKS_FAKEVENDOR_PAGE_SIZE"),
        ({"base_url": 5}, {}, "expected str for 'base_url'"),
        ({"auth": "basic"}, {}, "must be one of header, query; got 'basic'"),
        # Shown quoted: a value with a blank inside would read as one of the choices.
        ({"auth": "he ader"}, {}, "must be one of header, query; got 'he ader'"),
        ({}, {"SEOTASKS_FAKEVENDOR_SOURCE": "old"}, "SEOTASKS_FAKEVENDOR_SOURCE.*live, archive"),
        ({"colour": "blue"}, {}, r"unknown option\(s\) colour; known: api_key, auth"),
        # A near miss is named: case, dashes, a letter off, a name cut short.
        ({"page-size": 5}, {}, r"page-size; did you mean page_size for page-size\?; known"),
        ({"api_kye": "k"}, {}, r"did you mean api_key for api_kye\?"),
        (
            {"PAGESIZE": 5, "sourc": "x"},
            {},
            r"did you mean page_size for PAGESIZE, source for sourc",
        ),
    ],
)
def test_bad_values_are_config_errors(
    monkeypatch: pytest.MonkeyPatch, kw: dict[str, Any], env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        seotasks.connect("fakevendor", **{"base_url": URL, "api_key": SECRET, **kw})


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[profiles.work.fakevendor]\npage_size = 2.7\n", "expected int"),
        ("[profiles.work.fakevendor]\npage_size = [1]\n", "expected int"),
        ("[profiles.work.fakevendor]\nregion = 'eu'\n", r"unknown option\(s\) region; known: "),
        ("[profiles.work.fakevendor]\nbase-url = 'x'\n", r"did you mean base_url for base-url"),
        ("[profiles.work]\nfakevendor = 3\n", "must be a table"),
        ("profiles = 3\n", r"no \[profiles.work\]"),
        ("[profiles.other.fakevendor]\n", r"no \[profiles.work\]"),
        ("[profiles.work.fakevendor\n", "not valid TOML"),
        # A misspelt table was ignored: its credentials never applied, and the error
        # was a missing one that the file seemed to hold.
        (
            "[profiles.work.fakevendr]\napi_key = 'k-123456'\n",
            r"no \[profiles.work.fakevendor\] .* but a \[profiles.work.fakevendr\]",
        ),
        ("[profiles.work.FakeVendor]\n", r"did you mean \[profiles.work.fakevendor\]"),
        # Beside the right table, a near miss's settings (a time zone) were dropped.
        (
            "[profiles.work.fakevendor]\n[profiles.work.FakeVendor]\npage_size = 5\n",
            r"\[profiles.work.FakeVendor\] in .* is no installed provider's table",
        ),
        # A misspelt profile or section name said only "no [profiles.work]".
        ("[profiles.wrok.fakevendor]\n[profiles.home]\n", r"\(its profiles: home, wrok\)$"),
        ("[profile.work.fakevendor]\n", r"it has no \[profiles\] table \(its tables: profile\)"),
        # A key at the profile's level applies to no provider: it was ignored.
        (
            "[profiles.work]\napi_key = 'k-123456'\n",
            r"api_key must be a table: a profile holds one table per provider",
        ),
    ],
)
def test_bad_profiles_are_config_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, message: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(toml)
    monkeypatch.setenv("SEOTASKS_CONFIG", str(path))
    with pytest.raises(ConfigError, match=message):
        resolve(FakeVendor, {"base_url": URL, "api_key": SECRET}, profile="work")


class _SecondVendor(FakeVendor):
    name: ClassVar[str] = "fakevendor2"


def test_a_profile_table_for_another_provider_or_none_installed_is_not_a_typo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One profile file serves machines with other plugins installed: a table whose name
    is nothing like the provider, or is another installed provider's, is left alone."""
    path = tmp_path / "c.toml"
    path.write_text("[profiles.work.acme]\napi_key = 'a-123456'\n[profiles.work.fakevendor2]\n")
    monkeypatch.setenv("SEOTASKS_CONFIG", str(path))
    seotasks.register_plugin(PluginOf(_SecondVendor), "fakevendor2")
    settings = resolve(FakeVendor, {"base_url": URL, "api_key": SECRET}, profile="work")
    assert settings["api_key"] == SECRET


def test_profile_errors_name_the_table_and_the_file(
    profile: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a profile selected, a missing option is to be added to that profile's table
    for the provider (the message told a user who gave ``--profile work`` to give
    ``--profile NAME``), and a value of the wrong type names the table it is in (a
    profile has one table per provider, and two may share an option name) and the file."""
    with pytest.raises(ConfigError) as info:
        resolve(FakeVendor, profile="home")  # no base_url in [profiles.home.fakevendor]
    for said in (str(info.value), info.value.cli_message or ""):
        assert "SEOTASKS_FAKEVENDOR_BASE_URL" in said
        assert f"add base_url to [profiles.home.fakevendor] in {profile}" in said
        assert "--profile NAME" not in said
    profile.write_text("[profiles.work.fakevendor]\npage_size = 'seven'\n")
    with pytest.raises(ConfigError) as info:
        resolve(FakeVendor, {"base_url": URL, "api_key": SECRET}, profile="work")
    assert str(info.value).startswith(f"[profiles.work.fakevendor] in {profile}: expected int")


def test_missing_profile_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEOTASKS_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_profile("work", "fakevendor")


def test_config_path(tmp_path: Path) -> None:
    assert config_path({"SEOTASKS_CONFIG": "~/x.toml"}) == Path.home() / "x.toml"
    assert config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "seotasks/config.toml"


@pytest.mark.parametrize(
    "how",
    ["explicit-type", "env-choice", "toml-type", "toml-syntax", "unknown-option"],
)
def test_a_secret_is_never_echoed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    path = tmp_path / "c.toml"
    monkeypatch.setenv("SEOTASKS_CONFIG", str(path))
    kw: dict[str, Any] = {"base_url": URL}
    profile = None
    if how == "explicit-type":
        kw["api_key"] = [SECRET]
    elif how == "env-choice":
        kw["api_key"] = SECRET
        kw["auth"] = SECRET  # a secret pasted into the wrong option
    elif how == "toml-type":
        path.write_text(f"[profiles.p.fakevendor]\napi_key = ['{SECRET}']\n")
        profile = "p"
    elif how == "toml-syntax":
        path.write_text(f'[profiles.p.fakevendor]\napi_key = "{SECRET}\n')
        profile = "p"
    else:
        kw["api_key"] = SECRET
        kw[SECRET[:3]] = SECRET
    with pytest.raises(ConfigError) as info:
        seotasks.connect("fakevendor", profile=profile, **kw)
    if how == "env-choice":
        # `auth` is not a secret option, so its (misplaced) value may be shown...
        assert "must be one of" in str(info.value)
    else:
        assert SECRET not in str(info.value)
        assert SECRET not in repr(info.value)


@pytest.mark.parametrize(
    ("kind", "raw", "value"),
    [
        ("bool", "yes", True),
        ("bool", "OFF", False),
        ("bool", True, True),
        ("float", "1.5", 1.5),
        ("list", "a, b,,c", ["a", "b", "c"]),
        ("list", ["x"], ["x"]),
        ("int", " 12 ", 12),
        ("int", "-3", -3),
        ("bool", " yes ", True),
        ("float", " 2.5 ", 2.5),
        ("str", "s", "s"),
    ],
)
def test_parse_option_value(kind: str, raw: Any, value: Any) -> None:
    assert parse_option_value(Option(name="o", help="", kind=kind), raw, "here") == value


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("bool", "maybe"),
        ("bool", 1),
        ("float", "nan"),
        ("float", True),
        ("list", [1]),
        ("int", 1.0),
        # Python's int() and float() take these; no one writing a setting means them.
        ("int", "5_00"),
        ("int", "\u0665\u0660\u0660"),
        ("float", "1_0.5"),
        ("float", "inf"),
        ("float", "-Infinity"),
    ],
)
def test_parse_option_value_refuses(kind: str, raw: Any) -> None:
    with pytest.raises(ConfigError, match=f"here: expected {kind} for 'o'"):
        parse_option_value(Option(name="o", help="", kind=kind), raw, "here")


def test_secret_option_values_are_masked_in_type_errors() -> None:
    option = Option(name="pin", help="", kind="int", secret=True)
    with pytest.raises(ConfigError) as info:
        parse_option_value(option, "1234-secret", "SEOTASKS_X_PIN")
    assert "1234-secret" not in str(info.value) and "***" in str(info.value)


@pytest.mark.parametrize(
    ("base_url", "warned"),
    [
        ("http://api.example.com", True),
        ("HTTP://10.0.0.5:8080/v1", True),
        ("https://api.example.com", False),
        ("http://127.0.0.1:1", False),
        ("http://localhost:8080", False),
        ("http://[::1]:8080", False),
        ("http://localhost.:8080", False),  # the fully qualified name
        ("http://127.1:8080", False),  # the short form the resolver reads as 127.0.0.1
        ("http://127.0.0.1.nip.io:8080", True),  # a name that only looks local
        ("http://[::ffff:127.0.0.1]:8080", False),  # 127.0.0.1, written as IPv6
        ("http://[2001:db8::1]:8080", True),
    ],
)
def test_credentials_bound_for_plain_http_off_this_machine_are_warned_of(
    base_url: str, warned: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """A base URL without TLS sends the key readable on the way: said once, at the start,
    naming the host and never the key; loopback (emulators, tunnels) stays quiet."""
    with caplog.at_level("WARNING", logger="seotasks"):
        resolve(FakeVendor, {"base_url": base_url, "api_key": SECRET}, env={})
    lines = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    if warned:
        [line] = lines
        assert "unencrypted" in line and "base_url" in line and "https" in line
        assert SECRET not in line and "http://2001" not in line  # [2001:db8::1], bracketed
    else:
        assert lines == []


class _ConfigureReturnsNothing(FakeVendor):
    """A ``configure`` that checks the settings and forgets to return them."""

    name: ClassVar[str] = "returnsnothing"

    @classmethod
    def configure(cls, settings: Any) -> Any:
        FakeVendor.configure(settings)


def test_a_configure_that_returns_no_settings_is_named(fake_registry: None) -> None:
    """It failed as ``TypeError: 'NoneType' object is not iterable``, from inside the
    core, at every ``connect``."""
    with pytest.raises(TypeError, match=r"^returnsnothing: configure\(\) returned None"):
        resolve(
            _ConfigureReturnsNothing, {"base_url": "http://127.0.0.1:9", "api_key": SECRET}, env={}
        )


def test_a_value_the_provider_refuses_names_where_it_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A value read fine as its kind but refused by the provider's own checks (``rps = 0``,
    a page size out of range) named neither the profile table and file nor the env var
    it came from, though a refused profile value is documented to name its table."""
    from seotasks_serpstat.provider import SerpstatProvider

    path = tmp_path / "c.toml"
    path.write_text("[profiles.work.serpstat]\ntoken = 't-0123456789'\nrps = 0\n")
    monkeypatch.setenv("SEOTASKS_CONFIG", str(path))
    with pytest.raises(ConfigError) as info:
        resolve(SerpstatProvider, profile="work")
    assert "rps must be > 0" in str(info.value)
    assert f"rps from [profiles.work.serpstat] in {path}" in str(info.value)
    assert "t-0123456789" not in str(info.value)
    monkeypatch.setenv("SEOTASKS_SERPSTAT_PAGE_SIZE", "50")
    with pytest.raises(ConfigError, match="page_size from SEOTASKS_SERPSTAT_PAGE_SIZE"):
        resolve(SerpstatProvider, {"rps": 1}, profile="work")
    # A value given explicitly is the caller's own: nothing to add.
    monkeypatch.delenv("SEOTASKS_SERPSTAT_PAGE_SIZE")
    with pytest.raises(ConfigError) as info:
        resolve(SerpstatProvider, {"rps": 0, "token": "t-0123456789"})
    assert str(info.value) == "serpstat: rps must be > 0 and <= 100, got 0.0"
    from seotasks_dataforseo.provider import DataForSEOProvider

    path.write_text("[profiles.work.dataforseo]\nlogin = 'me'\npassword = 'p-0123456789'\n")
    monkeypatch.setenv("SEOTASKS_DATAFORSEO_FAMILIES", "serp,keywords")
    with pytest.raises(ConfigError) as info:
        resolve(DataForSEOProvider, profile="work")
    assert str(info.value) == (
        "dataforseo: families: unknown DataForSEO family or endpoint 'keywords' "
        "(families from SEOTASKS_DATAFORSEO_FAMILIES)"
    )
    # "user:password@" in the message is an example, not the password option's value.
    monkeypatch.delenv("SEOTASKS_DATAFORSEO_FAMILIES")
    with pytest.raises(ConfigError) as info:
        resolve(DataForSEOProvider, {"base_url": "http://u:p@127.0.0.1:9/"}, profile="work")
    assert "must not carry credentials" in str(info.value)
    assert "password from" not in str(info.value)


def test_an_empty_credential_counts_as_not_given_wherever_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``password = ""`` left in a profile from a template, or ``-o password=$UNSET``, was
    sent to the vendor as the credential: ``credentials refused`` (exit 3) after a
    request, and an empty ``-o`` even hid the env var that held the real one. A required
    option that is empty or blank counts as not given, as an empty env var does."""
    path = tmp_path / "c.toml"
    path.write_text(f"[profiles.work.fakevendor]\nbase_url = '{URL}'\napi_key = ''\n")
    path.chmod(0o600)
    monkeypatch.setenv("SEOTASKS_CONFIG", str(path))
    with pytest.raises(ConfigError) as info:
        resolve(FakeVendor, profile="work")
    # a profile given by name holds the account: add it there, no variable is read
    assert f"missing 'api_key' in [profiles.work.fakevendor] in {path}: add it there" in str(
        info.value
    )
    with pytest.raises(ConfigError, match="missing 'api_key'"):
        resolve(FakeVendor, {"api_key": "  "}, profile="work")
    monkeypatch.setenv("SEOTASKS_FAKEVENDOR_API_KEY", SECRET)
    monkeypatch.setenv("SEOTASKS_PROFILE", "work")
    assert resolve(FakeVendor, {"api_key": ""})["api_key"] == SECRET
