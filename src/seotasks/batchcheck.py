"""`fetched_tasks`: what a provider's ``fetch`` returned, checked before the paging loop
uses it.

The loop keys tasks by ``id`` alone (every task is its provider's) and compares ids with
the ones a caller or a journal holds, all strings. A plugin that returns something else (a
list of tasks instead of a `Batch`, a vendor's numeric id as an int) would otherwise
fail far from its mistake: an ``AttributeError`` inside the client, or listings that hold
every task yet match none of the ids expected. The checks run as C loops (``map`` over
``attrgetter`` and ``type``), a few microseconds a page.
"""

from __future__ import annotations

from operator import attrgetter

from .errors import ResponseFormatError
from .model import Task
from .provider import Batch

__all__ = ["fetched_tasks"]

_provider_of = attrgetter("provider")
_id_of = attrgetter("id")


def fetched_tasks(name: str, batch: object) -> tuple[Task, ...]:
    """The tasks of ``batch``, which provider ``name``'s ``fetch`` returned: `TypeError`
    naming the mistake for a value that is not a `Batch` of `Task`s with string ids,
    `ResponseFormatError` for a task of another provider."""
    if not isinstance(batch, Batch):
        raise TypeError(
            f"{name}: fetch returned a {type(batch).__name__}, not a seotasks.Batch "
            "(return seotasks.Batch(tasks=tasks, next=position or None))"
        )
    tasks = tuple(batch.tasks)
    strays = [t for t in tasks if not isinstance(t, Task)] if set(map(type, tasks)) - {Task} else []
    if strays:
        raise TypeError(
            f"{name}: fetch returned a batch holding a {type(strays[0]).__name__}, "
            "not a seotasks.Task"
        )
    providers = set(map(_provider_of, tasks))
    if providers - {name}:
        other = sorted(providers - {name})[0]
        raise ResponseFormatError(f"provider {name!r} returned a task of provider {other!r}")
    if set(map(type, map(_id_of, tasks))) - {str}:
        odd = next(t.id for t in tasks if type(t.id) is not str)
        article = "an" if type(odd).__name__[0] in "aeiou" else "a"
        raise TypeError(
            f"{name}: fetch returned a task whose id is {article} {type(odd).__name__} "
            f"({odd!r}): Task.id is the vendor's id as a string, str() it"
        )
    return tasks
