"""`ServerRateLimit`: the vendors' own rate limits, one implementation for every emulator."""

from __future__ import annotations

import threading

from threadrun import in_threads

from seotasks.clock import FakeClock
from seotasks.emulation import ServerRateLimit


def test_sliding_window_per_group_on_the_injected_clock() -> None:
    clock = FakeClock()
    limit = ServerRateLimit({"tasks_ready": (20, 60.0), "id_list": (10, 60.0)}, clock)
    admitted = [limit.admit("tasks_ready") for _ in range(25)]
    assert sum(a is not None for a in admitted) == 20 and limit.refused == 5
    assert limit.admit("id_list") is not None  # groups are counted apart
    clock.sleep(59.9)
    assert limit.admit("tasks_ready") is None  # the window slides: not yet
    clock.sleep(0.2)
    assert limit.admit("tasks_ready") == clock.monotonic()  # the first 20 have left it
    assert limit.refused == 6


def test_fractional_rates_and_threads_never_overshoot() -> None:
    clock = FakeClock()
    limit = ServerRateLimit({"rpc": (1, 2.0)}, clock)  # 0.5 requests a second
    results: list[float | None] = []
    lock = threading.Lock()

    def hit(_: int) -> None:
        got = limit.admit("rpc")
        with lock:
            results.append(got)

    in_threads(16, hit)
    assert sum(r is not None for r in results) == 1 and limit.refused == 15
    clock.sleep(2.0)
    assert limit.admit("rpc") is not None
