"""One pipeline per account, one run at a time: what ``seotasks load`` runs.

Why one pipeline per account (profile): a dlt pipeline keeps its state (here: every
provider's cursor) in its working directory and in the destination under its name. Two
accounts in one pipeline would share one cursor per provider and each would resume the
other's listing; two pipelines named after their profiles keep them apart while loading
into the same dataset and tables.

Why one run of a pipeline at a time: two runs at once both start from the same cursor,
and the second to commit overwrites the first's state. So every run holds two locks: a
file lock in its pipelines folder (`filelock`: one machine) and, when the destination
has one, a lock in the destination (`destination_lock`: workers of an orchestrator on
different machines, which share only the destination). Where the run writes is
`destinations`; the DuckDB file's particulars are `duckdb_file`.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast, get_args

import dlt
from dlt.common.configuration.exceptions import ConfigFieldMissingException, ConfigurationException
from dlt.common.destination import TLoaderFileFormat
from dlt.common.exceptions import MissingDependencyException
from dlt.common.normalizers.naming.snake_case import NamingConvention as SnakeCase
from dlt.common.pipeline import LoadInfo, get_dlt_pipelines_dir
from dlt.common.schema.utils import is_valid_schema_name
from dlt.common.storages import FileStorage
from dlt.extract.source import DltSource
from dlt.pipeline.exceptions import PipelineStepFailed

from seotasks.errors import ConfigError, SeotasksError, StorageError
from seotasks.profilefile import load_profile
from seotasks.store import check_writable, folder_mistake

from .counts import count_keys, gain, gained_since
from .destination_lock import held
from .destinations import DEFAULT_DUCKDB, duckdb_path, one_line, resolve
from .duckdb_file import drop_if_empty
from .filelock import exclusive
from .half_loaded import forget_half_loaded
from .lockwait import LockWait
from .outbox import Outbox, journal_folder
from .rows import RESULTS_TABLE, TASKS_TABLE
from .session import Session
from .source import seotasks_source
from .summary import LoadSummary, TableCount
from .workdir import config_error, dlt_settings, mend_workdir, prune_loaded, readable_config

__all__ = ["DEFAULT_DATASET", "DEFAULT_DUCKDB", "LoadSummary", "load", "pipeline_name"]

DEFAULT_DATASET = "seotasks"
_TABLES = (TASKS_TABLE, RESULTS_TABLE)

# What keeps `load` in bounded memory however many results it loads (measured in
# benchmarks/dltload.py; docs/dlt.md gives the figures):

#: Results per dlt run: a longer `load` is several runs (load packages) in a row, each
#: loaded and acknowledged before the next collects more. DuckDB's merge of a package
#: needs memory in proportion to the package (3000 results of 18 KB in one package: over
#: 300 MB); 250 results of 18 KB are about 4.5 MB of JSON, and a run costs about 1 s.
RESULTS_PER_RUN = 250
#: Bytes of results per dlt run, as well: a package's memory grows with its bytes (250
#: results of 300 KB peaked at 740 MB, 100 of 1 MB at 863 MB), so a run of large results
#: ends once it holds this much, and the next run goes on where it stopped.
RESULT_BYTES_PER_RUN = 16 << 20


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


def _check_name(name: str) -> None:
    """A pipeline name given outright must be a folder name (dlt makes one of it, and the
    locks and the journal are named after it): checked before anything is opened, where
    dlt would refuse it only after the DuckDB file was, as an internal error. An empty
    one is refused too, not read as "the default", which is another account's. dlt also
    names the schema after it, which must be a Python identifier of at most 64 characters
    (``0x10``, ``my-account``: dlt's ``InvalidSchemaName`` was an internal error)."""
    try:
        if not name:
            raise ValueError("empty")
        FileStorage.validate_file_name_component(name)
    except ValueError as exc:
        raise ConfigError(f"pipeline name {name!r} is not a usable folder name ({exc})") from None
    if not is_valid_schema_name(name):
        raise ConfigError(
            f"pipeline name {name[:80]!r} is not a Python identifier of at most 64 characters "
            "(dlt names the schema after it): use letters, digits and _, e.g. seotasks_agency_a"
        )


#: The longest dataset name: PostgreSQL's identifiers (NAMEDATALEN - 1).
_LONGEST_NAME = 63


def _ours(exc: PipelineStepFailed) -> BaseException:
    """The error to raise for a failed dlt step: the seotasks error under dlt's wrapper
    (callers see AuthError, not a dlt step), a `KeyboardInterrupt` under it (a second
    signal) as itself, a setting or a driver missing as itself (`destination_errors`
    makes it a `ConfigError`: met first by dlt's sync), and a failure of the destination
    (dlt's sync, normalize or load step) as one `StorageError` line: an ordinary
    situation, not an internal error."""
    seen: BaseException | None = exc
    visited: set[int] = set()
    cause: BaseException = exc
    while seen is not None and id(seen) not in visited:
        if isinstance(
            seen,
            SeotasksError
            | KeyboardInterrupt
            | ConfigFieldMissingException
            | MissingDependencyException,
        ):
            return seen
        if isinstance(seen, ConfigurationException):  # a value of the user's dlt settings
            return config_error(seen)
        visited.add(id(seen))
        cause = seen
        inner = getattr(seen, "exception", None)
        seen = inner if isinstance(inner, BaseException) else (seen.__cause__ or seen.__context__)
    if exc.step in ("sync", "normalize", "load") or isinstance(cause, OSError):
        # (an extract that could not write its files: the pipelines folder full)
        return StorageError(
            f"dlt's {exc.step} step failed: {type(cause).__name__}: {one_line(cause)}; "
            "nothing fetched "
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
    result_bytes_per_run: int | None = RESULT_BYTES_PER_RUN,
    lock_wait: float = 0.0,
    **source_args: Any,
) -> LoadSummary:
    """Run `seotasks_source` in the account's pipeline; return what it loaded.

    ``to`` is a DuckDB file (default ``./seotasks.duckdb``, or ``duckdb:///PATH``) or a
    ``postgresql://USER:PASSWORD@HOST:PORT/DB`` URL; ``destination`` a dlt destination
    name configured the dlt way (``DESTINATION__POSTGRES__CREDENTIALS``...). With
    Postgres the run holds the pipeline's lock in the destination: another run of the
    same pipeline and dataset, on any machine, is refused with `DestinationLocked` (or
    waited for, ``lock_wait`` seconds).
    A run that was killed after extracting leaves a pending load package: it is loaded
    first, then the new run extracts as usual. ``file_format`` is dlt's loader file format
    (default: ``jsonl`` for the DuckDB file, which DuckDB ingests in bulk, and dlt's own
    choice for other destinations). ``source_args`` go to `seotasks_source`.

    Before any vendor call, the DuckDB file's folder and the pipelines folder are proven
    writable (`StorageError` otherwise). The results of consuming reads go through an
    `Outbox` in the pipelines folder, acknowledged once this run's load completed.
    Setting ``stop`` (from a signal handler) stops taking work; what was fetched is still
    loaded and the summary says ``interrupted``. At most ``results_per_run`` results go
    into one dlt run (one load package), and once a run's results reach
    ``result_bytes_per_run`` bytes it takes no more (the few already being fetched
    still go in; a larger result still loads); more make several runs in a row, so
    memory stays flat however many results there are and however large (None: no
    such bound; both None: one run). A DuckDB file this run created is removed
    again when the run fails before loading anything into it (bad credentials, say).
    """
    started = time.perf_counter()
    if not dataset.strip():
        # dlt would load into its own default (``<pipeline>_dataset``), where no later run
        # and no report looks.
        raise ConfigError("dataset: give a name (default seotasks), not an empty one")
    stored = SnakeCase().normalize_identifier(dataset)
    if stored != dataset:
        # dlt would load into ``stored`` and the summary would show ``dataset``: the name a
        # report (``--dataset``) or a query is given must be the schema's own.
        raise ConfigError(f"dataset {dataset!r} would be stored as {stored!r}: give {stored}")
    if len(dataset) > _LONGEST_NAME:
        # PostgreSQL's longest name: dlt shortens a longer one with a hash, and the tables
        # were not where the summary line and `report --dataset` look.
        raise ConfigError(f"dataset {dataset!r}: at most {_LONGEST_NAME} characters")
    if name is not None:
        _check_name(name)
    for provider in providers if profile is not None else ():
        # Read now, as the clients will: a profile misnamed is the command's mistake
        # (exit 2), not the destination's lock error (a server down answered first).
        load_profile(str(profile), provider)
    # A path naming the wrong kind of thing is the command's to fix (exit 2), as for
    # `collect --to`; found by opening, it was a StorageError (exit 6).
    if pipelines_dir is not None and (mistake := folder_mistake(Path(pipelines_dir))):
        raise ConfigError(f"pipelines folder {pipelines_dir}: {mistake}")
    path = duckdb_path(to, destination)
    try:  # a name longer than the file system takes raises here: no file can be there
        existed = path is None or path.exists()
        if path is not None and path.is_dir():
            raise ConfigError(f"{path}: is a directory; name the DuckDB file (PATH.duckdb)")
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or type(exc).__name__}") from None
    try:
        with contextlib.ExitStack() as stack, readable_config():
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
                result_bytes_per_run=result_bytes_per_run,
                lock_wait=lock_wait,
                source_args=source_args,
            )
    except BaseException:
        if path is not None and not existed:
            drop_if_empty(path)
        raise


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
    result_bytes_per_run: int | None,
    lock_wait: float,
    source_args: dict[str, Any],
) -> LoadSummary:
    name = name or pipeline_name(profile, sandbox=sandbox)
    folder = Path(pipelines_dir) if pipelines_dir is not None else Path(get_dlt_pipelines_dir())
    check_writable(folder, what="the pipelines folder")
    waiting = LockWait(lock_wait, stop)  # one deadline for every lock
    # The pipeline's lock before its journal or its state is read: a run that waited for
    # another must start from what that one committed, as if it had run after it (dlt
    # reads the local state when the pipeline is made; made earlier, a run into a new
    # destination kept the other run's cursors and loaded only the tail of the listing).
    stack.enter_context(exclusive(folder, name, waiting))
    target = resolve(to, destination, stack, wait=waiting)
    outbox = stack.enter_context(Outbox(journal_folder(folder, name)))
    session = stack.enter_context(
        Session(results_per_run, bytes_per_run=result_bytes_per_run, sandbox=sandbox)
    )

    def source() -> DltSource:
        return seotasks_source(
            providers, profile=profile, outbox=outbox, stop=stop, session=session, **source_args
        )

    current = source()  # bad arguments fail here, before anything runs
    mend_workdir(folder / name)  # what killed runs left half done (`workdir`)
    pipeline = dlt.pipeline(
        pipeline_name=name,
        destination=target.destination,
        dataset_name=dataset,
        pipelines_dir=str(folder),
    )
    if stop is not None:
        # The caller handles SIGINT/SIGTERM (it set `stop`): dlt's own handlers would
        # take them during normalize and load, cancel the package and hide the signal.
        pipeline.config.runtime.intercept_signals = False
    chosen_format = _file_format(file_format, duckdb=target.duckdb_file is not None)
    row_counts: Counter[str] = Counter()
    with (
        destination_errors(pipeline),
        held(pipeline, wait=waiting) as lock,
        dlt_settings(local_files=target.local_files),
    ):
        pending = pipeline.has_pending_data
        # The keys each table gained by this command's own loads (None: a count the
        # destination did not answer). Where other pipelines may load into the dataset
        # (a destination lock is held), counted before and after each load, inside the
        # dataset's write turn, where no other load adds its own; elsewhere (one writer
        # to a DuckDB file) once around them all: a count reads a whole table.
        shared = bool(lock)
        gained: dict[str, int | None] = dict.fromkeys(_TABLES, 0)
        resumed: dict[str, int | None] = dict.fromkeys(_TABLES, 0)  # the pending package's
        try:
            lock.check()
            with lock.dataset_turn(stop):
                # dlt's run() without data restores the state from the destination and
                # loads a package a killed or stopped run left (its run(data) would load
                # that package and return without extracting).
                if pending:
                    forget_half_loaded(pipeline)  # a killed run's committed, unrecorded jobs
                    gain(resumed, pipeline, pipeline.run)
                else:
                    pipeline.run()
            alone = None if shared else {t: count_keys(pipeline, t) for t in _TABLES}
            while True:
                # dlt's run(data), step by step: the lock is checked between the
                # extract, which may have taken long enough to lose it, and the load.
                pipeline.extract(current, loader_file_format=chosen_format)
                normalized = pipeline.normalize()
                lock.check()  # before the turn's wait, and again once it is this run's
                with lock.dataset_turn(stop):
                    lock.check()
                    info: LoadInfo = (
                        gain(gained, pipeline, pipeline.load) if shared else pipeline.load()
                    )
                info.raise_on_failed_jobs()
                # Loaded and committed: this run's consuming reads can be forgotten.
                outbox.acknowledge()
                if target.duckdb_file is not None:
                    target.duckdb_file.checkpoint()
                prune_loaded(pipeline)
                row_counts.update(normalized.row_counts)
                if not session.full or (stop is not None and stop.is_set()):
                    break
                session.next_run()  # more results than one run takes: another run
                current = source()
            if alone is not None:
                gained_since(gained, pipeline, alone)
        except PipelineStepFailed as exc:
            raise _ours(exc) from exc
        except OSError as exc:  # dlt saving its state outside a step: the folder is full
            raise StorageError(
                f"dlt could not write its pipeline files: {exc.strerror or exc}; nothing "
                "fetched is lost: run the same command again"
            ) from exc
        tables: dict[str, TableCount] = {}
        for table in _TABLES:
            if table == RESULTS_TABLE and not source_args.get("collect"):
                continue
            # The pending package's rows are this command's too ("0 new" of a table that
            # went from 0 to 20 000 keys): its new keys count among the rows.
            earlier, own = resumed[table], gained[table]
            rows = int(row_counts.get(table, 0)) + (earlier or 0)
            new = None if earlier is None or own is None else earlier + own
            tables[table] = TableCount(rows=rows, new=new)
    notes = list(dict.fromkeys(session.notes))  # each said once, however many runs
    if session.failed:
        notes.append(
            f"{len(session.failed)} results could not be fetched: their rows hold the "
            "error, and the next run tries again those a retry may cure"
        )
    if outbox.redelivered:
        notes.append(f"{outbox.redelivered} results an interrupted run fetched were loaded")
    return LoadSummary(
        pipeline=name,
        destination=target.described,
        dataset=dataset,
        tables=tables,
        elapsed=time.perf_counter() - started,
        pending_loaded=pending,
        failed_results=len(session.failed),
        interrupted=stop is not None and stop.is_set(),
        notes=tuple(notes),
    )


def _file_format(chosen: str | None, *, duckdb: bool) -> TLoaderFileFormat | None:
    """The loader file format: ``chosen``, else JSON Lines for our DuckDB file, which
    DuckDB reads in bulk (about twice as fast as dlt's default INSERT statements,
    benchmarks/README.md), else dlt's default for the destination (None)."""
    if chosen is None:
        return "jsonl" if duckdb else None
    for known in get_args(TLoaderFileFormat):
        if chosen == known:
            return cast(TLoaderFileFormat, known)
    raise ConfigError(f"unknown loader file format {chosen!r}")


@contextlib.contextmanager
def destination_errors(pipeline: dlt.Pipeline) -> Iterator[None]:
    """dlt's "configuration missing" and "driver not installed" as `ConfigError`: both
    are met on the destination's first use (counting rows, taking its lock), before any
    vendor call, and were internal errors (exit 4); a setting or an install fixes them."""
    try:
        yield
    except ConfigFieldMissingException as exc:
        where = pipeline.destination.destination_name if pipeline.destination else "?"
        raise ConfigError(
            f"destination {where}: {type(exc.config).__name__} misses "
            f"{', '.join(exc.fields)}; dlt reads them from env vars "
            f"(DESTINATION__{where.upper()}__CREDENTIALS__...) or .dlt/secrets.toml"
        ) from None
    except MissingDependencyException as exc:
        raise ConfigError(one_line(exc)) from None
