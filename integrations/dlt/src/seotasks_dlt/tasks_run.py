"""What one run of the ``tasks`` resource does, provider by provider (`TasksRun`).

For each provider: connect (through the run's `Session`), check that the pipeline's state
is this account's, take up what earlier runs left (with ``collect``: the outbox, the
session's leftover, the backfill), then list page by page from the stored cursor or mark,
collecting each page's completed tasks before the next page is asked for. A class with
one method a step, rather than closures inside `seotasks_source` sharing its variables:
what each step reads is on ``self`` or in its arguments.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import dlt

from seotasks.account import account_key
from seotasks.client import Client
from seotasks.errors import (
    ConfigError,
    CursorError,
    Interrupted,
    ResponseFormatError,
    TransientError,
)
from seotasks.model import Page, TaskQuery
from seotasks.terms import CAPPED_ADVICE

from .backfill import running_pipeline
from .collecting import Collector, Halt
from .known_facts import KnownFacts
from .outbox import Outbox
from .rows import RESULTS_TABLE, task_row
from .session import Session
from .state import ProviderState, selection_key, strategy_for

__all__ = ["Collecting", "Selection", "TasksRun"]

#: Margin kept inside a vendor's listing window when a stored ``since`` has aged past it.
_WINDOW_MARGIN = timedelta(minutes=10)
#: Listed tasks of a draining listing a run defers to the next at most (`TasksRun._pages`).
_DEFER_MAX = 5000


@attrs.frozen
class Selection:
    """Which tasks a run lists: the query `build_query` checked, with a ``since`` or
    ``until`` given as a span back from now kept apart (``since_ago``, ``until_ago``):
    each run counts a rolling bound back from its own start."""

    query: TaskQuery
    since_ago: timedelta | None = None
    until_ago: timedelta | None = None

    def since(self, now: datetime) -> datetime | None:
        return self.query.since if self.since_ago is None else now - self.since_ago

    def until(self, now: datetime) -> datetime | None:
        return self.query.until if self.until_ago is None else now - self.until_ago

    def key(self, client: Client) -> str:
        """The state's `selection_key`: a rolling bound is described by its span, the
        same from run to run, not by the time it gives today."""
        query = self.query
        return selection_key(
            client.listing_options,
            None if query.status is None else query.status.value,
            query.since if self.since_ago is None else self.since_ago,
            query.until if self.until_ago is None else self.until_ago,
            query.time_field,
        )


@attrs.frozen
class Collecting:
    """How a collecting run fetches results: ``workers`` threads; completed tasks the
    destination holds without a result are filled in back to ``backfill`` (None: no
    limit); ``outbox`` keeps what a consuming read fetched until the load acknowledges it."""

    workers: int
    backfill: timedelta | None
    outbox: Outbox | None


class TasksRun:
    """One run of the ``tasks`` resource: `rows` is the resource's generator.

    ``connect(name)`` makes a provider's client (the `Session` keeps it across the runs
    of one `seotasks_dlt.load`; a session of the run's own, ``own_session``, is closed
    when the run ends). ``collecting`` is None for a listing without results.
    """

    def __init__(
        self,
        names: Sequence[str],
        selection: Selection,
        connect: Callable[[str], Client],
        session: Session,
        *,
        own_session: bool,
        collecting: Collecting | None,
        overlap: timedelta,
        stop: threading.Event | None,
    ) -> None:
        self.names = list(names)
        self.selection = selection
        self.connect = connect
        self.session = session
        self.own_session = own_session
        self.collecting = collecting
        self.overlap = overlap
        self.stop = stop

    def rows(self) -> Iterator[Any]:
        """Both tables' rows, provider after provider, until the listing ends, a stop is
        asked for, or the session's budget for one run is spent."""
        resource_state = dlt.current.resource_state()
        halt = Halt(self.stop)
        halt.start()
        shared = self.session
        try:
            for name in self.names:
                if halt.stopped or shared.full:
                    break
                if name in shared.finished and not shared.leftover.get(name):
                    continue  # listed to its end by an earlier run of this `load`
                yield from self._provider(name, resource_state.setdefault(name, {}), halt)
            if halt.fatal is not None:
                raise halt.fatal
            # dlt creates a table once rows arrive: an account with no task yet would
            # leave a dataset without the tables its queries (and `seotasks report`) read.
            # Yielded last, so that dlt's `add_limit` still counts pages.
            yield dlt.mark.materialize_table_schema()
            if self.collecting is not None:
                yield dlt.mark.with_table_name(dlt.mark.materialize_table_schema(), RESULTS_TABLE)
        finally:
            halt.finish()
            if self.own_session:
                shared.close()

    def _client(self, name: str, halt: Halt) -> Client:
        client = self.session.client(name, lambda: self.connect(name))
        halt.add(client)
        return client

    def _provider(self, name: str, store: dict[str, Any], halt: Halt) -> Iterator[Any]:
        """One provider's rows: what earlier runs left, then its listing."""
        client = self._client(name, halt)
        self._check_status(client)
        self._check_collecting(client)
        state = self._state(client, store)
        collector = None
        if self.collecting is not None:
            collector = self._collector(client, state, halt, self.collecting)
            yield from collector.redeliver()
            yield from collector.leftover()
            yield from collector.backfill()
        shared = self.session
        if shared.full or halt.stopped or name in shared.finished:
            return  # the listing goes on in the next run, or is done
        if (yield from self._pages(client, state, collector, halt)):
            shared.finished.add(name)
        if self._defers(client) and shared.leftover.get(name):
            shared.full = True  # their rows load with this run, their results in the next

    def _defers(self, client: Client) -> bool:
        """Whether ``client``'s listed tasks are read one run later: a draining listing's,
        where a later run of the same session comes (`seotasks_dlt.load`); a source run on
        its own collects as it lists."""
        return client.capabilities.drains and not self.own_session

    def _check_status(self, client: Client) -> None:
        """Refuse a status the provider never reports, as ``seotasks tasks`` does: the
        load would be empty whatever the data, and read as a vendor with no such task."""
        wanted = self.selection.query.status
        reason = client.capabilities.unreported(wanted)
        if wanted is not None and reason is not None:
            raise ConfigError(
                f"{client.name} {reason}, so status {wanted.value} could only load nothing"
            )

    def _check_collecting(self, client: Client) -> None:
        collecting, capabilities = self.collecting, client.capabilities
        if collecting is None:
            return
        if not capabilities.collect:
            raise ConfigError(f"provider {client.name} cannot collect results; drop collect=True")
        if capabilities.drains and collecting.outbox is None:
            raise ConfigError(
                f"provider {client.name}'s listing drains as results are collected: run it "
                "with seotasks_dlt.load, or pass outbox=seotasks_dlt.Outbox(...) and call "
                "outbox.acknowledge() after the run's load (see docs/dlt.md)"
            )

    def _state(self, client: Client, store: dict[str, Any]) -> ProviderState:
        """The provider's state in the pipeline, refused if another account made it."""
        account = account_key(client.provider, local_port=True)
        stored = store.get("account")
        if not self.session.sandbox and None not in (account, stored) and stored != account:
            # Its cursors would list this account from the other's marks (a history
            # ``since`` past every older task), and its journal would be fetched with
            # the wrong credentials: both lose tasks, silently.
            raise ConfigError(
                f"pipeline {running_pipeline()!r} holds the state of another {client.name} "
                "account (another login or API host): give each account a pipeline of its "
                "own (--pipeline NAME, or --profile, which names it)"
            )
        state = ProviderState(
            store,
            account=account,
            selection=self.selection.key(client),
            strategy=strategy_for(client.capabilities, self.selection.query.time_field),
            overlap=self.overlap,
        )
        if state.reset_reason is not None:
            self.session.notes.append(f"{client.name}: {state.reset_reason}")
        return state

    def _collector(
        self, client: Client, state: ProviderState, halt: Halt, collecting: Collecting
    ) -> Collector:
        now = datetime.now(UTC)
        backfill = collecting.backfill
        outbox = collecting.outbox
        kept = None
        if backfill is not None:
            kept = _results_kept(client.capabilities.results_kept, self.selection.since(now), now)
        return Collector(
            client,
            state,
            workers=collecting.workers,
            halt=halt,
            session=self.session,
            deliveries=outbox.provider(client.name)
            if outbox is not None and (client.capabilities.drains or outbox.holds(client.name))
            else None,
            journal_reads=client.capabilities.drains,
            backfill_since=None if backfill is None else now - backfill,
            results_kept=kept,
        )

    def _pages(
        self, client: Client, state: ProviderState, collector: Collector | None, halt: Halt
    ) -> Generator[Any, None, bool]:
        """The listing's rows, page by page; True when it reached its end."""
        query, shared = self.selection.query, self.session
        cursor = state.resume_cursor or state.start_cursor
        now = datetime.now(UTC)
        since = self.selection.since(now)
        state.begin(cursor)
        fresh = {"status": None, "until": self.selection.until(now), "time_field": query.time_field}
        begin_since = _begin_since(client, state, since, now)
        pages = self._listing(client, state, cursor, fresh, begin_since, since)
        pipeline = dlt.current.pipeline()
        owner, known = pipeline.pipeline_name, KnownFacts(client.name, pipeline)
        defers = collector is not None and self._defers(client)
        drains = collector is not None and client.capabilities.drains
        try:
            while not halt.stopped and not shared.full:
                try:
                    page = next(pages, None)
                except Interrupted:
                    return False  # a signal ended a pacing wait: stop here, cleanly
                if page is None:
                    return True
                state.page(page)
                if page.capped and not drains:
                    _capped(client, shared.notes)
                tasks = page.tasks
                if query.status is not None:
                    tasks = tuple(t for t in tasks if t.status is query.status)
                if not tasks:
                    continue
                rows = [task_row(t, owner) for t in tasks]
                known.fill(rows)  # another listing's facts stay
                yield rows
                if collector is not None and defers:
                    # A consuming read makes the vendor forget the task: only once its
                    # row is loaded, in the next run (the backfill's, should this worker
                    # and its disk be gone), so that no result is fetched whose task the
                    # destination does not hold. A capped list shows its next tasks only
                    # once these are collected: the run ends here, the listing goes on
                    # in the next.
                    collector.defer(tasks)
                    if page.capped or len(shared.leftover.get(client.name, ())) >= _DEFER_MAX:
                        return False
                elif collector is not None:
                    # Collected here, before the next page is asked for.
                    yield from collector.page(tasks)
                if page.next_cursor is None:
                    return True  # (what did not fit waits in the budget's leftover)
            return False
        finally:
            pages.close()

    def _listing(
        self,
        client: Client,
        state: ProviderState,
        cursor: str | None,
        fresh: dict[str, Any],
        begin_since: datetime | None,
        since: datetime | None,
    ) -> Generator[Page, None, None]:
        """The pages from ``cursor`` (a stored one) or, without one, from ``begin_since``
        (the later of the run's ``since`` and the pipeline's mark).

        A stored cursor can go stale: seotasks refuses one of another format or query
        (`CursorError`), and a week of Serpstat tasks expiring at the head of its list can
        shift it further than paging can catch up with (`TransientError`). Re-raising
        would fail every later run the same way, so a stored cursor that fails before
        its listing delivered a task is dropped and the listing starts over (rows are
        merged, so reading them again is safe) from the run's own ``since``.
        """
        if cursor is None:
            yield from client.pages(**fresh, since=begin_since)
            return
        delivered = False
        try:
            for page in client.pages(cursor):
                delivered = delivered or bool(page.tasks)
                yield page
            return
        except (CursorError, TransientError, ResponseFormatError) as exc:
            if delivered and not isinstance(exc, CursorError):
                raise
            state.forget(f"stored cursor failed ({type(exc).__name__}); listing from the start")
            self.session.notes.append(f"{client.name}: {state.reset_reason}")
        state.begin(None)
        yield from client.pages(**fresh, since=since)


def _begin_since(
    client: Client, state: ProviderState, since: datetime | None, now: datetime
) -> datetime | None:
    """Where a listing without a stored cursor begins: the later of the run's ``since``
    and the pipeline's mark, a mark older than the vendor keeps (the last run was long
    ago) moved up to what it keeps. A ``since`` given by the caller is never moved."""
    after = state.start_since
    window = client.capabilities.window
    if after is not None and window is not None:
        after = max(after, now - window + _WINDOW_MARGIN)
    if after is not None and (since is None or after > since):
        return after
    return since


def _capped(client: Client, notes: list[str]) -> None:
    """Say once that ``client``'s vendor capped a list: the load went on with the tasks it
    showed and said nothing (Serpstat's 60,000 rows; DataForSEO's 1000 ready tasks a list
    when they are not collected, which would show the next ones). "May": a list holding
    exactly its cap looks the same, and the vendor gives no total."""
    advice = client.provider.advice("capped") or CAPPED_ADVICE
    note = f"{client.name}: the vendor capped a list: this listing may be incomplete; {advice}"
    if note not in notes:
        notes.append(note)


def _results_kept(
    kept: timedelta | None, since: datetime | None, now: datetime
) -> timedelta | None:
    """How long the vendor keeps results, for the `Collector` to skip older listed tasks;
    None where the caller's own ``since`` reaches further back: run as asked, as
    ``seotasks collect --since`` is (and as ``backfill=None``, no age limit, is)."""
    return None if kept is not None and since is not None and since < now - kept else kept
