"""What DataForSEO's callbacks say, for ``seotasks receive`` (`Provider.read_callback`).

A **postback** POSTs the ``task_get`` answer of the finished task(s): the usual envelope
(``status_code``, ``tasks``), gzip-compressed. Each task of it becomes one entry whose
result is that envelope narrowed to the task, so the file written is what ``collect``
would have written for it. A task the vendor failed (any code but 20000 and 40102 "No
Search Results.", which is a result with zero rows) has no result: an entry with the
vendor's error. A **pingback** GETs the caller's URL with ``$id`` and ``$tag`` filled in
(and, by this project's convention, a ``kind`` the caller added so the task can be
fetched: DataForSEO builds the ``task_get`` path from it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from seotasks.errors import NoResult, ProviderError
from seotasks.provider import CallbackEntry

from .result_paths import kind_path
from .wire import NO_RESULT, PROVIDER, SUCCESS_CODES

__all__ = ["ROUTES", "read_callback"]

#: The vendor's two callbacks and the method each arrives with.
ROUTES: Mapping[str, str] = {"postback": "POST", "pingback": "GET"}
_TAG_MAX = 255
_MESSAGE_MAX = 200


def read_callback(
    route: str, body: object, query: Mapping[str, Sequence[str]]
) -> list[CallbackEntry]:
    if route == "postback":
        return _postback(body)
    if route == "pingback":
        return [_pingback(query)]
    raise ValueError(f"DataForSEO makes no {route!r} callback")


def _postback(envelope: object) -> list[CallbackEntry]:
    tasks = envelope.get("tasks") if isinstance(envelope, dict) else None
    if not isinstance(tasks, list):
        raise ValueError("no tasks array in the envelope")
    if not tasks:
        raise ValueError("the envelope's tasks array is empty")
    for index, task in enumerate(tasks):
        if not isinstance(task, dict) or not isinstance(task.get("id"), str):
            raise ValueError(f"tasks[{index}] has no id")
        code = task.get("status_code")
        if type(code) is not int:  # a vendor error is a number too: "20000", null are not
            raise ValueError(f"tasks[{index}].status_code is not a number")
    assert isinstance(envelope, dict)
    head = {k: v for k, v in envelope.items() if k != "tasks"}
    entries = []
    for task in tasks:
        tag = _tag(task)
        code = task.get("status_code")
        if code not in SUCCESS_CODES:
            message = str(task.get("status_message") or "")[:_MESSAGE_MAX]
            # Said as `collect` says the same answer to a task_get: a task-level "no
            # result" is a NoResult, any other code a ProviderError.
            refused = (NoResult if code in NO_RESULT else ProviderError)(
                code, message, provider=PROVIDER
            )
            error = f"{type(refused).__name__}: {refused}"
            entries.append(CallbackEntry(task_id=task["id"], error=error, tag=tag))
            continue
        result: dict[str, Any] = envelope
        if len(tasks) > 1:
            result = {
                **head,
                "cost": task.get("cost", head.get("cost")),
                "tasks_count": 1,
                "tasks_error": 0,
                "tasks": [task],
            }
        entries.append(CallbackEntry(task_id=task["id"], result=result, tag=tag))
    return entries


def _pingback(query: Mapping[str, Sequence[str]]) -> CallbackEntry:
    ids = query.get("id", [])
    if len(ids) != 1 or not ids[0]:
        raise ValueError("a pingback needs one id")
    tags = query.get("tag", [])
    kinds = query.get("kind", [])
    if len(kinds) != 1 or not kinds[0]:
        # task_get's path is built from the kind: without it the task cannot be fetched,
        # and a 400 now leaves it in tasks_ready for `collect`, not queued to fail.
        raise ValueError(
            "a pingback needs one kind (add &kind=serp/google/organic or the like to the "
            "pingback_url): task_get's path is built from it"
        )
    if kind_path(kinds[0]) is None:  # refused now, the task stays in tasks_ready
        raise ValueError(
            f"a pingback's kind names an API path, such as serp/google/organic, whose "
            f"results task_get fetches: {kinds[0][:60]!r} is none"
        )
    return CallbackEntry(
        task_id=ids[0],
        tag=(tags[0][:_TAG_MAX] if tags else "") or None,  # an untagged task's $tag is empty
        kind=kinds[0],
    )


def _tag(task: Mapping[str, Any]) -> str | None:
    data = task.get("data")
    tag = data.get("tag") if isinstance(data, dict) else None
    return tag if isinstance(tag, str) else None
