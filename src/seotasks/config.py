"""Settings for a provider: explicit values, then env vars, then a TOML profile, then defaults.

Env vars are ``SEOTASKS_<PROVIDER>_<OPTION>`` (``SEOTASKS_SERPSTAT_TOKEN``). Profiles
live in a TOML file (``SEOTASKS_CONFIG``, else ``~/.config/seotasks/config.toml``)::

    [profiles.work.dataforseo]
    login = "me@example.com"
    password = "..."

    [profiles.work.serpstat]
    token = "..."
    timezone = "Europe/Kyiv"

Lenient with vendors, strict with ourselves: an unknown option, a value of the wrong
type or a missing required credential is a `ConfigError` naming the variable to set.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError, MissingSetting
from .optionvalue import parse_option_value
from .profilefile import config_path, env_profile, load_profile, toml_key, warn_readable
from .provider import Option, Provider, Settings
from .redact import has_userinfo, scrub_userinfo

__all__ = [
    "config_path",
    "env_name",
    "load_profile",
    "meant_option",
    "misspelt_env",
    "parse_option_value",
    "resolve_settings",
]

log = logging.getLogger("seotasks.config")


def env_name(provider: str, option: str) -> str:
    """``SEOTASKS_<PROVIDER>_<OPTION>``, upper case, dashes as underscores."""
    return f"SEOTASKS_{provider}_{option}".upper().replace("-", "_")


def meant_option(name: str, known: Iterable[str]) -> str | None:
    """The option of ``known`` that ``name`` misspells (``base-url``, ``pasword``,
    ``PAGESIZE``, ``PASS``), or None: case and dashes first, then the one option it
    begins, then a close spelling."""
    import difflib

    known = list(known)
    plain = name.strip().lower().replace("-", "_")
    if plain in known:
        return plain
    squeezed = {k.replace("_", ""): k for k in known}
    if plain.replace("_", "") in squeezed:
        return squeezed[plain.replace("_", "")]
    started = [k for k in known if len(plain) >= 3 and k.startswith(plain)]
    if len(started) == 1:  # a name cut short: PASS for password
        return started[0]
    close = difflib.get_close_matches(plain, known, n=1, cutoff=0.75)
    return close[0] if close else None


def _unknown_options(where: str, names: list[str], known: list[str]) -> ConfigError:
    """The error for options ``names`` that ``where`` does not know: the known ones, and
    the one each meant where one is close."""
    hints = [f"{meant} for {name}" for name in names if (meant := meant_option(name, known))]
    hint = f"; did you mean {', '.join(hints)}?" if hints else ""
    return ConfigError(
        f"{where}: unknown option(s) {', '.join(names)}{hint}; known: "
        f"{', '.join(sorted(known)) or 'none'}"
    )


def misspelt_env(cls: type[Provider], env: Mapping[str, str]) -> dict[str, str]:
    """The env vars of ``cls``'s prefix that name no option but misspell one
    (``SEOTASKS_DATAFORSEO_PASS``, ``SEOTASKS_SERPSTAT_PAGESIZE``): each with the
    option it meant. Nothing reads them, so without a word their value is not used."""
    prefix = env_name(cls.name, "")
    known = {env_name(cls.name, opt.name) for opt in cls.options}
    names = [opt.name for opt in cls.options]
    misspelt = {}
    for name in env:
        if name.startswith(prefix) and name not in known:
            meant = meant_option(name[len(prefix) :], names)
            if meant is not None:
                misspelt[name] = meant
    return misspelt


def _env_hint(var: str, option: str, env: Mapping[str, str], misspelt: Mapping[str, str]) -> str:
    """Why ``var``, a missing credential's env var, was not read: set blank, or set under
    a misspelt name. Names only, never values."""
    if var in env:
        return f" ({var} is set, but blank)"
    strays = [name for name, meant in misspelt.items() if meant == option]
    return f" ({strays[0]} is set, but names no option)" if strays else ""


def _given(option: Option, value: Any) -> bool:
    """Whether ``value`` gives ``option``: not None, and for a required one (a credential)
    not empty or blank either, as ``password = ""`` left from a template or ``-o
    password=$UNSET`` is. Sent as is, it only came back "credentials refused" from the
    vendor, and an empty ``-o`` hid the env var holding the real one."""
    if value is None:
        return False
    return not (option.required and isinstance(value, str) and not value.strip())


def _url_problem(url: str) -> str | None:
    """Why the transport could never send a request to ``url``, or None: what
    `urllib.parse` and urllib3 refuse (``http://[::1``, port 99999, ``x y`` as a host) and
    a host name IDNA cannot encode (``a..b``, a label over 63 characters)."""
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url

    try:
        urlsplit(url).port  # noqa: B018 - reading the port is the check
        host = parse_url(url).host
        if host:
            host.encode("idna")
    except (ValueError, LocationParseError) as exc:  # UnicodeError is a ValueError
        return str(exc)
    return None


def _configure_without(cls: type[Provider], values: dict[str, Any], absent: list[str]) -> None:
    """The provider's own checks of the values given while required ones are ``absent``
    (each stood in for by an empty text): a receiver runs without credentials, but not
    on a ``base_url=ftp://x`` its checks refuse. A refusal that names an absent option
    is about the stand-in, and is left to the missing setting's error."""
    try:
        cls.configure({**values, **dict.fromkeys(absent, "")})
    except ConfigError as exc:
        if not any(name in str(exc) for name in absent):
            raise
    except Exception:  # a plugin's check that trips on the stand-in: not the user's to fix
        return


def _check_urls(cls: type[Provider], values: Mapping[str, Any]) -> None:
    """Refuse a URL that Python cannot parse, or that carries ``user:password@`` in any
    option that is not a secret.

    A URL `urllib.parse` or urllib3 refuses (``http://[::1``, a port above 65535, a host
    name IDNA cannot encode) would otherwise surface as a bare ``ValueError`` from the
    provider's own checks, or as a "transient" failure after every retry. A URL with credentials would be printed wherever the URL
    is (errors, logs, reprs); credentials belong in the provider's secret options, which
    are redacted everywhere. Checked here, for every provider, before the provider's own
    checks could quote the value.
    """
    for opt in cls.options:
        value = values.get(opt.name)
        if isinstance(value, str) and "://" in value:
            problem = _url_problem(value)
            if problem is not None:
                shown = (
                    "" if opt.secret else f" ({scrub_userinfo(problem)}): {scrub_userinfo(value)!r}"
                )
                raise ConfigError(f"{cls.name}: {opt.name} is not a valid URL{shown}")
        if not opt.secret and isinstance(value, str) and has_userinfo(value):
            raise ConfigError(
                f"{cls.name}: {opt.name} must not carry credentials (user:password@ in "
                f"{scrub_userinfo(value)}); give them as the provider's credential options"
            )


def _not_used(var: str, profile: str | None) -> None:
    log.warning(
        "%s is set, but not used: profile %r, given by name, holds the account", var, profile
    )


def _named_sources(exc: ConfigError, sources: Mapping[str, str]) -> ConfigError:
    """``exc``, a value refused by the URL or the provider's own checks (``rps must be >
    0``), with where each option it names was read: the env var, or the profile's table
    and file. Those checks only know the values, and a user with a profile, env vars and
    flags could not tell which one to fix. A value given explicitly is the caller's own;
    only places are named, never values (a secret's included)."""
    import re

    text = str(exc)
    named = [
        f"{name} from {where}"
        for name, where in sources.items()
        # A word, not part of an example (``user:password@`` names no option)
        if re.search(rf"(?<![\w.:]){re.escape(name)}(?![\w@])", text)
    ]
    if not named or type(exc) is not ConfigError:
        return exc
    said = f" ({'; '.join(named)})"
    annotated = ConfigError(text + said)
    if exc.cli_message:
        annotated.cli_message = exc.cli_message + said
    return annotated


def _warn_plain_http(cls: type[Provider], values: Mapping[str, Any]) -> None:
    """Log a warning for each URL option without TLS to another machine, when the
    provider has a credential set: the vendor's key (a header, a query parameter) and
    its results travel readable by anyone on the way. A warning, not an error, since a
    proxy or gateway in a private network may be meant; loopback (the emulators, an SSH
    tunnel) stays quiet. Only the host is named, never the URL's path or query."""
    if not any(o.secret and values.get(o.name) for o in cls.options):
        return
    for opt in cls.options:
        value = values.get(opt.name)
        if opt.secret or not isinstance(value, str) or not value.lower().startswith("http://"):
            continue
        host = (urlsplit(value).hostname or "").lower()
        if _is_loopback(host):
            continue
        log.warning(
            "%s: %s %s is plain HTTP: credentials and results go unencrypted to %s; "
            "use https:// unless this host is your own proxy",
            cls.name,
            opt.name,
            f"http://[{host}]" if ":" in host else f"http://{host}",
            host,
        )


def _is_loopback(host: str) -> bool:
    """Whether ``host`` (lower case) names this machine: ``localhost`` (and its
    subdomains, RFC 6761, with or without the root's final dot) or a loopback address,
    in the short forms the resolver reads too (``127.1`` is 127.0.0.1)."""
    host = host.removesuffix(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:  # ::ffff:127.0.0.1 is 127.0.0.1 written as IPv6
        mapped = getattr(address, "ipv4_mapped", None)
        return address.is_loopback or (mapped is not None and mapped.is_loopback)
    try:  # inet_aton takes the short IPv4 forms (127.1, 2130706433) the resolver does
        return socket.inet_aton(host)[0] == 127 and host.replace(".", "").isdigit()
    except OSError:
        return False


def resolve_settings(
    cls: type[Provider],
    explicit: Mapping[str, Any] | None = None,
    *,
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Validated settings for ``cls``: explicit > env var > profile > default; with a
    ``profile`` given here (``--profile``, not ``SEOTASKS_PROFILE``), explicit > profile
    > env var > default, and the account (secrets, account options) from the profile
    only: an exported credential of another account is never used under its name."""
    env = os.environ if env is None else env
    chosen = profile is not None
    explicit = dict(explicit or {})
    by_name = {opt.name: opt for opt in cls.options}
    unknown = sorted(set(explicit) - set(by_name))
    if unknown:
        raise _unknown_options(cls.name, unknown, list(by_name))
    profile_values: dict[str, Any] = {}
    if profile is not None and not profile.strip():
        # Counted as "no profile", a blank name ("$PROFILE" unset) ran on other credentials.
        raise ConfigError("the profile name is empty: give a profile's name, or None for none")
    if profile is None:
        profile = env_profile(env)
    # Where a profile's value is read from, and where a missing one is to be added: the
    # provider's own table of the file, named so (a profile holds one per provider, and
    # two providers may share an option name).
    table = f"[profiles.{toml_key(profile)}.{cls.name}] in {config_path(env)}" if profile else ""
    if profile:
        profile_values = load_profile(profile, cls.name, env)
        stray = sorted(set(profile_values) - set(by_name))
        if stray:
            raise _unknown_options(table, stray, list(by_name))
        if any(o.secret and o.name in profile_values for o in cls.options):
            warn_readable(config_path(env))
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}  # where each value not given explicitly was read
    missing: MissingSetting | None = None  # the first; raised once every value is read
    absent: list[str] = []  # every required option missing
    misspelt = misspelt_env(cls, env)
    for name, meant in misspelt.items():
        log.warning(
            "%s is set, but %s has no option of that name: did you mean %s? (not used)",
            name,
            cls.name,
            env_name(cls.name, meant),
        )
    for opt in cls.options:
        var = env_name(cls.name, opt.name)
        in_env = bool(env.get(var)) and _given(opt, env.get(var))
        in_profile = _given(opt, profile_values.get(opt.name))
        ignored = chosen and (opt.secret or opt.account)  # the profile's account, not env's
        if _given(opt, explicit.get(opt.name)):
            # The provider named: an unscoped `-o KEY=VALUE` goes to every listed provider.
            source = f"{cls.name}: option {opt.name}"
            values[opt.name] = parse_option_value(opt, explicit[opt.name], source)
        elif in_profile and (chosen or not in_env):
            if in_env and ignored and env[var] != str(profile_values[opt.name]):
                _not_used(var, profile)
            values[opt.name] = parse_option_value(opt, profile_values[opt.name], table)
            sources[opt.name] = table
        elif in_env and not ignored:
            values[opt.name] = parse_option_value(opt, env[var], var)
            sources[opt.name] = var
        elif opt.required and missing is not None:
            absent.append(opt.name)
        elif opt.required:
            absent.append(opt.name)
            where = f"add {opt.name} to {table}" if profile else "add it to a profile"
            hint = _env_hint(var, opt.name, env, misspelt)
            missing = MissingSetting(
                f"{cls.name}: missing {opt.name!r}; set {var}{hint}, pass {opt.name}= to "
                f"connect(), or {where}",
                option=opt.name,
                env_var=var,
            )
            if not profile:
                where = f"add {opt.name} to a profile and give --profile NAME"
            missing.cli_message = (
                f"{cls.name}: missing {opt.name!r}; set {var}{hint}, or {where} (see seotasks "
                "providers)"
            )
            if ignored:  # a profile given by name holds the account: no env var is read
                said = "is set, but" if in_env else "is"
                missing = MissingSetting(
                    f"{cls.name}: missing {opt.name!r} in {table}: add it there ({var} {said} "
                    "not read: a profile given by name holds the account)",
                    option=opt.name,
                    env_var=var,
                )
        elif not opt.required:
            if in_env:  # an account option the named profile leaves to its default
                _not_used(var, profile)
            values[opt.name] = opt.default
    try:
        _check_urls(cls, values)
        if missing is not None:
            _configure_without(cls, values, absent)
        checked = cls.configure(values) if missing is None else None
    except ConfigError as exc:
        raise _named_sources(exc, sources) from None
    if missing is not None:
        # After every given value is read: a wrong one is its own error, said first (a
        # receiver runs without credentials, but not on an option it misread).
        raise missing
    _warn_plain_http(cls, values)
    secret_names = frozenset(o.name for o in cls.options if o.secret)
    if not isinstance(checked, Mapping):  # a configure that checks and forgets to return
        raise TypeError(
            f"{cls.name}: configure() returned {checked!r}, not the settings: return them "
            "(completed or as given)"
        )
    return Settings(checked, secret_names, sources)
