"""Calling the official client's API classes and judging what comes back.

Shared by the per-method suite (`test_official_client`) and the round trips
(`roundtrip`): one way to call an official method (its ``*_with_http_info`` variant, so
the JSON as sent is kept beside the parsed model), and one reading of "the official model
parses our answer" - every element of every list, not a sample.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import dataforseo_client.api
from dataforseo_client.api_client import ApiClient
from pydantic import BaseModel

__all__ = [
    "READ_FIELDS",
    "Answer",
    "absent",
    "api_class",
    "check_answer",
    "invoke",
    "undeclared",
    "unfilled",
    "unposted_codes",
]

#: Result fields a caller reads: where the official result model declares one, our answer
#: must fill it (not leave it null).
READ_FIELDS = (
    "id",
    "date_posted",
    "url",
    "datetime_posted",
    "status",
    "keyword",
    "location_code",
    "language_code",
    "datetime",
    "se_domain",
    "search_volume",
    "cpc",
    "monthly_searches",
    "crawl_progress",
    "crawl_status",
    "page_metrics",
    "model_name",
    "items_count",
)


@dataclass
class Answer:
    """One official call: the parsed model, the JSON as sent, or what the client raised."""

    model: Any = None
    raw: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def task(self, index: int = 0) -> dict[str, Any]:
        """The ``index``-th task of the JSON answer (empty when there is none)."""
        tasks = self.raw.get("tasks") or []
        return tasks[index] if index < len(tasks) else {}


@cache
def api_class(name: str) -> type[Any]:
    """The official ``*Api`` class called ``name``."""
    for info in pkgutil.iter_modules(dataforseo_client.api.__path__):
        module = importlib.import_module(f"dataforseo_client.api.{info.name}")
        found = getattr(module, name, None)
        if isinstance(found, type):
            return found
    raise LookupError(name)


def invoke(api_client: ApiClient, api: str, method: str, *args: Any) -> Answer:
    """Call ``api.method`` through the official client; a validation or HTTP error is
    returned as text (the caller reports what the official client raised)."""
    instance = api_class(api)(api_client)
    try:
        response = getattr(instance, f"{method}_with_http_info")(*args)
    except Exception as exc:
        return Answer(error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    return Answer(model=response.data, raw=json.loads(response.raw_data))


def undeclared(obj: Any, where: str = "") -> list[str]:
    """Paths of keys in our answer that the official model does not declare, over every
    element of every list."""
    found: list[str] = []
    if isinstance(obj, BaseModel):
        extra = getattr(obj, "additional_properties", None) or {}
        found.extend(f"{where}.{key}" for key in sorted(extra))
        for name in type(obj).model_fields:
            if name != "additional_properties":
                found.extend(undeclared(obj.__dict__.get(name), f"{where}.{name}"))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            found.extend(undeclared(item, f"{where}[{i}]"))
    elif isinstance(obj, dict):
        for key, value in obj.items():
            found.extend(undeclared(value, f"{where}.{key}"))
    return found


def unfilled(
    item: BaseModel | dict[str, Any], may_be_null: frozenset[str] = frozenset()
) -> list[str]:
    """Fields of `READ_FIELDS` the result model declares and our answer left null (but for
    ``may_be_null``: fields the request gave no value to echo)."""
    if isinstance(item, dict):  # a free-form result (Lighthouse JSON): must not be empty
        return [] if item else ["the whole (free-form) result"]
    declared = type(item).model_fields
    return [
        f
        for f in READ_FIELDS
        if f in declared and f not in may_be_null and getattr(item, f) is None
    ]


def unposted_codes(posted: dict[str, Any]) -> frozenset[str]:
    """The result codes a posted task gave no value for: "location code in a POST array"
    is null when the task named its place by coordinate only (or not at all), and
    likewise the language code."""
    return frozenset(
        f"{what}_code"
        for what in ("location", "language")
        if posted.get(f"{what}_code") is None and posted.get(f"{what}_name") is None
    )


def absent(item: BaseModel | dict[str, Any], sent: Any) -> list[str]:
    """Fields the official result model declares that ``sent`` (the same item as JSON)
    does not carry at all (null is a value; a missing key is a shape the vendor never
    sends)."""
    if isinstance(item, dict):
        return []
    if not isinstance(sent, dict):
        return ["(no raw result item)"]
    return [f for f in type(item).model_fields if f != "additional_properties" and f not in sent]


def check_answer(
    answer: Answer,
    *,
    task_code: int,
    want_result: bool,
    may_be_null: frozenset[str] = frozenset(),
) -> list[str]:
    """Everything wrong with a deserialized answer (empty: it is what the model declares).

    ``want_result``: every task carries a non-empty result, and every result item fills
    the read fields and carries every declared key.
    """
    model = answer.model
    if answer.error is not None:
        return [answer.error]
    if model is None:
        return ["no answer"]
    problems: list[str] = []
    if model.status_code != 20000:
        problems.append(f"top status {model.status_code} {model.status_message}")
    problems.extend(f"undeclared {p}" for p in undeclared(model))
    if not model.tasks:
        return [*problems, "no tasks"]
    for index, task in enumerate(model.tasks):
        if task.status_code != task_code:
            problems.append(f"task status {task.status_code} {task.status_message}")
        if task.path is None or task.id is None:
            problems.append("task id/path missing")
        if not want_result:
            continue
        if not task.result:
            problems.append(f"task {index}: empty result")
            continue
        sent = answer.task(index).get("result") or []
        for n, item in enumerate(task.result):
            missing = unfilled(item, may_be_null)
            if missing:
                problems.append(f"result[{n}]: null {', '.join(missing)}")
            gone = absent(item, sent[n] if n < len(sent) else None)
            if gone:
                problems.append(f"result[{n}]: absent {', '.join(gone)}")
    return problems
