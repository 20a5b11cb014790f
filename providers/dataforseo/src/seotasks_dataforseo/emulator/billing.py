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

__all__ = ["Wallet", "task_cost", "user_data_item"]

#: What the emulated account starts with, in USD.
START_BALANCE = 50.0


def task_cost(item: Mapping[str, Any]) -> float:
    """What setting ``item`` costs: the Standard queue's price, the Priority queue's
    (``priority`` 2) twice that (the vendor's SERP pricing: $0.0006 and $0.0012)."""
    return 0.0006 if item.get("priority", 1) == 1 else 0.0012


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
