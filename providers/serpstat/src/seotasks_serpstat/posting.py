"""Serpstat's task-adding and result calls: ``tasks.addKeywordList`` and
``tasks.getTaskResult`` bodies and answers.

Apart from `wire` (the getList envelope and rows) because submission has its own
rules: the answer creates and charges a task, so once a ``task_id`` is in it nothing
may raise (see `added_task`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from seotasks.convert import is_ascii_digits
from seotasks.errors import ResponseFormatError
from seotasks.jsoncodec import dumps

from .wire import PROVIDER, read_result

__all__ = ["DEVICE_TYPES", "KEYWORDS_MAX", "SE_IDS", "added_task", "read_answer", "rpc_body"]

#: Keywords sent in one tasks.addKeywordList call. The vendor states no maximum; this
#: keeps a request body small and one task of a reasonable size (an assumption).
KEYWORDS_MAX: Final = 1000
#: Search engine ids (``seId``) the crawling API documents: 1 = Google.
SE_IDS: Final[Mapping[str, int]] = MappingProxyType({"google": 1})
#: Device ids (``typeId``).
DEVICE_TYPES: Final[Mapping[str, int]] = MappingProxyType({"desktop": 1, "mobile": 2})


def rpc_body(request_id: str, method: str, params: Mapping[str, Any]) -> bytes:
    """The JSON-RPC body of one call of any ``tasks.*`` method."""
    return dumps({"id": request_id, "method": method, "params": dict(params)})


def read_answer(
    body: Mapping[str, object], *, expected_id: str, scrub: Callable[[str], str] = str
) -> Mapping[str, Any]:
    """The ``result`` object of a decoded answer, or the typed error the answer stands for.

    Same checks as `read_result` (id echo, error objects), for methods whose ``result``
    is an object (``tasks.addKeywordList``, ``tasks.getTaskResult``).
    """
    if body.get("error") is not None:
        read_result(body, expected_id=expected_id, scrub=scrub)  # raises the typed error
    answer_id = body.get("id")
    if isinstance(answer_id, bool) or str(answer_id) != expected_id:
        shown = scrub(repr(answer_id))[:60]
        raise ResponseFormatError(
            f"{PROVIDER}: answer id {shown} does not match request id {expected_id!r}",
            field="id",
        )
    result = body.get("result")
    if not isinstance(result, Mapping):
        kind = "missing" if "result" not in body else f"a {type(result).__name__}"
        raise ResponseFormatError(
            f"{PROVIDER}: 'result' should be an object, got {kind}", field="result"
        )
    return result


#: Keys of a ``blocked_keywords`` object that may hold the keyword, and its reason.
_BLOCKED_KEYWORD_KEYS = ("keyword", "name", "value", "text")
_BLOCKED_REASON_KEYS = ("reason", "message", "error")


def _blocked_entry(entry: object) -> tuple[str, str | None] | None:
    """``(keyword, reason)`` of one ``blocked_keywords`` entry, or ``None`` if unreadable."""
    if isinstance(entry, str):
        return entry, None
    if isinstance(entry, Mapping):
        keyword = next(
            (entry[k] for k in _BLOCKED_KEYWORD_KEYS if isinstance(entry.get(k), str)), None
        )
        if keyword is None:
            return None
        reason = next(
            (entry[k] for k in _BLOCKED_REASON_KEYS if isinstance(entry.get(k), str)), None
        )
        return keyword, reason
    return None


def added_task(result: Mapping[str, Any]) -> tuple[str, dict[str, str | None], bool]:
    """``(task_id, blocked, readable)`` from a tasks.addTask / addKeywordList result.

    ``blocked`` maps each keyword the vendor refused to its reason, when it gave one.
    The pages show ``blocked_keywords`` as a list of strings; answers also carry objects
    (``{"keyword": ..., "reason": ...}``), so both are read. The task exists and is
    charged once ``task_id`` is here, so nothing after it may raise: an entry that is
    neither form makes ``readable`` false (the caller says so) instead of losing the id.
    """
    task_id = result.get("task_id")
    if isinstance(task_id, int) and not isinstance(task_id, bool):
        task_id = str(task_id)
    if not isinstance(task_id, str) or not is_ascii_digits(task_id.strip()):
        raise ResponseFormatError(
            f"{PROVIDER}: task_id is {task_id!r}, not a numeric string", field="result.task_id"
        )
    raw = result.get("blocked_keywords")
    entries = raw if isinstance(raw, list) else []
    readable = raw is None or isinstance(raw, list)
    blocked: dict[str, str | None] = {}
    for entry in entries:
        read = _blocked_entry(entry)
        if read is None:
            readable = False
        else:
            blocked[read[0]] = read[1]
    return task_id.strip(), blocked, readable
