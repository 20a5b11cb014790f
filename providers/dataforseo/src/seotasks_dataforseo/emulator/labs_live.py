"""DataForSEO Labs live endpoints the emulator answers: ranked keywords, related keywords.

Labs has no task_post / task_get: a caller POSTs one task to ``.../live`` and the answer
carries the result, and the task then appears in ``/v3/dataforseo_labs/id_list`` (with
its posted fields as ``metadata``). Those are the Labs endpoints people use most, so the
emulator answers them with content (`content_labs.labs_ranked_keywords` /
`labs_related_keywords`) instead of leaving Labs to seeded id_list entries only.

The request fields are the official client's request models
(``DataforseoLabsGoogle{RankedKeywords,RelatedKeywords}LiveRequestInfo``, client 2.1.10);
ranges are the vendor's pages: ``limit`` 1-1000, ``depth`` 0-4, one task per call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import content_labs
from .dataset import EmuTask
from .result_values import Job
from .task_echo import request_of

__all__ = ["COST", "KINDS", "check", "result"]

#: What one live call is charged, in USD (the emulator's figure for every Labs kind).
COST = 0.0101

_COMMON: dict[str, str] = {
    "location_name": "str",
    "location_code": "int",
    "language_name": "str",
    "language_code": "str",
    "ignore_synonyms": "bool",
    "include_clickstream_data": "bool",
    "limit": "int",
    "offset": "int",
    "filters": "list",
    "order_by": "list",
    "tag": "str",
}
#: Per live kind: its subject field (required) and the fields it takes besides the common ones.
KINDS: dict[str, tuple[str, dict[str, str]]] = {
    "dataforseo_labs/google/ranked_keywords": (
        "target",
        {
            "target": "str",
            "item_types": "list",
            "load_rank_absolute": "bool",
            "historical_serp_mode": "str",
        },
    ),
    "dataforseo_labs/google/related_keywords": (
        "keyword",
        {
            "keyword": "str",
            "depth": "int",
            "include_seed_keyword": "bool",
            "include_serp_info": "bool",
            "replace_with_core_keyword": "bool",
        },
    ),
}
_TYPES = {"str": str, "int": int, "bool": bool, "list": list}


def check(kind: str, item: object) -> tuple[int, str] | None:
    """The vendor's validation of one live task (None: accepted); location and language
    names and codes are the caller's to check with the emulator's place rules."""
    if not isinstance(item, dict):
        return 40503, "POST Data Is Invalid."
    subject, own = KINDS[kind]
    fields = {**_COMMON, **own}
    unknown = sorted(set(item) - set(fields))
    if unknown:
        return 40506, f"Unknown Fields in POST Data: {', '.join(unknown)}."
    for name, value in item.items():
        if type(value) is not _TYPES[fields[name]]:
            return 40501, f"Invalid Field: '{name}'."
    value = item.get(subject)
    if not isinstance(value, str) or not value.strip() or len(value) > 700:
        return 40501, f"Invalid Field: '{subject}'."
    ranges = {"limit": (1, 1000), "offset": (0, 100_000_000), "depth": (0, 4)}
    for name, (low, high) in ranges.items():
        if name in item and not low <= item[name] <= high:
            return 40501, f"Invalid Field: '{name}'."
    tag = item.get("tag")
    if tag is not None and len(tag) > 255:
        return 40501, "Invalid Field: 'tag'."
    return None


def result(task: EmuTask, posted: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The ``result`` array of a live Labs task."""
    request = dict(posted) if posted is not None else request_of(task)
    job = Job(task, request, "")
    if task.kind.endswith("ranked_keywords"):
        return content_labs.labs_ranked_keywords(job)
    return content_labs.labs_related_keywords(job)
