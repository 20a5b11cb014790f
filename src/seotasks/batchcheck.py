"""What a provider's ``fetch`` returned, checked before the paging loop uses it.

The loop keys tasks by ``id`` alone (every task is its provider's), compares ids with the
ones a caller or a journal holds, all strings, and filters by `TaskStatus`. A plugin
that returns something else (a list of tasks instead of a `Batch`, a vendor's numeric id
as an int, its status word instead of a `TaskStatus`) would otherwise fail far from its
mistake: an ``AttributeError`` inside the client, or listings that hold every task yet
match none of the ids or statuses expected. The checks run as C loops over a page
(``map`` over ``attrgetter`` and ``type``), some 40 microseconds for 1000 tasks; a
mistake is looked for again only once one is seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

from .errors import ResponseFormatError
from .model import Task, TaskStatus
from .provider import Batch

__all__ = ["fetched_tasks", "text_ids"]

_provider_of = attrgetter("provider")
_status_of = attrgetter("status")


def fetched_tasks(name: str, batch: object) -> tuple[Task, ...]:
    """The tasks of ``batch``, which provider ``name``'s ``fetch`` returned: `TypeError`
    naming the mistake for a value that is not a `Batch` of `Task`s with `TaskStatus`
    statuses, `ResponseFormatError` for a task of another provider."""
    if not isinstance(batch, Batch):
        raise TypeError(
            f"{name}: fetch returned {_a(type(batch).__name__)}, not a seotasks.Batch "
            "(return seotasks.Batch(tasks=tasks, next=position or None))"
        )
    tasks = tuple(batch.tasks)
    try:
        providers = set(map(_provider_of, tasks))
    except AttributeError:
        stray = next(t for t in tasks if not isinstance(t, Task))
        raise TypeError(
            f"{name}: fetch returned a batch holding {_a(type(stray).__name__)}, "
            "not a seotasks.Task"
        ) from None
    if providers - {name}:
        other = sorted(providers - {name})[0]
        raise ResponseFormatError(f"provider {name!r} returned a task of provider {other!r}")
    # By type: TaskStatus is a str enum, so the word "completed" equals one, yet a status
    # filter (``is``) would never match it.
    if set(map(type, map(_status_of, tasks))) - {TaskStatus}:
        odd = next(t.status for t in tasks if type(t.status) is not TaskStatus)
        raise TypeError(
            f"{name}: fetch returned a task whose status is {_a(type(odd).__name__)} "
            f"({odd!r}): map the vendor's status to a seotasks.TaskStatus"
        )
    return tasks


def text_ids(name: str, ids: Sequence[object]) -> None:
    """`TypeError` unless every id of a page ``name`` listed is a `str`."""
    if set(map(type, ids)) - {str}:
        odd = next(i for i in ids if type(i) is not str)
        raise TypeError(
            f"{name}: fetch returned a task whose id is {_a(type(odd).__name__)} "
            f"({odd!r}): Task.id is the vendor's id as a string, str() it"
        )


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"
