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

import queue
import sys
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sized
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from .cancel import waits_end_on
from .errors import Interrupted, NoResult, TaskNotDone, UnsupportedQuery
from .model import Task
from .provider import JSONValue
from .terms import MAX_WORKERS

if TYPE_CHECKING:
    from .transport import Transport

__all__ = [
    "MAX_WORKERS",
    "VERDICTS",
    "Collected",
    "check_owned",
    "collect_many",
    "owned_by",
]

#: The errors that are a final word on a task, asking again giving the same answer: the
#: vendor's, that it has no result (`NoResult`), and the provider's, that it cannot
#: collect it (`UnsupportedQuery`). A journal forgets such a task (`Collected.settles`),
#: the receiver sets its pingback aside, ``seotasks-dlt`` does not ask again.
VERDICTS: tuple[type[Exception], ...] = (NoResult, UnsupportedQuery)

#: What fetches one task: its result parsed, or the file it was streamed into.
_Fetch = Callable[[Task], JSONValue | Path]


def _result_repr(result: JSONValue) -> str:
    """A result in `Collected`'s repr: its kind and size, not its content."""
    if result is None:
        return "None"
    size = len(result) if isinstance(result, Sized) else None
    return f"<{type(result).__name__}{'' if size is None else f' of {size}'}>"


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
    #: The vendor's JSON, any JSON value (None also when there is an ``error`` or a
    #: ``path``: tell them apart by those, not by the result). Left out of the repr: a
    #: logged outcome printed a whole result (25 000 characters for one SERP).
    result: JSONValue = attrs.field(default=None, repr=_result_repr)
    error: Exception | None = None
    #: With ``collect_many(into=DIR)``: the hidden temporary file in DIR holding the
    #: result (the vendor's bytes); the caller moves it into place or removes it.
    path: Path | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def settles(self) -> bool:
        """Whether this failure settles the task with no result to store: the vendor
        answered that it has none (`NoResult`) or none yet (`TaskNotDone`: nothing was
        consumed, a later listing shows it again), or the provider cannot collect it
        (`UnsupportedQuery`). Its journal entry may go. Any other error (retries ran
        out, an answer that does not read, a proxy's refusal, an account's) says
        nothing of the task, which a consuming read may already have taken: keep it."""
        return isinstance(self.error, (*VERDICTS, TaskNotDone))

    def describe_error(self) -> str | None:
        """``"<ErrorType>: message"`` (the CLI's form), or None when collected."""
        if self.error is None:
            return None
        return f"{type(self.error).__name__}: {self.error}"


def collect_many(
    collect: _Fetch,
    tasks: Iterable[Task],
    *,
    workers: int = 8,
    window: int | None = None,
    ordered: bool = False,
    stop: threading.Event | None = None,
    transport: Transport | None = None,
) -> Generator[Collected, None, None]:
    """Run ``collect`` over ``tasks`` on ``workers`` threads; yield one `Collected` each.

    Order: by default results come out as they complete (a slow or retried task does not
    hold back the ones behind it); with ``ordered=True`` in input order, at the price of
    that head-of-line wait. ``window`` (default ``2 * workers``) bounds the tasks taken
    from the input and not yet handled: a task counts until the caller asks for the
    result after its own (``window=workers`` then bounds the results fetched and not yet
    stored to the calls in flight, the least a kill can cost).

    The input is read on a feeder thread, so a slow input (a paced listing) never holds
    back a result that is ready. An exception raised by the input (a listing that failed)
    stops the intake; the tasks already taken are still collected and yielded, then the
    exception is raised. Setting ``stop`` stops the intake at once: the tasks in flight
    are still yielded, then the iterator ends (what a graceful shutdown needs). Closing
    the iterator early cancels the tasks not started and waits for the calls in flight,
    ending their pacing and retry waits unsent (`seotasks.cancel`): a ``Retry-After`` of
    an hour does not hold a ``break``. ``transport`` (the client's) ends them too when
    its ``interrupt`` is set (a signal, `close`), and stops the intake: the tasks taken
    are yielded, then its ``ValueError`` when it was closed (else `Interrupted`) is
    raised, rather than a failure for every task left.
    """
    if type(workers) is not int or not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be an integer in 1..{MAX_WORKERS}, got {workers!r}")
    if window is None:
        window = 2 * workers
    if type(window) is not int or window < workers:
        raise ValueError(f"window must be an integer >= workers ({workers}), got {window!r}")
    run = _Run(collect, iter(tasks), workers, window, stop or threading.Event())
    return run.results(ordered, transport)


def check_owned(task: object, provider: str) -> None:
    """Raise unless ``task`` is a `Task` of ``provider``: what a collecting call refuses
    as misuse (an id, or None from a lookup; another provider's task), before anything
    is recorded or sent."""
    if not isinstance(task, Task):
        raise TypeError(f"collect takes a Task, got {type(task).__name__}")
    if task.provider != provider:
        raise ValueError(f"task {task.key} does not belong to provider {provider!r}")


def owned_by(tasks: Iterable[Task], provider: str) -> Iterator[Task]:
    """``tasks``, each checked by `check_owned` as it is taken: in `collect_many` a
    mistaken task is then the input's error, raised to the caller after the tasks taken
    before it are yielded, not a failed outcome that reads as the vendor's (nor a task
    journaled, then never fetched)."""
    for task in tasks:
        check_owned(task, provider)
        yield task


def _one(collect: _Fetch, task: Task, index: int, cancel: threading.Event) -> Collected:
    try:
        with waits_end_on(cancel):
            result = collect(task)
    except Exception as exc:
        return Collected(task=task, index=index, error=exc)
    if isinstance(result, Path):
        return Collected(task=task, index=index, path=result)
    return Collected(task=task, index=index, result=result)


_WAKE = 0.05  # seconds between checks of the stop flags while waiting


class _Run:
    """One `collect_many` run: a feeder thread, a worker pool, a queue of finished results.

    ``lock`` makes "check the flags, submit, count" one step, so the consumer can tell
    for certain when nothing is in flight any more.
    """

    def __init__(
        self,
        collect: _Fetch,
        source: Iterator[Task],
        workers: int,
        window: int,
        stop: threading.Event,
    ) -> None:
        self.collect = collect
        self.source = source
        self.stop = stop
        self.pool = _Workers(workers, self._do)
        # `queue.Queue`, not `SimpleQueue`: the consumer waits on the main thread, where
        # signal handlers run, and CPython's C ``SimpleQueue.get(timeout=...)`` blocks for
        # ever when a handler running during the wait outlasts the timeout (3.11.7 and
        # 3.12.1 do, 3.13.0 not): a stop set by that handler was never seen, and
        # ``collect --follow`` stopped by SIGTERM on a busy machine never exited.
        self.finished: queue.Queue[Collected] = queue.Queue()
        self.slots = threading.Semaphore(window)
        self.lock = threading.Lock()
        self.closing = False
        #: Set as the run ends: its calls' pacing and retry waits end (`seotasks.cancel`).
        self.cancel = threading.Event()
        self.submitted = 0
        self.fed_all = False
        self.exhausted = False  # the input ended: no task was left untaken
        self.error: Exception | None = None
        self.feeder = threading.Thread(
            target=self._feed, name="seotasks-collect-feeder", daemon=True
        )

    def _halted(self) -> bool:
        return self.closing or self.stop.is_set() or self.cancel.is_set()

    def _feed(self) -> None:
        try:
            while True:
                while not self.slots.acquire(timeout=_WAKE):
                    if self._halted():
                        return
                if self._halted():
                    return
                try:
                    with waits_end_on(self.cancel):  # a paced listing, say
                        task = next(self.source)
                except StopIteration:
                    self.exhausted = True
                    return
                with self.lock:
                    if self._halted():
                        return  # taken but never started: dropped, as a stop asks
                    self.pool.submit(task, self.submitted)
                    self.submitted += 1
        except Exception as exc:  # the input failed: finish what was taken, then raise
            with self.lock:
                self.error = exc
        finally:
            with self.lock:
                self.fed_all = True

    def _interrupted(self, transport: Transport | None) -> Exception | None:
        """Why the intake stopped when the transport's interrupt stopped it, not the run's
        own end or ``stop``: its closed client's ``ValueError``, else `Interrupted`."""
        if self.exhausted or self.stop.is_set():
            return None
        if transport is None or not transport.interrupt.is_set():
            return None
        try:
            transport.check_open()
        except ValueError as exc:
            return exc
        return Interrupted("the client's interrupt was set: no task was taken since")

    def _do(self, task: Task, index: int) -> None:
        self.finished.put(_one(self.collect, task, index, self.cancel))

    def _drained(self, yielded: int) -> bool:
        with self.lock:
            if yielded < self.submitted:
                return False
            return self.fed_all or self.stop.is_set()

    def results(
        self, ordered: bool, transport: Transport | None
    ) -> Generator[Collected, None, None]:
        if transport is not None:
            transport.interrupt.link(self.cancel)
        self.feeder.start()
        held: dict[int, Collected] = {}
        yielded = 0
        try:
            while not self._drained(yielded):
                try:
                    outcome = self.finished.get(timeout=_WAKE)
                except queue.Empty:
                    continue
                # A task's slot is given back only when the caller asks for the next
                # result, i.e. once it has done with this one (written it, say): so at
                # most ``window`` tasks are ever taken and not yet handled, which is
                # what bounds the fetches a kill can lose the results of.
                if ordered:
                    held[outcome.index] = outcome
                    while yielded in held:
                        yielded += 1
                        yield held.pop(yielded - 1)
                        self.slots.release()
                else:
                    yielded += 1
                    yield outcome
                    self.slots.release()
            error = self.error or self._interrupted(transport)
            if error is not None:
                raise error
        finally:
            # A run left open is closed as late as the interpreter's teardown, when daemon
            # threads run no more: one stopped holding ``lock``, or never to end, would
            # make this wait for ever. Nothing is left to end then, nor to wait for.
            if not sys.is_finalizing():
                self._close(transport, [*held.values()])

    def _close(self, transport: Transport | None, held: list[Collected]) -> None:
        with self.lock:
            self.closing = True
        self.cancel.set()
        self.pool.shutdown()
        self.feeder.join(timeout=1.0)
        if transport is not None:
            transport.interrupt.unlink(self.cancel)
        self._drop(held)

    def _drop(self, held: list[Collected]) -> None:
        """Remove the files of the results fetched and never yielded (the caller left
        early): nobody else knows them, and a hidden file with a random name in the
        caller's folder, of no task anyone could name, is a leak. After the feeder's
        join: a task it submitted has its result queued by then, or never started."""
        while True:
            try:
                held.append(self.finished.get_nowait())
            except queue.Empty:
                break
        for outcome in held:
            if outcome.path is not None:
                with suppress(OSError):
                    outcome.path.unlink(missing_ok=True)


class _Workers:
    """``count`` daemon threads running a run's tasks: `ThreadPoolExecutor` without its
    rules for the interpreter's exit.

    Once the main thread returns, Python's shutdown has begun, though it still waits for
    the non-daemon threads, and an executor then refuses new work ("cannot schedule new
    futures after interpreter shutdown"): a service whose entry script started a
    collecting thread and returned collected nothing. An executor's threads are also
    joined before the interpreter exits: a script that ended with a run left open waited
    for its call waiting out a vendor's hour-long ``Retry-After``. Daemon threads do
    neither; a run that closes still joins them (`shutdown`), so its calls in flight end
    first. Tasks go to the threads in the order given; a thread starts per task given
    until there are ``count``, as an executor starts them.
    """

    def __init__(self, count: int, run: Callable[[Task, int], None]) -> None:
        self._count = count
        self._run = run
        self._tasks: queue.SimpleQueue[tuple[Task, int] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    def submit(self, task: Task, index: int) -> None:
        """Run ``task`` (the input's ``index``-th) on a free thread, once one is free."""
        self._tasks.put((task, index))
        if len(self._threads) < self._count:
            name = f"seotasks-collect_{len(self._threads)}"
            thread = threading.Thread(target=self._work, name=name, daemon=True)
            self._threads.append(thread)
            thread.start()

    def _work(self) -> None:
        while (given := self._tasks.get()) is not None:
            self._run(*given)

    def shutdown(self) -> None:
        """Drop the tasks not started; wait for the ones running. No `submit` after."""
        with suppress(queue.Empty):
            while True:
                self._tasks.get_nowait()
        for _ in self._threads:
            self._tasks.put(None)
        for thread in self._threads:
            thread.join()
