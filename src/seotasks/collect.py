"""`collect_many`: many tasks' results at the vendor's pace, not at the network's.

A sequential loop of `Client.collect` is bound by latency: at 250 ms a round trip it
makes ~240 calls a minute whatever the vendor allows (DataForSEO: 2000 ``task_get`` a
minute). Here a few worker threads share the client's one connection pool and its one
`Pacer`, so the calls overlap in time while the pacer still holds the whole client to
the vendor's documented rate: concurrency removes the latency bound, never the limit.

Memory stays bounded for any number of tasks: the input is read lazily, at most
``window`` tasks are in flight or waiting to be yielded, and results are yielded, never
accumulated. A task that fails (after the transport's usual retries) becomes a result
carrying its error; the others go on. Nothing here is provider-specific: any provider
whose ``collect`` works one task at a time works here, third-party ones included.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import attrs

from .errors import ConfigError
from .model import Task

__all__ = ["Collected", "collect_many"]

#: Most workers one client may use: beyond this the pacer, not the threads, is the bound.
MAX_WORKERS = 64


@attrs.frozen(slots=True, kw_only=True)
class Collected:
    """One task's outcome in `Client.collect_many`: its result or its error, never both.

    ``index`` is the task's position in the input (0-based), so a caller that needs
    input order can restore it. ``error`` is the exception `Client.collect` raised for
    this task after the transport's retries: a `seotasks.SeotasksError` subclass
    (`ProviderError` for a vendor's task-level error, `TransientError` when retries ran
    out, ...); any other exception type means a bug in the provider, reported here
    rather than raised so that one odd task does not stop a run of thousands.
    """

    task: Task
    index: int
    result: Mapping[str, Any] | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def describe_error(self) -> str | None:
        """``"<ErrorType>: message"`` (the CLI's form), or None when collected."""
        if self.error is None:
            return None
        return f"{type(self.error).__name__}: {self.error}"


def collect_many(
    collect: Callable[[Task], Mapping[str, Any]],
    tasks: Iterable[Task],
    *,
    workers: int = 8,
    window: int | None = None,
    ordered: bool = False,
) -> Iterator[Collected]:
    """Run ``collect`` over ``tasks`` on ``workers`` threads; yield one `Collected` each.

    Order: by default results come out as they complete (a slow or retried task does not
    hold back the ones behind it); with ``ordered=True`` in input order, at the price of
    that head-of-line wait. ``window`` (default ``2 * workers``) bounds the tasks taken
    from the input and not yet yielded. An exception raised by the *input* iterable (a
    listing that failed) stops the intake; the tasks already taken are still collected
    and yielded, then the exception is raised. Closing the iterator early cancels the
    tasks not started and waits for the calls in flight.
    """
    if type(workers) is not int or not 1 <= workers <= MAX_WORKERS:
        raise ConfigError(f"workers must be an integer in 1..{MAX_WORKERS}, got {workers!r}")
    if window is None:
        window = 2 * workers
    if type(window) is not int or window < workers:
        raise ConfigError(f"window must be an integer >= workers ({workers}), got {window!r}")
    return _run(collect, iter(tasks), workers, window, ordered)


def _one(collect: Callable[[Task], Mapping[str, Any]], task: Task, index: int) -> Collected:
    try:
        result = collect(task)
    except Exception as exc:
        return Collected(task=task, index=index, error=exc)
    return Collected(task=task, index=index, result=result)


def _run(
    collect: Callable[[Task], Mapping[str, Any]],
    source: Iterator[Task],
    workers: int,
    window: int,
    ordered: bool,
) -> Iterator[Collected]:
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="seotasks-collect")
    queue: deque[Future[Collected]] = deque()  # in input order
    failure: BaseException | None = None
    index = 0
    try:
        while True:
            while failure is None and len(queue) < window:
                try:
                    task = next(source)
                except StopIteration:
                    failure = _EXHAUSTED
                    break
                except Exception as exc:  # the listing failed: finish what was taken
                    failure = exc
                    break
                queue.append(pool.submit(_one, collect, task, index))
                index += 1
            if not queue:
                break
            if ordered:
                yield queue.popleft().result()
                continue
            done, _ = wait(queue, return_when=FIRST_COMPLETED)
            for future in [f for f in queue if f in done]:
                queue.remove(future)
                yield future.result()
        if failure is not None and failure is not _EXHAUSTED:
            raise failure
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class _Exhausted(Exception):
    """Marks the input's end (never raised)."""


_EXHAUSTED = _Exhausted()
