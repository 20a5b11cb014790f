"""Ending the waits of one run's calls, not those of every caller of the client.

`Transport.interrupt` ends every pacing and ``Retry-After`` wait of a client, in every
thread: what a signal or `close` asks. A `collect_many` left early (a loop's ``break``)
asks less: its iterator's close waits for its own calls in flight, and one of them
waiting out a vendor's ``Retry-After`` of an hour held the ``break`` for that hour,
while ending the other threads' waits too would fail their calls for nothing. So each
run has an event of its own, linked to the interrupt (set with it), and its worker
threads make their calls under it (`waits_end_on`): their waits end on the run's event,
which the run sets as it closes. A call ended so was never sent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Interrupt", "stop_for", "waits_end_on"]


class Interrupt(threading.Event):
    """A `threading.Event` whose `set` also sets every event `link`ed to it.

    No lock: `set` runs in signal handlers, which may land while the same thread is in
    `link`; adding to, discarding from and copying a set of events are each atomic.
    """

    def __init__(self) -> None:
        super().__init__()
        self._linked: set[threading.Event] = set()

    def set(self) -> None:
        super().set()
        for event in tuple(self._linked):
            event.set()

    def link(self, event: threading.Event) -> None:
        """Set ``event`` whenever this is set (at once, if it is already)."""
        self._linked.add(event)
        if self.is_set():  # set between the add and here, or before: either way, set
            event.set()

    def unlink(self, event: threading.Event) -> None:
        self._linked.discard(event)


_local = threading.local()


def stop_for(default: threading.Event) -> threading.Event:
    """The event this thread's waits end on: its run's (`waits_end_on`), else ``default``."""
    event: threading.Event | None = getattr(_local, "event", None)
    return default if event is None else event


@contextmanager
def waits_end_on(event: threading.Event) -> Iterator[None]:
    """Within the block, this thread's pacing and retry waits end when ``event`` is set
    (link it to the transport's `Interrupt`, so that a signal or `close` still ends them)."""
    previous = getattr(_local, "event", None)
    _local.event = event
    try:
        yield
    finally:
        _local.event = previous
