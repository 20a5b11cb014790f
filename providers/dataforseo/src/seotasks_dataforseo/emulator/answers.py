"""The emulator's answers: tasks as the vendor's list items (tasks_ready, id_list with
metadata), their collect links, and the ``WRONG_TYPES`` fault's broken copy.

Kept apart from the routing so the item shapes the emulator sends sit next to each
other; the field sets per shape come from `endpoints.SHAPES` and `vendor_shapes`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from seotasks.emulation import (
    HttpResponse,
)
from seotasks.model import TaskStatus

from .checks import offered_flavours
from .dataset import (
    MESSAGES,
    EmuTask,
)
from .task_echo import echo, target_of

#: The SERP endpoints with a ``tasks_fixed`` list (the official client's ``*_tasks_fixed``
#: methods): re-parsed tasks not yet collected again. The emulator re-parses nothing, so
#: each answers an empty list.
FIXED_KINDS = frozenset(
    f"serp/{name}"
    for name in (
        *(f"{se}/organic" for se in ("baidu", "bing", "naver", "seznam", "yahoo", "google")),
        *(f"google/{t}" for t in ("ai_mode", "autocomplete", "dataset_info", "dataset_search")),
        *(f"google/{t}" for t in ("images", "jobs", "local_finder", "maps", "news")),
        "google/search_by_image",
        *(f"youtube/{t}" for t in ("organic", "video_comments", "video_info", "video_subtitles")),
    )
)


def fixed_data(parts: list[str]) -> dict[str, Any]:
    """The ``data`` a ``tasks_fixed`` call echoes (``parts``: its path's segments), as
    ``tasks_ready`` does: the API, the function, the engine and the type."""
    return {"api": "serp", "function": "tasks_fixed", "se": parts[2], "se_type": parts[3]}


def _endpoints(task: EmuTask) -> dict[str, str | None]:
    """The collect links of a tasks_ready item: null for a flavour the endpoint lacks
    (the vendor: "if SERP Regular is not supported ... the value will be null"); a plain
    ``endpoint`` names the endpoint's one flavour (Hotel Info: ``task_get/advanced``)."""
    base = f"/v3/{task.kind}/task_get"
    offered = offered_flavours(task.kind)
    links: dict[str, str | None] = {
        f"endpoint_{f}": f"{base}/{f}/{task.id}" if f in offered else None
        for f in ("regular", "advanced", "html", "json")
    }
    if "" in offered:
        links["endpoint"] = f"{base}/{task.id}"
    else:
        first = next((f for f in ("advanced", "json", "regular", "html") if f in offered), None)
        links["endpoint"] = None if first is None else f"{base}/{first}/{task.id}"
    return links


def ready_item(task: EmuTask, fields: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": task.id,
        "se": task.se,
        "se_type": task.se_type,
        "date_posted": task.posted_s,
        "tag": task.tag,
        "function": task.se_type,
        "target": target_of(task),
    }
    item: dict[str, Any] = {}
    links: dict[str, str | None] | None = None
    for name in fields:
        if name.startswith("endpoint"):
            if links is None:
                links = _endpoints(task)
            item[name] = links[name]
        else:
            item[name] = values[name]
    return item


def metadata_of(task: EmuTask) -> dict[str, Any]:
    """An id_list item's ``metadata``: the call that created the task and every field it
    was posted with, as posted (`task_echo.echo`)."""
    return echo(task, "live" if task.family in _LIVE_FAMILIES else "task_post")


_LIVE_FAMILIES = frozenset({"dataforseo_labs", "backlinks", "domain_analytics", "content_analysis"})


def history_item(task: EmuTask, now: datetime, metadata: bool) -> dict[str, Any]:
    code = task.code_at(now)
    done = task.done_s if task.done <= now else None
    function = "live" if task.family in _LIVE_FAMILIES else "task_post"
    return {
        "id": task.id,
        "url": f"https://api.dataforseo.com/v3/{task.kind}/{function}",
        "datetime_posted": task.posted_s,
        "datetime_done": done,
        "status": MESSAGES.get(code, "Error."),
        "cost": task.cost,  # charged when posted (task_post's answer says so), done or not
        "metadata": metadata_of(task) if metadata else None,
    }


def wrong_types(response: HttpResponse) -> HttpResponse:
    """The answer with one value of the wrong type (a number where a string belongs)."""
    try:
        body = json.loads(response.body)
        result = body["tasks"][0]["result"]
    except (ValueError, KeyError, IndexError, TypeError):
        return response
    if result:
        first = result[0]
        key = "datetime_posted" if "datetime_posted" in first else "date_posted"
        if key not in first:
            key = "id"
        first[key] = 12345
    else:
        body["status_code"] = "20000"
    return HttpResponse(
        status=response.status,
        body=json.dumps(body, separators=(",", ":")).encode(),
        headers=response.headers,
    )


def mismatched_id(response: HttpResponse) -> HttpResponse:
    """The answer naming another task than the one asked for (its id reversed): what a
    vendor-side mix-up would look like to a client."""
    try:
        body = json.loads(response.body)
        task = body["tasks"][0]
        task["id"] = str(task["id"])[::-1]
    except (ValueError, KeyError, IndexError, TypeError):
        return response
    return HttpResponse(
        status=response.status,
        body=json.dumps(body, separators=(",", ":")).encode(),
        headers=response.headers,
    )


def status_of(task: EmuTask, now: datetime) -> TaskStatus:
    code = task.code_at(now)
    if code in (20000, 40102):
        return TaskStatus.COMPLETED
    if code in (40601, 40602):  # handed (not yet enqueued) or in the queue: not started
        return TaskStatus.QUEUED
    return TaskStatus.FAILED
