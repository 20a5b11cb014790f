"""The DuckDB file `load` writes by default: opened for dlt, kept in bounded memory.

Its own module because a file needs what a server destination does not: a catalog name
that does not clash with the dataset, a lock beside the file, small statements and row
groups, a checkpoint after each run, and the removal of a file a failed run created
empty. The figures behind the constants are measured in benchmarks/dltload.py.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import attrs

from seotasks.errors import ConfigError, StorageError

from .duckdb_jsonl import TypedJsonDuckdb
from .filelock import flock
from .lockwait import LockWait

__all__ = ["DUCKDB_CATALOG", "DuckDbFile", "drop_if_empty", "open_duckdb"]

#: The catalog name a DuckDB file is attached under (see `open_duckdb`).
DUCKDB_CATALOG = "seotasks_file"

# Memory (see also `seotasks_dlt.pipeline.RESULTS_PER_RUN`):

#: Rows per DuckDB row group in the file. A checkpoint rewrites a table's last row group
#: whole, and DuckDB's default (122 880 rows) holds every result of a long `load`: the
#: checkpoint after each run then reads them all again (the peak grew with the table,
#: 280 MB at 8000 results). 2048 rows (the smallest group) keep that rewrite small.
DUCKDB_ROW_GROUP = 2048
#: dlt sends rows to DuckDB as INSERT statements of up to this many bytes. DuckDB's
#: parser holds several copies of a statement, so dlt's 32 MB (a few thousand results in
#: one statement) cost hundreds of MB at once; 1 MB is about fifty results.
DUCKDB_STATEMENT = 1024 * 1024


@attrs.frozen(slots=True)
class DuckDbFile:
    """A DuckDB file opened for dlt (`open_duckdb`): the destination and its connection."""

    destination: Any
    connection: Any

    def checkpoint(self) -> None:
        """Write what the last run loaded into the file, then let DuckDB drop its cache.

        DuckDB keeps committed rows in memory (and in its write-ahead log) until a
        checkpoint, and after it keeps what it read cached, up to 80 % of the machine's
        memory by default: between the runs of one `load` that grows with the results
        (a row group's worth, 2048 results). Lowering the memory limit for a moment makes
        it evict every unpinned block; the limit is then put back as it was, so no
        operation ever runs under a limit too small for it (a large result would fail
        DuckDB's inserts, and even its checkpoints, under a fixed low limit).
        """
        import duckdb

        try:
            self.connection.execute(f"CHECKPOINT {DUCKDB_CATALOG}")
        except duckdb.IOException as exc:
            from .destinations import one_line  # (it imports this module)

            # The run's load is committed, in DuckDB's write-ahead log beside the file,
            # which the next open replays: a full disk here loses nothing either.
            raise StorageError(
                f"DuckDB could not write its file: {one_line(exc)}; what was loaded is "
                "kept in its log: run the same command again once there is room"
            ) from None
        [(limit,)] = self.connection.sql("SELECT current_setting('memory_limit')").fetchall()
        try:
            self.connection.execute("SET memory_limit = '1MB'")
        except duckdb.OutOfMemoryException:
            return  # something pinned could not go (the limit is left unchanged): no harm
        finally:
            self.connection.execute(f"SET memory_limit = '{limit}'")


def open_duckdb(
    path: Path, stack: contextlib.ExitStack, wait: LockWait | None = None
) -> DuckDbFile:
    """A dlt DuckDB destination writing into the file at ``path``.

    Why not simply ``dlt.destinations.duckdb(path)``: DuckDB names a file's catalog after
    the file, so ``seotasks.duckdb`` holds a catalog ``seotasks``, and a dataset (schema)
    ``seotasks`` inside it makes every ``seotasks.<table>`` reference ambiguous: DuckDB
    refuses such queries ("Ambiguous reference to catalog or schema"), and dlt's with
    them. So the file is attached under another catalog name and each of dlt's
    connections is pointed at it (``SET schema``); the file and the tables are the same.

    Two loads into one file at once are refused with a clear error (exit 6, a StorageError) before
    either calls a vendor: by a lock file beside it (``.<name>.seotasks-lock``) for
    seotasks' own loads, and by DuckDB's own lock for any other process holding the file.
    Memory: dlt's statements are kept small (`DUCKDB_STATEMENT`), row groups too
    (`DUCKDB_ROW_GROUP`), and each run is checkpointed (`DuckDbFile.checkpoint`). No
    memory limit is set: a limit low enough to matter fails DuckDB's inserts and even
    its checkpoints (which invalidates the database) once results are large (100 KB).
    """
    import duckdb
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    lock = path.parent / f".{path.name}.seotasks-lock"
    taken = stack.enter_context(flock(lock, wait, f"another seotasks load into {path} to end"))
    if not taken:
        raise StorageError(
            f"another seotasks load into {path} is already running: wait for it to end "
            "(DuckDB lets one process write a file at a time)"
        )
    # Row order in a table means nothing here; keeping it costs DuckDB memory.
    connection = duckdb.connect(config={"preserve_insertion_order": False})
    stack.callback(connection.close)
    quoted = str(path).replace("'", "''")
    try:
        connection.execute(
            # TYPE DUCKDB: left to guess, DuckDB opens a SQLite file through its sqlite
            # extension (downloading it first) and the load would write into that file.
            f"ATTACH '{quoted}' AS {DUCKDB_CATALOG} "
            f"(TYPE DUCKDB, ROW_GROUP_SIZE {DUCKDB_ROW_GROUP})"
        )
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StorageError(
                f"{path} is open in another process (DuckDB allows one writer): close it, "
                "or load into another file"
            ) from None
        if "not a valid DuckDB database file" in str(exc):
            # The path names another kind of file (SQLite, text, empty): the command's
            # to fix, exit 2, as `seotasks report --from` has it.
            raise ConfigError(f"cannot open {path}: {exc}") from None
        raise StorageError(f"cannot open {path}: {exc}") from None
    credentials = DuckDbCredentials(connection, local_config={"schema": f"{DUCKDB_CATALOG}.main"})
    return DuckDbFile(
        TypedJsonDuckdb(credentials, destination_name="duckdb", max_query_length=DUCKDB_STATEMENT),
        connection,
    )


def drop_if_empty(path: Path) -> None:
    """Remove a DuckDB file that holds no table (a run that failed before its load)."""
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as con:
            [(tables,)] = con.sql("SELECT count(*) FROM information_schema.tables").fetchall()
    except duckdb.Error:
        return
    if tables == 0:
        for leftover in (path, path.with_name(path.name + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
