"""Pluggy hook specifications. A plugin implements these with ``@seotasks.hookimpl``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("seotasks")
hookimpl = pluggy.HookimplMarker("seotasks")


@hookspec
def register_providers(register: Callable[[Any], None]) -> None:
    """Register provider classes: call ``register(ProviderSubclass)`` once per provider."""
