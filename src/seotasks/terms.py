"""The fixed words and bounds the library and the CLI share, declared once: the statuses
a task is in, the times a query can bound, the most workers a collecting run takes, the
advice a capped list's warning falls back on.

Standard library only: the CLI builds its flags from them for ``--help`` before attrs is
imported (a fast ``--help``), and the library (`seotasks.model` re-exports the first two,
`seotasks.collect` the last) reads the same declaration, so what the command line offers
is always what the library takes.
"""

from __future__ import annotations

import enum

__all__ = ["CAPPED_ADVICE", "MAX_WORKERS", "STATUS_CHOICES", "TIME_FIELDS", "TaskStatus"]


class TaskStatus(enum.StrEnum):
    """Where a task is in its life. A `str` enum, so it serializes as its value."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


#: The `Task` times a `TaskQuery` can bound with ``since`` / ``until``.
TIME_FIELDS = ("created_at", "completed_at")

#: What a status choice takes (``--status``, a report's status): a `TaskStatus` value,
#: or ``any``.
STATUS_CHOICES = (*(status.value for status in TaskStatus), "any")

#: Most workers one collecting run may use: beyond this the pacer, not the threads, is
#: the bound.
MAX_WORKERS = 64

#: What a warning that the vendor capped a list ends with, where the provider has no
#: advice of its own (`Provider.advice` ``("capped")``): the CLI's and the dlt load's.
CAPPED_ADVICE = "more tasks may exist than the vendor shows"
