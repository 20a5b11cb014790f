"""What a provider's ``fetch`` returned, checked before the paging loop uses it.

The loop keys tasks by ``id`` alone (every task is its provider's). A plugin that
returns something else (a list of tasks instead of a `Batch`, another provider's task)
would otherwise fail far from its mistake: an ``AttributeError`` inside the client, or
tasks filed under the wrong provider. A `Task` checks its own ``id`` (a `str`) and
``status`` (a `TaskStatus`) when it is built. The checks here run as C loops over a page
(``map`` over ``attrgetter``), some 20 microseconds for 1000 tasks; a mistake is looked
for again only once one is seen.
"""

from __future__ import annotations

from operator import attrgetter

from .errors import ResponseFormatError
from .model import Task
from .plugin_fault import plugin_fault
from .provider import Batch

__all__ = ["fetched_tasks"]

_provider_of = attrgetter("provider")


def fetched_tasks(name: str, batch: object) -> tuple[Task, ...]:
    """The tasks of ``batch``, which provider ``name``'s ``fetch`` returned: `TypeError`
    naming the mistake for a value that is not a `Batch` of `Task`s,
    `ResponseFormatError` for a task of another provider."""
    if not isinstance(batch, Batch):
        raise plugin_fault(
            TypeError(
                f"{name}: fetch returned {_a(type(batch).__name__)}, not a seotasks.Batch "
                "(return seotasks.Batch(tasks=tasks, next=position or None))"
            ),
            name,
        )
    tasks = tuple(batch.tasks)
    try:
        providers = set(map(_provider_of, tasks))
    except AttributeError:
        stray = next(t for t in tasks if not isinstance(t, Task))
        raise plugin_fault(
            TypeError(
                f"{name}: fetch returned a batch holding {_a(type(stray).__name__)}, "
                "not a seotasks.Task"
            ),
            name,
        ) from None
    if providers - {name}:
        other = sorted(providers - {name})[0]
        raise ResponseFormatError(f"provider {name!r} returned a task of provider {other!r}")
    return tasks


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"
