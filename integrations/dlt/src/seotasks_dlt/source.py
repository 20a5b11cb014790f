"""`seotasks_source`: the dlt source with the ``tasks`` and ``results`` resources.

seotasks does the listing (paging, pacing, retries, de-duplication, cursors) and dlt does
the rest (typing, merging, state, loading). The seam between the two is one page: the
``tasks`` resource takes a page from `Client.pages`, records the page's cursor in the
resource state (`seotasks_dlt.state`), and yields the page's rows as one batch; the
``results`` transformer receives that batch and collects its completed tasks with
`Client.collect_many` before the next page is asked for. That order matters for
DataForSEO's ``tasks_ready``: it shows at most 1000 uncollected tasks per endpoint and
the next ones only once those are collected.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dlt
from dlt.extract.source import DltSource

from seotasks.client import Client, build_query
from seotasks.clock import Clock
from seotasks.connection import connect
from seotasks.errors import ConfigError, CursorError, ResponseFormatError, TransientError
from seotasks.model import Page, Task, TaskStatus
from seotasks.plugins import get_provider

from .rows import RESULT_COLUMNS, TASK_COLUMNS, result_row, task_row
from .state import ProviderState, selection_key, strategy_for

__all__ = ["SOURCE_NAME", "seotasks_source"]

#: The source's (and so the dlt schema's) name.
SOURCE_NAME = "seotasks"
#: Margin kept inside a vendor's listing window when a stored ``since`` has aged past it.
_WINDOW_MARGIN = timedelta(minutes=10)


def seotasks_source(
    providers: Sequence[str] = ("dataforseo", "serpstat"),
    profile: str | None = None,
    status: TaskStatus | str | None = "any",
    since: datetime | date | str | None = None,
    until: datetime | date | str | None = None,
    collect: bool = False,
    workers: int = 8,
    *,
    time_field: str | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    clock: Clock | None = None,
    overlap: timedelta = timedelta(minutes=5),
    result_nesting: int | None = None,
) -> DltSource:
    """A dlt source of the tasks (and, with ``collect=True``, the results) of ``providers``.

    ``profile`` names the TOML profile with the account's credentials (as
    `seotasks.connect` reads it); ``options`` adds per-provider options
    (``{"dataforseo": {"source": "history"}}``); ``status`` (default ``"any"``), ``since``,
    ``until`` and ``time_field`` select tasks as ``seotasks tasks`` does. ``workers``
    threads collect results. ``overlap`` is how far before its mark a ``since``-driven
    listing starts again (vendors index new tasks with some delay). ``result_nesting``: None stores each
    vendor result as one JSON column; a number lets dlt unnest it into child tables to
    that depth instead.

    Clients are connected when the ``tasks`` resource starts and closed when it ends, so
    a source object holds no connection until it runs. Run each source in the pipeline of
    its account (`seotasks_dlt.pipeline_name`): the resource state is per pipeline.
    """
    names = _provider_names(providers)
    # ConfigError for bad values, before any run.
    query = build_query(status, since, until, time_field)
    status_name = None if query.status is None else query.status.value
    if type(workers) is not int or workers < 1:
        raise ConfigError(f"workers must be a positive integer, got {workers!r}")
    per_provider = {name: dict((options or {}).get(name, {})) for name in names}
    unknown = sorted(set(options or {}) - set(names))
    if unknown:
        raise ConfigError(f"options given for providers not listed: {', '.join(unknown)}")
    clients: dict[str, Client] = {}
    #: Results rows collected for the pages yielded and not yet passed on by ``results``.
    prepared: dict[tuple[str, str], dict[str, Any]] = {}

    def _client(name: str) -> Client:
        if name not in clients:
            clients[name] = connect(name, profile=profile, clock=clock, **per_provider[name])
        return clients[name]

    def _pages(name: str, store: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        client = _client(name)
        capabilities = client.capabilities
        if collect and not capabilities.collect:
            raise ConfigError(f"provider {name} cannot collect results; drop collect=True")
        state = ProviderState(
            store,
            selection=selection_key(
                client.listing_options, status_name, query.since, query.until, query.time_field
            ),
            strategy=strategy_for(capabilities, query.time_field),
            overlap=overlap,
        )
        cursor = state.resume_cursor or state.start_cursor
        after = state.start_since
        if after is not None and capabilities.window is not None:
            # A mark older than the vendor keeps (the last run was long ago): ask for
            # what it keeps. A `since` given by the caller is never moved.
            after = max(after, datetime.now(UTC) - capabilities.window + _WINDOW_MARGIN)
        begin_since = query.since
        if after is not None and (begin_since is None or after > begin_since):
            begin_since = after
        state.begin(cursor)
        fresh = {"status": None, "until": query.until, "time_field": query.time_field}
        pages = _listing(client, state, cursor, {**fresh, "since": begin_since})
        for page in pages:
            state.page(page)
            tasks = page.tasks
            if query.status is not None:
                tasks = tuple(t for t in tasks if t.status is query.status)
            if not tasks:
                continue
            if collect and _results_selected():
                # Collected here, before the next page is asked for: DataForSEO's
                # tasks_ready shows the next 1000 tasks only once these are collected,
                # and dlt may run the results transformer after the next page is read.
                _collect(client, tasks, state)
            yield [task_row(t) for t in tasks]

    def _listing(
        client: Client, state: ProviderState, cursor: str | None, fresh: dict[str, Any]
    ) -> Iterator[Page]:
        """The pages from ``cursor`` (a stored one) or, without one, from the start.

        A stored cursor can go stale: seotasks refuses one of another format or query
        (`CursorError`), and a week of Serpstat tasks expiring at the head of its list can
        shift it further than paging can catch up with (`TransientError`). Re-raising
        would fail every later run the same way, so a stored cursor that fails before
        its listing delivered a task is dropped and the listing starts over (rows are
        merged, so reading them again is safe).
        """
        if cursor is None:
            yield from client.pages(**fresh)
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
        state.begin(None)
        fresh = {**fresh, "since": query.since}
        yield from client.pages(**fresh)

    def _collect(client: Client, tasks: Sequence[Task], state: ProviderState) -> None:
        todo = [
            t for t in tasks if t.status is TaskStatus.COMPLETED and not state.was_collected(t.id)
        ]
        if not todo:
            return
        for done in client.collect_many(todo, workers=workers):
            error = done.describe_error()
            prepared[(done.task.provider, done.task.id)] = result_row(
                done.task, done.result, error, datetime.now(UTC)
            )
            if error is None:
                state.mark_collected(done.task.id, done.task.created_at)

    def _results_selected() -> bool:
        """Whether the ``results`` resource runs (a caller may select ``tasks`` alone)."""
        try:
            running = dlt.current.source()
        except Exception:  # the resource runs outside a source
            return False
        return "results" in running.selected_resources

    def tasks() -> Iterator[list[dict[str, Any]]]:
        resource_state = dlt.current.resource_state()
        try:
            for name in names:
                store = resource_state.setdefault(name, {})
                yield from _pages(name, store)
        finally:
            for client in clients.values():
                client.close()
            clients.clear()

    def results(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
        """The results collected for this page of tasks (see `_collect`)."""
        out = [
            row
            for row in (prepared.pop((r["provider"], r["id"]), None) for r in rows)
            if row is not None
        ]
        if out:
            yield out

    tasks_resource = dlt.resource(
        tasks,
        name="tasks",
        write_disposition="merge",
        primary_key=("provider", "id"),
        columns=TASK_COLUMNS,
        max_table_nesting=0,
    )
    resources = [tasks_resource]
    if collect:
        result_columns = dict(RESULT_COLUMNS)
        if result_nesting is not None:
            result_columns.pop("result")
        resources.append(
            dlt.transformer(
                results,
                data_from=tasks_resource,
                name="results",
                write_disposition="merge",
                primary_key=("provider", "id"),
                columns=result_columns,
                max_table_nesting=0 if result_nesting is None else result_nesting,
            )
        )

    @dlt.source(name=SOURCE_NAME, max_table_nesting=0, root_key=False)
    def seotasks() -> Any:
        return resources

    return seotasks()


def _provider_names(providers: Sequence[str] | str) -> list[str]:
    if isinstance(providers, str):
        providers = [providers]
    names: list[str] = []
    for raw in providers:
        name = get_provider(raw).name
        if name in names:
            raise ConfigError(f"provider {name} given twice")
        names.append(name)
    if not names:
        raise ConfigError("name at least one provider")
    return names
