"""The emulated account's money: what posting costs, what is left, what ``user_data`` says.

The vendor charges for setting a task (task_post, a live call) and for nothing else of
its life, so the balance ``GET /v3/appendix/user_data`` reports falls by exactly what the
answers' ``cost`` fields add up to, and its ``money.statistics.day.total`` is what was
spent that UTC day. A call the balance cannot cover is refused whole, before anything
is created: HTTP 402 with ``40210`` "Insufficient Funds." (the vendor's Errors page:
"your account's balance is too low to complete this request", HTTP 402 "check your
account's balance"). Refusing the whole call rather than its last tasks is this
emulator's reading; the vendor's pages do not say which tasks of a call it would keep.

A test lowers ``DataForSEOApp.wallet.balance`` to meet that refusal.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from .. import serp_types

__all__ = ["Wallet", "task_cost", "user_data_item"]

#: What the emulated account starts with, in USD.
START_BALANCE = 50.0


#: Organic SERP engines whose further pages cost 0.75 of the first (the vendor's pricing
#: update of 2025-09-19, "Organic SERP API pricing changes now in effect": Google, Bing,
#: Yahoo, Baidu, Seznam, Naver); every other SERP type bills each unit in full.
_DISCOUNTED = frozenset({"google", "bing", "yahoo", "baidu", "seznam", "naver"})


def task_cost(item: Mapping[str, Any], kind: str) -> float:
    """What setting ``item`` as a task of ``kind`` costs: the Standard queue's price,
    the high priority's (``priority`` 2) twice that ($0.0006 and $0.0012, the vendor's
    SERP pricing), for the first billing unit (a SERP type's default depth: the first
    page); each further unit the ``depth`` asks for (help center, "Cost of tasks with
    'depth' set above default") at 0.75 of that on the organic engines, in full on
    the others (Maps per 100 results on desktop, 20 on mobile, ...)."""
    base = 0.0006 if item.get("priority", 1) == 1 else 0.0012
    parts = kind.split("/")
    serp = serp_types.find(parts[1], parts[2]) if len(parts) > 2 and parts[0] == "serp" else None
    if serp is None or serp.depth_field is None:
        return base
    depth = item.get(serp.depth_field)
    unit = serp.depths.get(str(item.get("device", "desktop")))
    if type(depth) is not int or unit is None or not unit.default or depth <= unit.default:
        return base
    more = -(-depth // unit.default) - 1  # units beyond the first, rounded up
    share = 0.75 if serp.serp_type == "organic" and serp.engine in _DISCOUNTED else 1.0
    return round(base * (1 + share * more), 8)


class Wallet:
    """The balance and the day's spending, safe to share between request threads."""

    def __init__(self, balance: float = START_BALANCE) -> None:
        self.balance = balance
        #: Money deposited: what ``money.total`` reports (a charge leaves it alone).
        self.deposited = max(balance, 100.0)
        self._day: date | None = None
        self._spent_today: float = 0  # JSON 0 until something is spent, as before
        self._lock = threading.Lock()

    def charge(self, amount: float, now: datetime) -> bool:
        """Take ``amount`` if the balance covers it; False (nothing taken) if not."""
        with self._lock:
            if amount > self.balance + 1e-12:
                return False
            self.balance = round(self.balance - amount, 10)
            day = now.date()
            if day != self._day:
                self._day, self._spent_today = day, 0
            self._spent_today = round(self._spent_today + amount, 10)
            return True

    def spent_on(self, now: datetime) -> float:
        """What was charged on ``now``'s UTC day."""
        with self._lock:
            return self._spent_today if self._day == now.date() else 0


def user_data_item(login: str, wallet: Wallet, per_minute: int, now: datetime) -> dict[str, Any]:
    """The one result item of ``GET /v3/appendix/user_data`` (vendor page "User Data"):
    the fields the official client models (``AppendixUserDataTaskGetResultItem``), with
    the per-API breakdowns reduced to their ``total``; the money as ``wallet`` has it."""
    return {
        "login": login,
        "timezone": "UTC",
        "rates": {
            "limits": {"day": {"total": per_minute * 60 * 24}, "minute": {"total": per_minute}},
            "statistics": {"day": {"total": 0}, "minute": {"total": 0}},
        },
        "money": {
            "total": wallet.deposited,
            "balance": wallet.balance,
            "limits": {"day": {"total": 0}, "minute": {"total": 0}},
            "statistics": {"day": {"total": wallet.spent_on(now)}, "minute": {"total": 0}},
        },
        "price": {},
        "backlinks_subscription_expiry_date": None,
        "llm_mentions_subscription_expiry_date": None,
    }
