"""A task the emulator creates from a posted item (``task_post``, or a Labs ``live`` call).

One place for what every posted task takes from its item (keyword, language, location,
tag, the item itself, echoed later), so that both kinds of post agree on it."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .checks import keyword_of, language_of, location_of
from .dataset import Dataset, EmuTask
from .envelope import vendor_id

__all__ = ["posted_task", "queue_share"]

#: Each queue's turnaround as shares of the emulator's ``post_delay`` (5 minutes by
#: default), from the vendor's help center ("The cost of all additional SERP API
#: parameters explained"): the Standard queue's normal priority "up to 5 minutes", its
#: high priority "up to 1 minute on average". Drawn per task, so that code waiting a
#: fixed time for a task meets the spread it meets in production.
_SHARES = {1: (0.2, 1.0), 2: (0.1, 0.3)}


def queue_share(item: Mapping[str, Any], rng: random.Random) -> float:
    """The share of ``post_delay`` the task ``item`` posts waits before it is done."""
    low, high = _SHARES[2 if item.get("priority") == 2 else 1]
    return rng.uniform(low, high)


def posted_task(
    dataset: Dataset, kind: str, item: Mapping[str, Any], posted: datetime, done: datetime
) -> EmuTask:
    """A new task of ``kind`` as ``item`` posted it (not inserted in ``dataset`` yet):
    its id and defaults drawn from the data set's generator, so a seed replays it."""
    rng = dataset._rng
    task = EmuTask(vendor_id(rng, posted), kind, posted, done, 20000, rng)
    task.request = dict(item)
    task.keyword = keyword_of(item)
    task.language = language_of(item)
    task.location = location_of(item)
    task.tag = item.get("tag")
    return task
