"""The report's one input: a DuckDB table ``report_tasks``, from the store or a listing.

Every figure is computed by SQL over one temporary table with these columns (the
store's ``tasks`` columns the report reads, plus what is known of collection):

``provider, id, status, created_at, started_at, completed_at, kind, engine, device,
location, language, cost, message, collected, collect_error``

``collected`` is what the report can know of "ready but not collected", and says so
rather than guess: ``true`` / ``false`` for a completed task when there is a record of
collection, ``NULL`` when there is none, or when the record says the task cannot be
collected at all (`NOT_COLLECTABLE`). The record is the store's ``results`` table
(written by ``seotasks load --collect``: a row without an error is collected, a row
with an error is a collection that failed, no row is never collected: read from the
``error`` column alone, as the loader's backfill reads it, never from ``result``, whose
bytes are most of the store: 20 000 results of 48 KB took 1.5 s and 659 MB to scan for
"is not null", 0.14 s and 75 MB for the errors), or, for a live
listing, the listing itself when it drains on collection (DataForSEO's ``tasks_ready``:
every completed task it lists is, by definition, not collected yet).

Why a temporary table rather than a view on the store: the store's file is attached
read-only and may be large; the selection (providers, status, window) is applied once
while copying the dozen narrow columns the figures need (never ``raw``), and every
query after that reads a small in-memory table.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import ConfigError, StorageError
from ..terms import STATUS_CHOICES, TIME_FIELDS

if TYPE_CHECKING:
    import duckdb

    from ..model import Task

__all__ = ["COLUMNS", "NOT_COLLECTABLE", "Selection", "Tasks", "from_store", "from_tasks"]

#: How the error of a task that no retry can collect begins in the store's results table
#: (``seotasks load --collect`` writes ``"<ErrorType>: message"``): its provider cannot
#: fetch it at all (DataForSEO's live-only APIs). Neither "not collected" (it never will
#: be) nor a failed collection (a retry may fetch those).
NOT_COLLECTABLE = "UnsupportedQuery:"

#: The store's ``tasks`` columns the report reads, with the type the table gives them
#: (`seotasks_dlt.rows` declares the same types for the store).
COLUMNS: dict[str, str] = {
    "provider": "VARCHAR",
    "id": "VARCHAR",
    "status": "VARCHAR",
    "created_at": "TIMESTAMPTZ",
    "started_at": "TIMESTAMPTZ",
    "completed_at": "TIMESTAMPTZ",
    "kind": "VARCHAR",
    "engine": "VARCHAR",
    "device": "VARCHAR",
    "location": "VARCHAR",
    "language": "VARCHAR",
    "tag": "VARCHAR",
    "cost": "DECIMAL(38,10)",
    "message": "VARCHAR",
}

#: The catalog name the store's file is attached under: not the file's own name, since
#: ``seotasks.duckdb`` holding a dataset ``seotasks`` would make ``seotasks.tasks``
#: ambiguous to DuckDB (see docs/dlt.md).
_CATALOG = "report_store"


@attrs.frozen(slots=True, kw_only=True)
class Selection:
    """Which tasks of the store the report covers: the ``seotasks tasks`` selection.

    ``providers`` empty means all of them; ``status`` ``"any"`` means every status;
    ``since`` / ``until`` bound ``time_field`` (``created_at`` or ``completed_at``), and
    a task without that time is left out when either bound is given, as a listing does.
    """

    providers: tuple[str, ...] = ()
    status: str = "any"
    since: datetime | None = None
    until: datetime | None = None
    time_field: str = "created_at"

    def __attrs_post_init__(self) -> None:
        if self.time_field not in TIME_FIELDS:
            raise ConfigError(
                f"time_field must be created_at or completed_at, not {self.time_field!r}"
            )
        if self.status not in STATUS_CHOICES:
            raise ConfigError(f"unknown status {self.status!r}")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ConfigError(f"{name} must be timezone-aware")

    def where(self, alias: str) -> tuple[str, list[Any]]:
        """The SQL condition on table ``alias`` and its parameters."""
        conditions: list[str] = []
        params: list[Any] = []
        if self.providers:
            conditions.append(f"{alias}.provider IN ({', '.join('?' for _ in self.providers)})")
            params.extend(self.providers)
        if self.status != "any":
            conditions.append(f"{alias}.status = ?")
            params.append(self.status)
        if self.since is not None:
            conditions.append(f"{alias}.{self.time_field} >= ?")
            params.append(self.since)
        if self.until is not None:
            conditions.append(f"{alias}.{self.time_field} < ?")
            params.append(self.until)
        return (" AND ".join(conditions) or "TRUE"), params


@attrs.frozen(slots=True, kw_only=True)
class Tasks:
    """The ``report_tasks`` table on ``connection``, and where its rows came from.

    ``collection`` says how ``collected`` is known: ``"results table"``, ``"draining
    listing"`` (for the providers in ``draining``), or ``None`` (not known).
    ``unfailing`` names the providers whose listing never reports a failed task, so that
    none of theirs here says nothing of how often they fail (`_never_failing`, unless
    the listing said). ``incomplete`` holds what
    the listing said it missed (a list the vendor capped): (provider, warning) pairs.
    """

    connection: duckdb.DuckDBPyConnection
    source: str
    selection: Selection
    collection: str | None
    draining: tuple[str, ...] = ()
    unfailing: tuple[str, ...] = ()
    incomplete: tuple[tuple[str, str], ...] = ()

    def close(self) -> None:
        self.connection.close()


def _connect() -> duckdb.DuckDBPyConnection:
    import duckdb

    # The report needs nothing beyond DuckDB's core: no extension is ever fetched from
    # the network, whatever a query or a file would make DuckDB reach for.
    connection = duckdb.connect(config={"autoinstall_known_extensions": False})
    # Every time in the report is UTC: buckets, labels and "now" alike.
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _select(have: Collection[str], alias: str) -> str:
    """The report's columns out of a table holding ``have``: a column an older store
    lacks is NULL of its type, so an old file still makes a report."""
    parts = []
    for name, kind in COLUMNS.items():
        if name in have:
            parts.append(f"CAST({alias}.{_quote(name)} AS {kind}) AS {name}")
        else:
            parts.append(f"CAST(NULL AS {kind}) AS {name}")
    return ", ".join(parts)


def _check_providers(
    connection: duckdb.DuckDBPyConnection, schema: str, where: Path, named: Sequence[str]
) -> None:
    """Refuse a ``-p`` the store holds no task of, naming those it holds: a mistyped name
    (``serpstt``) is a usage error in ``seotasks tasks``, and here it made an empty
    report, exit 0, written over the last good page. A provider that is in the store but
    has nothing in the selection (``--since`` too recent) still makes an empty report."""
    if not named:
        return
    held = [
        row[0]
        for row in connection.execute(
            f"SELECT DISTINCT provider FROM {schema}.tasks ORDER BY provider"
        ).fetchall()
    ]
    missing = [name for name in named if name not in held]
    if not missing:
        return
    import difflib

    close = [m for n in missing for m in difflib.get_close_matches(n, held, n=1)]
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ConfigError(
        f"{where}: no task of provider {', '.join(missing)} "
        f"(the store holds {', '.join(held) or 'no task'}){hint}"
    )


def _unopenable(where: Path, exc: Exception) -> ConfigError | StorageError:
    """Why DuckDB would not attach ``where``. A file another process writes (a ``seotasks
    load``: DuckDB lets one process write a file, and no other attach it meanwhile) is
    held, as a load's own file is (`StorageError`, exit 6: wait for the other run); any
    other refusal is the file itself (not DuckDB, damaged: `ConfigError`, exit 2)."""
    import duckdb

    text = str(exc)
    if isinstance(exc, duckdb.IOException) and "Could not set lock" in text:
        pid = re.search(r"\(PID (\d+)\)", text)
        by = f" (PID {pid.group(1)})" if pid else ""
        return StorageError(
            f"{where}: another process holds it{by}, as a seotasks load writing it does; "
            "report once that run ends"
        )
    return ConfigError(f"{where}: cannot open it as a DuckDB file: {text}")


def from_store(
    path: str | os.PathLike[str],
    *,
    dataset: str = "seotasks",
    selection: Selection | None = None,
) -> Tasks:
    """The tasks of the DuckDB file ``path`` written by ``seotasks load``, as selected.

    The file is attached read-only: a report never changes the store, and may run while
    no load holds the file (DuckDB lets one process write a file at a time); while one
    does, `StorageError`.
    """
    import duckdb

    selection = selection or Selection()
    where = Path(path)
    try:  # a name longer than the file system takes raises here, rather than answer False
        is_dir, is_file = where.is_dir(), where.is_file()
    except OSError as exc:
        raise ConfigError(f"{where}: {exc.strerror or type(exc).__name__}") from None
    if is_dir:
        raise ConfigError(
            f"{where}: is a directory; name the DuckDB file `seotasks load` wrote in it "
            f"(by default {where / 'seotasks.duckdb'})"
        )
    if not is_file:
        raise ConfigError(
            f"{where}: no such DuckDB file; write it with `seotasks load`, or report on a "
            "live listing with --live or --sandbox"
        )
    connection = _connect()
    try:
        quoted = str(where).replace("'", "''")
        try:
            # TYPE DUCKDB: left to guess, DuckDB reads a SQLite file through its
            # sqlite extension, which it would first download.
            connection.execute(f"ATTACH '{quoted}' AS {_CATALOG} (TYPE DUCKDB, READ_ONLY)")
        except duckdb.Error as exc:
            raise _unopenable(where, exc) from None
        tables = {
            row[0]: row[1]
            for row in connection.execute(
                "SELECT table_name, list(column_name) FROM information_schema.columns "
                "WHERE table_catalog = ? AND table_schema = ? GROUP BY table_name",
                [_CATALOG, dataset],
            ).fetchall()
        }
        if "tasks" not in tables:
            raise ConfigError(
                f"{where}: no table {dataset}.tasks (is --dataset right? `seotasks load` "
                "writes dataset seotasks unless told otherwise)"
            )
        schema = f"{_CATALOG}.{_quote(dataset)}"
        _check_providers(connection, schema, where, selection.providers)
        condition, params = selection.where("t")
        has_results = {"provider", "id", "result", "error"} <= set(tables.get("results", ()))
        if has_results:
            collected = (
                "CASE WHEN t.status <> 'completed' THEN NULL "
                f"WHEN r.error LIKE '{NOT_COLLECTABLE}%' AND NOT r.has_result THEN NULL "
                "WHEN r.has_result IS NULL THEN false ELSE r.has_result END"
            )
            join = (
                f"LEFT JOIN (SELECT provider, id, bool_or(error IS NULL) AS has_result, "
                f"max(error) AS error FROM {schema}.results GROUP BY provider, id) r "
                "ON r.provider = t.provider AND r.id = t.id"
            )
            error = "CASE WHEN t.status = 'completed' AND NOT r.has_result THEN r.error END"
        else:
            collected, join, error = "CAST(NULL AS BOOLEAN)", "", "CAST(NULL AS VARCHAR)"
        connection.execute(
            f"CREATE TEMP TABLE report_tasks AS SELECT {_select(tables['tasks'], 't')}, "
            f"{collected} AS collected, {error} AS collect_error "
            f"FROM {schema}.tasks t {join} WHERE {condition}",
            params,
        )
        connection.execute(f"DETACH {_CATALOG}")
        unfailing = _never_failing(connection)
    except BaseException:
        connection.close()
        raise
    return Tasks(
        connection=connection,
        source=f"DuckDB store {where} (dataset {dataset})",
        selection=selection,
        collection="results table" if has_results else None,
        unfailing=unfailing,
    )


def _never_failing(connection: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """The providers of ``report_tasks`` that no listing of theirs could show failing:
    none of their tasks here failed, and the installed plugin reports no failed status
    under its defaults nor under any choice of an option (Serpstat; not DataForSEO, whose
    history reports failures though its ready list does not). A provider not installed
    here is not one: nothing says it cannot fail."""
    from ..errors import SeotasksError
    from ..model import TaskStatus
    from ..plugins import capabilities_of, get_provider

    rows = connection.execute(
        "SELECT provider FROM report_tasks GROUP BY provider "
        "HAVING count(*) FILTER (WHERE status = 'failed') = 0 ORDER BY provider"
    ).fetchall()
    found = []
    for (name,) in rows:
        try:
            cls = get_provider(name)
            variants: list[dict[str, Any]] = [{}]
            variants += [{o.name: c} for o in cls.options if o.choices for c in o.choices]
            statuses = [capabilities_of(cls, options).statuses for options in variants]
        except SeotasksError:  # not installed, or cannot describe itself: unknown
            continue
        if not any(TaskStatus.FAILED in each for each in statuses):
            found.append(name)
    return tuple(found)


def _record(task: Task) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name in COLUMNS:
        value = getattr(task, name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, Enum):
            value = value.value
        elif isinstance(value, Decimal):
            value = str(value)  # exact: DECIMAL from text, never through a float
        record[name] = value
    return record


def from_tasks(
    tasks: Iterable[Task],
    *,
    source: str,
    draining: Collection[str] = (),
    unfailing: Collection[str] | None = None,
    selection: Selection | None = None,
) -> Tasks:
    """A ``report_tasks`` table holding ``tasks`` (a live listing, already selected).

    ``draining`` names the providers whose listing drops a task once it is collected,
    so each completed task listed from them is known to be not collected; ``unfailing``
    those whose listing has no failed status (`Tasks.unfailing`; ``None``: worked out
    from the installed plugins, as for a store).

    The tasks go through a temporary JSON Lines file that DuckDB reads in bulk: inserting
    a hundred thousand rows one statement at a time would take longer than the listing.
    """
    connection = _connect()
    try:
        with tempfile.TemporaryDirectory(prefix="seotasks-report-") as folder:
            path = Path(folder) / "tasks.jsonl"
            with path.open("w", encoding="utf-8") as out:
                for task in tasks:
                    out.write(json.dumps(_record(task)) + "\n")
            columns = ", ".join(f"{name}: '{kind}'" for name, kind in COLUMNS.items())
            quoted = str(path).replace("'", "''")
            drains = list(draining)
            in_drains = f"provider IN ({', '.join('?' for _ in drains)})" if drains else "FALSE"
            connection.execute(
                f"CREATE TEMP TABLE report_tasks AS SELECT *, "
                f"CASE WHEN status = 'completed' AND {in_drains} THEN false END AS collected, "
                "CAST(NULL AS VARCHAR) AS collect_error "
                f"FROM read_json('{quoted}', format = 'newline_delimited', "
                f"columns = {{{columns}}})",
                drains,
            )
        unfailing = _never_failing(connection) if unfailing is None else tuple(unfailing)
    except BaseException:
        connection.close()
        raise
    return Tasks(
        connection=connection,
        source=source,
        selection=selection or Selection(),
        collection="draining listing" if draining else None,
        draining=tuple(draining),
        unfailing=tuple(unfailing),
    )
