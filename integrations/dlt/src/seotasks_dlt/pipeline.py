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
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import dlt
from dlt.common.pipeline import LoadInfo
from dlt.pipeline.exceptions import PipelineStepFailed

from seotasks.errors import ConfigError, SeotasksError

from .source import seotasks_source

__all__ = ["DEFAULT_DATASET", "DEFAULT_DUCKDB", "LoadSummary", "load", "pipeline_name"]

DEFAULT_DATASET = "seotasks"
DEFAULT_DUCKDB = "seotasks.duckdb"
_TABLES = ("tasks", "results")


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
    notes: tuple[str, ...] = ()

    def line(self) -> str:
        parts = []
        for table, count in self.tables.items():
            detail = "" if count.new is None else f" ({count.new} new, {count.existing} updated)"
            parts.append(f"{table} {count.rows} rows{detail}")
        pending = (
            "; finished an interrupted run's pending load first" if self.pending_loaded else ""
        )
        return (
            f"seotasks load: pipeline {self.pipeline} -> {self.destination} dataset "
            f"{self.dataset}: {', '.join(parts) or 'nothing new'}{pending}; {self.elapsed:.1f} s"
        )


@contextlib.contextmanager
def _exclusive(directory: Path, name: str) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f".{name}.seotasks-lock"
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                f"another load of pipeline {name} is running (lock {path}); dlt must not run "
                "two loads of one pipeline at once - wait for it, or use another profile"
            ) from None
        yield
    finally:
        os.close(handle)


#: The catalog name a DuckDB file is attached under (see `_duckdb`).
DUCKDB_CATALOG = "seotasks_file"


def _duckdb(path: Path, stack: contextlib.ExitStack) -> Any:
    """A dlt DuckDB destination writing into the file at ``path``.

    Why not simply ``dlt.destinations.duckdb(path)``: DuckDB names a file's catalog after
    the file, so ``seotasks.duckdb`` holds a catalog ``seotasks``, and a dataset (schema)
    ``seotasks`` inside it makes every ``seotasks.<table>`` reference ambiguous: DuckDB
    refuses such queries ("Ambiguous reference to catalog or schema"), and dlt's with
    them. So the file is attached under another catalog name and each of dlt's
    connections is pointed at it (``SET schema``); the file and the tables are the same.
    """
    import duckdb
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    connection = duckdb.connect()
    stack.callback(connection.close)
    quoted = str(path).replace("'", "''")
    connection.execute(f"ATTACH '{quoted}' AS {DUCKDB_CATALOG}")
    credentials = DuckDbCredentials(connection, local_config={"schema": f"{DUCKDB_CATALOG}.main"})
    return dlt.destinations.duckdb(credentials)


def _destination(
    to: str | os.PathLike[str] | None, destination: str | None, stack: contextlib.ExitStack
) -> tuple[Any, str]:
    if to is not None and destination is not None:
        raise ConfigError("give a DuckDB file (to) or a destination name, not both")
    if destination is not None:
        return destination, destination
    path = Path(to if to is not None else DEFAULT_DUCKDB)
    if path.suffix != ".duckdb":
        raise ConfigError(f"{path}: a DuckDB file name ends in .duckdb")
    return _duckdb(path, stack), f"duckdb {path}"


def _count(pipeline: dlt.Pipeline, table: str) -> int | None:
    """Rows in ``table`` now (0 when it does not exist yet; None: cannot be asked)."""
    try:
        with pipeline.sql_client() as client:
            name = client.make_qualified_table_name(table)
            try:
                rows = client.execute_sql(f"SELECT count(*) FROM {name}")
            except Exception:
                return 0  # the table (or the dataset) does not exist yet
            return int(rows[0][0]) if rows else 0
    except Exception:
        return None


def _ours(exc: PipelineStepFailed) -> BaseException:
    """The seotasks error under dlt's wrapper, so callers see AuthError, not a dlt step."""
    seen: BaseException | None = exc
    visited: set[int] = set()
    while seen is not None and id(seen) not in visited:
        if isinstance(seen, SeotasksError):
            return seen
        visited.add(id(seen))
        inner = getattr(seen, "exception", None)
        seen = inner if isinstance(inner, BaseException) else (seen.__cause__ or seen.__context__)
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
    **source_args: Any,
) -> LoadSummary:
    """Run `seotasks_source` in the account's pipeline; return what it loaded.

    ``to`` is a DuckDB file (default ``./seotasks.duckdb``), ``destination`` a dlt
    destination name configured the dlt way (``DESTINATION__POSTGRES__CREDENTIALS``...).
    A run that was killed after extracting leaves a pending load package: it is loaded
    first, then the new run extracts as usual. ``file_format`` is dlt's loader file format
    (default: ``jsonl`` for the DuckDB file, which DuckDB ingests in bulk, and dlt's own
    choice for other destinations). ``source_args`` go to `seotasks_source`.
    """
    started = time.perf_counter()
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
            source_args=source_args,
        )


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
    source_args: dict[str, Any],
) -> LoadSummary:
    chosen, described = _destination(to, destination, stack)
    name = name or pipeline_name(profile, sandbox=sandbox)
    source = seotasks_source(providers, profile=profile, **source_args)
    where: dict[str, Any] = {}
    if pipelines_dir is not None:
        where["pipelines_dir"] = str(pipelines_dir)
    pipeline = dlt.pipeline(pipeline_name=name, destination=chosen, dataset_name=dataset, **where)
    with _exclusive(Path(pipeline.pipelines_dir), name):
        pending = False
        if pipeline.has_pending_data:
            # dlt's run() would load the pending package and return without extracting.
            pipeline.run()
            pending = True
        before = {t: _count(pipeline, t) for t in _TABLES}
        try:
            # Our DuckDB file: JSON Lines, which DuckDB reads in bulk (about twice as fast
            # as dlt's default INSERT statements, benchmarks/README.md). Elsewhere: dlt's
            # default for the destination.
            if file_format is None and destination is None:
                file_format = "jsonl"
            info: LoadInfo = pipeline.run(source, loader_file_format=file_format)
        except PipelineStepFailed as exc:
            raise _ours(exc) from exc
        info.raise_on_failed_jobs()
        trace = pipeline.last_trace
        normalized = trace.last_normalize_info if trace is not None else None
        row_counts = dict(normalized.row_counts) if normalized is not None else {}
        tables: dict[str, TableCount] = {}
        for table in _TABLES:
            if table not in source.resources:
                continue
            rows = int(row_counts.get(table, 0))
            after = _count(pipeline, table)
            earlier = before[table]
            new = None if after is None or earlier is None else max(0, after - earlier)
            tables[table] = TableCount(rows=rows, new=new)
    return LoadSummary(
        pipeline=name,
        destination=described,
        dataset=dataset,
        tables=tables,
        elapsed=time.perf_counter() - started,
        pending_loaded=pending,
    )
