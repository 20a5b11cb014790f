"""Iteration over many pages, and merging several providers into one stream.

Each provider yields its own order; `merged` puts several streams into one, ordered
by `Task.sort_time` (completion, else creation) then `Task.key`, lazily and in bounded
memory: a k-way ``heapq.merge`` of the sources, each passed through a small reorder
buffer so a source that is only *nearly* ordered (DataForSEO lists one API family
after another) still comes out in order as long as no task is displaced by more than
``window`` positions.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .model import Task

if TYPE_CHECKING:
    from .client import Client

__all__ = ["merge_key", "merged", "reorder"]

_NEVER = datetime.max.replace(tzinfo=UTC)


def merge_key(task: Task) -> tuple[datetime, str]:
    """Order of a merged stream: time (unknown last), then ``provider:id``."""
    when = task.sort_time
    return (_NEVER if when is None else when, task.key)


def reorder(tasks: Iterable[Task], window: int) -> Iterator[Task]:
    """Yield ``tasks`` sorted by `merge_key` using a heap of at most ``window`` tasks."""
    if window <= 1:
        yield from tasks
        return
    heap: list[tuple[tuple[datetime, str], int, Task]] = []
    counter = itertools.count()
    for task in tasks:
        item = (merge_key(task), next(counter), task)
        if len(heap) < window:
            heapq.heappush(heap, item)
        else:
            yield heapq.heappushpop(heap, item)[2]
    while heap:
        yield heapq.heappop(heap)[2]


def merged(
    sources: Iterable[Client | Iterable[Task]],
    *,
    window: int = 1000,
    **query: Any,
) -> Iterator[Task]:
    """One stream of tasks from several clients (or task iterables), ordered by time.

    ``query`` (``status``, ``since``, ``until``) is passed to each client's ``tasks()``.
    Memory holds at most ``window`` tasks per source; iteration is lazy: the first task
    arrives once each source has delivered ``window`` tasks (or ended), not after the
    whole listing. A smaller window starts sooner but tolerates less disorder.
    """
    from .client import Client

    streams: list[Iterator[Task]] = []
    for source in sources:
        it = source.tasks(**query) if isinstance(source, Client) else iter(source)
        streams.append(reorder(it, window))
    return heapq.merge(*streams, key=merge_key)
