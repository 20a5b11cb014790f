"""Insert jobs a killed run may have committed, taken out before dlt runs them again.

dlt runs each insert job of a load package in one transaction, then records the job
done by moving its file. A run killed between the two (SIGKILL, a machine lost) leaves
the job's rows committed and the job not done, and the next run runs it again. Into
PostgreSQL, dlt's unique key on ``_dlt_id`` refused the rows a second time: the package
failed, and with it every later run (exit 6, "run the same command again", for good),
while the results fetched (consumed at the vendor) waited in the staging table and the
journal, and the vendor's ready list aged out. An outside pass met it twice in some
thirty kills. DuckDB has no such key: its repeated staging rows are dropped by dlt's
merge, which keeps one row a primary key.

So, before a pending package is loaded, the rows of each of its insert jobs not recorded
done are deleted by the ``_dlt_id`` values the job's file holds: where the job was not
committed nothing is deleted, where it was the job runs again on a clean slate, and dlt
goes on (the merge of the staging rows into the tables, the followup jobs) as if the
kill had come a moment earlier. Only dlt's ``insert_values`` files are read (the files a
PostgreSQL load runs): a row of one ends ``E'<load id>',E'<_dlt_id>')``, the last two
columns of every table. A file whose columns end otherwise is left to dlt as it was.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import dlt
from dlt.common.destination.exceptions import DestinationException
from dlt.common.storages import FileStorage
from dlt.common.storages.load_package import ParsedLoadJobFileName
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from seotasks.errors import StorageError

__all__ = ["forget_half_loaded"]

#: How the columns of an ``insert_values`` file end: the two dlt adds to every row.
_LAST_COLUMNS = '"_dlt_load_id","_dlt_id")'
#: A ``_dlt_id`` dlt writes: 14 characters of base64 (``+``, ``/``), or of its URL form.
_DLT_ID = re.compile(r"[A-Za-z0-9+/_-]{1,64}")
#: ``_dlt_id`` values deleted by one statement.
_CHUNK = 1000


def forget_half_loaded(pipeline: dlt.Pipeline) -> None:
    """Delete, from the destination, the rows of the insert jobs the pending packages of
    ``pipeline`` have not recorded done. Call it holding the dataset's write turn, before
    dlt loads the pending packages."""
    jobs = list(_unfinished_jobs(Path(pipeline.working_dir)))
    if not jobs:
        return
    by_table: dict[str, set[str]] = {}
    for table, found in jobs:
        by_table.setdefault(table, set()).update(found)
    try:
        with pipeline.destination_client() as client:
            for table, ids in by_table.items():
                _delete(client, table, sorted(ids))
    except DestinationException as exc:
        raise StorageError(
            f"the destination refused to take back a killed run's half-loaded rows: "
            f"{type(exc).__name__}: {exc}; nothing fetched is lost: run the same command again"
        ) from exc


def _unfinished_jobs(working_dir: Path) -> Iterator[tuple[str, list[str]]]:
    """``(table, _dlt_id values)`` of each ``insert_values`` job a pending package holds
    and has not recorded done (dlt's ``new_jobs`` and ``started_jobs``)."""
    root = working_dir / "load" / "normalized"
    if not root.is_dir():
        return
    for package in sorted(root.iterdir()):
        for folder in ("new_jobs", "started_jobs"):
            for job in sorted((package / folder).glob("*.insert_values")):
                ids = _row_ids(job, package.name)
                if ids:
                    yield ParsedLoadJobFileName.parse(job.name).table_name, ids


def _row_ids(job: Path, load_id: str) -> list[str]:
    """The ``_dlt_id`` of every row of ``job``, or none where its file is not the shape
    this reads (its columns ending otherwise, a row not ending as dlt writes it)."""
    with FileStorage.open_zipsafe_ro(str(job), "r", encoding="utf-8") as file:
        header = file.readline().rstrip("\n")
        if not header.endswith(_LAST_COLUMNS):
            return []
        text = file.read()
    # A string value cannot end the same way: its quotes are escaped within E'...'.
    ending = re.compile(r",E'" + re.escape(load_id) + r"',E'([^'\\]*)'\)[,;]?$", re.M)
    ids = ending.findall(text)
    return ids if all(_DLT_ID.fullmatch(i) for i in ids) else []


def _delete(client: object, table: str, ids: list[str]) -> None:
    """Delete ``table``'s rows of ``ids`` in the dataset dlt loads it into (the staging
    one for a merged table); a table not created yet holds none."""
    sql = getattr(client, "sql_client", None)
    staged = getattr(client, "should_load_data_to_staging_dataset", None)
    if sql is None or staged is None:  # not a SQL destination: nothing dlt inserts into
        return
    dataset = sql.with_staging_dataset() if staged(table) else contextlib.nullcontext(sql)
    with dataset as into:
        name = into.make_qualified_table_name(table)
        column = into.escape_column_name("_dlt_id")
        for start in range(0, len(ids), _CHUNK):
            listed = ", ".join(f"'{i}'" for i in ids[start : start + _CHUNK])
            with contextlib.suppress(DatabaseUndefinedRelation):
                into.execute_sql(f"DELETE FROM {name} WHERE {column} IN ({listed})")
