"""Plugin discovery: entry points, broken plugins, filters, strict mode, typed lookups."""

from __future__ import annotations

import importlib.metadata
import io
from collections.abc import Iterator
from typing import Any

import fakevendor_entrypoint
import pluggy
import pytest
from fakevendor import FakeVendor, PluginOf

import seotasks
from seotasks import ConfigError, Option, UnknownProvider, plugins

EP = importlib.metadata.EntryPoint


def ep(name: str, value: str) -> importlib.metadata.EntryPoint:
    return EP(name=name, value=value, group="seotasks")


BROKEN = ep("broken", "nonexistent_module_xyz")
GOOD = ep("good", "fakevendor_entrypoint")


@pytest.fixture
def entry_points(clean_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """The installed entry points, as the test sets them (a broken one, then a good one)."""
    points: list[Any] = [BROKEN, GOOD]
    monkeypatch.setattr(plugins, "_entry_points", lambda: list(points))
    plugins.reset()
    yield points
    plugins.reset()


def test_a_broken_plugin_is_reported_and_the_others_work(entry_points: list[Any]) -> None:
    assert seotasks.providers() == ["fakevendor"]
    assert seotasks.get_provider("fakevendor") is FakeVendor
    (failure,) = seotasks.failures()
    assert failure.name == "broken"
    assert failure.target == "nonexistent_module_xyz"
    assert "ModuleNotFoundError" in failure.error and "nonexistent_module_xyz" in failure.error


@pytest.mark.parametrize(
    "target",
    [
        "fakevendor_entrypoint:misspelled",
        "fakevendor_entrypoint:raising",
        "fakevendor_entrypoint:not_a_provider",
        "fakevendor_entrypoint:no_such_attribute",
        "plugin_exits",
        "plugin_unprintable",
    ],
)
def test_each_kind_of_broken_plugin_is_contained(entry_points: list[Any], target: str) -> None:
    entry_points[:] = [ep("bad", target), GOOD]
    assert seotasks.providers() == ["fakevendor"]
    (failure,) = seotasks.failures()
    assert failure.name == "bad" and failure.target == target
    expected = {
        "misspelled": "unknown hook 'register_provider'",
        "raising": "RuntimeError: plugin blew up",
        "not_a_provider": "Provider subclass",
        "no_such_attribute": "AttributeError",
        "plugin_exits": "SystemExit: plugin exits on import",
        "plugin_unprintable": "Unprintable: (its message could not be read: ValueError)",
    }[target.rsplit(":", 1)[-1]]
    assert expected in failure.error
    # A failed plugin is not left registered, so it cannot break later registrations.
    obj = getattr(fakevendor_entrypoint, target.rsplit(":", 1)[-1], None)
    if obj is not None:
        assert not plugins.plugin_manager().is_registered(obj)
    seotasks.register_plugin(PluginOf(FakeVendor), "late")
    assert seotasks.providers() == ["fakevendor"]


def test_plugins_load_lazily_and_once(
    entry_points: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[int] = []
    monkeypatch.setattr(plugins, "_entry_points", lambda: reads.append(1) or [GOOD])
    plugins.reset()
    seotasks.register_plugin(PluginOf(FakeVendor), "extra")  # does not trigger loading
    assert reads == []
    assert seotasks.providers() == ["fakevendor"]
    seotasks.providers()
    seotasks.get_provider("fakevendor")
    seotasks.failures()
    assert reads == [1]


@pytest.mark.parametrize(
    ("wanted", "providers", "failed"),
    [
        ("good", ["fakevendor"], []),
        (" good , other ", ["fakevendor"], ["other"]),  # "other": no such plugin
        ("broken", [], ["broken"]),
        ("", [], []),
        ("broken,good", ["fakevendor"], ["broken"]),
    ],
)
def test_load_plugins_filters_entry_points(
    entry_points: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    wanted: str,
    providers: list[str],
    failed: list[str],
) -> None:
    monkeypatch.setenv("SEOTASKS_LOAD_PLUGINS", wanted)
    assert seotasks.providers() == providers
    assert [f.name for f in seotasks.failures()] == failed


@pytest.mark.parametrize("value", ["1", "true", "YES"])
def test_strict_mode_reraises(
    entry_points: list[Any], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SEOTASKS_STRICT_PLUGINS", value)
    with pytest.raises(ModuleNotFoundError, match="nonexistent_module_xyz"):
        seotasks.providers()


def test_strict_mode_off_by_default_values(
    entry_points: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEOTASKS_STRICT_PLUGINS", "0")
    assert seotasks.providers() == ["fakevendor"]


def test_unknown_provider_names_the_installed_ones_and_suggests_the_closest(
    entry_points: list[Any],
) -> None:
    with pytest.raises(UnknownProvider) as info:
        seotasks.get_provider("serpstat")
    assert isinstance(info.value, ConfigError)
    assert info.value.installed == ["fakevendor"]
    assert "installed: fakevendor" in str(info.value)
    # Never a package to install: a name built from a typo invites a look-alike package.
    assert "pip install" not in str(info.value) and "did you mean" not in str(info.value)
    with pytest.raises(UnknownProvider, match=r"did you mean fakevendor\?"):
        seotasks.connect("fakevendr")
    assert seotasks.get_provider("  FakeVendor ") is FakeVendor


@pytest.mark.parametrize("name", [None, 7, b"fakevendor"])
def test_a_provider_name_that_is_not_text_is_a_type_error(
    entry_points: list[Any], name: Any
) -> None:
    """``connect(os.environ.get("PROVIDER"))`` with the variable unset passes ``None``:
    a misused call, so a `TypeError` naming what was passed (docs/errors.md), not an
    ``AttributeError`` about ``strip`` from deep inside the lookup."""
    for call in (seotasks.connect, seotasks.get_provider, seotasks.capabilities_of):
        with pytest.raises(
            TypeError, match=f"provider name must be a str, got {type(name).__name__}"
        ):
            call(name)


def test_other_misused_calls_are_type_errors_naming_what_was_passed(
    fake_registry: None, client: seotasks.Client
) -> None:
    """Each was an ``AttributeError`` from deep inside: env given as a list of pairs, a
    provider's name where ``merged`` takes a client, an id where ``collect`` takes a
    task. A misused call is a `TypeError` saying what it takes (docs/errors.md)."""
    pairs: Any = [("SEOTASKS_FAKEVENDOR_API_KEY", "k")]
    with pytest.raises(TypeError, match="env must be a mapping of names to values, got list"):
        seotasks.connect("fakevendor", env=pairs)
    name: Any = "fakevendor"
    with pytest.raises(TypeError, match=r"merged takes clients, .* got 'fakevendor'"):
        seotasks.merged([name])
    nothing: Any = None
    for call in (client.collect, lambda task: client.collect_to(task, io.BytesIO())):
        with pytest.raises(TypeError, match="collect takes a Task, got NoneType"):
            call(nothing)


def test_provider_names_are_the_registered_ones_each_once(entry_points: list[Any]) -> None:
    assert plugins.provider_names([" FakeVendor"]) == ["fakevendor"]
    assert plugins.provider_names([]) == []
    with pytest.raises(ConfigError, match="provider fakevendor given twice"):
        plugins.provider_names(["fakevendor", "FAKEVENDOR "])
    with pytest.raises(UnknownProvider):
        plugins.provider_names(["fakevendor", "serpstat"])


def test_unknown_provider_under_load_plugins_says_so(
    entry_points: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEOTASKS_LOAD_PLUGINS", "other")
    with pytest.raises(UnknownProvider, match="SEOTASKS_LOAD_PLUGINS='other'") as info:
        seotasks.get_provider("fakevendor")
    assert info.value.limited_by == "other"
    assert "it names 'other', which no installed plugin is called" in str(info.value)


def test_a_load_plugins_name_no_plugin_has_fails_in_strict_mode(
    entry_points: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEOTASKS_LOAD_PLUGINS", "good,goood")
    monkeypatch.setenv("SEOTASKS_STRICT_PLUGINS", "1")
    with pytest.raises(ConfigError, match="names 'goood': no installed plugin has this name"):
        seotasks.providers()


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("fakevendor", "implements no seotasks hook"),  # the package, not its plugin module
        ("fakevendor:FakeVendor", "implements no seotasks hook"),  # the provider class
        ("fakevendor_entrypoint:registers_nothing", "registered no provider"),
    ],
)
def test_an_entry_point_that_registers_no_provider_is_a_failure_naming_it(
    entry_points: list[Any], target: str, said: str
) -> None:
    """An entry point aimed at the wrong object (the provider class, the package) loads
    without an error but adds nothing: listed as a failure, `seotasks providers` tells
    the author where to point it, instead of leaving the provider silently missing."""
    entry_points[:] = [ep("zeta", target), GOOD]
    assert seotasks.providers() == ["fakevendor"]
    (failure,) = seotasks.failures()
    assert failure.name == "zeta" and failure.target == target
    assert said in failure.error and "register_providers" in failure.error, failure.error
    with pytest.raises(UnknownProvider, match="the plugin 'zeta' failed to load"):
        seotasks.get_provider("zeta")


def test_unknown_provider_says_a_plugin_of_that_name_failed_to_load(
    entry_points: list[Any],
) -> None:
    """The plugin is installed and broken: "not installed" would send its author to
    reinstall it; the message gives the load error instead, and for any other name says
    that some plugin failed, as `seotasks providers` shows in full."""
    entry_points[:] = [ep("zeta", "nonexistent_module_xyz"), GOOD]
    with pytest.raises(UnknownProvider) as info:
        seotasks.get_provider("Zeta")
    message = str(info.value)
    assert "the plugin 'zeta' failed to load: ModuleNotFoundError" in message, message
    assert "is installed" not in message and "installed: fakevendor" in message
    assert info.value.failed == {"zeta": seotasks.failures()[0].error}
    with pytest.raises(UnknownProvider, match=r"1 plugin failed to load \(zeta\): `seotasks prov"):
        seotasks.get_provider("other")


def test_the_kit_gives_the_load_error_of_a_broken_plugin(entry_points: list[Any]) -> None:
    from seotasks.testing import ConformanceEnv, ProviderConformance

    def never() -> seotasks.Client:
        raise AssertionError("nothing connects: the plugin did not load")

    entry_points[:] = [ep("zeta", "nonexistent_module_xyz"), GOOD]
    env = ConformanceEnv(provider="zeta", connect=never, expected_ids=lambda query: set())
    with pytest.raises(pytest.fail.Exception, match=r"zeta is not registered: .*ModuleNotF"):
        ProviderConformance().test_loads_through_entry_point(env)


def test_unknown_provider_with_nothing_installed(entry_points: list[Any]) -> None:
    entry_points.clear()
    with pytest.raises(UnknownProvider, match=r"installed: none"):
        seotasks.get_provider("x")


class Misspelled:
    @seotasks.hookimpl
    def register_provider(self, register: Any) -> None:
        register(FakeVendor)


def test_a_misspelled_hook_fails_loudly_and_leaves_the_registry_usable(
    fake_registry: None,
) -> None:
    assert seotasks.providers() == ["fakevendor"]
    with pytest.raises(pluggy.PluginValidationError, match="register_provider"):
        seotasks.register_plugin(Misspelled(), "typo")

    class Other(FakeVendor):
        name = "othervendor"

    seotasks.register_plugin(PluginOf(Other), "other")
    assert seotasks.providers() == ["fakevendor", "othervendor"]


def test_a_misspelled_hook_fails_before_loading_too(clean_env: None) -> None:
    plugins.reset()
    with pytest.raises(pluggy.PluginValidationError):
        seotasks.register_plugin(Misspelled(), "typo")
    plugins.reset()


def test_two_classes_may_not_share_a_name(fake_registry: None) -> None:
    class Impostor(FakeVendor):
        pass

    with pytest.raises(ConfigError, match="registered twice"):
        seotasks.register_plugin(PluginOf(Impostor), "impostor")
    assert seotasks.get_provider("fakevendor") is FakeVendor


@pytest.mark.parametrize("bad_name", ["", "Upper", None])
def test_provider_names_must_be_lower_case(fake_registry: None, bad_name: Any) -> None:
    class Nameless(FakeVendor):
        name = bad_name

    with pytest.raises(TypeError, match="lower-case"):
        seotasks.register_plugin(PluginOf(Nameless), "nameless")


@pytest.mark.parametrize("flag", ["listing", "account"])
def test_an_option_both_secret_and_listing_or_account_is_refused_at_registration(
    fake_registry: None, flag: str
) -> None:
    """A cursor records the listing options and never a secret, so a secret listing
    option went unrecorded: a cursor made under one value resumed under another without
    a word. An account option names a journal folder on disk, which holds no secret.
    Either contradiction is refused when the provider is registered."""

    class SecretListing(FakeVendor):
        name = "secretlisting"
        options = (
            *FakeVendor.options,
            Option(name="project_key", help="whose list", secret=True, **{flag: True}),
        )

    match = rf"SecretListing option 'project_key' is both secret and {flag}"
    with pytest.raises(TypeError, match=match):
        seotasks.register_plugin(PluginOf(SecretListing), "secretlisting")
    assert "secretlisting" not in seotasks.providers()


def test_provider_infos_and_hookimpl_reexport(entry_points: list[Any]) -> None:
    (info,) = plugins.provider_infos()
    assert info.name == "fakevendor" and info.cls is FakeVendor
    assert info.distribution is None  # a hand-made entry point has no distribution
    assert seotasks.hookimpl is seotasks.hookspecs.hookimpl
    assert isinstance(plugins.plugin_manager(), pluggy.PluginManager)
    assert set(dir(seotasks)) >= {"connect", "merged", "providers", "failures", "hookimpl"}
    with pytest.raises(AttributeError):
        seotasks.no_such_name  # noqa: B018


def test_capabilities_of_needs_no_credentials_and_reports_errors() -> None:
    """`seotasks providers` reads capabilities from settings alone, and never hides a failure."""
    from seotasks.plugins import capabilities_of

    ready = capabilities_of("dataforseo")
    history = capabilities_of("dataforseo", {"source": "history"})
    assert ready.drains and ready.cap == 1000
    assert not history.drains and "since" in history.server_filters
    assert capabilities_of("serpstat").window is not None  # a token is not needed for this
    with pytest.raises(seotasks.ConfigError, match="unknown option"):
        capabilities_of("serpstat", {"nope": 1})
    with pytest.raises(seotasks.ConfigError):
        capabilities_of("dataforseo", {"source": "sideways"})


class _NoFetch(seotasks.Provider):
    name = "nofetch"

    def capabilities(self) -> seotasks.Capabilities:
        return seotasks.Capabilities()

    def start(self, query: seotasks.TaskQuery) -> seotasks.Position:
        return {}


# Built with type(): written as class statements, the type checker would refuse the very
# mistakes these classes make on purpose.
_OptionAsText = type(
    "_OptionAsText", (FakeVendor,), {"name": "optionastext", "options": ("colour",)}
)
_LimitAsNumber = type(
    "_LimitAsNumber", (FakeVendor,), {"name": "limitasnumber", "rate_limits": {"tasks": 5}}
)
_DefaultAsText = type(
    "_DefaultAsText",
    (FakeVendor,),
    {"name": "defaultastext", "options": (Option(name="size", help="n", kind="int", default="9"),)},
)
_CallbackMethod = type(
    "_CallbackMethod", (FakeVendor,), {"name": "callbackmethod", "callbacks": {"done": "post"}}
)
_CallbackSpace = type(
    "_CallbackSpace", (FakeVendor,), {"name": "callbackspace", "callbacks": {"x y": "POST"}}
)
_CallbackDots = type(
    "_CallbackDots", (FakeVendor,), {"name": "callbackdots", "callbacks": {"..": "POST"}}
)
_NoPlaces = type("_NoPlaces", (FakeVendor,), {"name": "noplaces", "max_in_flight": 0})
_PlacesAsText = type(
    "_PlacesAsText", (FakeVendor,), {"name": "placesastext", "max_in_flight": "30"}
)


@pytest.mark.parametrize(
    ("cls", "expected"),
    [
        (_NoFetch, "_NoFetch does not implement fetch"),
        (_OptionAsText, "_OptionAsText.options must hold seotasks.Option items, got 'colour'"),
        (_LimitAsNumber, "_LimitAsNumber.rate_limits['tasks'] must be a seotasks.RateLimit, got 5"),
        (_DefaultAsText, "_DefaultAsText option 'size' is kind int, but its default is '9', a str"),
        (
            _CallbackMethod,
            "_CallbackMethod.callbacks['done'] must be GET, PATCH, POST or PUT, got 'post'",
        ),
        # A route is typed into a vendor's callback URL: one that needs no escaping.
        (_CallbackSpace, "_CallbackSpace.callbacks: 'x y' is not a one-segment route of"),
        # A client removes the segment before it sends the request: never reached.
        (_CallbackDots, "_CallbackDots.callbacks: '..' is not a one-segment route of"),
        (_NoPlaces, "_NoPlaces.max_in_flight must be None or a whole number >= 1"),
        (_PlacesAsText, "_PlacesAsText.max_in_flight must be None or a whole number >= 1"),
    ],
)
def test_a_malformed_provider_class_is_refused_at_registration_naming_the_mistake(
    fake_registry: None, cls: type[seotasks.Provider], expected: str
) -> None:
    """A class the core cannot use was registered and listed, then failed on first use
    as an internal error (``TypeError: Can't instantiate abstract class``, ``'int' object
    has no attribute 'period'``): the registry now refuses it, saying what is wrong."""
    with pytest.raises(TypeError) as info:
        seotasks.register_plugin(PluginOf(cls), cls.name)
    assert expected in str(info.value)
    assert cls.name not in seotasks.providers()
