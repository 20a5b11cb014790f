"""Benchmark 1: vendor JSON page -> normalized `Task` objects, per 1000 tasks.

seotasks runs the same code a listing runs (envelope checks, then the provider's item
reader) on the bytes of one seeded page. Baselines, on the very same bytes:

* ``json.loads`` alone, and ``orjson.loads`` alone: the floor (no normalization at all);
* ``msgspec`` typed decode into `msgspec.Struct` classes (types checked, dates left as
  the vendor's strings, nothing normalized), made from the providers' own item classes
  (`msgspec_twin`): the same fields, each typed as the JSON the core reads it from;
* the official ``dataforseo-client`` package's model parse (``<Model>.from_json``, what
  its API client does with a response), run in the benchmark venv (see `official.py`).

``python benchmarks/normalize.py --profile`` prints a cProfile of the seotasks path.
"""

from __future__ import annotations

import functools
import json
import operator
import sys
import types
import typing
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, TypeVar

import attrs
import msgspec
import orjson
from seotasks_dataforseo.items import IdListItem, ReadyItem
from seotasks_serpstat.items import GetListRow, IdText, Percent

from seotasks.convert import NaiveTimestamp, Progress, Timestamp
from seotasks.model import Task

sys.path.insert(0, str(Path(__file__).resolve().parent))

import payloads
from ours import SERP, SERP_HISTORY, seotasks_history, seotasks_ready, seotasks_serpstat
from timing import Timing, measure_together

__all__ = ["SERP", "SERP_HISTORY", "pages", "run"]


# -- msgspec typed decode -----------------------------------------------------------------


#: The JSON a field of these types is read from, where that is not the type itself (the
#: core's hooks: `seotasks.convert`, and Serpstat's two in its ``items.py``). Any other
#: ``NewType`` is read from its supertype.
WIRE: dict[object, object] = {
    Timestamp: str,
    NaiveTimestamp: str,
    Progress: str | float,
    Percent: str | float,
    IdText: str | int,
    Decimal: float | str,
    int: int | str,
}


def _wire(kind: object) -> object:
    """``kind`` as the JSON it is read from (a union member by member)."""
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        members = [_wire(member) for member in typing.get_args(kind)]
        return functools.reduce(operator.or_, members)
    if kind in WIRE:
        return WIRE[kind]
    supertype = getattr(kind, "__supertype__", None)  # read as its supertype is (Count: int)
    return kind if supertype is None else _wire(supertype)


def msgspec_twin(cls: type) -> type[msgspec.Struct]:
    """A `msgspec.Struct` of the fields of ``cls``, a provider's item class, each typed as
    the JSON it is read from (a timestamp as the vendor's string, nothing normalized).

    msgspec then checks the very fields the provider declares, declared once, there: a
    field added to an item reaches this baseline too, so the two never drift apart.
    """
    fields = attrs.fields(attrs.resolve_types(cls))
    return msgspec.defstruct(
        cls.__name__,
        [
            (f.name, _wire(f.type), f.default)
            if f.default is not attrs.NOTHING
            else (f.name, _wire(f.type))
            for f in fields
        ],
    )


Item = TypeVar("Item")


class VendorTask(msgspec.Struct, Generic[Item]):
    """A DataForSEO task entry whose ``result`` holds ``Item`` s."""

    id: str
    status_code: int
    status_message: str
    result_count: int | None = None
    result: list[Item] | None = None


class Envelope(msgspec.Struct, Generic[Item]):
    """A DataForSEO answer: its status and task entries."""

    status_code: int
    status_message: str
    tasks: list[VendorTask[Item]]


class SerpstatAnswer(msgspec.Struct, Generic[Item]):
    """A Serpstat ``tasks.getList`` answer: its id and rows."""

    id: str
    result: list[Item]


def _decoder(answer: Any, item: type) -> Callable[[bytes], object]:
    """msgspec's decoder of ``answer`` (a generic Struct) holding twins of ``item``."""
    return msgspec.json.Decoder(answer[msgspec_twin(item)]).decode


MSGSPEC: dict[str, Callable[[bytes], object]] = {
    "ready": _decoder(Envelope, ReadyItem),
    "history": _decoder(Envelope, IdListItem),
    "serpstat": _decoder(SerpstatAnswer, GetListRow),
}

SEOTASKS: dict[str, Callable[[bytes], list[Task]]] = {
    "ready": seotasks_ready,
    "history": seotasks_history,
    "serpstat": seotasks_serpstat,
}

LABELS = {
    "ready": "DataForSEO serp tasks_ready",
    "history": "DataForSEO serp id_list (+metadata)",
    "serpstat": "Serpstat tasks.getList",
}


def pages() -> dict[str, bytes]:
    return {
        "ready": payloads.dataforseo_ready_page(),
        "history": payloads.dataforseo_history_page(),
        "serpstat": payloads.serpstat_page(),
    }


def run(quick: bool = False) -> dict[str, dict[str, Timing]]:
    """Per page kind: {"seotasks": t, "json.loads": t, "orjson.loads": t, "msgspec": t}."""
    results: dict[str, dict[str, Timing]] = {}
    for name, body in pages().items():
        assert len(SEOTASKS[name](body)) == payloads.PAGE
        results[name] = measure_together(
            {
                "seotasks": functools.partial(SEOTASKS[name], body),
                "json.loads": functools.partial(json.loads, body),
                "orjson.loads": functools.partial(orjson.loads, body),
                "msgspec": functools.partial(MSGSPEC[name], body),
            },
            quick=quick,
        )
    return results


def profile() -> None:
    import cProfile
    import pstats

    for name, body in pages().items():
        print(f"== {LABELS[name]}: 200 pages")
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(200):
            SEOTASKS[name](body)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    if "--profile" in sys.argv:
        profile()
    else:
        for kind, row in run(quick="--quick" in sys.argv).items():
            print(LABELS[kind], {k: f"{v.median * 1e3:.2f} ms" for k, v in row.items()})
