"""A task's facts that a listing does not give are kept from the destination, not nulled.

DataForSEO lists a finished task in two places: ``tasks_ready`` (no cost, no completion
time) and the ``id_list`` history (no tag without ``include_metadata``). Both load into
one ``tasks`` table merged on ``(provider, id)``, and dlt's merge writes the whole row:
loading the ready list after the history replaced every listed task's cost and
completion time with nulls (a report's spend fell from 30.60 to 20.16 USD, its
turnaround lost 1032 tasks, with no word said), and the history after the ready list
dropped the tags.

A fact of a task, once known, does not change (`FACTS`): where a row lacks one, the
value the destination holds is written again. Status, progress and message follow the
task's state and ``raw`` is the item as last listed: those are written as listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dlt.destinations.exceptions import DatabaseTerminalException, DatabaseUndefinedRelation

from .asked import running_destination
from .rows import TASKS_TABLE

__all__ = ["FACTS", "keep_known"]

#: The columns that say what a task is and what it cost, fixed once the vendor says them.
FACTS: tuple[str, ...] = (
    "created_at",
    "started_at",
    "completed_at",
    "kind",
    "tag",
    "cost",
    "engine",
    "device",
    "location",
    "language",
    "keywords_count",
)
#: Ids asked for per query.
_BATCH = 500


def keep_known(provider: str, rows: Sequence[dict[str, Any]]) -> None:
    """Fill in, in place, each of ``rows``' (``tasks`` rows of ``provider``) missing
    facts with the value the running pipeline's destination holds for the task.

    Nothing is asked where every row has every fact; nothing changes where the
    destination answers no SQL or holds no ``tasks`` table yet."""
    lacking = [row for row in rows if any(row.get(name) is None for name in FACTS)]
    if not lacking:
        return
    with running_destination() as client:
        if client is None:
            return
        tasks = client.make_qualified_table_name(TASKS_TABLE)
        columns = ", ".join(client.escape_column_name(c) for c in ("id", *FACTS))
        for at in range(0, len(lacking), _BATCH):
            chunk = {str(row["id"]): row for row in lacking[at : at + _BATCH]}
            marks = ", ".join("%s" for _ in chunk)
            query = f"SELECT {columns} FROM {tasks} WHERE provider = %s AND id IN ({marks})"
            try:
                found = client.execute_sql(query, provider, *chunk) or []
            except (DatabaseUndefinedRelation, DatabaseTerminalException):
                return  # no tasks table (a first load), or one without every fact column
            for task_id, *known in found:
                row = chunk[str(task_id)]
                for name, value in zip(FACTS, known, strict=True):
                    if row.get(name) is None and value is not None:
                        row[name] = value
