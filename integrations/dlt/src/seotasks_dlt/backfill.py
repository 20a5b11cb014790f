"""Completed tasks the destination holds without a result: what a collecting run fills in.

The listing alone cannot promise one ``results`` row per completed task. An incremental
listing never reads again the tasks before its mark, so a pipeline that loaded tasks
without ``collect`` and gains it later would never collect them (a measured run left 1000
of 1478 completed tasks without a row), and a run stopped half-way through a page's
collection leaves the rest of that page behind the cursor. So every collecting run first
asks the destination itself: which completed tasks of this provider have no loaded
result, or only one that failed in a way worth trying again (`RETRIED_ERRORS`)? Those are
collected before the listing runs.

Only this pipeline's tasks: several accounts' pipelines may load into one dataset, and a
task another account loaded would be fetched with this account's credentials, answered
"not found", and that verdict (never tried again) would keep its own account from ever
collecting it. The ``tasks`` rows name the pipeline that loaded them (`TASK_OWNER`); rows
from before that column are taken as this pipeline's only while no other pipeline has
loaded into the dataset (its ``_dlt_pipeline_state`` says which have).

Bounded in two ways: by completion time (``since``: the vendor keeps results for a while
only, DataForSEO 30 days, so older tasks would only come back as errors), and by memory:
the destination is read in keyset batches (`BATCH` rows, ordered by id) as the collection
consumes them, never whole.

The other way round, `loaded_results` guards the listing: a listed task whose result the
destination already holds is not fetched again. The pipeline's collected marks say so
too, but they go with its state (a changed selection, a cursor the vendor refuses), and
the listing then starts over and reads every task again; the destination keeps its rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import dlt
from dlt.destinations.exceptions import (
    DatabaseTerminalException,
    DatabaseUndefinedRelation,
)

from seotasks import errors
from seotasks.collect import VERDICTS
from seotasks.journal import task_from_entry
from seotasks.model import Task, TaskStatus

from .asked import running_destination
from .rows import RESULTS_TABLE, TASK_FIELDS, TASK_OWNER, TASKS_TABLE

__all__ = ["BATCH", "RETRIED_ERRORS", "loaded_results", "missing_results", "running_pipeline"]

#: Rows read from the destination per query.
BATCH = 500


def _retryable() -> tuple[str, ...]:
    found: list[str] = []
    pending: list[type[BaseException]] = [errors.SeotasksError]
    while pending:
        cls = pending.pop()
        if not issubclass(cls, VERDICTS):
            found.append(cls.__name__)
            pending.extend(cls.__subclasses__())
    return tuple(sorted(set(found)))


#: A ``results`` row whose ``error`` starts with one of these (``"TransientError: ..."``)
#: failed for a reason that may pass: its task is collected again. Every error is one but
#: the vendor's own verdict that the task has no result (`NoResult`: "Task Not Found.",
#: "Results Expired.") and the provider's refusal to collect it (`UnsupportedQuery`):
#: asking again would cost a call each run for the same answer. An answer that could not
#: be read, a proxy's or an account's refusal say nothing of the task, whose result is
#: still at the vendor while a consuming read has taken it off the only listing that
#: would offer it again.
RETRIED_ERRORS: tuple[str, ...] = _retryable()


def _plain(value: Any) -> Any:
    """A destination value as the journal's record form (ISO text, decimal text)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _task(provider: str, values: tuple[Any, ...]) -> Task:
    record = {name: _plain(value) for name, value in zip(TASK_FIELDS, values, strict=True)}
    raw = record.get("raw")
    if isinstance(raw, str | bytes):
        record["raw"] = json.loads(raw)
    record["provider"] = provider
    return task_from_entry(record)


def _usable() -> tuple[str, list[str]]:
    """The condition that a ``results`` row ``r`` is usable (no error, or one not worth
    trying again), and its arguments."""
    retried = " OR ".join("r.error LIKE %s" for _ in RETRIED_ERRORS)
    return f"(r.error IS NULL OR NOT ({retried}))", [f"{name}:%" for name in RETRIED_ERRORS]


def running_pipeline() -> str:
    """The name of the pipeline extracting the source: the `TASK_OWNER` of its rows."""
    return str(dlt.current.pipeline().pipeline_name)


def _owned(client: Any, tasks: str, name: str) -> tuple[str, list[Any]] | None:
    """The condition that a ``tasks`` row ``t`` is the pipeline ``name``'s, and its
    arguments; None when no row can be (only older rows, and another pipeline loads
    into the dataset too)."""
    state = client.make_qualified_table_name("_dlt_pipeline_state")
    try:
        others = client.execute_sql(
            f"SELECT count(*) FROM {state} WHERE pipeline_name <> %s", name
        ) or [(0,)]
    except DatabaseUndefinedRelation:
        others = [(0,)]
    alone = int(others[0][0]) == 0
    try:
        client.execute_sql(
            f"SELECT {client.escape_column_name(TASK_OWNER)} FROM {tasks} WHERE 1 = 0"
        )
    except DatabaseTerminalException:
        # Loaded before the column existed: no row says whose it is.
        return ("TRUE", []) if alone else None
    owner = f"t.{client.escape_column_name(TASK_OWNER)}"
    if alone:
        return f"({owner} = %s OR {owner} IS NULL)", [name]
    return f"{owner} = %s", [name]


def loaded_results(provider: str, ids: Sequence[str], pipeline: Any = None) -> set[str]:
    """Which of ``ids`` (tasks of ``provider``) have a usable ``results`` row in the
    running pipeline's destination: one query per `BATCH` ids.

    Empty when the source does not run in a pipeline whose destination answers SQL, or
    when no result was loaded yet: then nothing is known to be there, and the tasks are
    collected as before. ``pipeline``: the running one where the caller holds it (see
    `running_destination`).
    """
    if not ids:
        return set()
    found: set[str] = set()
    with running_destination(pipeline) as client:
        if client is None:
            return set()
        results = client.make_qualified_table_name(RESULTS_TABLE)
        usable, patterns = _usable()
        for at in range(0, len(ids), BATCH):
            chunk = [str(i) for i in ids[at : at + BATCH]]
            marks = ", ".join("%s" for _ in chunk)
            query = (
                f"SELECT r.id FROM {results} AS r WHERE r.provider = %s "
                f"AND r.id IN ({marks}) AND {usable}"
            )
            try:
                rows = client.execute_sql(query, provider, *chunk, *patterns) or []
            except DatabaseUndefinedRelation:
                return set()
            found.update(str(values[0]) for values in rows)
    return found


def missing_results(
    provider: str, since: datetime | None, pipeline: Any = None
) -> Iterator[list[Task]]:
    """Completed tasks of ``provider`` that the running pipeline loaded into its
    destination (`TASK_OWNER`) and that have no usable ``results`` row there, completed (or, lacking a completion time, created)
    at or after ``since``; in batches of at most `BATCH`, by id.

    Nothing when the source does not run in a pipeline whose destination answers SQL, or
    when the dataset has no ``tasks`` table yet.
    """
    with running_destination(pipeline) as client:
        if client is None:
            return
        tasks = client.make_qualified_table_name(TASKS_TABLE)
        results = client.make_qualified_table_name(RESULTS_TABLE)
        try:
            name = running_pipeline() if pipeline is None else str(pipeline.pipeline_name)
            owned = _owned(client, tasks, name)
        except DatabaseUndefinedRelation:
            return  # no tasks table: nothing was loaded yet
        if owned is None:
            return
        mine, mine_args = owned
        columns = ", ".join(f"t.{client.escape_column_name(c)}" for c in TASK_FIELDS)
        stamp = "coalesce(t.completed_at, t.created_at)"
        window = "" if since is None else f" AND ({stamp} IS NULL OR {stamp} >= %s)"
        usable, patterns = _usable()
        unloaded = (
            f" AND NOT EXISTS (SELECT 1 FROM {results} AS r WHERE r.provider = t.provider "
            f"AND r.id = t.id AND {usable})"
        )
        with_results = True
        last = ""
        while True:
            query = (
                f"SELECT {columns} FROM {tasks} AS t WHERE t.provider = %s AND t.status = %s "
                f"AND {mine} AND t.id > %s{window}{unloaded if with_results else ''} "
                f"ORDER BY t.id LIMIT {BATCH}"
            )
            args: list[Any] = [provider, TaskStatus.COMPLETED.value, *mine_args, last]
            if since is not None:
                args.append(since)
            if with_results:
                args += patterns
            try:
                rows = client.execute_sql(query, *args) or []
            except DatabaseUndefinedRelation:
                if not with_results:
                    return  # no tasks table: nothing was loaded yet
                with_results = False  # tasks loaded, never a result: every one is missing
                continue
            if rows:
                yield [_task(provider, tuple(values)) for values in rows]
            if len(rows) < BATCH:
                return
            last = str(rows[-1][TASK_FIELDS.index("id")])
