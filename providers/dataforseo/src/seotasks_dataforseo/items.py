"""DataForSEO's list items, declared once: how every item of a listing is read.

The vendor documents each result item as a flat list of fields (see
``docs/vendors/dataforseo.md``). Here each is an attrs class that the core's
converter structures, so the rules are read off the declaration rather than off
hand-written checks: a field of the wrong type is a `ResponseFormatError` naming its
path in the page (``tasks[0].result[3].date_posted``) and the item id.

`read_ready` and `read_id_list` are the only readers of these items: the listings in
`readers` turn what they return into `Task` objects. Each is an `item_reader`, which
structures with cattrs' detailed validation off and, for an item that fails, again
with it on for the message.

The classes are slotted but not frozen, as `item_reader` advises (why, and the cost of
frozen ones, is said there).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NewType

import attrs

from seotasks.convert import (
    ConversionError,
    Timestamp,
    item_reader,
    parse_decimal,
    register_optional,
)
from seotasks.convert import converter as core_converter

__all__ = ["IdListItem", "ReadyItem", "read_id_list", "read_ready"]

#: A task id: a non-empty string (the vendor's UUID-like id).
TaskId = NewType("TaskId", str)
#: A string and nothing else: the vendor sends these fields as strings or null, and a
#: number there is a misreading of the page, not a value to stringify.
Text = NewType("Text", str)


@attrs.define(slots=True)
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


@attrs.define(slots=True)
class IdListItem:
    """An ``id_list`` result item: one task the account posted within the window."""

    id: TaskId
    #: The URL the task was posted to; absolute, rooted (``/v3/...``) or bare
    #: (``v3/...``) in the vendor's documents: `endpoints.kind_from_url` reads all three.
    url: Text | None = None
    #: When it was posted and when it was done, ``YYYY-MM-DD HH:MM:SS +00:00``.
    datetime_posted: Timestamp | None = None
    datetime_done: Timestamp | None = None
    #: The vendor's message, with or without its code (``"Ok."``, ``"40602 Task In
    #: Queue."``): `readers.status_for` maps both forms.
    status: Text | None = None
    #: As the vendor wrote the number (a JSON float read as a `Decimal`, not rounded).
    cost: Decimal | None = None
    #: The object the task was posted with (``include_metadata``); read leniently by
    #: `readers`, since any key may be missing or of another type.
    metadata: dict[str, Any] | None = None


def _task_id(value: object, _type: object) -> str:
    if type(value) is not str or not value:
        raise ConversionError("id", value, "a non-empty string")
    return value


def _text(value: object, _type: object) -> str:
    if type(value) is not str:
        raise ConversionError("string", value, "a string")
    return value


def _optional_text(value: object, _type: object) -> str | None:
    if type(value) is str or value is None:
        return value
    raise ConversionError("string", value, "a string or null")


#: Costs already read, by their float. A page repeats a few prices (per task type and
#: priority) 1000 times, and ``Decimal(repr(x))`` costs as much as the rest of an item's
#: fields together; bounded, and only for what `parse_decimal` turns into a positive
#: cost (``-0.0`` would otherwise share ``0.0``'s entry).
_COSTS: dict[float, Decimal] = {}
_COSTS_MAX = 4096


def _cost(value: object, _type: object) -> Decimal | None:
    if type(value) is float:
        known = _COSTS.get(value)
        if known is not None:
            return known
        cost = parse_decimal(value, field="cost")
        if cost is not None and cost > 0 and len(_COSTS) < _COSTS_MAX:
            _COSTS[value] = cost
        return cost
    return parse_decimal(value, field="cost")


def _object(value: object, _type: object) -> dict[str, Any] | None:
    if value is None or type(value) is dict:
        return value
    raise ConversionError("metadata", value, "an object or null")


converter = core_converter.copy()
converter.register_structure_hook(TaskId, _task_id)
converter.register_structure_hook(Text, _text)
register_optional(converter, Text, _optional_text)
register_optional(converter, dict[str, Any], _object)
register_optional(converter, Decimal, _cost)

#: ``read_ready(item, index)``: ``tasks[0].result[index]`` of a tasks_ready page as a
#: `ReadyItem`, or the `ResponseFormatError` naming its field and the item id.
read_ready = item_reader(converter, ReadyItem, where="dataforseo", path="tasks[0].result[{}]")
#: ``read_id_list(item, index)``: the same for an id_list page, as an `IdListItem`.
read_id_list = item_reader(converter, IdListItem, where="dataforseo", path="tasks[0].result[{}]")
