"""Entry point of the ``seotasks`` group: the only thing the core imports from this package."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import seotasks

from .provider import SerpstatProvider


@seotasks.hookimpl
def register_providers(register: Callable[[Any], None]) -> None:
    """Register the Serpstat provider class with seotasks."""
    register(SerpstatProvider)
