"""How many keys a load added to each table: the "new" of ``seotasks load``'s summary.

Keys (``provider``, ``id``), not rows: where dlt falls back from merge to append (the
``filesystem`` destination) rows read again are added, and counting rows called every
one of them new. A count reads a whole table, so it is taken around each load only
where other pipelines may load into the same dataset at once (inside that dataset's
write turn, `seotasks_dlt.destination_lock.Hold.dataset_turn`), elsewhere once around
a command's loads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import dlt
from dlt.common.destination.exceptions import DestinationUndefinedEntity, SqlClientNotAvailable
from dlt.destinations.exceptions import DatabaseException, DatabaseUndefinedRelation

__all__ = ["count_keys", "gain", "gained_since"]

T = TypeVar("T")

#: The database drivers under dlt's destinations whose own errors say "not answered".
_DRIVERS = frozenset({"psycopg2", "psycopg", "duckdb"})


def count_keys(pipeline: dlt.Pipeline, table: str) -> int | None:
    """Keys (``provider``, ``id``, not rows: see the module) in ``table`` now (0 when it
    does not exist yet; None: cannot be asked)."""
    try:
        with pipeline.sql_client() as client:
            name = client.make_qualified_table_name(table)
            try:
                rows = client.execute_sql(
                    f"SELECT count(*) FROM (SELECT DISTINCT provider, id FROM {name}) loaded_keys"
                )
            except (DatabaseUndefinedRelation, DestinationUndefinedEntity):
                # The table (or the dataset; a file destination's folder) is not there yet.
                return 0
            return int(rows[0][0]) if rows else 0
    except (SqlClientNotAvailable, DatabaseException):
        # Not answered (the server gone after the load): the counts are not shown; a
        # destination down before the load fails the run's own steps, in one line.
        return None
    except Exception as exc:
        # The same, raised by the driver itself as the connection opens (dlt wraps it
        # only once open): an "internal error" ended 3 of 40 runs whose server stopped.
        if type(exc).__module__.partition(".")[0] in _DRIVERS:
            return None
        raise


def gain(gained: dict[str, int | None], pipeline: dlt.Pipeline, step: Callable[[], T]) -> T:
    """Run the write ``step``, adding to ``gained`` the keys each table gained by it
    (None once a count goes unanswered)."""
    before = {table: count_keys(pipeline, table) for table in gained}
    done = step()
    gained_since(gained, pipeline, before)
    return done


def gained_since(
    gained: dict[str, int | None], pipeline: dlt.Pipeline, before: dict[str, int | None]
) -> None:
    """Add to ``gained`` the keys each table holds beyond its count ``before``."""
    for table, earlier in before.items():
        after, so_far = count_keys(pipeline, table), gained[table]
        if after is None or earlier is None or so_far is None:
            gained[table] = None
        else:
            gained[table] = so_far + max(0, after - earlier)
