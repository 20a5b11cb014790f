"""The account's figures the emulator answers: ``tasks.getParsingBalance``, a USD
balance that crawling spends, and the API credits of ``SerpstatLimitsProcedure``.

The vendor bills SERP crawling from a separate USD balance: every keyword a task
accepts costs ``serp_parsing_cost``, a blocked keyword nothing (reference pages
"tasks.addTask" and "tasks.getParsingBalance"). What happens when the balance runs
out is undocumented, so the emulator does not refuse a task for it. The analytics API's
credits ("lines") are another account: no crawling method spends them, and asking for
them is free (reference, "Credits"), so the emulator's stay where they start.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Final

__all__ = ["FREE_METHODS", "ParsingBalance"]

#: The reference example's figures, decimal strings in USD.
START_USD: Final = "10.91"
SERP_COST: Final = "0.00065"
VOLUME_COST: Final = "0.0006"
#: The API credits of a plan, none spent by crawling; a user id for ``user_info``.
MAX_LINES: Final = 200_000
USED_LINES: Final = 1_250
USER_ID: Final = "100000"
#: The methods answered with the account's figures, spending nothing.
FREE_METHODS: Final = frozenset(
    {
        "tasks.getParsingBalance",
        "SerpstatLimitsProcedure.getStats",
        "SerpstatLimitsProcedure.getAuditStats",
    }
)


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

    def answer(self, method: str) -> dict[str, object]:
        """The ``result`` of one of `FREE_METHODS`."""
        if method == "tasks.getParsingBalance":
            return dict(self.result())
        left = MAX_LINES - USED_LINES
        if method == "SerpstatLimitsProcedure.getAuditStats":
            return {"data": {"total": 5_000, "used": 0, "left": 5_000}}
        plugin = {"hasApiPlugin": False, "delayBetweenRequests": 0, "total": 0, "used": 0}
        data: dict[str, object] = {
            "max_lines": MAX_LINES,
            "used_lines": USED_LINES,
            "left_lines": left,
            "user_info": {"user_id": USER_ID},
            "plugin_limits": {**plugin, "left": 0},
        }
        return {"data": data, "summary_info": {"left_lines": left}}
