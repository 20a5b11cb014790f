"""The running pipeline's destination, asked in SQL while the source runs.

A source reads its own destination to decide what to yield: the results it holds
(`seotasks_dlt.backfill`), the facts of a task a listing does not give
(`seotasks_dlt.known_facts`). One way to connect for all, with one way to fail.

Where nothing can be known of the destination, the source asks nothing and holds
nothing as loaded: a pipeline with no destination yet (dlt's "extract now, load later")
and a run whose package drops or truncates the tables (``refresh=``: dlt empties them
only when it loads, so results read as held at extract time would be skipped, then gone).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import dlt
from dlt.common.destination.exceptions import SqlClientNotAvailable
from dlt.common.storages.exceptions import CurrentLoadPackageStateNotAvailable
from dlt.common.storages.load_package import load_package_state
from dlt.destinations.exceptions import DatabaseException

from seotasks.errors import StorageError

from .destinations import one_line
from .rows import RESULTS_TABLE, TASKS_TABLE

__all__ = ["running_destination"]

#: Each pipeline's SQL client, by thread, dataset and destination: made once, connected
#: for each question. dlt resolves its whole configuration to make one (46 ms of CPU),
#: which asked once a page of tasks was half of a load's CPU.
_CLIENTS: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], Any]] = weakref.WeakKeyDictionary()


def _sql_client(pipeline: Any) -> Any:
    made = _CLIENTS.setdefault(pipeline, {})
    key = (threading.get_ident(), pipeline.dataset_name, id(pipeline.destination))
    if key not in made:
        made[key] = pipeline.sql_client()
    return made[key]


@contextlib.contextmanager
def running_destination(pipeline: Any = None) -> Iterator[Any]:
    """The running pipeline's SQL client, connected; None where its destination answers
    no SQL. ``pipeline``: the running pipeline, where the caller holds it (finding it,
    ``dlt.current.pipeline()``, resolves dlt's configuration: 11 ms each time).

    A connection refused or a query failing (the server gone mid-run) is a
    `StorageError`, exit 6 like any failure of the destination: under dlt's extract step
    it was an internal error (exit 4, the code of a vendor fault)."""
    pipeline = pipeline or dlt.current.pipeline()
    if pipeline.destination is None or _emptied_by_this_run():
        yield None
        return
    try:
        client = _sql_client(pipeline)
    except SqlClientNotAvailable:
        yield None
        return
    try:
        with client:
            yield client
    except Exception as exc:
        if not isinstance(exc, DatabaseException) and not client.is_dbapi_exception(exc):
            raise
        raise StorageError(
            f"the destination could not be asked what it holds: "
            f"{type(exc).__name__}: {one_line(exc)}; nothing fetched is lost: "
            "run the same command again"
        ) from None


def _emptied_by_this_run() -> bool:
    """Whether the package being extracted drops or truncates ``tasks`` or ``results``."""
    try:
        state = load_package_state()["state"]
    except CurrentLoadPackageStateNotAvailable:
        return False
    tables = [*state.get("dropped_tables", ()), *state.get("truncated_tables", ())]
    return any(table.get("name") in (TASKS_TABLE, RESULTS_TABLE) for table in tables)
