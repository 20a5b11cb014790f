"""Benchmark 5: pacing on a scaled clock against the documented DataForSEO limits.

Client and emulator share one `seotasks.clock.ScaledClock`, so the emulator enforces the
vendor's per-minute limits (``tasks_ready`` 20, ``id_list`` 10) on the same time the
client paces on, and a half hour of vendor time passes in seconds. The client lists
again and again for the whole run; the emulator's request log gives the calls it
accepted. Sustained rate = calls after the first minute's burst, over the time they
took; the goal is >= 95 % of the documented rate with zero rate-limit answers.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from seotasks_dataforseo.emulator import DataForSEOEmulator

import seotasks
from seotasks.clock import ScaledClock
from seotasks.emulation import HttpRequest
from seotasks.transport import RetryPolicy

LIMITS = {"tasks_ready": 20, "id_list": 10}


def _one(source: str, minutes: float, factor: float) -> dict[str, float]:
    clock = ScaledClock(factor)
    stamps: list[float] = []
    lock = threading.Lock()
    group = LIMITS[source]
    suffix = "/tasks_ready" if source == "tasks_ready" else "/id_list"

    def seen(request: HttpRequest) -> None:
        if request.path.endswith(suffix):
            with lock:
                stamps.append(clock.monotonic())

    options: dict[str, Any] = {}
    if source == "id_list":
        options = {"source": "history", "families": ["serp"], "page_size": 50}
    with DataForSEOEmulator(seed=5, size=3000, recent=1.0, clock=clock) as emu:
        emu.server.on_request = seen
        client = seotasks.connect(
            "dataforseo",
            clock=clock,
            retry=RetryPolicy(attempts=3, base=0.5, cap=2.0),
            env={},
            **emu.settings,
            **options,
        )
        with client:
            end = clock.monotonic() + minutes * 60
            while clock.monotonic() < end:
                for _ in client.tasks(status="any" if source == "id_list" else "completed"):
                    if clock.monotonic() >= end:
                        break
        refused = emu.rate_limited
    calls = len(stamps)
    # Skip the opening burst (a sliding window lets the first `group` calls go at once):
    # the sustained rate is what the remaining calls achieve per minute.
    steady = stamps[group:]
    span = steady[-1] - steady[0] if len(steady) > 1 else float("nan")
    rate = (len(steady) - 1) / span * 60 if len(steady) > 1 else 0.0
    return {
        "limit_per_min": group,
        "calls": calls,
        "clock_minutes": (stamps[-1] - stamps[0]) / 60 if stamps else 0.0,
        "sustained_per_min": rate,
        "share": rate / group,
        "rate_limited": refused,
    }


def run(quick: bool = False) -> dict[str, dict[str, float]]:
    minutes = 8 if quick else 30
    return {source: _one(source, minutes, factor=120.0) for source in LIMITS}


if __name__ == "__main__":
    for name, row in run(quick="--quick" in sys.argv).items():
        print(name, {k: round(v, 3) for k, v in row.items()})
