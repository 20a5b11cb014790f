"""Finding provider plugins: the pluggy manager, entry points, the provider registry.

Plugins are distributions that declare an entry point in the ``seotasks`` group::

    [project.entry-points.seotasks]
    myvendor = "seotasks_myvendor.plugin"

They are loaded lazily, once, on the first call that needs a provider; each entry
point in its own ``try``, so one broken plugin is reported by ``seotasks providers``
and the others still work. ``SEOTASKS_LOAD_PLUGINS`` (comma-separated entry-point
names) limits which load; ``SEOTASKS_STRICT_PLUGINS=1`` re-raises load failures.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import threading
from collections.abc import Iterable
from types import ModuleType
from typing import Any

import attrs
import pluggy

from . import hookspecs
from .errors import ConfigError, UnknownProvider
from .provider import Capabilities, Option, Provider, declared_capabilities
from .ratelimit import RateLimit

__all__ = [
    "PluginFailure",
    "ProviderInfo",
    "capabilities_of",
    "failures",
    "get_provider",
    "limited_by",
    "plugin_manager",
    "provider_infos",
    "provider_names",
    "providers",
    "register_plugin",
    "reset",
]

GROUP = "seotasks"
#: A callback route: one URL path segment of unreserved characters (RFC 3986).
_ROUTE = re.compile(r"(?!\.{1,2}\Z)[A-Za-z0-9._~-]+")  # "." and "..": removed by clients


@attrs.frozen(slots=True)
class PluginFailure:
    """A plugin that could not be loaded, with the reason."""

    name: str
    target: str
    error: str


@attrs.frozen(slots=True)
class ProviderInfo:
    """A registered provider and the distribution that brought it."""

    name: str
    cls: type[Provider]
    distribution: str | None
    version: str | None


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.loaded = False
        self.pm = pluggy.PluginManager(GROUP)
        self.pm.add_hookspecs(hookspecs)
        self.providers: dict[str, ProviderInfo] = {}
        self.failures: list[PluginFailure] = []
        self.extra: list[tuple[object, str | None]] = []
        #: With ``SEOTASKS_LOAD_PLUGINS`` set: the installed plugins' entry-point names,
        #: and the names it gives that none of them has.
        self.installed: list[str] = []
        self.not_installed: list[str] = []


_state = _Registry()


def reset() -> None:
    """Forget every loaded plugin (tests use this to load again under other settings)."""
    global _state
    _state = _Registry()


def register_plugin(plugin: object, name: str | None = None) -> None:
    """Register a plugin object (a module or instance with hook implementations) directly.

    For applications and tests that define a provider without packaging it; installed
    plugins are found through entry points and need not call this.
    """
    with _state.lock:
        # Registered at once, loaded or not, so a misspelled hook fails here, at the caller.
        _add(plugin, name, None)
        _state.extra.append((plugin, name))


def plugin_manager() -> pluggy.PluginManager:
    _ensure_loaded()
    return _state.pm


def _wanted() -> set[str] | None:
    raw = os.environ.get("SEOTASKS_LOAD_PLUGINS")
    if raw is None:
        return None
    return {part.strip() for part in raw.split(",") if part.strip()}


def _strict() -> bool:
    return os.environ.get("SEOTASKS_STRICT_PLUGINS", "").lower() in {"1", "true", "yes"}


def _entry_points() -> Iterable[importlib.metadata.EntryPoint]:
    return importlib.metadata.entry_points(group=GROUP)


def _add(plugin: object, name: str | None, dist: importlib.metadata.Distribution | None) -> None:
    pm = _state.pm
    if pm.is_registered(plugin):
        return
    pm.register(plugin, name=name)
    try:
        # A misspelled hook name fails loudly instead of being silently ignored.
        pm.check_pending()
        found: list[type[Provider]] = []
        others = [p for p in pm.get_plugins() if p is not plugin]
        pm.subset_hook_caller("register_providers", others)(register=found.append)
        if not found:
            # Loaded without an error, but a plugin that adds nothing is an entry point
            # aimed at the wrong object (the provider class, the package): say so,
            # rather than leave its provider silently missing from `seotasks providers`.
            raise TypeError(
                "registered no provider: its register_providers never called "
                "register(ProviderClass)"
                if pm.get_hookcallers(plugin)
                else "implements no seotasks hook: an entry point must name the module "
                "holding the @seotasks.hookimpl function register_providers"
            )
        for cls in found:
            _add_provider(cls, dist)
    except BaseException:
        # Left registered, it would fail every later check_pending(), i.e. every plugin.
        pm.unregister(plugin)
        raise


def _add_provider(cls: Any, dist: importlib.metadata.Distribution | None) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise TypeError(f"register() takes a Provider subclass, got {cls!r}")
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name or name != name.lower():
        raise TypeError(f"{cls.__name__}.name must be a non-empty lower-case string")
    _check_declarations(cls)
    existing = _state.providers.get(name)
    if existing is not None and existing.cls is not cls:
        raise ConfigError(
            f"provider {name!r} is registered twice: by {existing.cls.__module__} "
            f"and by {cls.__module__}"
        )
    _state.providers[name] = ProviderInfo(
        name=name,
        cls=cls,
        distribution=dist.metadata["Name"] if dist is not None else None,
        version=dist.version if dist is not None else None,
    )


#: The methods a callback route may declare: the receiver reads a body for all but GET.
_CALLBACK_METHODS = ("GET", "PATCH", "POST", "PUT")
#: The types an `Option`'s default may have, by kind: it is used as it is, never read
#: as the strings of env vars and ``-o`` are (a bool is no int here, though Python's is).
_DEFAULT_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "list": (list, tuple),
}


def _check_declarations(cls: type[Provider]) -> None:
    """Refuse a class the core could not use, naming the mistake: left to first use, a
    missing method or a mistyped declaration surfaced as an internal error far from it
    (``Can't instantiate abstract class``, ``'int' object has no attribute 'period'``)."""
    missing = sorted(getattr(cls, "__abstractmethods__", ()))
    if missing:
        raise TypeError(
            f"{cls.__name__} does not implement {', '.join(missing)} "
            "(abstract in seotasks.Provider)"
        )
    for option in cls.options:
        if not isinstance(option, Option):
            raise TypeError(
                f"{cls.__name__}.options must hold seotasks.Option items, got {option!r}"
            )
        # A cursor records the listing options and never a secret: a secret listing
        # option would go unrecorded, and a cursor made under one value would resume
        # under another without a word.
        if option.secret and option.listing:
            raise TypeError(
                f"{cls.__name__} option {option.name!r} is both secret and listing: cursors "
                "record listing options and never hold a secret, so it could not be checked "
                "on resume; make the listing choice an option of its own"
            )
        if option.secret and option.account:
            raise TypeError(
                f"{cls.__name__} option {option.name!r} is both secret and account: the "
                "account names a folder on disk, which never holds a secret"
            )
        default = option.default
        if default is not None and (
            not isinstance(default, _DEFAULT_TYPES[option.kind])
            or (isinstance(default, bool) and option.kind != "bool")
        ):
            raise TypeError(
                f"{cls.__name__} option {option.name!r} is kind {option.kind}, but its default "
                f"is {default!r}, a {type(default).__name__}"
            )
    most = cls.max_in_flight
    if most is not None and (type(most) is not int or most < 1):
        raise TypeError(f"{cls.__name__}.max_in_flight must be None or a whole number >= 1")
    for key, limit in cls.rate_limits.items():
        if not isinstance(limit, RateLimit):
            raise TypeError(
                f"{cls.__name__}.rate_limits[{key!r}] must be a seotasks.RateLimit, got {limit!r}"
            )
    for route, method in cls.callbacks.items():
        if not isinstance(route, str) or not _ROUTE.fullmatch(route):
            # The path segment after the secret, typed into the vendor's callback URL: one
            # that needs no escaping (a space, a ``%`` or a ``?`` each sender spells its way).
            raise TypeError(
                f"{cls.__name__}.callbacks: {route!r} is not a one-segment route of letters, "
                "digits, '-', '.', '_' or '~'"
            )
        if method not in _CALLBACK_METHODS:
            raise TypeError(
                f"{cls.__name__}.callbacks[{route!r}] must be GET, PATCH, POST or PUT, "
                f"got {method!r}"
            )
    reads = any("read_callback" in vars(k) for k in cls.__mro__ if k is not Provider)
    if cls.callbacks and not reads:
        raise TypeError(
            f"{cls.__name__}.callbacks declares {', '.join(map(repr, cls.callbacks))}, but "
            "the class does not override read_callback: the receiver would refuse every "
            "delivery (implement read_callback, or declare no callbacks)"
        )


def _ensure_loaded() -> None:
    if _state.loaded:
        return
    with _state.lock:
        if _state.loaded:
            return
        wanted = _wanted()
        points = list(_entry_points())
        if wanted is not None:
            _state.installed = sorted({ep.name for ep in points})
            _state.not_installed = sorted(wanted - set(_state.installed))
            for missing in _state.not_installed:
                _not_installed(missing)
        for ep in points:
            if wanted is not None and ep.name not in wanted:
                continue
            module: ModuleType | Any = None
            try:
                module = ep.load()
                _add(module, ep.name, ep.dist)
            except (Exception, SystemExit) as exc:  # a plugin's own sys.exit() included:
                if _strict():  # it ended every command, `providers` too
                    raise
                _state.failures.append(PluginFailure(ep.name, ep.value, _said(exc)))
                if module is not None and _state.pm.is_registered(module):
                    _state.pm.unregister(module)
        for plugin, name in _state.extra:
            _add(plugin, name, None)
        _state.loaded = True


def _said(exc: BaseException) -> str:
    """``Class: message`` of a plugin's exception, even one whose ``str()`` raises (read
    inside the ``except``, that made every command an internal error)."""
    try:
        message = str(exc)
    except Exception as broken:  # the plugin's __str__ itself is broken
        message = f"(its message could not be read: {type(broken).__name__})"
    return f"{type(exc).__name__}: {message}"


def _not_installed(name: str) -> None:
    """Record a ``SEOTASKS_LOAD_PLUGINS`` name that no installed plugin has, as a failure
    naming the installed ones: a typo, or names joined by a blank or ``;``, loaded nothing
    and said nothing (`seotasks providers` listed the others, or nothing at all)."""
    error = (
        f"no installed plugin has this name (installed plugins: "
        f"{', '.join(_state.installed) or 'none'}; SEOTASKS_LOAD_PLUGINS separates names "
        "with commas)"
    )
    if _strict():
        raise ConfigError(f"SEOTASKS_LOAD_PLUGINS names {name!r}: {error}")
    _state.failures.append(PluginFailure(name, "SEOTASKS_LOAD_PLUGINS", error))


def provider_infos() -> list[ProviderInfo]:
    """Every registered provider, by name."""
    _ensure_loaded()
    return [_state.providers[name] for name in sorted(_state.providers)]


def providers() -> list[str]:
    """The names of the installed providers."""
    return [info.name for info in provider_infos()]


def failures() -> list[PluginFailure]:
    """Plugins that failed to load, with their errors."""
    _ensure_loaded()
    return list(_state.failures)


def get_provider(name: str) -> type[Provider]:
    """The provider class registered as ``name``, or `UnknownProvider` listing the others.

    A ``name`` that is not text is a misused call (``os.environ.get("PROVIDER")`` with the
    variable unset gives ``None``), so it is a `TypeError` saying what was passed, as
    docs/errors.md promises for misuse, rather than an ``AttributeError`` from ``strip``.
    """
    if not isinstance(name, str):
        raise TypeError(f"a provider name must be a str, got {type(name).__name__}")
    _ensure_loaded()
    info = _state.providers.get(name.strip().lower())
    if info is None:
        unknown = _state.not_installed
        failed = {f.name: f.error for f in _state.failures if f.name not in unknown}
        raise UnknownProvider(
            name,
            list(_state.providers),
            limited_by=limited_by(),
            failed=failed,
            not_installed=unknown,
            plugins=_state.installed,
        )
    return info.cls


def provider_names(given: Iterable[str]) -> list[str]:
    """The registered names of the providers ``given``, in order: any spelling
    `get_provider` accepts (``" DataForSEO"``) becomes the registered name, and one
    given twice, under any spelling, is a `ConfigError` (it would be listed twice)."""
    names: list[str] = []
    for raw in given:
        name = get_provider(raw).name
        if name in names:
            raise ConfigError(f"provider {name} given twice")
        names.append(name)
    return names


def capabilities_of(
    provider: str | type[Provider], options: dict[str, Any] | None = None
) -> Capabilities:
    """What a provider's listing can do under ``options``, without credentials or network.

    Capabilities depend on listing settings (DataForSEO's ``source``), never on
    credentials, so this builds the provider with its option defaults (``options`` over
    them, checked as `connect` checks them) and an unconnected transport: no request
    is made, and a missing credential is not an error (a stand-in is used). A provider
    that cannot describe itself this way raises; callers show that error rather than an
    empty answer.
    """
    from .config import resolve_settings
    from .redact import Redactor
    from .transport import Transport

    # Anything but a class goes through get_provider, which refuses a name that is not text.
    cls = provider if isinstance(provider, type) else get_provider(provider)
    # A credential is never needed to describe a listing: a required text option gets a
    # stand-in that satisfies `configure` and goes nowhere (no request is ever made here).
    stand_ins = {
        o.name: "unset" for o in cls.options if o.required and o.default is None and o.kind == "str"
    }
    # env={} and no profile: only the defaults and ``options`` decide, as documented.
    settings = resolve_settings(cls, {**stand_ins, **(options or {})}, env={})
    transport = Transport(redactor=Redactor())
    try:
        instance = cls(settings, transport)
        try:
            return declared_capabilities(instance)
        finally:
            instance.close()
    finally:
        transport.close()


def limited_by() -> str | None:
    """The ``SEOTASKS_LOAD_PLUGINS`` value, when it is set (it limits which plugins load)."""
    return os.environ.get("SEOTASKS_LOAD_PLUGINS")
