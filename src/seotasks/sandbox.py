"""Starting the installed providers' emulators on loopback, for demos and trials.

`start` asks each requested provider class for its sandbox (`Provider.sandbox`) with one
`SandboxRequest` and returns the settings that point `connect` at them. Nothing here
knows any vendor.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import attrs

from .clock import Clock
from .config import env_name, parse_option_value
from .errors import ConfigError
from .plugin_fault import plugin_fault
from .plugins import get_provider
from .provider import Provider, Sandbox

__all__ = ["SandboxRequest", "env_lines", "start", "typed_options"]


def _option_names(options: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{name!r}: ***" for name in options) + "}"


@attrs.frozen(kw_only=True)
class SandboxRequest:
    """What `Provider.sandbox` is asked to serve: one value, so that the hook's signature
    is declared once, here, and a field added later reaches every provider unchanged.

    ``seed`` and ``size`` (``None``: the emulator's own default) choose the seeded data.
    ``now`` (``None``: real time) is the data's wall clock: draw the seeded tasks' times
    around ``now()``, so the same ``seed`` and ``now`` give the same tasks, timestamps
    included (``seotasks tasks --sandbox --sandbox-day`` relies on it, and the conformance
    kit checks it). ``clock`` (``None``: real time) is the one the clients pace and sleep
    on: run the emulator's rate limits on it, so both sides count the same seconds.
    ``options`` are the provider's options its clients are given (the CLI's ``-o``): an
    emulator standing for an account set up a certain way serves it that way (Serpstat's
    ``timezone``: the zone its naive times are written in), and names that setting in
    its `Sandbox.settings`, so that one from the environment or a profile, meant for the
    real account, gives way to it instead of misreading the emulator. ``port`` (``None``:
    one the system picks) is the loopback port to listen on, so that a service under
    test keeps one configuration across restarts; `start` gives each provider its own.
    """

    seed: int = 0
    size: int | None = None
    clock: Clock | None = None
    now: Callable[[], datetime] | None = None
    #: Shown by name only in the repr: an option may be a credential (a token given
    #: with ``-o``), and which of them are is the provider's to say, not the request's.
    options: Mapping[str, Any] = attrs.field(factory=dict, hash=False, repr=_option_names)
    port: int | None = None


@contextmanager
def start(
    names: Sequence[str],
    request: SandboxRequest | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> Iterator[dict[str, Sandbox]]:
    """Run the emulators of ``names``; yields ``{name: Sandbox}`` and stops them on exit.

    Every provider gets the same ``request`` (``None``: the defaults). Its ``clock`` runs
    the emulators' rate limits; a client connected with the same clock paces itself
    consistently (the CLI uses a `ScaledClock`, so a demo does not wait out DataForSEO's
    20-calls-a-minute limit in real minutes). Its ``now`` is the data's wall clock: give
    clients connected to them the same one (``connect(now=...)``). ``options`` are each
    provider's options by name (`SandboxRequest.options`), the ones its clients get. With
    a ``port``, the first emulator listens on it, the next on the one after, in order.
    """
    asked = SandboxRequest() if request is None else request
    if asked.port is not None and asked.port + len(names) - 1 > 65535:
        raise ConfigError(
            f"port {asked.port} leaves no room for {len(names)} emulators (each takes the "
            "port after the previous; the last is 65535)"
        )
    with ExitStack() as stack:
        running: dict[str, Sandbox] = {}
        for number, name in enumerate(names):
            cls = get_provider(name)
            given = typed_options(cls, (options or {}).get(name))
            port = None if asked.port is None else asked.port + number
            mine = attrs.evolve(asked, port=port, options=asked.options if given is None else given)
            manager = cls.sandbox(mine)
            if manager is None:
                raise ConfigError(
                    f"provider {name!r} ships no emulator, so --sandbox cannot use it"
                )
            if not isinstance(manager, AbstractContextManager):
                raise plugin_fault(
                    TypeError(
                        f"{name}: sandbox() returned a {type(manager).__name__}, not a "
                        "context manager yielding a seotasks.Sandbox (decorate it with "
                        "@classmethod and @contextlib.contextmanager, and yield the Sandbox)"
                    ),
                    name,
                )
            try:
                sandbox = stack.enter_context(manager)
            except OSError as exc:  # the port, taken: the user's to choose again
                if port is None:
                    raise
                raise ConfigError(
                    f"{name}: cannot listen on 127.0.0.1:{port}: {exc.strerror}; give --port "
                    "another (free, and one this user may open; each emulator takes the "
                    "one after the previous)"
                ) from None
            if not isinstance(sandbox, Sandbox):
                raise TypeError(
                    f"{name}: sandbox() yielded a {type(sandbox).__name__}, not a seotasks.Sandbox"
                )
            if port is not None and not _listens_on(sandbox, port):
                raise ConfigError(f"{name}: its sandbox takes no port (SandboxRequest.port)")
            running[cls.name] = sandbox
        yield running


def typed_options(cls: type[Provider], given: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``given`` read as the provider's options read them (``-o rps=10`` is 10.0, not
    ``"10"``), so a sandbox takes the values its clients will have; a name that is no
    option of the provider is left as given."""
    if given is None:
        return None
    kinds = {o.name: o for o in cls.options}
    return {
        key: value
        if key not in kinds
        else parse_option_value(kinds[key], value, f"{cls.name}: option {key}")
        for key, value in given.items()
    }


def env_lines(running: Mapping[str, Sandbox]) -> list[str]:
    """``export SEOTASKS_<PROVIDER>_<OPTION>=...`` lines for a shell."""
    lines = []
    for name, sandbox in running.items():
        for option, value in sandbox.settings.items():
            lines.append(f"export {env_name(name, option)}={_shell_quote(str(value))}")
    return lines


def _shell_quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


def _listens_on(sandbox: Sandbox, port: int) -> bool:
    """Whether one of ``sandbox``'s settings is a URL on that loopback ``port``."""
    for value in sandbox.settings.values():
        if isinstance(value, str) and value.startswith("http"):
            with contextlib.suppress(ValueError):
                if urlsplit(value).port == port:
                    return True
    return False
