"""Keywords of the seeded tasks: searches people make, not ``keyword 0``.

A seeded task was "posted" before the emulator started, so nothing says which keywords it
crawled; its results still show them (``tops[].keyword``, each SERP's title and snippets),
and a person reading a sandbox result judges the emulator by them. They are drawn from the
task id, so a task answers the same words every time; within a task they are distinct,
as the vendor drops a repeated keyword. A task posted through ``tasks.addTask`` answers
its own words instead. Standard library only, as the rest of the emulator.
"""

from __future__ import annotations

import random
from typing import Final

__all__ = ["MOST", "seeded_keywords"]

_TOPICS: Final = (
    "running shoes",
    "coffee grinder",
    "standing desk",
    "wireless earbuds",
    "air fryer",
    "hiking boots",
    "yoga mat",
    "electric bike",
    "gaming laptop",
    "robot vacuum",
    "espresso machine",
    "office chair",
)
_FORMS: Final = (
    "{t}",
    "best {t}",
    "{t} reviews",
    "cheap {t}",
    "{t} near me",
    "buy {t} online",
    "{t} for beginners",
    "{t} vs",
    "how to clean {t}",
    "{t} sale",
)
#: How many distinct keywords a task can be given.
MOST: Final = len(_TOPICS) * len(_FORMS)


def seeded_keywords(task_id: int, count: int) -> list[str]:
    """``count`` distinct keywords of the seeded task ``task_id`` (at most `MOST`)."""
    if not 0 <= count <= MOST:
        raise ValueError(f"a seeded task has 0 to {MOST} keywords, not {count}")
    rng = random.Random(f"serpstat/words/{task_id}")
    return [
        _FORMS[n % len(_FORMS)].format(t=_TOPICS[n // len(_FORMS)])
        for n in rng.sample(range(MOST), count)
    ]
