"""Rows for the ``tasks`` and ``results`` tables, and the column hints that type them.

The ``tasks`` row is the export record (`seotasks.export.COLUMNS`) plus ``raw``, with
native values instead of the export's strings: timestamps stay timezone-aware
`datetime` objects, ``cost`` stays a `Decimal`, ``raw`` stays a mapping. The hints
below then fix the warehouse types, so that the first load does not guess them from
whatever values happen to come first (a page of tasks with no cost would otherwise
leave ``cost`` untyped, and a first ``0.5`` would make it a double for good).

Nothing here imports dlt: the hints are plain `TColumnSchema`-shaped dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from seotasks.export import COLUMNS
from seotasks.model import Task

__all__ = ["RESULT_COLUMNS", "TASK_COLUMNS", "TASK_FIELDS", "result_row", "task_row"]

#: The ``tasks`` table's columns, in order: the export record and ``raw``.
TASK_FIELDS: tuple[str, ...] = (*COLUMNS, "raw")

_KEY: dict[str, Any] = {"data_type": "text", "nullable": False, "primary_key": True}
_STAMP: dict[str, Any] = {"data_type": "timestamp", "timezone": True, "nullable": True}

#: Column hints of ``tasks``. ``cost``: 38 digits with 10 after the point hold any vendor
#: price exactly (DataForSEO quotes to 4 places, e.g. 0.0006).
TASK_COLUMNS: dict[str, dict[str, Any]] = {
    "provider": dict(_KEY),
    "id": dict(_KEY),
    "status": {"data_type": "text", "nullable": False},
    "progress": {"data_type": "double", "nullable": True},
    "created_at": dict(_STAMP),
    "completed_at": dict(_STAMP),
    "kind": {"data_type": "text", "nullable": True},
    "tag": {"data_type": "text", "nullable": True},
    "cost": {"data_type": "decimal", "precision": 38, "scale": 10, "nullable": True},
    "started_at": dict(_STAMP),
    "raw": {"data_type": "json", "nullable": True},
}

#: Column hints of ``results``: one row per collected task; ``result`` is the vendor's
#: JSON as one JSON column, ``error`` says why a collection failed (then ``result`` is null).
RESULT_COLUMNS: dict[str, dict[str, Any]] = {
    "provider": dict(_KEY),
    "id": dict(_KEY),
    "collected_at": {"data_type": "timestamp", "timezone": True, "nullable": False},
    "result": {"data_type": "json", "nullable": True},
    "error": {"data_type": "text", "nullable": True},
}

if tuple(TASK_COLUMNS) != TASK_FIELDS:  # the export record grew: type the new column here
    raise AssertionError(f"TASK_COLUMNS {tuple(TASK_COLUMNS)} != export columns {TASK_FIELDS}")


def task_row(task: Task) -> dict[str, Any]:
    """``task`` as a ``tasks`` row (typed values, ``raw`` as a plain dict)."""
    return {
        "provider": task.provider,
        "id": task.id,
        "status": task.status.value,
        "progress": task.progress,
        "created_at": task.created_at,
        "completed_at": task.completed_at,
        "kind": task.kind,
        "tag": task.tag,
        "cost": task.cost,
        "started_at": task.started_at,
        # The vendor item as decoded from JSON: nested values are plain dicts and lists.
        "raw": dict(task.raw),
    }


def result_row(
    task: Task,
    result: Mapping[str, Any] | None,
    error: str | None,
    collected_at: datetime,
) -> dict[str, Any]:
    """A ``results`` row: the vendor's JSON, or the error that kept it from us."""
    return {
        "provider": task.provider,
        "id": task.id,
        "collected_at": collected_at,
        "result": None if result is None else dict(result),
        "error": error,
    }
