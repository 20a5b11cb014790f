"""The fixed words of the task model: the statuses a task is in, and the times a query
can bound, declared once.

Standard library only: the CLI builds its flags from them for ``--help`` before attrs is
imported (a fast ``--help``), and the model (`seotasks.model`, which re-exports both)
reads the same declaration, so a choice offered on the command line is always one the
model takes.
"""

from __future__ import annotations

import enum

__all__ = ["STATUS_CHOICES", "TIME_FIELDS", "TaskStatus"]


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
