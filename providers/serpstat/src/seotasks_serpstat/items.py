"""Serpstat's ``tasks.getList`` row, declared once: the careful reading of every row.

The reference's examples show every value as a string (``"progress": "100%"``,
``"task_id": "5484945"``) while its schema tables type ids and counts as integers, so
both are read: an id or count may be a string or an integer. Timestamps are naive
``"YYYY-MM-DD HH:MM:SS"`` in the zone the ``timezone`` option names.

This is the *careful* path. The listing's per-row loop in `wire` reads the documented
shape inline for speed and hands anything else here; property tests require both to
agree on any input.
"""

from __future__ import annotations

import functools
from datetime import tzinfo
from typing import NewType

import attrs
import cattrs

from seotasks.convert import (
    ConversionError,
    NaiveTimestamp,
    make_converter,
    parse_progress,
    structure,
)

__all__ = ["GetListRow", "read_row"]

#: An id the vendor sends as a numeric string or (per its schema) as an integer.
IdText = NewType("IdText", str)
#: ``"45%"`` (or another spelling `parse_progress` reads); required, never null.
Percent = NewType("Percent", float)


@attrs.frozen(slots=True)
class GetListRow:
    """One ``tasks.getList`` row (``task_id`` is read by `wire.row_ids`, for paging)."""

    progress: Percent
    created_at: NaiveTimestamp | None = None
    parsed_at: NaiveTimestamp | None = None
    se_id: IdText | None = None
    country_id: IdText | None = None
    region_id: IdText | None = None
    device_type_id: IdText | None = None
    lang_id: IdText | None = None
    keywords_count: int | None = None


def _id_text(value: object, _type: object) -> str:
    if type(value) is str:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ConversionError("id", value, "a string id")


def _percent(value: object, _type: object) -> float:
    parsed = parse_progress(value, field="progress")
    if parsed is None:
        raise ConversionError("progress", value, "a percentage like '45%'")
    return parsed


@functools.cache
def _converter(zone: tzinfo) -> cattrs.Converter:
    """The core's wire rules, naive times read in ``zone``, plus this vendor's two types."""
    conv = make_converter(naive_tz=zone)
    conv.register_structure_hook(IdText, _id_text)
    conv.register_structure_hook(Percent, _percent)
    return conv


def read_row(row: object, index: int, zone: tzinfo) -> GetListRow:
    """``result[index]`` of a getList answer, or the error naming its field and task."""
    path = f"result[{index}]"
    if not isinstance(row, dict):
        raise ConversionError(path, row, "an object")
    return structure(_converter(zone), row, GetListRow, where="serpstat", path=path)
