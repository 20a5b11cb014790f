"""One `Client.collect_many` run at a time per account, where the listing drains.

Over a draining listing (DataForSEO ``tasks_ready``: fetching a result takes the task
off it) two runs at once list the same tasks and fetch each twice; `OneRun` refuses the
second, by name (see its docstring).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

from . import forksafe

if TYPE_CHECKING:
    from .collect import Collected

__all__ = ["OneRun", "one_run_for"]

_RUNNING = (
    "{name}: a collect_many is already running on this account (through this client, or "
    "another client of this process connected to it), and its listing drains "
    "(fetching a result takes the task off it): a second run at once would fetch the same "
    "tasks again and hand each to two consumers. Hand the one run's results to every "
    "consumer, or wait for it to end: exhausted, or close() it (a loop left with break "
    "ends it only once its iterator is dropped)"
)


class OneRun:
    """At most one `collect_many` run at a time: an account's, when its listing drains.

    Over DataForSEO ``tasks_ready`` two runs at once both list the same tasks and both
    fetch them: each task reaches two consumers (a duplicate), and a consuming read is
    spent twice. Sharing one pass between them would need every id fetched to be kept for
    as long as any run may still hold a listing page naming it; refusing the second run,
    by name, leaves the caller to hand the one run's results to its consumers. A run
    ends when its iterator is exhausted, closed, or collected unstarted. The clients of
    one account in a process share one (`one_run_for`): a web service connecting a client
    per request lists the same ready tasks in each.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: object | None = None
        forksafe.track(self)

    def after_fork_in_child(self) -> None:
        """A forked child runs none of its parent's runs (their threads stayed behind):
        held there for ever, the child's clients of the account could never collect."""
        self._lock = threading.Lock()
        self._holder = None

    def hold(self, runner: Iterator[Collected], provider: str) -> Generator[Collected, None, None]:
        """``runner``, held as the one run until it ends; `RuntimeError` at the call
        while another run holds it."""
        token = object()
        with self._lock:
            if self._holder is not None:
                raise RuntimeError(_RUNNING.format(name=provider))
            self._holder = token
        held = self._held(runner, token)
        # A generator never started runs no ``finally`` when dropped: its end is its collection.
        weakref.finalize(held, self._release, token)
        return held

    def _held(self, runner: Iterator[Collected], token: object) -> Generator[Collected, None, None]:
        try:
            yield from runner
        finally:
            self._release(token)

    def _release(self, token: object) -> None:
        with self._lock:
            if self._holder is token:
                self._holder = None


#: Each account's `OneRun`, for as long as a client of it is alive.
_ACCOUNTS: weakref.WeakValueDictionary[str, OneRun] = weakref.WeakValueDictionary()
_ACCOUNTS_LOCK = threading.Lock()


def one_run_for(provider: str, account: str | None) -> OneRun:
    """The `OneRun` of every client of ``provider`` on ``account`` (`account.account_key`)
    in this process; a client's own when ``account`` is None (the provider declares no
    account options, so no two of its clients are known to share one)."""
    if account is None:
        return OneRun()
    key = f"{provider}:{account}"
    with _ACCOUNTS_LOCK:
        guard = _ACCOUNTS.get(key)
        if guard is None:
            guard = _ACCOUNTS[key] = OneRun()
        return guard
