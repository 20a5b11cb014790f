"""The vendor's documented request fields and result shapes, as the emulator reads them.

``vendor_shapes.json`` beside this module is generated once from the official client's
models (``contract/generate.py``) and committed; the contract suite re-derives it on every
run and fails when the two drift. Generated, not hand-kept, because the vendor documents
hundreds of fields (33 on Google Organic ``task_post`` alone) and a hand-kept list is
exactly what refused them before. Read here, not imported from the official client, so the
emulator keeps running anywhere on the standard library.

An endpoint the official client does not know (``serp/yandex/organic``, documented by the
vendor's pages only) has no entry: callers fall back to their own rules for it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["flavours", "matches", "post_fields", "ready_fields", "result_shape"]


@cache
def _table() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("vendor_shapes.json").read_text("utf-8")
    table: dict[str, Any] = json.loads(text)
    return table


def post_fields(kind: str) -> dict[str, tuple[str, bool]] | None:
    """``{field: (json type, required)}`` of ``kind``'s task_post, or None when unknown."""
    fields = _table()["task_post"].get(kind)
    if fields is None:
        return None
    return {name: (kind_, bool(required)) for name, (kind_, required) in fields.items()}


def flavours(kind: str) -> frozenset[str] | None:
    """The task_get flavours of ``kind`` (``""`` plain, ``"summary"`` On-Page), or None."""
    shapes = _table()["task_get"].get(kind)
    return None if shapes is None else frozenset(shapes)


def result_shape(kind: str, flavour: str) -> dict[str, Any] | None:
    """The result item's fields for ``kind`` and ``flavour`` (see ``contract/generate.py``)."""
    shape: dict[str, Any] | None = _table()["task_get"].get(kind, {}).get(flavour)
    return shape


def ready_fields(name: str) -> tuple[str, ...] | None:
    """The fields of a tasks_ready item of endpoint ``name``, or None when unknown."""
    fields = _table()["tasks_ready"].get(name)
    return None if fields is None else tuple(fields)


def matches(value: object, json_type: str) -> bool:
    """Whether a request value has the JSON type the vendor documents for its field."""
    if json_type == "str":
        return isinstance(value, str)
    if json_type == "int":
        return type(value) is int
    if json_type == "float":
        return type(value) in (int, float)
    if json_type == "bool":
        return type(value) is bool
    if json_type == "list":
        return isinstance(value, list)
    if json_type in ("dict", "object"):
        return isinstance(value, dict)
    return True
