"""Starting the installed providers' emulators on loopback, for demos and trials.

`start` asks each requested provider class for its sandbox (`Provider.sandbox`) and
returns the settings that point `connect` at them. Nothing here knows any vendor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from datetime import datetime

from .clock import Clock
from .config import env_name
from .errors import ConfigError
from .plugins import get_provider
from .provider import Sandbox

__all__ = ["env_lines", "start"]


@contextmanager
def start(
    names: Sequence[str],
    *,
    seed: int = 0,
    size: int | None = None,
    clock: Clock | None = None,
    now: Callable[[], datetime] | None = None,
) -> Iterator[dict[str, Sandbox]]:
    """Run the emulators of ``names``; yields ``{name: Sandbox}`` and stops them on exit.

    ``clock`` runs the emulators' rate limits; a client connected with the same clock
    paces itself consistently (the CLI uses a `ScaledClock`, so a demo does not wait out
    DataForSEO's 20-calls-a-minute limit in real minutes).

    ``now`` is the data's wall clock (None: real time), passed to every provider's
    ``sandbox``: give clients connected to them the same one (``connect(now=...)``).
    """
    with ExitStack() as stack:
        running: dict[str, Sandbox] = {}
        for name in names:
            cls = get_provider(name)
            manager = cls.sandbox(seed=seed, size=size, clock=clock, now=now)
            if manager is None:
                raise ConfigError(
                    f"provider {name!r} ships no emulator, so --sandbox cannot use it"
                )
            running[cls.name] = stack.enter_context(manager)
        yield running


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
