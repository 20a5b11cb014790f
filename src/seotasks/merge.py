"""Merging several providers' listings into one stream, in exactly the documented order.

`merged` orders by `merge_key`: `Task.sort_time` (completion, else creation; unknown
last), then `Task.key`. A provider lists in its own order, so each source is first put
in that order, in memory bounded by ``buffer`` tasks per source, and the sources are
then combined by a k-way ``heapq.merge``. How a source is put in order depends on what
its provider declares (`Capabilities.order`):

* nothing (``None``): the order is unknown, so no task can leave before the source has
  ended (the last task listed may be the first due). Up to ``buffer`` tasks are sorted
  in memory; a longer source is cut into sorted runs of ``buffer`` tasks on disk and
  merged back (`seotasks.spill`): exact for any size and any disorder.
* a field the listing is sorted by (`ORDER_FIELDS`): every task still to come is due no
  earlier than the latest value of that field seen so far (a task completes after it is
  created), so the tasks due before that *watermark* leave at once: the first task
  arrives after the first page, and the buffer only holds tasks still running at the
  watermark. Should that outgrow ``buffer``, the rest of the source goes through disk
  like an unordered one. A provider whose listing breaks its declaration is caught as
  soon as a task arrives that is due before one already delivered: `ResponseFormatError`,
  never a silently wrong order. ``started_at`` gives no such bound (see `ORDER_FIELDS`):
  its listing is put in order like an unordered one.

``order="arrival"`` skips all of this: no buffer; each source's tasks stay in the order
they were delivered, and the sources are interleaved by comparing their next tasks.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

import attrs

from .capabilities import ORDER_NAMES
from .errors import ResponseFormatError
from .model import Task
from .spill import FAN_IN, Run, SpillDir

if TYPE_CHECKING:
    from .client import Client
    from .query import Listing

__all__ = [
    "DEFAULT_BUFFER",
    "ORDERS",
    "ORDER_FIELDS",
    "ORDER_VALUES",
    "Source",
    "merge_key",
    "merged",
]

_NEVER = datetime.max.replace(tzinfo=UTC)
#: What `merged` accepts as ``order``.
ORDERS = ("exact", "arrival")
#: Tasks held in memory per source by default (a task with its ``raw`` and its sort key
#: take about 1.5 kB: some 30 MiB per source).
DEFAULT_BUFFER = 20_000

_Key = tuple[datetime, str]


def merge_key(task: Task) -> _Key:
    """Order of a merged stream: time (unknown last), then ``provider:id``.

    `Task.sort_time` and `Task.key`, spelled out: called a few times per task in a
    merge, where the two property calls were a third of its cost.
    """
    when = task.completed_at
    if when is None:
        when = task.created_at
        if when is None:
            when = _NEVER
    return (when, f"{task.provider}:{task.id}")


def _sort_time_bound(task: Task) -> datetime:
    when = task.sort_time
    return _NEVER if when is None else when


def _no_bound(task: Task) -> datetime | None:
    return None


#: `Capabilities.order` values a listing may declare, and for each, the lower bound a
#: task seen in that order sets on the `merge_key` time of every task after it (None:
#: no bound from this task). ``created_at`` and ``completed_at`` bound it because a task
#: completes after it is created; ``sort_time`` is the merge's own time. ``started_at``
#: bounds nothing: a task still running is due at its creation, which may be long
#: before a start seen earlier (it waited in a queue longer), so a listing in start
#: order is merged like an unordered one, exactly and only later.
ORDER_FIELDS: dict[str, Callable[[Task], datetime | None]] = {
    "created_at": lambda task: task.created_at,
    "completed_at": lambda task: task.completed_at,
    "sort_time": _sort_time_bound,
    "started_at": _no_bound,
}

#: For each order, the value the listing is sorted by (what the conformance kit checks
#: never decreases); ``None`` where a task lacks it.
ORDER_VALUES: dict[str, Callable[[Task], datetime | None]] = {
    "created_at": lambda task: task.created_at,
    "completed_at": lambda task: task.completed_at,
    "sort_time": lambda task: task.sort_time,
    "started_at": lambda task: task.started_at,
}

if tuple(ORDER_FIELDS) != ORDER_NAMES or tuple(ORDER_VALUES) != ORDER_NAMES:
    raise AssertionError(
        "merge.ORDER_FIELDS, merge.ORDER_VALUES and provider.ORDER_NAMES must name the same orders"
    )


@attrs.frozen(slots=True)
class Source:
    """Tasks for `merged` together with the order they come in (see `ORDER_FIELDS`).

    A `Client` brings its provider's declared order itself; a plain iterable of tasks
    counts as unordered. Wrap one in a `Source` to declare its order, e.g. the pages of
    a client consumed by hand: ``Source(my_tasks, order=client.capabilities.order)``.
    """

    tasks: Iterable[Task]
    order: str | None = attrs.field(default=None)
    name: str = "source"

    @order.validator
    def _check_order(self, _attribute: Any, value: str | None) -> None:
        if value is not None and value not in ORDER_FIELDS:
            raise ValueError(f"unknown order {value!r}; one of {sorted(ORDER_FIELDS)} or None")


def merged(
    sources: Iterable[Client | Source | Iterable[Task]],
    *,
    order: str = "exact",
    buffer: int = DEFAULT_BUFFER,
    tmpdir: str | Path | None = None,
    limit: int | None = None,
    **query: Unpack[Listing],
) -> Generator[Task, None, None]:
    """One stream of tasks from several clients (or task iterables), ordered by `merge_key`.

    ``query`` (``status``, ``since``, ``until``, ``time_field``: a `Listing`) and
    ``limit`` are passed to each client's ``tasks()``; a name it does not take is a
    `TypeError` here, not at the first ``next()``. ``order="exact"`` (the default) yields exactly
    ``sorted(all tasks, key=merge_key)``, holding at most ``buffer`` tasks per source in
    memory and spilling the rest to sorted runs in a private directory under ``tmpdir``
    (default: the system's), removed when the iteration ends, fails or is closed.
    ``order="arrival"`` buffers nothing (see the module's docstring). Iteration is lazy:
    nothing is fetched before the first ``next()``, which asks every source for its first
    page before any is read on (a vendor refusing its credentials is said at once).
    """
    from .client import Client
    from .query import check_listing

    check_listing(query, also=("limit",))
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, got {order!r}")
    if type(buffer) is not int or buffer < 1:
        raise ValueError(f"buffer must be a positive number of tasks, got {buffer!r}")
    declared: list[Source] = []
    for source in sources:
        if isinstance(source, Client):
            listed = source.tasks(limit=limit, **query)
            declared.append(Source(listed, source.capabilities.order, source.name))
        elif isinstance(source, Source):
            declared.append(
                Source(_only_tasks(source.tasks, source.name), source.order, source.name)
            )
        elif isinstance(source, str | bytes | Mapping) or not isinstance(source, Iterable):
            # No stream of tasks (a provider's name where a client belongs, a number):
            # refused here, not at the first next(), far from the mistake.
            raise TypeError(
                f"merged takes clients, Sources or iterables of Tasks, got {source!r} "
                "(connect a provider by name with seotasks.connect)"
            )
        else:
            declared.append(Source(_only_tasks(source, "source")))
    return _merge(declared, order, buffer, tmpdir)


def _only_tasks(tasks: Iterable[Task], name: str) -> Iterator[Task]:
    """``tasks``, each checked to be a `Task`: anything else was an ``AttributeError``
    deep in the ordering (``'int' object has no attribute 'completed_at'``)."""
    for index, task in enumerate(tasks):
        if not isinstance(task, Task):
            raise TypeError(
                f"merged: item {index} of {name} is a {type(task).__name__}, not a Task"
            )
        yield task


def _merge(
    sources: list[Source], order: str, buffer: int, tmpdir: str | Path | None
) -> Generator[Task, None, None]:
    # Readers of a merge of runs hold one chunk per open run: FAN_IN chunks fit the buffer.
    spill = SpillDir(tmpdir, chunk=min(1024, max(1, buffer // (FAN_IN + 1))))
    streams: list[Iterator[Task]] = []
    opened: list[Iterator[Task]] = []
    try:
        # Every source's first page before any source is read on: a source that must be
        # read whole before its first task is due (its order is not the merge's) kept a
        # second vendor's refusal (a mistyped token) for after its whole listing, minutes.
        sources = [_first_page_asked(source, opened) for source in sources]
        for source in sources:
            if order == "arrival":
                streams.append(iter(source.tasks))
            else:
                streams.append(_in_order(source, buffer, spill))
        yield from heapq.merge(*streams, key=merge_key)
    finally:
        for stream in [*streams, *opened]:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        spill.close()


def _first_page_asked(source: Source, opened: list[Iterator[Task]]) -> Source:
    """``source`` with its first task read now (its first page asked for), then the rest;
    its iterator is added to ``opened``, to be closed with the merge."""
    tasks = iter(source.tasks)
    opened.append(tasks)
    first = next(tasks, None)
    if first is None:
        return attrs.evolve(source, tasks=iter(()))
    return attrs.evolve(source, tasks=itertools.chain([first], tasks))


def _in_order(source: Source, buffer: int, spill: SpillDir) -> Iterator[Task]:
    """``source``'s tasks sorted by `merge_key`, at most ``buffer`` of them in memory."""
    bound = ORDER_FIELDS[source.order] if source.order is not None else None
    tasks = iter(source.tasks)
    heap: list[tuple[_Key, int, Task]] = []
    counter = itertools.count()
    watermark: datetime | None = None
    last: _Key | None = None  # the key of the last task delivered
    for task in tasks:
        key = merge_key(task)
        if last is not None and key < last:
            raise _disorder(source, task, last)
        heapq.heappush(heap, (key, next(counter), task))
        if bound is not None:
            mark = bound(task)
            if mark is not None and (watermark is None or mark > watermark):
                watermark = mark
                while heap and heap[0][0][0] < watermark:
                    entry = heapq.heappop(heap)
                    last = entry[0]
                    yield entry[2]
        if len(heap) >= buffer:
            held = [entry[2] for entry in sorted(heap)]
            heap.clear()
            yield from _external(source, held, tasks, last, buffer, spill)
            return
    while heap:
        yield heapq.heappop(heap)[2]


def _external(
    source: Source,
    held: list[Task],
    tasks: Iterator[Task],
    last: _Key | None,
    buffer: int,
    spill: SpillDir,
) -> Iterator[Task]:
    """The rest of a source that outgrew the buffer: sorted runs on disk, merged back.

    ``held`` (sorted) is the buffer's content; every task to come must be due after
    ``last``, the last one already delivered (checked as the tasks arrive).
    """
    runs: list[Run] = [spill.write(held)]
    del held
    chunk: list[Task] = []
    for task in tasks:
        if last is not None and merge_key(task) < last:
            raise _disorder(source, task, last)
        chunk.append(task)
        if len(chunk) >= buffer:
            chunk.sort(key=merge_key)
            runs.append(spill.write(chunk))
            chunk = []
    if chunk:
        chunk.sort(key=merge_key)
        runs.append(spill.write(chunk))
        chunk = []
    yield from spill.merge(runs, merge_key)


def _disorder(source: Source, task: Task, last: _Key) -> ResponseFormatError:
    return ResponseFormatError(
        f"{source.name}: the listing is not in the order its provider declares "
        f"({source.order}): {task.key} (due {merge_key(task)[0].isoformat()}) came after "
        f"{last[1]} (due {last[0].isoformat()}) was already delivered; "
        "merge with order='arrival' (--order arrival) to accept the provider's order",
        item_id=task.id,
    )
