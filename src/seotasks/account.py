"""`Account`: what a vendor says about the account itself (`Provider.account`).

``seotasks check`` answers "will my next run work?" before the run: the credentials are
accepted, the base URL answers, and there is money (or quota) left to spend. The first
two follow from any call that succeeds; the third only from the vendor's own account
call where it has one (DataForSEO ``GET /v3/appendix/user_data``, Serpstat
``tasks.getParsingBalance``). The record is deliberately small and provider-neutral: a
balance with its currency, and the vendor's limits in words, since every vendor counts
them differently (calls a minute, lines a month, dollars a day).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import attrs

from .parsing import ConversionError, parse_decimal

if TYPE_CHECKING:
    from .provider import Provider

__all__ = ["Account", "account_key", "amount", "one_spelling"]


@attrs.frozen(slots=True, kw_only=True)
class Account:
    """The account behind a provider's credentials, as far as its vendor says.

    ``balance`` is the money left to spend (``None``: the vendor does not say), in
    ``currency`` (an ISO 4217 code such as ``"USD"``); ``login`` the account's name where
    the vendor echoes one; ``limits`` short phrases a person reads on one line
    (``"2000 calls a minute"``, ``"0.00065 USD a SERP keyword"``).
    """

    balance: Decimal | None = None
    currency: str | None = None
    login: str | None = None
    limits: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line: ``balance 12.50 USD; 2000 calls a minute`` (empty when nothing is known)."""
        parts = []
        if self.login:
            parts.append(f"account {self.login}")
        if self.balance is not None:
            parts.append(f"balance {self.balance} {self.currency or ''}".rstrip())
        parts.extend(self.limits)
        return "; ".join(parts)


def amount(value: object) -> Decimal | None:
    """A vendor's money figure (a number or a numeric string) as an exact `Decimal`, or
    ``None`` where it is not one (absent, blank, ``true``, ``"NaN"``...).

    Lenient on purpose, unlike `seotasks.convert.parse_decimal` which it reads with: an
    `Account`'s figures are only shown, and ``seotasks check`` is there to prove the
    credentials, not to fail on an odd balance. A provider that needs the figure raises
    its own error on ``None``."""
    try:
        return parse_decimal(value)
    except ConversionError:
        return None


def account_key(provider: Provider, *, local_port: bool = False) -> str | None:
    """A short name for the account ``provider`` reaches, from its ``account`` options
    (`seotasks.Option`: a login, the API host; never a secret): None when it declares none.

    A journal holds one account's entries. Two accounts journalling into one folder would
    each fetch the other's tasks by id with its own credentials, be told "not found", and
    drop them: the results of the first account, lost. So a journal folder is kept per
    account. Only the account options count: a listing or tuning option changed between
    two runs (``-o families=``, ``rps``) must find the same journal, or its entries wait
    for a run with the old value; so must a URL however it is spelled (its last ``/``,
    the scheme's or host's case, its default port, ``//`` or ``/./`` in its path:
    ``https://API.dataforseo.com:443/`` is ``https://api.dataforseo.com``).

    A server on this machine is the same account on any port: the sandbox's emulators
    listen on a new port each run and serve the same seeded tasks, so yesterday's sandbox
    cursor resumes today, and a killed sandbox run's journal is delivered by the next run
    (with the port, every later run refused it as another account's, for good).
    ``local_port``: the port counts (the one-run-at-a-time lock of a draining listing,
    where two emulators are two vendors)."""
    names = sorted(o.name for o in provider.options if o.account)
    if not names:
        return None
    values = (one_spelling(str(provider.settings.get(name)), local_port) for name in names)
    shown = json.dumps(dict(zip(names, values, strict=True)))
    return hashlib.blake2b(shown.encode(), digest_size=8).hexdigest()


_DEFAULT_PORTS = {"http": 80, "https": 443}


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def one_spelling(value: str, local_port: bool = False) -> str:
    """``value`` as one spelling: a URL's parts normalized (a loopback host, by any of
    its names, is ``localhost`` on no port unless ``local_port``: this machine's server
    on any port and under any name), any other value as given (its last ``/`` aside)."""
    parts = urlsplit(value)
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        return value.rstrip("/")
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # not a port: refused where the URL is checked
        return value.rstrip("/")
    host = parts.hostname
    if not local_port and host in _LOOPBACK:
        host, port = "localhost", None
    if port == _DEFAULT_PORTS[scheme]:
        port = None
    host = f"[{host}]" if ":" in host else host  # an IPv6 address, as a URL writes it
    netloc = host if port is None else f"{host}:{port}"
    # normpath keeps a leading ``//`` (POSIX leaves its meaning open): one ``/`` here.
    path = "/" + posixpath.normpath(parts.path).lstrip("/") if parts.path else ""
    return f"{scheme}://{netloc}{'' if path in ('.', '/') else path.rstrip('/')}"
