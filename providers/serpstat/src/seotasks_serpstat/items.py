"""Serpstat's ``tasks.getList`` row, declared once: how every row of a listing is read.

The reference's examples show every value as a string (``"progress": "100%"``,
``"task_id": "5484945"``) while its schema tables type ids and counts as integers, so
both are read: an id or count may be a string or an integer. Timestamps are naive
``"YYYY-MM-DD HH:MM:SS"`` in the zone the ``timezone`` option names.

`row_reader(zone)` is the only reader of these rows (`wire.normalize_rows` turns what
it returns into `Task` objects): an `item_reader`, which structures with cattrs' detailed
validation off and, for a row that fails, again with it on for the message naming the
field path (``result[3].progress``) and the task id.

The class is slotted but not frozen, as `item_reader` advises (why, and the cost of a
frozen one, is said there).
"""

from __future__ import annotations

import functools
from datetime import tzinfo
from typing import NewType

import attrs

from seotasks.convert import (
    PERCENTS,
    ConversionError,
    Count,
    ItemReader,
    NaiveTimestamp,
    item_reader,
    make_converter,
    register_optional,
)
from seotasks.convert import parse_progress as _parse_progress

__all__ = ["GetListRow", "row_reader"]

#: An id the vendor sends as a numeric string or (per its schema) as an integer.
IdText = NewType("IdText", str)
#: ``"45%"`` (or another spelling `parse_progress` reads); required, never null.
Percent = NewType("Percent", float)


@attrs.define(slots=True)
class GetListRow:
    """One ``tasks.getList`` row (``task_id`` is read by `wire.row_ids`, for paging)."""

    progress: Percent
    #: When the task was posted and when it was parsed (done): naive, in the zone of
    #: the ``timezone`` option; ``parsed_at`` is null while the task runs.
    created_at: NaiveTimestamp | None = None
    parsed_at: NaiveTimestamp | None = None
    #: Search engine: ``"1"`` is Google (the only id the reference confirms).
    se_id: IdText | None = None
    #: Country (``"23"`` is the USA) and region within it (``"0"`` in older examples for
    #: no region).
    country_id: IdText | None = None
    region_id: IdText | None = None
    #: ``"1"`` desktop, ``"2"`` mobile.
    device_type_id: IdText | None = None
    #: Language (``"1"`` is English).
    lang_id: IdText | None = None
    keywords_count: Count | None = None


def _id_text(value: object, _type: object) -> str:
    if type(value) is str:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ConversionError("id", value, "a string id")


def _optional_id_text(value: object, _type: object) -> str | None:
    if type(value) is str or value is None:
        return value
    return _id_text(value, _type)


def _percent(value: object, _type: object) -> float:
    """`parse_progress`, but a value that must be there: every row has one, so the usual
    spellings (``"0%"``..``"100%"``) are looked up here rather than through the parse."""
    if type(value) is str:
        known = PERCENTS.get(value)
        if known is not None:
            return known
    parsed = _parse_progress(value, field="progress")
    if parsed is None:
        raise ConversionError("progress", value, "a percentage like '45%'")
    return parsed


@functools.cache
def row_reader(zone: tzinfo) -> ItemReader[GetListRow]:
    """``read(row, index)``: ``result[index]`` of a getList answer as a `GetListRow`, naive
    times read in ``zone``, or the `ResponseFormatError` naming its field and task id.

    The core's wire rules plus this vendor's two types; one reader per zone, made once.
    """
    conv = make_converter(naive_tz=zone)
    conv.register_structure_hook(IdText, _id_text)
    register_optional(conv, IdText, _optional_id_text)
    conv.register_structure_hook(Percent, _percent)
    return item_reader(conv, GetListRow, where="serpstat", path="result[{}]")
