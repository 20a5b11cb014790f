"""The emulated ``tasks.getParsingBalance``: a USD balance that crawling spends.

The vendor bills SERP crawling from a separate USD balance: every keyword a task
accepts costs ``serp_parsing_cost``, a blocked keyword nothing (reference pages
"tasks.addTask" and "tasks.getParsingBalance"). What happens when the balance runs
out is undocumented, so the emulator does not refuse a task for it.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Final

__all__ = ["ParsingBalance"]

#: The reference example's figures, decimal strings in USD.
START_USD: Final = "10.91"
SERP_COST: Final = "0.00065"
VOLUME_COST: Final = "0.0006"


class ParsingBalance:
    """The account's crawling balance; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._available = Decimal(START_USD)

    def charge(self, keywords: int) -> None:
        """Spend the price of ``keywords`` crawled keywords."""
        with self._lock:
            self._available -= Decimal(SERP_COST) * keywords

    def result(self) -> dict[str, str]:
        """The ``tasks.getParsingBalance`` result: decimal strings, as the vendor sends."""
        with self._lock:
            available = self._available
        return {
            # Exact decimals without trailing zeros or an exponent ("10.9087").
            "available_usd": f"{available.normalize():f}",
            "serp_parsing_cost": SERP_COST,
            "volume_parsing_cost": VOLUME_COST,
        }
