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

import json
import typing
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from seotasks.export import COLUMNS
from seotasks.model import Task
from seotasks.provider import JSONValue

__all__ = [
    "RESULTS_TABLE",
    "RESULT_COLUMNS",
    "TASKS_TABLE",
    "TASK_COLUMNS",
    "TASK_FIELDS",
    "TASK_OWNER",
    "result_row",
    "task_row",
]

#: The two tables a source loads (in the pipeline's dataset).
TASKS_TABLE, RESULTS_TABLE = "tasks", "results"
#: The ``tasks`` table's columns, in order: the export record and ``raw``.
TASK_FIELDS: tuple[str, ...] = (*COLUMNS, "raw")
#: The ``tasks`` column naming the pipeline (so the account) that last loaded the row.
#: Several accounts' pipelines may share one dataset; a collecting run fills in only its
#: own account's tasks (`backfill.missing_results`): another account's would be fetched
#: with the wrong credentials and answered "not found" for good.
TASK_OWNER = "pipeline_name"

_KEY: dict[str, Any] = {"data_type": "text", "nullable": False, "primary_key": True}
_STAMP: dict[str, Any] = {"data_type": "timestamp", "timezone": True, "nullable": True}
#: Warehouse types by the model's Python type (the export record follows `Task`'s fields,
#: so a field added to the model gets its column typed here without a change).
_BY_TYPE: dict[str, dict[str, Any]] = {
    "str": {"data_type": "text", "nullable": True},
    "TaskStatus": {"data_type": "text", "nullable": False},
    "float": {"data_type": "double", "nullable": True},
    "int": {"data_type": "bigint", "nullable": True},
    "bool": {"data_type": "bool", "nullable": True},
    "datetime": _STAMP,
    # 38 digits with 10 after the point hold any vendor price exactly (DataForSEO quotes
    # to 4 places, e.g. 0.0006).
    "Decimal": {"data_type": "decimal", "precision": 38, "scale": 10, "nullable": True},
}


def _type_name(declared: object) -> str:
    """``"float | None"`` or ``float | None`` (a field's type as written, or resolved by
    `attrs.resolve_types`, which anyone in the process may have called) -> ``"float"``."""
    if isinstance(declared, str):
        return declared.replace(" | None", "").replace("Optional[", "").rstrip("]").strip()
    inner = [arg for arg in typing.get_args(declared) if arg is not type(None)]
    chosen = inner[0] if len(inner) == 1 else declared
    return str(getattr(chosen, "__name__", chosen))


def _hint(field: attrs.Attribute[Any]) -> dict[str, Any]:
    declared = field.type
    known = _BY_TYPE.get(_type_name(declared))
    if known is None:
        raise TypeError(
            f"Task.{field.name}: no warehouse type for {declared!r}; add it to _BY_TYPE"
        )
    return dict(known)


def _task_columns() -> dict[str, dict[str, Any]]:
    fields = {a.alias or a.name: a for a in attrs.fields(Task)}
    columns = {name: _hint(fields[name]) for name in COLUMNS}
    columns["provider"] = dict(_KEY)
    columns["id"] = dict(_KEY)
    columns["raw"] = {"data_type": "json", "nullable": True}
    columns[TASK_OWNER] = {"data_type": "text", "nullable": True}
    return columns


#: Column hints of ``tasks``: keys not null, timestamps timezone-aware, ``cost`` decimal,
#: ``raw`` (the vendor's item) one JSON column, then `TASK_OWNER`.
TASK_COLUMNS: dict[str, dict[str, Any]] = _task_columns()

#: Column hints of ``results``: one row per collected task; ``result`` is the vendor's
#: JSON as one JSON column, ``error`` says why a collection failed (then ``result`` is null).
RESULT_COLUMNS: dict[str, dict[str, Any]] = {
    "provider": dict(_KEY),
    "id": dict(_KEY),
    "collected_at": {"data_type": "timestamp", "timezone": True, "nullable": False},
    "result": {"data_type": "json", "nullable": True},
    "error": {"data_type": "text", "nullable": True},
}


def task_row(task: Task, owner: str | None) -> dict[str, Any]:
    """``task`` as a ``tasks`` row (typed values, ``raw`` as a plain dict), loaded by the
    pipeline named ``owner`` (`TASK_OWNER`)."""
    row = {name: getattr(task, name) for name in COLUMNS}
    row["status"] = task.status.value
    # The vendor item as decoded from JSON: nested values are plain dicts and lists.
    row["raw"] = dict(task.raw)
    row[TASK_OWNER] = owner
    return row


def result_row(
    task: Task,
    result: JSONValue,
    error: str | None,
    collected_at: datetime,
) -> dict[str, Any]:
    """A ``results`` row: the vendor's JSON (any JSON value: an object, or an array as
    some vendors answer), or the error that kept it from us."""
    return {
        "provider": task.provider,
        "id": task.id,
        "collected_at": collected_at,
        "result": dict(result) if isinstance(result, Mapping) else result,
        "error": error,
    }


def weight(result: JSONValue) -> int:
    """About the bytes of ``result`` as JSON: what it adds to a run's package (`Session`).

    Its JSON text's length, written by the C encoder (a few ms a MB, and the text is
    dropped at once); a value JSON has no type for (a `Decimal` a provider parsed a
    price into) counts as its text, where ``json.dumps`` alone would raise.
    """
    if result is None:
        return 0
    return len(json.dumps(result, default=str))
