"""The entry point: registers `AcmeProvider` with seotasks.

Kept to the hook alone, so a broken import elsewhere in the package shows up in
``seotasks providers`` as this plugin's failure rather than anyone else's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import seotasks

from .provider import AcmeProvider


@seotasks.hookimpl
def register_providers(register: Callable[[type[Any]], None]) -> None:
    register(AcmeProvider)
