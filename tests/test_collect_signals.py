"""`collect_many` consumed on the main thread while signal handlers run.

The CLI's SIGINT/SIGTERM handler (`GracefulStop`) runs on the main thread, between two
waits for the next result. CPython's C ``queue.SimpleQueue.get(timeout=...)`` (3.11.7,
3.12.1) blocks for ever when a signal handler running during the wait outlasts the
timeout: a ``collect --follow`` stopped by SIGTERM on a loaded machine then never
exited. The test runs the consumer in a child process (a hang must not hang pytest)
with handlers slower than the consumer's wait.
"""

from __future__ import annotations

import subprocess
import sys

#: Only guards against a hang: a passing run takes a second or two.
HANG = 60.0

CHILD = """
import signal, threading, time
from seotasks.collect import collect_many
from seotasks.model import Task, TaskStatus

stop = threading.Event()

def on_signal(signum, frame):  # what GracefulStop does, slower than the 50 ms wait
    end = time.monotonic() + 0.12
    while time.monotonic() < end:
        pass
    stop.set()

def listing():  # three tasks, then a listing that waits for more (``--follow``)
    for i in range(3):
        yield Task(provider="p", id=f"t{i}", kind="k", status=TaskStatus.COMPLETED)
    stop.wait()

signal.signal(signal.SIGALRM, on_signal)
signal.setitimer(signal.ITIMER_REAL, 0.5)  # once the three are in: nothing more will come
got = [c.result for c in collect_many(lambda task: task.id, listing(), workers=2, stop=stop)]
print(*got)
"""


def test_a_stop_set_by_a_slow_signal_handler_ends_the_run() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=HANG, check=False
    )
    assert done.returncode == 0, done.stderr
    # Results come out as they complete: the second worker may finish t2 before t1.
    assert sorted(done.stdout.split()) == ["t0", "t1", "t2"]
