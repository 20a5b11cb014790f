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

__all__ = ["FACTS", "KnownFacts"]

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


class KnownFacts:
    """One listing's facts kept from the destination: `fill` each page of its rows.

    The first page that lacks a fact asks which facts the destination holds any value
    of for the provider (one query a run); a page is then asked about only where it
    lacks one of those. So a listing whose lacking facts nobody gave (Serpstat has no
    tag or cost anywhere; a history after a history, no tag) costs one query a run, not
    one a page."""

    def __init__(self, provider: str, pipeline: Any) -> None:
        self.provider = provider
        self.pipeline = pipeline
        self.held: frozenset[str] | None = None  # facts the destination holds, once asked

    def fill(self, rows: Sequence[dict[str, Any]]) -> None:
        """Fill in, in place, each row's missing facts with the value the destination
        holds for its task; nothing where it answers no SQL or has no tasks table."""
        if self.held is not None and not self.held:
            return
        lacking = [row for row in rows if any(row.get(name) is None for name in FACTS)]
        if not lacking:
            return
        with running_destination(self.pipeline) as client:
            if client is None:
                self.held = frozenset()
                return
            try:
                if self.held is None:
                    self.held = self._held(client)
                wanted = [n for n in self.held if any(row.get(n) is None for row in lacking)]
                if wanted:
                    self._fill(client, lacking, wanted)
            except (DatabaseUndefinedRelation, DatabaseTerminalException):
                # no tasks table (a first load), or one without every fact column
                self.held = frozenset()

    def _held(self, client: Any) -> frozenset[str]:
        tasks = client.make_qualified_table_name(TASKS_TABLE)
        counts = ", ".join(f"count({client.escape_column_name(c)})" for c in FACTS)
        query = f"SELECT {counts} FROM {tasks} WHERE provider = %s"
        [found] = client.execute_sql(query, self.provider) or [(0,) * len(FACTS)]
        return frozenset(name for name, count in zip(FACTS, found, strict=True) if count)

    def _fill(self, client: Any, lacking: list[dict[str, Any]], wanted: list[str]) -> None:
        tasks = client.make_qualified_table_name(TASKS_TABLE)
        columns = ", ".join(client.escape_column_name(c) for c in ("id", *wanted))
        for at in range(0, len(lacking), _BATCH):
            chunk = {str(row["id"]): row for row in lacking[at : at + _BATCH]}
            marks = ", ".join("%s" for _ in chunk)
            query = f"SELECT {columns} FROM {tasks} WHERE provider = %s AND id IN ({marks})"
            for task_id, *known in client.execute_sql(query, self.provider, *chunk) or []:
                row = chunk[str(task_id)]
                for name, value in zip(wanted, known, strict=True):
                    if row.get(name) is None and value is not None:
                        row[name] = value
