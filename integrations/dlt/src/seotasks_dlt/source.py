"""`seotasks_source`: the dlt source of the ``tasks`` and ``results`` tables (what one
run does, provider by provider, is `seotasks_dlt.tasks_run`).

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
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dlt
from dlt.extract.source import DltSource

from seotasks.client import Client, build_query
from seotasks.clock import Clock
from seotasks.connection import connect
from seotasks.errors import ConfigError
from seotasks.model import TaskStatus
from seotasks.plugins import provider_names
from seotasks.relative_time import check_reach, parse_relative

from .outbox import Outbox
from .rows import RESULT_COLUMNS, RESULTS_TABLE, TASK_COLUMNS, TASKS_TABLE
from .session import Session
from .tasks_run import Collecting, Selection, TasksRun

__all__ = ["BACKFILL", "SOURCE_NAME", "seotasks_source"]

#: The source's (and so the dlt schema's) name.
SOURCE_NAME = "seotasks"
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
    on_connect: Callable[[Client], object] | None = None,
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

    ``on_connect(client)`` runs on each client as it is connected (``seotasks load``
    sets its transport's ``on_event`` there, to say long waits on stderr).

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
    selection = Selection(query, since_ago, until_ago)
    if since_ago is not None or until_ago is not None:
        # The window as it stands now, for build_query to refuse one that ends before it
        # begins (``--since 1h --until 12h``) before any run rather than in the first.
        now = datetime.now(UTC)
        build_query(status, selection.since(now), selection.until(now), time_field)
    if type(workers) is not int or workers < 1:
        raise ConfigError(f"workers must be a positive integer, got {workers!r}")
    per_provider = {name: dict((options or {}).get(name, {})) for name in names}
    unknown = sorted(set(options or {}) - set(names))
    if unknown:
        raise ConfigError(f"options given for providers not listed: {', '.join(unknown)}")

    def connect_client(name: str) -> Client:
        client = connect(name, profile=profile, clock=clock, **per_provider[name])
        if on_connect is not None:
            on_connect(client)
        return client

    def tasks() -> Iterator[Any]:  # a function: dlt keeps its configuration spec on it
        # A run of its own each time the source is extracted: the same source object
        # run again (a scheduler that builds it once) lists anew, where the first run's
        # finished providers and closed session made every later run load nothing.
        run = TasksRun(
            names,
            selection,
            connect_client,
            session if session is not None else Session(),
            own_session=session is None,
            collecting=Collecting(workers, backfill, outbox) if collect else None,
            overlap=overlap,
            stop=stop,
        )
        yield from run.rows()

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
