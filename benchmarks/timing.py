"""A small timer: the median of repeated runs, each long enough to be measurable."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import NamedTuple


class Timing(NamedTuple):
    """Seconds per call: the median and the fastest of the repeats.

    Standard library only: `official.py` imports this in the benchmark venv too.
    """

    median: float
    best: float
    repeats: int


#: Wall time: what a user waits.
WALL = time.perf_counter
#: CPU time of this process: on a shared machine, wall time also counts the moments
#: another process had the core, which hits one candidate's repeat and not the next.
CPU = time.process_time


def measure(func: Callable[[], object], *, quick: bool = False, min_time: float = 0.05) -> Timing:
    """Time ``func()``: calibrate a loop of at least ``min_time`` s, then repeat it.

    The garbage collector stays on (a real listing runs with it), but a collection is
    forced between repeats so one repeat does not pay for the garbage of the previous.
    """
    return measure_together({"func": func}, quick=quick, min_time=min_time)["func"]


def measure_together(
    funcs: dict[str, Callable[[], object]],
    *,
    quick: bool = False,
    min_time: float = 0.05,
    clock: Callable[[], float] = WALL,
    repeats: int = 9,
) -> dict[str, Timing]:
    """Time several functions with their repeats interleaved (a, b, c, a, b, c ...).

    A burst of load on a shared machine then hits every candidate's repeats alike,
    instead of whichever happened to be measured during it, so their ratios hold.
    """
    loops: dict[str, int] = {}
    for name, func in funcs.items():
        func()  # warm caches and lazy imports
        count = 1
        while True:
            start = clock()
            for _ in range(count):
                func()
            if clock() - start >= (min_time / 2 if quick else min_time):
                break
            count *= 2
        loops[name] = count
    samples: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(3 if quick else repeats):
        for name, func in funcs.items():
            gc.collect()
            start = clock()
            for _ in range(loops[name]):
                func()
            samples[name].append((clock() - start) / loops[name])
    return {
        name: Timing(median=statistics.median(s), best=min(s), repeats=len(s))
        for name, s in samples.items()
    }
