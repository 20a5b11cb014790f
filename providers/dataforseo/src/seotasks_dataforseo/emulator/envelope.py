"""The vendor's envelope: every DataForSEO answer is one JSON object around a list of
task entries, each with its own status, cost and result (see docs/vendor-truth.md).

Kept apart from the routing (`app`) so that the shape every handler answers in is
written once."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from seotasks.emulation import HttpResponse, json_response

__all__ = ["VERSION", "PostRefused", "envelope", "new_task_id", "post_array", "task_entry"]

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
        "cost": round(sum(float(t.get("cost") or 0) for t in tasks), 4),
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


def post_array(body: bytes) -> list[Any]:
    """The POST body as the JSON array every DataForSEO POST takes, or `PostRefused`: no
    body at all 40502, not JSON or not an array 40503. What an empty array means differs
    per endpoint, so that is left to the caller."""
    if not body.strip():
        raise PostRefused(40502, "POST Data Is Empty.")
    try:
        payload = json.loads(body)
    except ValueError:
        raise PostRefused(40503, "POST Data Is Invalid.") from None
    if not isinstance(payload, list):
        raise PostRefused(40503, "POST Data Is Invalid.")
    return payload


def new_task_id(n: int) -> str:
    """The ``n``-th id the emulator gives, in the vendor's form (``MMDDHHMM-1535-...``)."""
    stamp = time.strftime("%m%d%H%M", time.gmtime())
    return f"{stamp}-1535-0{n % 1000:03d}-0000-{n:012x}"
