"""Write the DataForSEO emulator's table of vendor shapes from the official client's models.

    contract/.venv/bin/python contract/generate.py        # rewrite the committed table
    contract/.venv/bin/python contract/generate.py --check  # exit 1 if it drifted

Why generated, and why committed: the emulator must know every documented request field
and the shape of every result, but it must not import the official client at runtime (it
runs anywhere, standard library only). So the facts are read once from the official
models into ``seotasks_dataforseo/emulator/vendor_shapes.json``; ``test_vendor_table.py`` re-derives
them in every contract run and fails if the committed file and the models disagree.

The table holds, per catalogue endpoint the official client knows:

* ``task_post``: every documented request field with its JSON type and whether the model's
  documentation calls it a "required field" (unconditionally);
* ``task_get``: per result flavour the client offers (``""`` for a plain ``task_get/<id>``,
  ``"summary"`` for On-Page), the result item's fields, nested objects one level down, and
  one element of a list of small objects at the top level;
* ``tasks_ready``: the fields of a tasks_ready result item.
"""

from __future__ import annotations

import json
import re
import sys
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).resolve().parent))

import catalog
import dataforseo_client.models as models
from seotasks_dataforseo.endpoints import BY_NAME
from values import unwrap

TARGET = (
    Path(__file__).resolve().parent.parent
    / "providers/dataforseo/src/seotasks_dataforseo/emulator/vendor_shapes.json"
)
_REQUIRED = re.compile(r"required field(?!\s*if)", re.IGNORECASE)
#: How far nested objects are described (the result item is depth 0).
_OBJECT_DEPTH = 2
#: A list of objects at the result's top level gets one element when its model is small.
_SMALL = 12


def _fields(model: type[BaseModel]) -> list[str]:
    return [f for f in model.model_fields if f != "additional_properties"]


def json_type(annotation: Any) -> str:
    base = unwrap(annotation)
    origin = typing.get_origin(base)
    if origin is list:
        return "list"
    if origin is dict:
        return "dict"
    if isinstance(base, type) and issubclass(base, BaseModel):
        return "object"
    return {str: "str", int: "int", float: "float", bool: "bool"}.get(base, "any")


def spec(annotation: Any, depth: int) -> Any:
    """A result field's shape: a type name, ``{"object": {...}}`` or ``{"list": ...}``."""
    base = unwrap(annotation)
    origin = typing.get_origin(base)
    if origin is list:
        inner = unwrap(typing.get_args(base)[0])
        if (
            depth == 0
            and isinstance(inner, type)
            and issubclass(inner, BaseModel)
            and len(_fields(inner)) <= _SMALL
        ):
            return {"list": spec(inner, depth + 1)}
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return {"list": None}
        return {"list": json_type(inner)}
    if isinstance(base, type) and issubclass(base, BaseModel):
        if depth >= _OBJECT_DEPTH:
            return "object"
        return {
            "object": {f: spec(base.model_fields[f].annotation, depth + 1) for f in _fields(base)}
        }
    return json_type(base)


def _result_model(call: catalog.Call) -> type[BaseModel] | None:
    api = getattr(
        __import__(f"dataforseo_client.api.{_module(call.api)}", fromlist=[call.api]), call.api
    )
    answer = typing.get_type_hints(getattr(api, call.method)).get("return")
    if answer is None:
        return None
    task = unwrap(typing.get_args(unwrap(answer.model_fields["tasks"].annotation))[0])
    result = unwrap(task.model_fields["result"].annotation)
    if typing.get_origin(result) is not list:
        return None
    item = unwrap(typing.get_args(result)[0])
    return item if isinstance(item, type) and issubclass(item, BaseModel) else None


def _module(api: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", api.removesuffix("Api")).lower() + "_api"


def build() -> dict[str, Any]:
    table: dict[str, Any] = {"task_post": {}, "task_get": {}, "tasks_ready": {}}
    for call in catalog.calls():
        kind = call.kind
        if kind not in BY_NAME:
            continue
        if call.function == "task_post" and call.request_model is not None:
            model = call.request_model
            table["task_post"][kind] = {
                f: [
                    json_type(model.model_fields[f].annotation),
                    bool(_REQUIRED.search(model.model_fields[f].description or "")),
                ]
                for f in _fields(model)
            }
        elif call.function in ("task_get", "summary"):
            item = _result_model(call)
            flavour = "summary" if call.function == "summary" else (call.flavour or "")
            shape = (
                {}
                if item is None
                else {f: spec(item.model_fields[f].annotation, 0) for f in _fields(item)}
            )
            table["task_get"].setdefault(kind, {})[flavour] = shape
        elif call.function == "tasks_ready":
            item = _result_model(call)
            table["tasks_ready"][kind] = [] if item is None else _fields(item)
    return table


def render(table: dict[str, Any]) -> str:
    return json.dumps(table, indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = render(build())
    if "--check" in argv:
        same = TARGET.exists() and TARGET.read_text(encoding="utf-8") == text
        print("vendor_shapes.json is current" if same else "vendor_shapes.json drifted")
        return 0 if same else 1
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

assert models  # the models module is what the annotations resolve against
