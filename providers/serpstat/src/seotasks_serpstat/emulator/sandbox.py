"""`SerpstatProvider.sandbox`: the emulator on loopback, set up as the account is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from seotasks.convert import zone
from seotasks.provider import Sandbox
from seotasks.sandbox import SandboxRequest

from ..provider import check_rps
from . import DEFAULT_SIZE, SerpstatEmulator

__all__ = ["sandbox"]


@contextmanager
def sandbox(request: SandboxRequest) -> Iterator[Sandbox]:
    """The emulator with ``request.size`` seeded tasks drawn around ``request.now``,
    writing its times in the ``timezone`` and allowing the ``rps`` its options give."""
    seed = request.seed
    size = DEFAULT_SIZE if request.size is None else request.size
    # The account's zone, as its clients are told (UTC unless -o says otherwise): the
    # emulator writes its naive times in it, and its settings name it (see `settings`).
    timezone = str(request.options.get("timezone") or "UTC")
    zone(timezone)  # an unknown name is the ConfigError connect would raise
    # The plan's rate, as -o rps gives it (the top plans' 10), else most plans' 1: the
    # emulator allows it, and its settings name it, so its clients pace to it whatever
    # SEOTASKS_SERPSTAT_RPS (meant for the real account) says.
    rps = request.options.get("rps")
    rps = 1.0 if rps is None else rps
    check_rps(rps)
    emulator = SerpstatEmulator(
        seed=seed,
        size=size,
        clock=request.clock,
        now=request.now,
        timezone=timezone,
        rps=rps,
        port=request.port or 0,
    )
    emulator.start()
    try:
        yield Sandbox(
            settings={**emulator.settings, "rps": rps},
            stop=emulator.stop,
            description=f"Serpstat emulator at {emulator.url} ({emulator.size} tasks, seed {seed})",
        )
    finally:
        emulator.stop()
