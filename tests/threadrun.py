"""One piece of work run by several threads at once, for the tests of shared state.

The pacer, the client and the emulators' rate limits are each tested by threads sharing
one of them. A thread's exception is otherwise only printed by `threading`'s hook, and a
hung thread only shows as a result missing: written once here so that every such test
fails on either, with the thread's own traceback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


def in_threads(count: int, work: Callable[[int], None], *, timeout: float = 60) -> None:
    """``work(0)`` .. ``work(count - 1)``, each in a thread of its own, all started before
    any is waited for. Raises the first exception a thread raised; ``timeout`` (per
    thread) only guards against a hang."""
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            work(n)
        except BaseException as exc:  # reported below, in the test's own thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    hung = sum(thread.is_alive() for thread in threads)
    assert not hung, f"{hung} of {count} threads still running after {timeout} s each"
    if errors:
        raise errors[0]
