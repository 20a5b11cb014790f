"""The vendor's envelope: every DataForSEO answer is one JSON object around a list of
task entries, each with its own status, cost and result (see docs/vendor-truth.md).

Kept apart from the routing (`app`) so that the shape every handler answers in is
written once."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from seotasks.emulation import HttpResponse, json_response

__all__ = [
    "VERSION",
    "PostRefused",
    "envelope",
    "new_task_id",
    "post_array",
    "task_entry",
    "vendor_id",
]

VERSION = "0.1.20250114"


def _took(started: float) -> str:
    """The vendor's ``time`` field: the seconds since ``started`` (`time.perf_counter`)."""
    return f"{time.perf_counter() - started:.4f} sec."


def envelope(
    started: float,
    *,
    code: int = 20000,
    message: str = "Ok.",
    tasks: list[dict[str, Any]] | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """The whole answer: the call's status, its cost (the tasks'), and the task entries."""
    tasks = tasks or []
    body = {
        "version": VERSION,
        "status_code": code,
        "status_message": message,
        "time": _took(started),
        "cost": round(sum(float(t.get("cost") or 0) for t in tasks), 8),
        "tasks_count": len(tasks),
        "tasks_error": sum(1 for t in tasks if t["status_code"] >= 40000),
        "tasks": tasks,
    }
    data = json.dumps(body, separators=(",", ":")).encode()
    return json_response(status, data, **dict(headers or {}))


def task_entry(
    task_id: str,
    started: float,
    path: str,
    data: Mapping[str, Any],
    result: list[Any] | None,
    *,
    code: int = 20000,
    message: str = "Ok.",
    cost: float = 0,
) -> dict[str, Any]:
    """One task entry of the envelope: ``data`` is what the call echoes, ``path`` the
    call's path (as a list of its parts)."""
    return {
        "id": task_id,
        "status_code": code,
        "status_message": message,
        "time": _took(started),
        "cost": cost,
        "result_count": len(result) if result else 0,
        "path": path.strip("/").split("/"),
        "data": dict(data),
        "result": result,
    }


class PostRefused(Exception):
    """A POST body the vendor refuses whole: its ``code`` and ``message``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def post_array(body: bytes, *, one: bool = False) -> list[Any]:
    """The POST body as the JSON array every DataForSEO POST takes, or `PostRefused`: no
    body at all 40502, not JSON or not an array 40503; ``one`` (an endpoint taking "an
    array with one object"), a second object 40000, not dropped. What an empty array means
    differs per endpoint, so that is left to the caller.

    An object whose keys are all numbers is that array too, its values in the order
    sent: the vendor's Python samples build the body as a dict (``post_data[len(post_data)]
    = dict(...)``), which ``json.dumps`` sends as ``{"0": {...}, "1": {...}}``."""
    if not body.strip():
        raise PostRefused(40502, "POST Data Is Empty.")
    try:
        payload = json.loads(body)
    except ValueError:
        raise PostRefused(40503, "POST Data Is Invalid.") from None
    numbered = isinstance(payload, dict) and all(k.isascii() and k.isdigit() for k in payload)
    if numbered and payload:
        payload = list(payload.values())
    if not isinstance(payload, list):
        raise PostRefused(40503, "POST Data Is Invalid.")
    if one and len(payload) > 1:
        raise PostRefused(40000, "You can set only one task at a time.")
    return payload


def new_task_id(n: int, now: datetime) -> str:
    """The ``n``-th id of an entry that answers for no task of the data set (a listing's
    own entry, a refused post), in the vendor's form, stamped with the data's ``now``."""
    return f"{now.astimezone(UTC):%m%d%H%M}-1535-0{n % 1000:03d}-0000-{n:012x}"


def vendor_id(rng: random.Random, posted: datetime | None) -> str:
    """A task id in the vendor's shape, ``MMDDHHMM-1535-0066-0000-<12 hex>``: the posting
    time (UTC) to the minute, the parts every id the vendor's examples show has, then 48
    random bits. 128 bits are drawn, as for the UUIDs it replaced, so that a seed's data
    set is otherwise what it was.

    ``posted`` None (a seeded account's task) takes the time part from the random bits
    too: a seeded task's posting time is drawn back from the sandbox's ``now``, which
    moves from one start to the next, and an id that followed it would change whenever
    it crossed a minute: the same seed must give the same ids on every start."""
    bits = rng.getrandbits(128)
    if posted is None:
        stamp = (
            f"{1 + (bits >> 64) % 12:02d}{1 + (bits >> 72) % 28:02d}"
            f"{(bits >> 80) % 24:02d}{(bits >> 88) % 60:02d}"
        )
    else:
        stamp = f"{posted.astimezone(UTC):%m%d%H%M}"
    return f"{stamp}-1535-0066-0000-{bits & 0xFFFF_FFFF_FFFF:012x}"
