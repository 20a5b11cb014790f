"""Results as ``results`` rows, handed to dlt one by one as they arrive.

The ``tasks`` resource yields both tables' rows: a page's task rows as one batch, then,
while its completed tasks are collected (`Client`'s pool of workers and pacer, through
`seotasks.collect.collect_many`), each result as one row marked for the ``results``
table (``dlt.mark.with_table_name``). Nothing is held back for later: a row goes to dlt's
writer as soon as its result arrives, and dlt's writer flushes it to its file after a few
rows (`seotasks_dlt.pipeline` sets a small buffer), so memory does not grow with the
number of results. (Before, results waited in a dict for a separate transformer, and
every one of a run's results stayed in memory until the load: 2 GB for 3000 SERP results.)

Why one resource and not a dependent one: DataForSEO's ``tasks_ready`` shows the next
1000 tasks only once the current ones are collected, so a page must be collected before
the next one is asked for; inside one generator that order is simply the order of the
code, whatever dlt does with its pipes.

Per provider, a collecting run takes four sources of work, in this order:

1. the journal's pending entries (`seotasks_dlt.outbox`): results an earlier run fetched
   with a consuming read and did not get loaded, re-delivered from their kept copy, or
   fetched again by id;
2. what the previous run of the same `seotasks_dlt.load` had no room for (`Session`);
3. the destination's completed tasks without a usable result (`seotasks_dlt.backfill`);
4. the listing, page by page, less the tasks whose result the destination already holds
   (`Collector._unloaded`: the collected marks go when the state is reset).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import dlt

from seotasks.client import Client
from seotasks.collect import Collected
from seotasks.errors import Interrupted, SeotasksError, StorageError
from seotasks.model import Task, TaskStatus

from .backfill import loaded_results, missing_results
from .known_facts import KnownFacts
from .outbox import Deliveries
from .rows import RESULTS_TABLE, result_row, task_row
from .session import Session
from .state import DRAIN, ProviderState

__all__ = ["Collector", "Halt"]


class Halt:
    """Why a run stops taking work: the caller's ``stop`` event (a signal), or a fatal error.

    The caller sets ``stop`` from a signal handler; a watcher thread passes it on at once
    to `event` (what the collection and the listing check) and to every client's
    transport, whose pacing and ``Retry-After`` waits then end promptly instead of
    holding the shutdown for up to an hour.
    """

    def __init__(self, stop: threading.Event | None) -> None:
        self.stop = stop
        self.event = threading.Event()
        self.fatal: SeotasksError | None = None
        self._clients: list[Client] = []
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def stopped(self) -> bool:
        return self.event.is_set()

    def start(self) -> None:
        if self.stop is not None and self._watcher is None:
            self._watcher = threading.Thread(
                target=self._watch, name="seotasks-dlt-halt", daemon=True
            )
            self._watcher.start()

    def _watch(self) -> None:
        assert self.stop is not None
        while not self._finished.is_set():
            if self.stop.wait(0.1):
                self.halt()
                return

    def add(self, client: Client) -> None:
        with self._lock:
            self._clients.append(client)
            stopping = self.event.is_set()
        if stopping:
            _interrupt(client)

    def halt(self) -> None:
        """Stop taking work: no new task, no new page; waits end."""
        self.event.set()
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            _interrupt(client)

    def fail(self, exc: SeotasksError) -> None:
        """An error that every later task would meet too (a full disk): stop, then raise."""
        if self.fatal is None:
            self.fatal = exc
        self.halt()

    def finish(self) -> None:
        self._finished.set()
        if self._watcher is not None:
            self._watcher.join(timeout=1.0)


def _interrupt(client: Client) -> None:
    """End the client's pacing and backoff waits: they raise `Interrupted` at once."""
    client.transport.interrupt.set()


@attrs.define(eq=False)
class Collector:
    """One provider's results in one run: re-delivered, left over, backfilled, listed.

    A service object, not a value: compared by identity (``eq=False``).
    """

    client: Client
    name: str = attrs.field(init=False)
    state: ProviderState
    workers: int = attrs.field(kw_only=True)
    halt: Halt = attrs.field(kw_only=True)
    session: Session = attrs.field(kw_only=True)
    #: The provider's journal: what earlier runs fetched and did not load (`redeliver`).
    deliveries: Deliveries | None = attrs.field(kw_only=True)
    #: Whether this run's own fetches go through the journal too: where the listing
    #: drains (a consuming read), not where a task can be fetched again by id.
    journal_reads: bool = attrs.field(default=True, kw_only=True)
    backfill_since: datetime | None = attrs.field(kw_only=True)
    backfill_enabled: bool = attrs.field(default=True, kw_only=True, alias="backfill")
    #: How long the vendor keeps a result (`Capabilities.results_kept`; None: no limit
    #: here). A listed task older than that is not fetched: each would be a paid call
    #: answered with an error (DataForSEO 40403); its task row is loaded all the same.
    #: `backfill` keeps its own limit, ``backfill_since``, which the caller chose.
    results_kept: timedelta | None = attrs.field(default=None, kw_only=True)
    #: Tasks with a ``results`` row in this run: never two rows of one task in one
    #: package, which lets dlt's merge skip its de-duplication (see `source`).
    yielded: set[str] = attrs.field(init=False, factory=set)
    #: The pipeline running the source, found once (``dlt.current.pipeline()`` resolves
    #: dlt's configuration, 11 ms, and the destination is asked once a page).
    pipeline: Any = attrs.field(init=False, factory=dlt.current.pipeline)

    @name.default
    def _client_name(self) -> str:
        return self.client.name

    def redeliver(self) -> Iterator[Any]:
        """Rows for every task the journal says was fetched and never loaded.

        Once per `load` (the first run); all of them, whatever the budget: they are at
        most one run's worth, since every run's results are acknowledged once loaded.
        """
        if self.deliveries is None or self.name in self.session.redelivered:
            return
        self.session.redelivered.add(self.name)
        pending = self.deliveries.pending()
        if not pending:
            return
        # Those whose result a pending package brought (loaded before this run, with their
        # task rows) are not loaded again: the line counted the command's own rows as
        # updated ones. The others' task rows may have been lost with the killed run's
        # package as well.
        loaded = loaded_results(self.name, [task.id for task in pending], self.pipeline)
        owner = self.pipeline.pipeline_name
        rows = [task_row(task, owner) for task in pending if task.id not in loaded]
        KnownFacts(self.name, self.pipeline).fill(rows)
        yield rows
        again: list[Task] = []
        for task in pending:
            if self.halt.stopped:
                return
            if task.id in loaded:
                self.state.mark_collected(task.id, task.created_at)
                self.deliveries.delivered(task.id)
                continue
            kept = self.deliveries.kept(task.id)
            if kept is None:
                again.append(task)
                continue
            if task.key in self.yielded:
                continue
            self.yielded.add(task.key)
            self.session.count(1)
            self.state.mark_collected(task.id, task.created_at)
            self.deliveries.delivered(task.id)
            self.session.weigh_result(kept)
            yield _results_row(result_row(task, kept, None, _now()))
        yield from self._run(again, budgeted=False)

    def leftover(self) -> Iterator[Any]:
        """Rows for the tasks an earlier run of this `load` listed and had no room for."""
        tasks = self.session.leftover.pop(self.name, [])
        yield from self._run(self._recent(self._todo(tasks)))

    def backfill(self) -> Iterator[Any]:
        """Rows for the completed tasks the destination holds without a usable result."""
        if not self.backfill_enabled:
            return
        for batch in missing_results(self.name, self.backfill_since, self.pipeline):
            if self.halt.stopped or self.session.full:
                return
            # The destination wins over the state's marks: a task it holds without a
            # result lost its row after it was marked (a restore, a table emptied),
            # and the vendor still answers it by id while it keeps results.
            yield from self._run(self._todo(batch, marked=False))

    def defer(self, tasks: Sequence[Task]) -> None:
        """Leave a listed page's completed tasks not collected yet to the next run (its
        `leftover`): a draining listing's, whose rows must be loaded before its reads."""
        self.session.leftover.setdefault(self.name, []).extend(self._todo(tasks))

    def page(self, tasks: Sequence[Task]) -> Iterator[Any]:
        """Rows for a listed page's completed tasks not collected yet."""
        yield from self._run(self._unloaded(self._recent(self._todo(tasks))))

    def _unloaded(self, tasks: list[Task]) -> list[Task]:
        """``tasks`` less those whose result the destination already holds, asked in one
        query per page (`loaded_results`); those are marked collected.

        The collected marks alone are not enough: a changed selection or a refused cursor
        drops them with the rest of the state, and the listing then reads every task
        again. Asked on every page, not only after a reset: the query cost 15 to 35 ms a
        page on DuckDB, where one fetch is a vendor call, paced and maybe billed, and
        marks are also dropped at the end of a listing, by a rule that is easier to trust
        with this behind it. Not for a draining listing (DataForSEO ``tasks_ready``): a
        task it lists was never read, so the destination cannot hold its result, and one
        left unread would stay at the head of the vendor's list.
        """
        if not tasks or self.state.strategy == DRAIN:
            return tasks
        loaded = loaded_results(self.name, [t.id for t in tasks], self.pipeline)
        for task in tasks:
            if task.id in loaded:
                self.state.mark_collected(task.id, task.created_at)
        return [t for t in tasks if t.id not in loaded]

    def _todo(self, tasks: Iterable[Task], *, marked: bool = True) -> list[Task]:
        """The completed ``tasks`` to fetch: not fetched by this run, nor failed in it,
        nor (``marked``) marked collected by an earlier one."""
        return [
            t
            for t in tasks
            if t.status is TaskStatus.COMPLETED
            and not (marked and self.state.was_collected(t.id))
            and t.key not in self.session.failed
            and t.key not in self.yielded
        ]

    def _recent(self, tasks: list[Task]) -> list[Task]:
        """``tasks`` less those older than the vendor keeps results (`results_kept`): by
        completion time, as `backfill` counts, else creation time (a task that finished
        later than it was posted is never skipped while it may still have its result)."""
        if self.results_kept is None:
            return tasks
        since = _now() - self.results_kept
        recent = [t for t in tasks if (t.completed_at or t.created_at or since) >= since]
        days = f"{self.results_kept.total_seconds() / 86400:g} days"
        note = f"{self.name} keeps a task's result {days}: older completed tasks have none"
        if len(recent) < len(tasks) and note not in self.session.notes:
            self.session.notes.append(note)
        return recent

    def _run(self, tasks: list[Task], *, budgeted: bool = True) -> Iterator[Any]:
        if budgeted:
            tasks = self.session.take(self.name, tasks)
        else:
            self.session.count(len(tasks))
        if not tasks or self.halt.stopped:
            return
        # Journaled tasks (re-delivered) are never given back: they were fetched once.
        feed = self.session.feed(self.name, tasks) if budgeted else iter(tasks)
        for done in self._collect(feed):
            error = done.error
            if isinstance(error, Interrupted):
                continue  # never sent: no row; the listing or the journal brings it back
            if isinstance(error, StorageError):
                self.halt.fail(error)  # its entry stays: fetched again next run
                continue
            task = done.task
            result = done.result
            if done.path is not None and self.deliveries is not None:
                data = self.deliveries.keep(task.id, done.path).read_bytes()
                result = json.loads(data)
                self.session.weigh(len(data))
            else:
                self.session.weigh_result(result)
            if task.key in self.yielded:
                continue
            self.yielded.add(task.key)
            if error is None:
                self.state.mark_collected(task.id, task.created_at)
            else:
                self.session.failed.add(task.key)
            if self.deliveries is not None:
                self.deliveries.delivered(task.id)
            yield _results_row(result_row(task, result, done.describe_error(), _now()))

    def _collect(self, tasks: Iterable[Task]) -> Iterator[Collected]:
        """The client's concurrent collection; through the journal where reads consume.

        There each task is recorded before its fetch and its result streamed into the
        outbox's ``fetched/`` folder (kept there until loaded); the window is the
        workers, so that a kill finds at most one result per worker fetched and not yet
        kept (`Client.collect_many`).
        """
        if self.deliveries is None or not self.journal_reads:
            return self.client.collect_many(tasks, workers=self.workers, stop=self.halt.event)
        return self.client.collect_many(
            tasks,
            workers=self.workers,
            window=self.workers,
            stop=self.halt.event,
            journal=self.deliveries.journal,
            into=self.deliveries.fetched,
        )


def _now() -> datetime:
    return datetime.now(UTC)


def _results_row(row: dict[str, Any]) -> Any:
    """``row`` routed to the ``results`` table (the resource's own table is ``tasks``)."""
    return dlt.mark.with_table_name(row, RESULTS_TABLE)
