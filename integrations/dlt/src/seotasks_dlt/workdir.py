"""What a run keeps in the pipeline's working folder, and how it writes there.

dlt keeps every load package it has loaded, data files included
(``<pipelines>/<name>/load/loaded/<load id>/completed_jobs/``): a second, compressed copy
of everything the destination holds, plus a folder of state for every run, growing
without end. A sandbox ``load --collect`` left 8.2 MB beside its 12 MB DuckDB file; an
hourly collecting run of 50 KB results would leave gigabytes a month. A loaded package
serves nothing afterwards: dlt restores its state from the destination, and a package a
killed run left is among the *normalized* ones, which dlt keeps until they are loaded.
So the data files of a loaded package go as soon as it is loaded (dlt's own
``load.delete_completed_jobs``), and only the last `KEEP_LOADED` loaded packages' folders
stay (their load ids and state, for ``dlt pipeline <name> info``). A run killed while dlt
extracted leaves that extract's temporary folder (``normalize/<16 hex digits>/``), which
no later run loads or removes: the next run removes it, holding the pipeline's lock (its
rows are owed by the journal or the listing, as for any run killed before its load); one
killed while dlt saved a schema leaves its temporary file (``schemas/<16 hex digits>``),
which every later run read as a schema of an invalid name: the next run removes it.
A run killed between dlt's marking a package loaded and its moving the package to
``loaded/`` left it among the packages to load, where dlt refused it for ever
(``LoadPackageAlreadyCompleted``, every run exit 6): the next run finishes the move.

Where the destination reads the package's files from this machine's disk (the DuckDB
file, a PostgreSQL server, whose INSERT statements dlt reads and sends), dlt's gzip of
every file bought nothing but CPU: a fifth of a collecting load's (22.9 s -> 18.4 s of
CPU for the sandbox's 2 500 results). They are written plain; a file lives until its run
is loaded, and a run holds at most ``result_bytes_per_run`` of results (its extracted and
normalized files, a few times that). A destination that uploads the files (a bucket, a
warehouse's staging) keeps dlt's gzip.

Each of these is only a default: a value the user configured for dlt (an environment
variable such as ``LOAD__DELETE_COMPLETED_JOBS``, ``.dlt/config.toml``) wins, and one
that keeps completed jobs keeps every loaded package too. A value dlt cannot read as a
boolean, or a configuration file it cannot parse, is a `ConfigError` naming it.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
from dlt.common.configuration.exceptions import ConfigurationException
from dlt.common.storages.load_package import PackageStorage

from seotasks.errors import ConfigError

__all__ = [
    "BUFFER_ROWS",
    "KEEP_LOADED",
    "config_error",
    "dlt_settings",
    "mend_workdir",
    "prune_loaded",
    "readable_config",
]

#: Rows dlt keeps in memory per table before writing them to the package's file. dlt's
#: default (5000) would hold every result of a run at once (each a parsed vendor answer,
#: often 10-100 KB); the rows are written out in small batches instead.
BUFFER_ROWS = 100
#: Loaded packages whose folders (state and load id, no data) are kept, newest first.
KEEP_LOADED = 20
#: The name dlt gives a temporary extract folder (beside ``extracted``) and the temporary
#: file it saves a schema through (beside the schema): ``uniq_id(8)``, 16 hex digits.
_DLT_TEMPORARY = re.compile(r"[0-9a-f]{16}")
#: The settings read as booleans: a user's value dlt cannot coerce fails here, named.
_FLAGS = ("load.delete_completed_jobs", "data_writer.disable_compression")


@contextlib.contextmanager
def dlt_settings(*, local_files: bool) -> Iterator[None]:
    """dlt configured for a run of `seotasks_dlt.load`: small write buffers, a loaded
    package's files deleted, and (``local_files``: the destination reads them here)
    files written without gzip; any of them the user configured is left as it is."""
    chosen: dict[str, Any] = {
        "data_writer.buffer_max_items": BUFFER_ROWS,
        "load.delete_completed_jobs": True,
    }
    if local_files:
        chosen["data_writer.disable_compression"] = True
    unset = {key: value for key, value in chosen.items() if _configured(key) is None}
    with dlt.config.values(unset):
        yield


@contextlib.contextmanager
def readable_config() -> Iterator[None]:
    """dlt's configuration files (``.dlt/config.toml``, ``secrets.toml``) that do not
    parse, found when dlt first reads its settings, are a `ConfigError`: an internal
    error (exit 4) before, though the user's file is what needs fixing."""
    try:
        yield
    except ConfigurationException as exc:  # (a missing destination setting is met earlier)
        raise config_error(exc) from None


def config_error(exc: ConfigurationException) -> ConfigError:
    """dlt's refusal of its configuration (a file that is no TOML, a value of the wrong
    type in any of its settings) as the `ConfigError` it is: exit 2, not an internal
    error, nor a storage error to "run again" that the same value fails again."""
    return ConfigError(f"dlt's configuration: {' '.join(str(exc).split())[:300]}")


def _configured(key: str) -> Any:
    """The user's value of dlt setting ``key`` (None: not set), a flag read as a bool."""
    try:
        return dlt.config.get(key, bool) if key in _FLAGS else dlt.config.get(key)
    except ConfigurationException as exc:  # a value that is no bool, a file that is no TOML
        raise config_error(exc) from None


def prune_loaded(pipeline: dlt.Pipeline, keep: int | None = None) -> None:
    """Delete the folders of all but the newest ``keep`` (default `KEEP_LOADED`) loaded
    packages of ``pipeline``. Load ids are the packages' creation times, so the newest
    are the largest. What cannot be deleted is left for the next run: the data they held
    is in the destination already."""
    keep = KEEP_LOADED if keep is None else keep
    loaded = Path(pipeline.working_dir) / "load" / "loaded"
    ids = sorted(pipeline.list_completed_load_packages(), key=_created)
    if ids and (loaded / ids[-1] / PackageStorage.COMPLETED_JOBS_FOLDER).exists():
        # dlt kept the files of the package it just loaded: the user keeps completed jobs
        # (a setting of any scope dlt reads: global, or this pipeline's own), so the
        # packages that hold them stay too. (Or a job failed: kept for a look.)
        return
    for load_id in ids[: max(len(ids) - keep, 0)]:
        shutil.rmtree(loaded / load_id, ignore_errors=True)


def mend_workdir(work: Path) -> None:
    """Undo what killed runs left half done in a pipeline's working folder ``work``:
    their temporary extract folders and schema files removed, their loaded packages
    moved where dlt would have moved them. Called with the pipeline's lock held, before
    dlt makes the pipeline (which lists the schemas): no seotasks run uses them (dlt
    supports no second process in a pipeline's working folder either)."""
    with contextlib.suppress(OSError):
        for entry in (work / "normalize").iterdir():
            if _DLT_TEMPORARY.fullmatch(entry.name) and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
    with contextlib.suppress(OSError):
        # A schema saved through a temporary file a kill left beside it: dlt lists every
        # file there as a schema, and refused this one's name on every later run.
        for entry in (work / "schemas").iterdir():
            if _DLT_TEMPORARY.fullmatch(entry.name) and entry.is_file():
                entry.unlink()
    with contextlib.suppress(OSError):
        for package in (work / "load" / "normalized").iterdir():
            # dlt writes the marker once the destination committed the package's load.
            if (package / PackageStorage.PACKAGE_COMPLETED_FILE_NAME).is_file():
                _move_whole(package, work / "load" / "loaded" / package.name)


def _move_whole(package: Path, target: Path) -> None:
    """``package`` moved to ``target``, as dlt's move would have left it. A move dlt did
    file by file (its fallback when a rename of the folder fails) and a kill cut short
    left part of it in each place: the rest follows, file by file, and what stays behind
    (a copy already there) goes."""
    target.parent.mkdir(exist_ok=True)
    if not target.exists():
        package.rename(target)
        return
    for path in sorted(package.rglob("*")):
        if path.is_file():
            moved = target / path.relative_to(package)
            if not moved.exists():
                moved.parent.mkdir(parents=True, exist_ok=True)
                path.rename(moved)
    shutil.rmtree(package, ignore_errors=True)


def _created(load_id: str) -> float:
    try:
        return float(load_id)
    except ValueError:  # not one of dlt's ids: never taken for the oldest
        return float("inf")
