"""What a process forked from one that uses seotasks must not inherit as it is.

A client's pooled connections are sockets its parent goes on using: a request the child
writes on one mixes with the parent's on the wire (a garbled body, or one process reading
the other's answer). Its pacer's locks may be held, at the instant of the fork, by a
thread of the parent (a call waiting for its pacing slot holds its window's lock), and
the child has no such thread, so nothing would ever release them: the child's first call
would wait forever. A process pool started with ``fork`` (Linux's default before Python
3.14) inherits every client the parent made, so each object holding either registers
here and is reset in the child right after the fork, before any code of the child runs.
"""

from __future__ import annotations

import os
import weakref
from typing import Protocol

__all__ = ["ForkReset", "track"]


class ForkReset(Protocol):
    def after_fork_in_child(self) -> None:
        """Drop what the parent's threads may still hold or use; called in the child."""


_LIVE: weakref.WeakSet[ForkReset] = weakref.WeakSet()


def track(owner: ForkReset) -> None:
    """Reset ``owner`` in every child forked while it is alive."""
    _LIVE.add(owner)


def _reset_in_child() -> None:
    for owner in list(_LIVE):
        owner.after_fork_in_child()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_reset_in_child)
