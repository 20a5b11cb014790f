"""One pipeline per account, one run at a time: what ``seotasks load`` runs.

Why one pipeline per account (profile): a dlt pipeline keeps its state (here: every
provider's cursor) in its working directory and in the destination under its name. Two
accounts in one pipeline would share one cursor per provider and each would resume the
other's listing; two pipelines named after their profiles keep them apart while loading
into the same dataset and tables.

Why one run of a pipeline at a time: a run extracts into the pipeline's working
directory, then commits the new state with the load. Two runs of the same pipeline at
once share that directory (one may normalize or delete the other's half-written load
package) and both start from the same cursor, so the second to commit overwrites the
first's state: work is repeated or, worse, a cursor moves past rows whose package was
lost. dlt itself does not lock, so `load` takes an exclusive file lock per pipeline and
refuses a second concurrent run with a clear error. (Orchestrators: one task per
account, never two at once for the same account - see docs/dlt.md.)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, cast, get_args

import attrs
import dlt
from dlt.common.destination import TLoaderFileFormat
from dlt.common.destination.exceptions import SqlClientNotAvailable
from dlt.common.pipeline import LoadInfo, get_dlt_pipelines_dir
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.extract.source import DltSource
from dlt.pipeline.exceptions import PipelineStepFailed

from seotasks.errors import ConfigError, SeotasksError, StorageError
from seotasks.store import check_writable

from .outbox import Outbox, journal_folder
from .rows import RESULTS_TABLE, TASKS_TABLE
from .session import Session
from .source import seotasks_source

__all__ = ["DEFAULT_DATASET", "DEFAULT_DUCKDB", "LoadSummary", "load", "pipeline_name"]

DEFAULT_DATASET = "seotasks"
DEFAULT_DUCKDB = "seotasks.duckdb"
_TABLES = (TASKS_TABLE, RESULTS_TABLE)


def pipeline_name(profile: str | None = None, *, sandbox: bool = False) -> str:
    """``seotasks`` (default credentials), ``seotasks_<profile>``, or ``seotasks_sandbox``.

    The sandbox gets its own name so emulator runs never touch a real account's cursors.
    """
    if sandbox:
        return "seotasks_sandbox"
    if not profile:
        return "seotasks"
    cleaned = re.sub(r"[^a-z0-9_]+", "_", profile.strip().lower()).strip("_")
    if not cleaned:
        raise ConfigError(f"profile {profile!r} gives no usable pipeline name")
    return f"seotasks_{cleaned}"


@attrs.frozen(slots=True, kw_only=True)
class TableCount:
    """Rows loaded into one table by a run: how many keys were new, how many existed."""

    rows: int
    new: int | None  # None: the destination cannot be counted (not an SQL destination)

    @property
    def existing(self) -> int | None:
        return None if self.new is None else self.rows - self.new


@attrs.frozen(slots=True, kw_only=True)
class LoadSummary:
    """What one run did, for the one line ``seotasks load`` prints."""

    pipeline: str
    destination: str
    dataset: str
    tables: Mapping[str, TableCount]
    elapsed: float
    pending_loaded: bool = False
    #: The run was stopped early (``stop`` was set): what it fetched is loaded, the rest
    #: is for the next run.
    interrupted: bool = False
    notes: tuple[str, ...] = ()

    def line(self) -> str:
        parts = []
        for table, count in self.tables.items():
            detail = "" if count.new is None else f" ({count.new} new, {count.existing} updated)"
            parts.append(f"{table} {count.rows} rows{detail}")
        extra = ["finished an interrupted run's pending load first"] if self.pending_loaded else []
        extra += self.notes
        if self.interrupted:
            extra.append("interrupted: run the same command again to load the rest")
        said = "".join(f"; {note}" for note in extra)
        return (
            f"seotasks load: pipeline {self.pipeline} -> {self.destination} dataset "
            f"{self.dataset}: {', '.join(parts) or 'nothing new'}{said}; {self.elapsed:.1f} s"
        )


@contextlib.contextmanager
def _exclusive(directory: Path, name: str) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f".{name}.seotasks-lock"
    with _flock(path) as taken:
        if not taken:
            raise ConfigError(
                f"another load of pipeline {name} is running (lock {path}); dlt must not run "
                "two loads of one pipeline at once - wait for it, or use another profile"
            )
        yield


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[bool]:
    """An exclusive, non-blocking ``flock`` on ``path``: yields whether it was taken.

    Held for the run and released by the kernel whatever way the process ends, so a
    killed run never leaves a stale lock behind.
    """
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(handle)


#: The catalog name a DuckDB file is attached under (see `_duckdb`).
DUCKDB_CATALOG = "seotasks_file"

# What keeps `load` in bounded memory however many results it loads (measured in
# benchmarks/dltload.py; docs/dlt.md gives the figures):

#: Results per dlt run: a longer `load` is several runs (load packages) in a row, each
#: loaded and acknowledged before the next collects more. DuckDB's merge of a package
#: needs memory in proportion to the package (3000 results of 18 KB in one package: over
#: 300 MB); 250 results of 18 KB are about 4.5 MB of JSON, and a run costs about 1 s.
RESULTS_PER_RUN = 250
#: Rows dlt keeps in memory per table before writing them to the package's file. dlt's
#: default (5000) would hold every result of a run at once (each a parsed vendor answer,
#: often 10-100 KB); the rows are written out in small batches instead.
BUFFER_ROWS = 100
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
    """A DuckDB file opened for dlt (`_duckdb`): the destination and its connection."""

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

        self.connection.execute(f"CHECKPOINT {DUCKDB_CATALOG}")
        [(limit,)] = self.connection.sql("SELECT current_setting('memory_limit')").fetchall()
        try:
            self.connection.execute("SET memory_limit = '1MB'")
        except duckdb.OutOfMemoryException:
            return  # something pinned could not go (the limit is left unchanged): no harm
        finally:
            self.connection.execute(f"SET memory_limit = '{limit}'")


def _duckdb(path: Path, stack: contextlib.ExitStack) -> DuckDbFile:
    """A dlt DuckDB destination writing into the file at ``path``.

    Why not simply ``dlt.destinations.duckdb(path)``: DuckDB names a file's catalog after
    the file, so ``seotasks.duckdb`` holds a catalog ``seotasks``, and a dataset (schema)
    ``seotasks`` inside it makes every ``seotasks.<table>`` reference ambiguous: DuckDB
    refuses such queries ("Ambiguous reference to catalog or schema"), and dlt's with
    them. So the file is attached under another catalog name and each of dlt's
    connections is pointed at it (``SET schema``); the file and the tables are the same.

    Two loads into one file at once are refused with a clear error (exit 2) before
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
    taken = stack.enter_context(_flock(lock))
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
            f"ATTACH '{quoted}' AS {DUCKDB_CATALOG} (ROW_GROUP_SIZE {DUCKDB_ROW_GROUP})"
        )
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StorageError(
                f"{path} is open in another process (DuckDB allows one writer): close it, "
                "or load into another file"
            ) from None
        raise StorageError(f"cannot open {path}: {exc}") from None
    credentials = DuckDbCredentials(connection, local_config={"schema": f"{DUCKDB_CATALOG}.main"})
    return DuckDbFile(
        dlt.destinations.duckdb(credentials, max_query_length=DUCKDB_STATEMENT), connection
    )


def _destination(
    to: str | os.PathLike[str] | None, destination: str | None, stack: contextlib.ExitStack
) -> tuple[Any, str, DuckDbFile | None]:
    if to is not None and destination is not None:
        raise ConfigError("give a DuckDB file (to) or a destination name, not both")
    if destination is not None:
        return destination, destination, None
    path = Path(to if to is not None else DEFAULT_DUCKDB)
    if path.suffix != ".duckdb":
        raise ConfigError(f"{path}: a DuckDB file name ends in .duckdb")
    check_writable(path.parent if str(path.parent) else Path("."), what="the DuckDB file's folder")
    opened = _duckdb(path, stack)
    return opened.destination, f"duckdb {path}", opened


def _count(pipeline: dlt.Pipeline, table: str) -> int | None:
    """Rows in ``table`` now (0 when it does not exist yet; None: cannot be asked)."""
    try:
        with pipeline.sql_client() as client:
            name = client.make_qualified_table_name(table)
            try:
                rows = client.execute_sql(f"SELECT count(*) FROM {name}")
            except DatabaseUndefinedRelation:
                return 0  # the table (or the dataset) does not exist yet
            return int(rows[0][0]) if rows else 0
    except SqlClientNotAvailable:
        return None


def _ours(exc: PipelineStepFailed) -> BaseException:
    """The error to raise for a failed dlt step: the seotasks error under dlt's wrapper
    (callers see AuthError, not a dlt step), a `KeyboardInterrupt` under it (a second
    signal) as itself, and a failure of the destination (dlt's sync, normalize or load
    step) as one `StorageError` line: an ordinary situation, not an internal error."""
    seen: BaseException | None = exc
    visited: set[int] = set()
    cause: BaseException = exc
    while seen is not None and id(seen) not in visited:
        if isinstance(seen, SeotasksError | KeyboardInterrupt):
            return seen
        visited.add(id(seen))
        cause = seen
        inner = getattr(seen, "exception", None)
        seen = inner if isinstance(inner, BaseException) else (seen.__cause__ or seen.__context__)
    if exc.step in ("sync", "normalize", "load"):
        text = " ".join(str(cause).split())
        if len(text) > 300:
            text = text[:300] + "..."
        return StorageError(
            f"dlt's {exc.step} step failed: {type(cause).__name__}: {text}; nothing fetched "
            "is lost: run the same command again"
        )
    return exc


def load(
    providers: list[str],
    *,
    profile: str | None = None,
    sandbox: bool = False,
    to: str | os.PathLike[str] | None = None,
    destination: str | None = None,
    dataset: str = DEFAULT_DATASET,
    pipelines_dir: str | os.PathLike[str] | None = None,
    name: str | None = None,
    file_format: str | None = None,
    stop: threading.Event | None = None,
    results_per_run: int | None = RESULTS_PER_RUN,
    **source_args: Any,
) -> LoadSummary:
    """Run `seotasks_source` in the account's pipeline; return what it loaded.

    ``to`` is a DuckDB file (default ``./seotasks.duckdb``), ``destination`` a dlt
    destination name configured the dlt way (``DESTINATION__POSTGRES__CREDENTIALS``...).
    A run that was killed after extracting leaves a pending load package: it is loaded
    first, then the new run extracts as usual. ``file_format`` is dlt's loader file format
    (default: ``jsonl`` for the DuckDB file, which DuckDB ingests in bulk, and dlt's own
    choice for other destinations). ``source_args`` go to `seotasks_source`.

    Before any vendor call, the DuckDB file's folder and the pipelines folder are proven
    writable (`StorageError` otherwise). The results of consuming reads go through an
    `Outbox` in the pipelines folder, acknowledged once this run's load completed.
    Setting ``stop`` (from a signal handler) stops taking work; what was fetched is still
    loaded and the summary says ``interrupted``. At most ``results_per_run`` results go
    into one dlt run (one load package); more make several runs in a row, so memory
    stays flat however many results there are (None: one run). A DuckDB file this run created is removed
    again when the run fails before loading anything into it (bad credentials, say).
    """
    started = time.perf_counter()
    path = None if to is None and destination is not None else Path(to or DEFAULT_DUCKDB)
    existed = path is None or path.exists()
    try:
        with contextlib.ExitStack() as stack:
            return _load(
                providers,
                stack,
                started,
                profile=profile,
                sandbox=sandbox,
                to=to,
                destination=destination,
                dataset=dataset,
                pipelines_dir=pipelines_dir,
                name=name,
                file_format=file_format,
                stop=stop,
                results_per_run=results_per_run,
                source_args=source_args,
            )
    except BaseException:
        if path is not None and not existed:
            _drop_if_empty(path)
        raise


def _drop_if_empty(path: Path) -> None:
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


def _load(
    providers: list[str],
    stack: contextlib.ExitStack,
    started: float,
    *,
    profile: str | None,
    sandbox: bool,
    to: str | os.PathLike[str] | None,
    destination: str | None,
    dataset: str,
    pipelines_dir: str | os.PathLike[str] | None,
    name: str | None,
    file_format: str | None,
    stop: threading.Event | None,
    results_per_run: int | None,
    source_args: dict[str, Any],
) -> LoadSummary:
    name = name or pipeline_name(profile, sandbox=sandbox)
    folder = Path(pipelines_dir) if pipelines_dir is not None else Path(get_dlt_pipelines_dir())
    check_writable(folder, what="the pipelines folder")
    chosen, described, duckdb_file = _destination(to, destination, stack)
    outbox = stack.enter_context(Outbox(journal_folder(folder, name)))
    session = stack.enter_context(Session(results_per_run))

    def source() -> DltSource:
        return seotasks_source(
            providers, profile=profile, outbox=outbox, stop=stop, session=session, **source_args
        )

    current = source()  # bad arguments fail here, before anything runs
    pipeline = dlt.pipeline(
        pipeline_name=name, destination=chosen, dataset_name=dataset, pipelines_dir=str(folder)
    )
    if stop is not None:
        # The caller handles SIGINT/SIGTERM (it set `stop`): dlt's own handlers would
        # take them during normalize and load, cancel the package and hide the signal.
        pipeline.config.runtime.intercept_signals = False
    chosen_format = _file_format(file_format, destination)
    row_counts: Counter[str] = Counter()
    with _exclusive(Path(pipeline.pipelines_dir), name), _small_buffers():
        pending = False
        try:
            if pipeline.has_pending_data:
                # dlt's run() would load the pending package and return without extracting.
                pipeline.run()
                pending = True
            before = {t: _count(pipeline, t) for t in _TABLES}
            while True:
                info: LoadInfo = (
                    pipeline.run(current)
                    if chosen_format is None
                    else pipeline.run(current, loader_file_format=chosen_format)
                )
                info.raise_on_failed_jobs()
                # Loaded and committed: this run's consuming reads can be forgotten.
                outbox.acknowledge()
                if duckdb_file is not None:
                    duckdb_file.checkpoint()
                trace = pipeline.last_trace
                normalized = trace.last_normalize_info if trace is not None else None
                if normalized is not None:
                    row_counts.update(normalized.row_counts)
                if not session.full or (stop is not None and stop.is_set()):
                    break
                session.next_run()  # more results than one run takes: another run
                current = source()
        except PipelineStepFailed as exc:
            raise _ours(exc) from exc
        tables: dict[str, TableCount] = {}
        for table in _TABLES:
            if table == RESULTS_TABLE and not source_args.get("collect"):
                continue
            rows = int(row_counts.get(table, 0))
            after = _count(pipeline, table)
            earlier = before[table]
            new = None if after is None or earlier is None else max(0, after - earlier)
            tables[table] = TableCount(rows=rows, new=new)
    notes = []
    if outbox.redelivered:
        notes.append(f"{outbox.redelivered} results an interrupted run fetched were loaded")
    return LoadSummary(
        pipeline=name,
        destination=described,
        dataset=dataset,
        tables=tables,
        elapsed=time.perf_counter() - started,
        pending_loaded=pending,
        interrupted=stop is not None and stop.is_set(),
        notes=tuple(notes),
    )


def _file_format(chosen: str | None, destination: str | None) -> TLoaderFileFormat | None:
    """The loader file format: ``chosen``, else JSON Lines for our DuckDB file, which
    DuckDB reads in bulk (about twice as fast as dlt's default INSERT statements,
    benchmarks/README.md), else dlt's default for the destination (None)."""
    if chosen is None:
        return "jsonl" if destination is None else None
    for known in get_args(TLoaderFileFormat):
        if chosen == known:
            return cast(TLoaderFileFormat, known)
    raise ConfigError(f"unknown loader file format {chosen!r}")


@contextlib.contextmanager
def _small_buffers() -> Iterator[None]:
    """dlt's writers flush every `BUFFER_ROWS` rows, unless the caller configured it."""
    if dlt.config.get("data_writer.buffer_max_items") is not None:
        yield
        return
    with dlt.config.values({"data_writer.buffer_max_items": BUFFER_ROWS}):
        yield
