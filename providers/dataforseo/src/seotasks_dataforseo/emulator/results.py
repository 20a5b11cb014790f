"""A completed emulated task's ``task_get`` result, shaped per endpoint and flavour.

The vendor answers each family in its own shape (a Keywords Data search volume result has
``search_volume``, ``cpc`` and ``monthly_searches``; an On-Page summary ``crawl_progress``,
``crawl_status`` and ``page_metrics``; a SERP ``items``), and the official client's models
are strict about types. So the result is built from the documented shape of the endpoint
and flavour (`vendor_shapes.result_shape`): each field gets the task's own value where the
task has one (keyword, location and language codes, completion time), a value of the
documented type on the scale its name implies otherwise (`result_values.scalar`); then
`result_content.fill` adds what the family's documented examples hold (items ranked
1..N, one result per posted keyword, a crawl within its page limit ...), shaped by what
the task was posted with (`task_echo.request_of`). Deterministic: the same task gives
the same result.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import result_content, vendor_shapes
from .dataset import EmuTask
from .result_values import Job, scalar
from .task_echo import request_of

__all__ = ["build", "pad"]

#: SERP fields of an endpoint the official client does not know (``serp/yandex/organic``).
_SERP_FALLBACK: dict[str, Any] = {
    "keyword": "str",
    "type": "str",
    "se_domain": "str",
    "location_code": "int",
    "language_code": "str",
    "check_url": "str",
    "datetime": "str",
    "items_count": "int",
    "items": {"list": None},
}
_HTML_DROP = frozenset({"check_url"})


def build(task: EmuTask, flavour: str) -> list[Any]:
    """The ``result`` array of ``task`` collected with ``flavour`` (``""``: plain)."""
    if flavour == "json":
        return [_lighthouse(task)]
    shape = vendor_shapes.result_shape(task.kind, flavour)
    if shape is None:
        shape = {
            k: v for k, v in _SERP_FALLBACK.items() if not (flavour == "html" and k in _HTML_DROP)
        }
    job = Job(task, request_of(task), flavour)
    rng = job.rng(f"scalars:{flavour}")
    result = {name: _value(job, name, spec, rng) for name, spec in shape.items()}
    return result_content.fill(job, result)


def _value(job: Job, name: str, spec: Any, rng: Any) -> Any:
    known = _known(job, name)
    if known is not _UNKNOWN and _fits(known, spec):
        return known
    if isinstance(spec, dict):
        if "object" in spec:
            fields = spec["object"]
            return {n: _value(job, n, s, rng) for n, s in fields.items()}
        inner = spec["list"]
        if inner is None or name in ("items", "item_types", "refinement_chips"):
            return []
        return [_value(job, name, inner, rng)]
    return scalar(job, name, spec, rng)


class _Unknown:
    pass


_UNKNOWN = _Unknown()


def _device(job: Job) -> Any:
    posted = job.request.get("device")
    return posted if isinstance(posted, list) else job.device


#: The task's own value of a field, where it has one: one entry per field name.
_KNOWN: dict[str, Callable[[Job], Any]] = {
    "keyword": lambda job: job.task.keyword,
    "title": lambda job: job.task.keyword,
    "keywords": lambda job: job.keywords,
    "location_code": lambda job: job.task.location,
    "language_code": lambda job: job.task.language,
    "datetime": lambda job: job.task.done_s,
    "crawl_end": lambda job: job.task.done_s,
    "type": lambda job: job.task.se_type,
    "se_domain": lambda job: job.se_domain,
    "check_url": lambda job: job.check_url(),
    "items_count": lambda job: 0,
    "year": lambda job: job.task.done.year,
    "month": lambda job: job.task.done.month,
    "crawl_progress": lambda job: "finished",
    "device": _device,
    "model_name": lambda job: job.request.get("model_name", _UNKNOWN),
    "target": lambda job: job.request.get("target", _UNKNOWN),
}


def _known(job: Job, name: str) -> Any:
    """The task's own value of a field, `_UNKNOWN` where it has none."""
    known = _KNOWN.get(name)
    return _UNKNOWN if known is None else known(job)


#: The shapes' scalar types a task's own value may stand for; an object (``"object"``,
#: ``"dict"``, ``{"object": ...}``) is always built from its fields, ``"any"`` drawn.
_SCALARS = frozenset({"str", "int", "float", "bool"})


def _fits(value: Any, spec: Any) -> bool:
    """Whether a task's own value can fill a field of shape ``spec``: null, a list for a
    list, or a scalar of the JSON type the request checks hold posted values to."""
    if value is None:
        return True
    if isinstance(spec, dict):
        return "list" in spec and isinstance(value, list)
    return spec in _SCALARS and vendor_shapes.matches(value, spec)


def _lighthouse(task: EmuTask) -> dict[str, Any]:
    """A Lighthouse report's top level (the official model leaves it free-form)."""
    request = request_of(task)
    url = request.get("url")
    page = url if isinstance(url, str) else f"https://{task.keyword.replace(' ', '-')}.example.com/"
    return {
        "lighthouseVersion": "12.0.0",
        "requestedUrl": page,
        "finalUrl": page,
        "fetchTime": task.done_s,
        "categories": {"performance": {"score": 0.9}},
    }


def pad(result: list[Any], size: int) -> None:
    """Append organic items to the first result's ``items`` until it holds about ``size``
    bytes of JSON: one shared item, so the emulator pays a list of references, not the
    objects, for an answer of hundreds of MB."""
    if not result or not isinstance(result[0], dict):
        return
    item = {
        "type": "organic",
        "rank_group": 1,
        "rank_absolute": 1,
        "domain": "www.example.com",
        "title": "An example result title of a plausible length for a SERP item",
        "url": "https://www.example.com/a/path/to/a/page",
        "description": "A description of the page, as long as a search snippet usually is.",
    }
    each = len(json.dumps(item, separators=(",", ":"))) + 1
    items = [item] * max(1, size // each)
    result[0]["items"] = items
    result[0]["items_count"] = len(items)
