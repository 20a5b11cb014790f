"""DataForSEO for seotasks: the ``dataforseo`` provider and its loopback emulator.

The core finds this package only through the ``seotasks`` entry-point group
(`seotasks_dataforseo.plugin`); nothing here is imported by the core itself.
"""

from __future__ import annotations

from .provider import DataForSEOProvider

__all__ = ["DataForSEOProvider"]
