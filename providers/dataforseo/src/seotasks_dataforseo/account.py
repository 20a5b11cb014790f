"""Reading ``GET /v3/appendix/user_data``: the account's balance and limits.

The call is free and read-only (vendor page "User Data", appendix/user_data). Its one
task's one result item carries ``login``, ``money`` (``total`` deposited, ``balance``
left, ``limits`` and ``statistics`` of spending per ``day`` / ``minute``) and ``rates``
(call ``limits`` and ``statistics`` per ``day`` / ``minute``, each with a ``total``); the
official client models them as ``AppendixUserDataTaskGetResultItem``,
``AppendixMoneyData`` and ``AppendixRatesData``. Amounts are JSON numbers in USD.
Only what ``seotasks check`` shows is read; a field missing or of another type is left
out of the record rather than failing the check (the vendor adds fields over time).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from seotasks.account import Account, amount
from seotasks.errors import ResponseFormatError

from .wire import PROVIDER, first_task, result_items

__all__ = ["USER_DATA", "read_user_data"]

USER_DATA = "/v3/appendix/user_data"


def _total(section: object, period: str) -> Decimal | None:
    if not isinstance(section, Mapping):
        return None
    per = section.get(period)
    return amount(per.get("total")) if isinstance(per, Mapping) else None


def _section(item: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = item.get(name)
    return value if isinstance(value, Mapping) else {}


def read_user_data(body: Mapping[str, Any], url: str, scrub: Callable[[str], str]) -> Account:
    """The `Account` of a user_data answer (its envelope already checked)."""
    items = result_items(first_task(body, url, scrub))
    if not items or not isinstance(items[0], Mapping):
        raise ResponseFormatError(f"{PROVIDER}: no account in the answer", field="tasks[0].result")
    item = items[0]
    money = _section(item, "money")
    rates = _section(item, "rates")
    limits = []
    per_minute = _total(rates.get("limits"), "minute")
    if per_minute is not None:
        limits.append(f"{per_minute:f} calls a minute")
    spend_cap = _total(money.get("limits"), "day")
    spent = _total(money.get("statistics"), "day")
    if spent is not None:
        limits.append(f"spent {spent:f} USD today")
    if spend_cap:  # 0 or absent: no daily cap set
        limits.append(f"daily cap {spend_cap:f} USD")
    login = item.get("login")
    return Account(
        balance=amount(money.get("balance")),
        currency="USD",
        login=login if isinstance(login, str) and login else None,
        limits=tuple(limits),
    )
