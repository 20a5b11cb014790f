"""Benchmark 1: vendor JSON page -> normalized `Task` objects, per 1000 tasks.

seotasks runs the same code a listing runs (envelope checks, then the provider's item
reader) on the bytes of one seeded page. Baselines, on the very same bytes:

* ``json.loads`` alone, and ``orjson.loads`` alone: the floor (no normalization at all);
* ``msgspec`` typed decode into `msgspec.Struct` classes (types checked, dates left as
  the vendor's strings, nothing normalized);
* the official ``dataforseo-client`` package's model parse (``<Model>.from_json``, what
  its API client does with a response), run in the benchmark venv (see `official.py`).

``python benchmarks/normalize.py --profile`` prints a cProfile of the seotasks path.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import msgspec
import orjson

from seotasks.model import Task

sys.path.insert(0, str(Path(__file__).resolve().parent))

import payloads
from ours import SERP, SERP_HISTORY, seotasks_history, seotasks_ready, seotasks_serpstat
from timing import Timing, measure_together

__all__ = ["SERP", "SERP_HISTORY", "pages", "run"]


# -- msgspec typed decode -----------------------------------------------------------------


class ReadyItem(msgspec.Struct):
    id: str
    se: str | None = None
    se_type: str | None = None
    date_posted: str | None = None
    tag: str | None = None
    endpoint_regular: str | None = None
    endpoint_advanced: str | None = None
    endpoint_html: str | None = None


class HistoryItem(msgspec.Struct):
    id: str
    url: str | None = None
    datetime_posted: str | None = None
    datetime_done: str | None = None
    status: str | None = None
    cost: float | None = None
    metadata: dict[str, Any] | None = None


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


class SerpstatRow(msgspec.Struct):
    task_id: str
    se_id: str
    country_id: str
    lang_id: str
    region_id: str
    device_type_id: str
    progress: str
    keywords_count: str
    created_at: str
    parsed_at: str | None


class SerpstatAnswer(msgspec.Struct):
    id: str
    result: list[SerpstatRow]


MSGSPEC: dict[str, Callable[[bytes], object]] = {
    "ready": msgspec.json.Decoder(Envelope[ReadyItem]).decode,
    "history": msgspec.json.Decoder(Envelope[HistoryItem]).decode,
    "serpstat": msgspec.json.Decoder(SerpstatAnswer).decode,
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
                "seotasks": lambda b=body, f=SEOTASKS[name]: f(b),
                "json.loads": lambda b=body: json.loads(b),
                "orjson.loads": lambda b=body: orjson.loads(b),
                "msgspec": lambda b=body, f=MSGSPEC[name]: f(b),
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
