"""The entry point: registers `DataForSEOProvider` with seotasks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import seotasks

from .provider import DataForSEOProvider


@seotasks.hookimpl
def register_providers(register: Callable[[type[Any]], None]) -> None:
    register(DataForSEOProvider)
