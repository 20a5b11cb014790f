"""The TOML file of profiles: where it is, reading it, and what it holds for a provider.

``$SEOTASKS_CONFIG``, else ``$XDG_CONFIG_HOME/seotasks/config.toml``, else
``~/.config/seotasks/config.toml``; one ``[profiles.NAME.PROVIDER]`` table per profile and
provider. `seotasks.config` merges a table's values with the other sources; this module
only finds and reads them, strictly: a file that cannot be read or parsed, a profile it
does not have, a misspelt table or a stray key are `ConfigError`s saying so.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = [
    "MAX_CONFIG_BYTES",
    "config_path",
    "env_profile",
    "load_profile",
    "toml_key",
    "warn_readable",
]

log = logging.getLogger("seotasks.config")


def toml_key(name: str) -> str:
    """``name`` as a TOML table's name is written: bare where TOML allows it, else quoted,
    so that a profile named ``"good "`` does not read as ``good`` in a message."""
    return name if _BARE_KEY.fullmatch(name) else json.dumps(name, ensure_ascii=False)


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def env_profile(env: Mapping[str, str] | None = None) -> str | None:
    """The profile ``SEOTASKS_PROFILE`` names, or None: set but empty or blank counts as
    not set, as the option env vars do (a blank one asked for a profile named by its
    blanks). Every reader of the variable asks here."""
    value = (os.environ if env is None else env).get("SEOTASKS_PROFILE", "")
    return value if value.strip() else None


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("SEOTASKS_CONFIG"):
        return Path(env["SEOTASKS_CONFIG"]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "seotasks" / "config.toml"


def load_profile(name: str, provider: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``[profiles.<name>.<provider>]`` table, or `ConfigError` saying what is missing."""
    path, shown = config_path(env), toml_key(name)
    data = _read_config(name, path)
    profiles = data.get("profiles")
    if not isinstance(profiles, dict) or name not in profiles:
        raise ConfigError(f"no [profiles.{shown}] in {path}{_what_is_there(data)}")
    section = profiles[name]
    if not isinstance(section, dict):
        raise ConfigError(f"[profiles.{shown}] in {path} must be a table")
    for key, value in section.items():
        if not isinstance(value, dict):  # would apply to no provider: refused, not ignored
            raise ConfigError(
                f"[profiles.{shown}] in {path}: {toml_key(key)} must be a table: a profile "
                f"holds one table per provider, [profiles.{shown}.PROVIDER]"
            )
    _refuse_misspelt_table(name, provider, section, path)
    return dict(section.get(provider, {}))


#: The biggest profile file read: a config holds a few tables; more is a wrong path.
MAX_CONFIG_BYTES = 1 << 20
#: Profile files that are not regular files (``<(pass show seotasks)``), as parsed, by
#: path, device and inode (another pipe may come at the same ``/dev/fd/N`` later): a pipe
#: gives its text once, and the file is read once per provider.
_PIPED: dict[tuple[Path, int, int], dict[str, Any]] = {}


def _read_config(name: str, path: Path) -> dict[str, Any]:
    """The parsed file at ``path``, read anew if it is a regular file (it may have been
    edited since), kept for the process if not, and at most `MAX_CONFIG_BYTES` of it
    (``/dev/zero`` was read into memory until none was left)."""
    try:
        info = path.stat()  # before opening: a named pipe read once would block open
        key = (path, info.st_dev, info.st_ino)
        if key in _PIPED:
            return _PIPED[key]
        with path.open("rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"profile {name!r} requested but {path} does not exist") from None
    except OSError as exc:  # a folder, a path through a file, no permission
        raise ConfigError(f"cannot read profile file {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path} is over 1 MiB: not a seotasks config file")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:  # a binary or Latin-1 file
        raise ConfigError(f"{path} is not valid TOML: it is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    if not stat.S_ISREG(info.st_mode):
        _PIPED[key] = data
    return data


def _what_is_there(data: Mapping[str, Any]) -> str:
    """What the file holds instead of the profile asked for, so a misspelt profile
    (``--profile wrok``) or section (``[profile.work...]``) shows itself."""
    profiles = data.get("profiles")
    if isinstance(profiles, dict):
        return f" (its profiles: {', '.join(map(toml_key, sorted(profiles))) or 'none'})"
    tables = sorted(key for key, value in data.items() if isinstance(value, dict))
    return ": it has no [profiles] table" + (
        f" (its tables: {', '.join(tables)})" if tables else ""
    )


def _refuse_misspelt_table(
    name: str, provider: str, section: Mapping[str, Any], path: Path
) -> None:
    """A `ConfigError` when the profile has a table whose name is a near miss of
    ``provider``'s (``serpstats``, ``Serpstat``) that no installed provider has: its
    values would never apply. Without the right table, the error met instead would be a
    missing credential the file seems to hold; beside it, a setting in the near miss (a
    time zone) was dropped without a word. A table for another installed provider, or
    for one not installed here and nothing like this one (a profile shared between
    machines), is left alone."""
    import difflib

    from .plugins import providers

    shown = toml_key(name)
    tables = [key for key in section if key != provider]  # every value is a table
    close = difflib.get_close_matches(provider, tables, n=1, cutoff=0.75)
    close += [key for key in tables if key.lower() == provider.lower() and key not in close]
    installed = set(providers())
    for key in close:
        if key in installed:
            continue
        near = toml_key(key)
        if provider in section:
            raise ConfigError(
                f"[profiles.{shown}.{near}] in {path} is no installed provider's table, and "
                f"its values apply to nothing: move them into [profiles.{shown}.{provider}]"
            )
        raise ConfigError(
            f"no [profiles.{shown}.{provider}] in {path}, but a [profiles.{shown}.{near}], "
            f"which no installed provider is named: did you mean "
            f"[profiles.{shown}.{provider}]?"
        )


#: Profile files already warned of as readable by others: once per file and process.
_WARNED_READABLE: set[Path] = set()


def warn_readable(path: Path) -> None:
    """Log a warning when ``path``, whose table holds a secret, can be read by users other
    than its owner (the 644 an editor or ``cp`` makes): the docs ask for ``chmod 600``,
    and nothing said so. A warning, not an error, as ssh's is not for a config file: a
    shared team account may mean it. POSIX only (elsewhere the mode says nothing)."""
    if os.name != "posix" or path in _WARNED_READABLE:
        return
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return
    if mode & 0o044:
        _WARNED_READABLE.add(path)
        log.warning(
            "%s holds credentials and other users can read it (mode %o): chmod 600 %s",
            path,
            mode,
            path,
        )
