"""DataForSEO's list items, declared once: the careful reading of every item.

The vendor documents each result item as a flat list of fields (see
``docs/vendors/dataforseo.md``). Here each is an attrs class that the core's
converter structures, so the rules are read off the declaration rather than off
hand-written checks: a field of the wrong type is a `ResponseFormatError` naming its
path in the page (``tasks[0].result[3].date_posted``) and the item id.

This is the *careful* path, and the reference for what an item means. The listings'
per-item loops in `wire` read the documented shape inline for speed and hand anything
else to `read_ready` / `read_id_list` here; property tests require both to agree on
any input.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NewType

import attrs

from seotasks.convert import ConversionError, Timestamp, structure
from seotasks.convert import converter as core_converter

__all__ = ["IdListItem", "ReadyItem", "read_id_list", "read_ready"]

#: A task id: a non-empty string (the vendor's UUID-like id).
TaskId = NewType("TaskId", str)
#: A string and nothing else: the vendor sends these fields as strings or null, and a
#: number there is a misreading of the page, not a value to stringify.
Text = NewType("Text", str)


@attrs.frozen(slots=True)
class ReadyItem:
    """A ``tasks_ready`` result item (SERP, Keywords Data, Merchant... shapes alike).

    The ``endpoint_*`` fields are read from ``raw`` by ``collect``, and the other
    family-specific fields are kept there; ``se_type`` is any value, since only a plain
    token names a kind (anything else leaves the family as the kind).
    """

    id: TaskId
    se: Text | None = None
    se_type: Any = None
    tag: Text | None = None
    date_posted: Timestamp | None = None


@attrs.frozen(slots=True)
class IdListItem:
    """An ``id_list`` result item.

    ``url`` and ``status`` come in two forms each (see `endpoints.kind_from_url` and
    `readers.status_for`); ``metadata`` is the object the task was posted with, read
    leniently by `wire` (any key may be missing or of another type).
    """

    id: TaskId
    url: Text | None = None
    datetime_posted: Timestamp | None = None
    datetime_done: Timestamp | None = None
    status: Text | None = None
    cost: Decimal | None = None
    metadata: dict[str, Any] | None = None


def _task_id(value: object, _type: object) -> str:
    if type(value) is not str or not value:
        raise ConversionError("id", value, "a non-empty string")
    return value


def _text(value: object, _type: object) -> str:
    if type(value) is not str:
        raise ConversionError("string", value, "a string or null")
    return value


def _object(value: object, _type: object) -> dict[str, Any] | None:
    if value is None:
        return None
    if type(value) is not dict:
        raise ConversionError("metadata", value, "an object or null")
    return value


converter = core_converter.copy()
converter.register_structure_hook(TaskId, _task_id)
converter.register_structure_hook(Text, _text)
converter.register_structure_hook(dict[str, Any] | None, _object)


def _item(value: object, path: str) -> dict[str, Any]:
    if type(value) is not dict:
        raise ConversionError(path, value, "an object")
    return value


def read_ready(item: object, index: int) -> ReadyItem:
    """``tasks[0].result[index]`` of a tasks_ready page, or the error naming its field."""
    path = f"tasks[0].result[{index}]"
    return structure(converter, _item(item, path), ReadyItem, where="dataforseo", path=path)


def read_id_list(item: object, index: int) -> IdListItem:
    """``tasks[0].result[index]`` of an id_list page, or the error naming its field."""
    path = f"tasks[0].result[{index}]"
    return structure(converter, _item(item, path), IdListItem, where="dataforseo", path=path)
