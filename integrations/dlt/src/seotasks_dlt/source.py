"""`seotasks_source`: the dlt source of the ``tasks`` and ``results`` tables.

seotasks does the listing (paging, pacing, retries, de-duplication, cursors) and dlt does
the rest (typing, merging, state, loading). The seam between the two is one page: the
``tasks`` resource takes a page from `Client.pages`, records the page's cursor in the
resource state (`seotasks_dlt.state`), yields the page's rows as one batch and, with
``collect=True``, collects the page's completed tasks before it asks for the next page,
yielding each result as a ``results`` row as it arrives (`seotasks_dlt.collecting`).
That order matters for DataForSEO's ``tasks_ready``: it shows at most 1000 uncollected
tasks per endpoint and the next ones only once those are collected.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dlt
from dlt.extract.source import DltSource

from seotasks.account import account_key
from seotasks.client import Client, build_query
from seotasks.clock import Clock
from seotasks.connection import connect
from seotasks.errors import (
    ConfigError,
    CursorError,
    Interrupted,
    ResponseFormatError,
    TransientError,
)
from seotasks.model import Page, TaskStatus
from seotasks.plugins import provider_names
from seotasks.relative_time import check_reach, parse_relative

from .backfill import running_pipeline
from .collecting import Collector, Halt
from .outbox import Outbox
from .rows import RESULT_COLUMNS, RESULTS_TABLE, TASK_COLUMNS, TASKS_TABLE, task_row
from .session import Session
from .state import ProviderState, selection_key, strategy_for

__all__ = ["BACKFILL", "SOURCE_NAME", "seotasks_source"]

#: The source's (and so the dlt schema's) name.
SOURCE_NAME = "seotasks"
#: Margin kept inside a vendor's listing window when a stored ``since`` has aged past it.
_WINDOW_MARGIN = timedelta(minutes=10)
#: How far back a collecting run fills in the results of completed tasks it holds
#: without one: DataForSEO keeps a task's result for 30 days.
BACKFILL = timedelta(days=30)


def seotasks_source(
    providers: Sequence[str] = ("dataforseo", "serpstat"),
    profile: str | None = None,
    status: TaskStatus | str | None = "any",
    since: datetime | date | timedelta | str | None = None,
    until: datetime | date | timedelta | str | None = None,
    collect: bool = False,
    workers: int = 8,
    *,
    time_field: str | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    clock: Clock | None = None,
    overlap: timedelta = timedelta(minutes=5),
    result_nesting: int | None = None,
    backfill: timedelta | None = BACKFILL,
    outbox: Outbox | None = None,
    stop: threading.Event | None = None,
    session: Session | None = None,
) -> DltSource:
    """A dlt source of the tasks (and, with ``collect=True``, the results) of ``providers``.

    ``profile`` names the TOML profile with the account's credentials (as
    `seotasks.connect` reads it); ``options`` adds per-provider options
    (``{"dataforseo": {"source": "history"}}``); ``status`` (default ``"any"``), ``since``,
    ``until`` and ``time_field`` select tasks as ``seotasks tasks`` does. A ``since`` or
    ``until`` given as a span back from now (a `timedelta`, or ``"12h"``, ``"2d"`` as the
    command line writes it) is a rolling window: each run counts it back from its own
    start, and the pipeline keeps its state from run to run (an absolute time that moved
    would be another selection, and start the listing over). ``workers``
    threads collect results. ``overlap`` is how far before its mark a ``since``-driven
    listing starts again (vendors index new tasks with some delay). ``result_nesting``:
    None stores each vendor result as one JSON column; a number lets dlt unnest it into
    child tables to that depth instead.

    With ``collect=True`` each run also collects the completed tasks that the
    destination holds without a result, completed within ``backfill`` (None: no limit;
    the vendor answers older ones with an error) - see `seotasks_dlt.backfill`. A listed
    task older than the provider keeps results (`Capabilities.results_kept`) is loaded
    without one, unless ``since`` reaches further back or ``backfill`` is None. A
    provider whose listing consumes what it collects (DataForSEO ``source=ready``)
    needs an ``outbox`` (`seotasks_dlt.Outbox`, acknowledged after the run's load):
    without one such a source is refused, since a result fetched and then lost with the
    run would be gone for good. Setting ``stop`` (a `threading.Event`, e.g. from a
    signal handler) ends the run early and cleanly: no new page or task is taken, the
    results in flight are still yielded, and the rows so far are loaded as usual.
    ``session`` (`seotasks_dlt.session.Session`) is shared by successive runs of one
    `seotasks_dlt.load`: their clients and a cap on the results of one run; the source
    then ends early, and a new source with the same session continues where it stopped.

    Clients are connected when the ``tasks`` resource starts (and, without a
    ``session``, closed when it ends), so a source object holds no connection until it
    runs. Run each source in the pipeline of
    its account (`seotasks_dlt.pipeline_name`): the resource state is per pipeline.
    """
    names = _provider_names(providers)
    # ConfigError for bad values, before any run.
    since_ago, since = _rolling(since, "since")
    until_ago, until = _rolling(until, "until")
    query = build_query(status, since, until, time_field)
    if since_ago is not None or until_ago is not None:
        # The window as it stands now, for build_query to refuse one that ends before it
        # begins (``--since 1h --until 12h``) before any run rather than in the first.
        now = datetime.now(UTC)
        build_query(
            status,
            _window(query.since, since_ago, now),
            _window(query.until, until_ago, now),
            time_field,
        )
    status_name = None if query.status is None else query.status.value
    if type(workers) is not int or workers < 1:
        raise ConfigError(f"workers must be a positive integer, got {workers!r}")
    per_provider = {name: dict((options or {}).get(name, {})) for name in names}
    unknown = sorted(set(options or {}) - set(names))
    if unknown:
        raise ConfigError(f"options given for providers not listed: {', '.join(unknown)}")
    shared = session if session is not None else Session()

    def _client(name: str, halt: Halt) -> Client:
        client = shared.client(
            name, lambda: connect(name, profile=profile, clock=clock, **per_provider[name])
        )
        halt.add(client)
        return client

    def _provider(name: str, store: dict[str, Any], halt: Halt) -> Iterator[Any]:
        client = _client(name, halt)
        capabilities = client.capabilities
        if collect and not capabilities.collect:
            raise ConfigError(f"provider {name} cannot collect results; drop collect=True")
        if collect and capabilities.drains and outbox is None:
            raise ConfigError(
                f"provider {name}'s listing drains as results are collected: run it with "
                "seotasks_dlt.load, or pass outbox=seotasks_dlt.Outbox(...) and call "
                "outbox.acknowledge() after the run's load (see docs/dlt.md)"
            )
        account = account_key(client.provider)
        stored = store.get("account")
        if not shared.sandbox and None not in (account, stored) and stored != account:
            # Its cursors would list this account from the other's marks (a history
            # ``since`` past every older task), and its journal would be fetched with
            # the wrong credentials: both lose tasks, silently.
            raise ConfigError(
                f"pipeline {running_pipeline()!r} holds the state of another {name} account "
                "(another login or API host): give each account a pipeline of its own "
                "(--pipeline NAME, or --profile, which names it)"
            )
        state = ProviderState(
            store,
            account=account,
            selection=selection_key(
                client.listing_options,
                status_name,
                query.since if since_ago is None else since_ago,
                query.until if until_ago is None else until_ago,
                query.time_field,
            ),
            strategy=strategy_for(capabilities, query.time_field),
            overlap=overlap,
        )
        if state.reset_reason is not None:
            shared.notes.append(f"{name}: {state.reset_reason}")
        collector = None
        if collect:
            now = datetime.now(UTC)
            collector = Collector(
                client,
                state,
                workers=workers,
                halt=halt,
                session=shared,
                deliveries=outbox.provider(name) if capabilities.drains and outbox else None,
                backfill_since=None if backfill is None else now - backfill,
                results_kept=None
                if backfill is None
                else _results_kept(
                    capabilities.results_kept, _window(query.since, since_ago, now), now
                ),
            )
            yield from collector.redeliver()
            yield from collector.leftover()
            yield from collector.backfill()
        if shared.full or halt.stopped or name in shared.finished:
            return  # the listing goes on in the next run, or is done
        finished = yield from _pages(client, state, collector, halt)
        if finished:
            shared.finished.add(name)

    def _pages(
        client: Client, state: ProviderState, collector: Collector | None, halt: Halt
    ) -> Generator[Any, None, bool]:
        """The listing's rows, page by page; True when it reached its end."""
        capabilities = client.capabilities
        cursor = state.resume_cursor or state.start_cursor
        now = datetime.now(UTC)
        since, until = _window(query.since, since_ago, now), _window(query.until, until_ago, now)
        after = state.start_since
        if after is not None and capabilities.window is not None:
            # A mark older than the vendor keeps (the last run was long ago): ask for
            # what it keeps. A `since` given by the caller is never moved.
            after = max(after, now - capabilities.window + _WINDOW_MARGIN)
        begin_since = since
        if after is not None and (begin_since is None or after > begin_since):
            begin_since = after
        state.begin(cursor)
        fresh = {"status": None, "until": until, "time_field": query.time_field}
        pages = _listing(client, state, cursor, fresh, begin_since, since)
        owner = running_pipeline()
        try:
            while not halt.stopped and not shared.full:
                try:
                    page = next(pages, None)
                except Interrupted:
                    return False  # a signal ended a pacing wait: stop here, cleanly
                if page is None:
                    return True
                state.page(page)
                if page.capped and not (collector is not None and capabilities.drains):
                    _capped(client, shared.notes)
                tasks = page.tasks
                if query.status is not None:
                    tasks = tuple(t for t in tasks if t.status is query.status)
                if not tasks:
                    continue
                yield [task_row(t, owner) for t in tasks]
                if collector is not None:
                    # Collected here, before the next page is asked for: DataForSEO's
                    # tasks_ready shows the next 1000 tasks only once these are collected.
                    yield from collector.page(tasks)
                if page.next_cursor is None:
                    return True  # (what did not fit waits in the budget's leftover)
            return False
        finally:
            pages.close()

    def _listing(
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
        merged, so reading them again is safe).
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
            shared.notes.append(f"{client.name}: {state.reset_reason}")
        state.begin(None)
        yield from client.pages(**fresh, since=since)

    def tasks() -> Iterator[Any]:
        resource_state = dlt.current.resource_state()
        halt = Halt(stop)
        halt.start()
        try:
            for name in names:
                if halt.stopped or shared.full:
                    break
                if name in shared.finished and not shared.leftover.get(name):
                    continue  # listed to its end by an earlier run of this `load`
                store = resource_state.setdefault(name, {})
                yield from _provider(name, store, halt)
            if halt.fatal is not None:
                raise halt.fatal
            # dlt creates a table once rows arrive: an account with no task yet would
            # leave a dataset without the tables its queries (and `seotasks report`) read.
            # Yielded last, so that dlt's `add_limit` still counts pages.
            yield dlt.mark.materialize_table_schema()
            if collect:
                yield dlt.mark.with_table_name(dlt.mark.materialize_table_schema(), RESULTS_TABLE)
        finally:
            halt.finish()
            if session is None:
                shared.close()

    resource = dlt.resource(
        tasks,
        name=TASKS_TABLE,
        write_disposition="merge",
        primary_key=("provider", "id"),
        max_table_nesting=0,
    )
    if collect:
        result_columns = dict(RESULT_COLUMNS)
        if result_nesting is not None:
            result_columns.pop("result")
        # The rows routed to `results` (dlt.mark.with_table_name) get their own hints: a
        # table variant starts from a copy of the resource's hints, so it is made before
        # the `tasks` columns are added.
        resource.apply_hints(
            table_name=RESULTS_TABLE,
            columns=result_columns,
            additional_table_hints={
                "x-normalizer": {"max_nesting": 0 if result_nesting is None else result_nesting},
                # A run never yields two rows of one task (`Collector` makes sure), so
                # dlt's merge may skip its de-duplication: a window over every staged
                # row, whose memory grows with the run.
                "x-stage-data-deduplicated": True,
            },
            create_table_variant=True,
        )
    resource.apply_hints(columns=TASK_COLUMNS)

    # A `results` unnested into child tables is merged through their root key (dlt
    # deletes a replaced result's child rows by it); otherwise no table has children.
    @dlt.source(name=SOURCE_NAME, max_table_nesting=0, root_key=result_nesting is not None)
    def seotasks() -> Any:
        return [resource]

    return seotasks()


def _capped(client: Client, notes: list[str]) -> None:
    """Say once that ``client``'s vendor capped a list: the load went on with the tasks it
    showed and said nothing (Serpstat's 60,000 rows; DataForSEO's 1000 ready tasks a list
    when they are not collected, which would show the next ones). "May": a list holding
    exactly its cap looks the same, and the vendor gives no total."""
    advice = client.provider.advice("capped") or "more tasks may exist than the vendor shows"
    note = f"{client.name}: the vendor capped a list: this listing may be incomplete; {advice}"
    if note not in notes:
        notes.append(note)


def _provider_names(providers: Sequence[str] | str) -> list[str]:
    names = provider_names([providers] if isinstance(providers, str) else providers)
    if not names:
        raise ConfigError("name at least one provider")
    return names


def _rolling(
    value: datetime | date | timedelta | str | None, name: str
) -> tuple[timedelta | None, datetime | date | str | None]:
    """``(span, None)`` for a span back from now (a `timedelta` or ``"12h"``), else
    ``(None, value)`` for `build_query` to read."""
    span: timedelta | None
    if isinstance(value, timedelta):
        span = value
    elif not isinstance(value, str):
        return None, value
    else:
        try:
            span = parse_relative(value)
        except OverflowError:
            span = timedelta.max
        if span is None:
            return None, value
    if span <= timedelta(0):
        raise ConfigError(f"{name}: a span back from now must be positive, got {value!r}")
    try:
        check_reach(span, datetime.now(UTC))
    except ValueError as exc:
        raise ConfigError(f"{name} {value}: {exc}") from None
    return span, None


def _results_kept(
    kept: timedelta | None, since: datetime | None, now: datetime
) -> timedelta | None:
    """How long the vendor keeps results, for the `Collector` to skip older listed tasks;
    None where the caller's own ``since`` reaches further back: run as asked, as
    ``seotasks collect --since`` is (and as ``backfill=None``, no age limit, is)."""
    return None if kept is not None and since is not None and since < now - kept else kept


def _window(fixed: datetime | None, span: timedelta | None, now: datetime) -> datetime | None:
    """A bound for this run: ``fixed``, or ``span`` counted back from ``now``."""
    return fixed if span is None else now - span
