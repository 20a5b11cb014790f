"""Reading ``tasks.getTaskResult``: one page's keywords, or why the task has none yet.

The vendor documents the answer for a finished task (``task_meta``, a ``tops`` list of
keywords, ``next_page`` when split) and nothing for a task still crawling: no page says
whether it is an error, an empty ``tops`` or a partial result. A result is kept for good
once fetched (``collect --to`` skips a task whose file exists), so an answer without
keywords is read as "not done yet", never saved as an empty result, unless the task is
known to have none (``keywords_count`` 0): a task listed unfinished, one whose listing
counted keywords, one named by id (``collect --id``: its count unknown); and an answer
with no ``tops`` list at all, or an entry of it that is no object, is malformed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from seotasks.errors import NoResult, ProviderError, ResponseFormatError, TaskNotDone
from seotasks.model import Task, TaskStatus

from .wire import PROVIDER

__all__ = ["page_tops", "when_no_data"]

#: The reference's "no data" codes: 32017 "Data not found", 404 "Empty result".
_NO_DATA: Final = frozenset({32017, 404})
_UNFINISHED: Final = frozenset({TaskStatus.QUEUED, TaskStatus.RUNNING})


def when_no_data(error: ProviderError, task: Task) -> ProviderError | None:
    """What a "no data" error (32017, 404) says of ``task``: `TaskNotDone` for a task its
    list showed queued or running, `NoResult` for one listed (or, with ``collect --id``,
    assumed) completed; ``None`` for any other error."""
    if error.code not in _NO_DATA or type(error) is not ProviderError:
        return None
    if task.status not in _UNFINISHED:  # the vendor's word on the task: none
        return NoResult(error.code, error.message, provider=PROVIDER)
    return _not_done(task, error.code, error.message)


def page_tops(answer: object, task: Task, page: int) -> list[Any]:
    """The keywords of one page of ``task``'s answer (its ``tops``), checked."""
    if not isinstance(answer, Mapping):
        raise ResponseFormatError(
            f"{PROVIDER}: tasks.getTaskResult answered a {type(answer).__name__} for task "
            f"{task.id}, not an object",
            field="result",
        )
    tops = answer.get("tops")
    if tops is None and task.status in _UNFINISHED:
        raise _not_done(task, None, "the answer holds no 'tops'")
    if not isinstance(tops, list):
        found = "none" if tops is None else f"a {type(tops).__name__}"
        raise ResponseFormatError(
            f"{PROVIDER}: tasks.getTaskResult for task {task.id} holds no 'tops' list "
            f"(found {found}); nothing is kept of it",
            field="result.tops",
        )
    # No keyword for a task that has some (listed unfinished, counted, or named by id
    # and so of unknown count) is no result yet; only a task counted empty has none.
    if not tops and page == 1 and (task.status in _UNFINISHED or task.keywords_count != 0):
        raise _not_done(task, None, "the answer holds no keyword")
    if not all(isinstance(entry, Mapping) for entry in tops):
        raise ResponseFormatError(
            f"{PROVIDER}: tasks.getTaskResult for task {task.id} holds a 'tops' entry that is "
            "not an object; nothing is kept of it",
            field="result.tops[]",
        )
    return tops


def _not_done(task: Task, code: int | str | None, said: str) -> TaskNotDone:
    return TaskNotDone(
        code,
        f"{said} (task {task.id} was listed {task.status.value}: no result yet)",
        provider=PROVIDER,
    )
