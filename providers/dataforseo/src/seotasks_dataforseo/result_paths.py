"""Where a task's result is fetched: the ``task_get`` (or ``summary``) path of one task.

Apart from the catalogue (`endpoints`) because the path comes from two places of
different trust: the ``endpoint_*`` values of a vendor's answer, which end up in a
request URL and so are checked against the one shape a collect path has, and a path
built from the task's kind and id when the answer gave none.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from seotasks.errors import UnsupportedQuery

from .endpoints import ID_LIST_FAMILIES, LIVE_ONLY_FAMILIES, flavour_for, is_token

if TYPE_CHECKING:
    from seotasks.model import Task

__all__ = ["TASK_ID", "collect_path", "task_get_path", "valid_collect_path"]

#: A DataForSEO task id as it may appear in a path (the vendor's are UUID-like).
TASK_ID = re.compile(r"[A-Za-z0-9-]{1,64}\Z")
#: The ``endpoint_*`` keys of tasks_ready items, most detailed flavour first.
_COLLECT_KEYS = ("endpoint_advanced", "endpoint_regular", "endpoint", "endpoint_json")
_COLLECT = re.compile(
    r"/v3/(?:[a-z0-9_]{1,48}/){1,4}(?:task_get(?:/[a-z_]{1,16})?|summary)/(?P<id>[A-Za-z0-9-]{1,64})\Z"
)


def collect_path(task: Task) -> str:
    """The host-relative path that fetches ``task``'s result, or `UnsupportedQuery`.

    A checked ``endpoint_*`` value of the task's item first (the vendor's own word on
    the flavour), else the path built from its kind.
    """
    raw = task.raw
    for key in _COLLECT_KEYS:
        if valid_collect_path(raw.get(key), task.id):
            return str(raw[key])
    if task.kind is None:
        raise UnsupportedQuery(
            f"dataforseo: cannot build a task_get path for task {task.id} without its kind; "
            "give the kind (seotasks collect --kind, e.g. --kind serp/google/organic)"
        )
    family = task.kind.partition("/")[0]
    if family in LIVE_ONLY_FAMILIES:
        raise UnsupportedQuery(
            f"dataforseo: {family} is a live-only API: its tasks were answered live, and "
            "it has no task_get to fetch a result again"
        )
    path = task_get_path(task.kind, task.id)
    if path is None:
        raise UnsupportedQuery(
            f"dataforseo: cannot build a task_get path for task {task.id} of kind {task.kind!r}"
        )
    return path


#: The most segments a kind has: an API family and up to four more (``serp/google/organic``,
#: ``keywords_data/google_ads/search_volume`` have three).
_MAX_PARTS = 5


def task_get_path(kind: str, task_id: str) -> str | None:
    """The collect path built from a kind and an id, or ``None`` when it cannot be built."""
    if not TASK_ID.match(task_id):
        return None
    before_id = kind_path(kind)
    return None if before_id is None else before_id + task_id


def kind_path(kind: str) -> str | None:
    """The collect path of a task of ``kind`` up to its id (``/v3/serp/google/organic/
    task_get/advanced/``), or ``None`` when ``kind`` names no API whose results task_get
    fetches (a pingback's ``kind`` is refused by it, before its task is queued)."""
    parts = kind.split("/")
    if len(parts) > _MAX_PARTS or not all(is_token(p) for p in parts):
        return None
    if parts[0] not in ID_LIST_FAMILIES or parts[0] in LIVE_ONLY_FAMILIES:
        return None
    flavour = flavour_for(kind)
    if flavour == "summary":
        return f"/v3/{kind}/summary/"
    if len(parts) < 2:
        return None
    if flavour is None:
        return f"/v3/{kind}/task_get/"
    return f"/v3/{kind}/task_get/{flavour}/"


def valid_collect_path(path: object, task_id: str) -> bool:
    """Whether a vendor-given ``endpoint_*`` value is a host-relative collect path for this id.

    The value comes from a response and ends up in a request URL: anything that is not
    ``/v3/.../task_get[/flavour]/<this id>`` (another host, ``..``, a query) is refused.
    """
    if not isinstance(path, str):
        return False
    match = _COLLECT.match(path)
    return match is not None and match.group("id") == task_id
