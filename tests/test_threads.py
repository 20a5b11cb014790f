"""One client shared by threads, closed under them, or carried into a forked child.

What a service does with the library: request handlers or a thread pool share one
`Client`, shutdown closes it while calls still wait, and a process pool started with
``fork`` inherits it. Each test runs the emulators over loopback with real threads (and
a real ``fork`` where that is the point).
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_serpstat.emulator import SerpstatEmulator
from threadrun import in_threads

import seotasks
from seotasks.client import RESULT_SUFFIX
from seotasks.clock import FakeClock, SystemClock
from seotasks.emulation import Fault, HttpRequest

pytestmark = pytest.mark.usefixtures("real_providers")

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
KIND = "serp/google/organic"
#: Only guards against a hang: a test that passes never comes near it.
HANG = 120.0
#: Clients whose collect_many two threads start at once. With the resize unlocked, 8 to 19
#: of 500 kept the smaller pool (three runs): 1000 miss such a race about once in 10^7.
TRIES = 1000


class Gate(SystemClock):
    """Real time, except that a pacing wait holds until the test `release`s it (or the
    waiting call is stopped): the moment a call is waiting is then known, not guessed."""

    def __init__(self) -> None:
        self.waiting = threading.Event()
        self.released = threading.Event()

    def release(self) -> None:
        self.released.set()

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        if self.released.is_set():
            return super().wait(seconds, stop)
        self.waiting.set()
        while not (self.released.wait(0.05) or stop.is_set()):
            pass
        return stop.is_set()


@pytest.fixture
def serpstat() -> Iterator[SerpstatEmulator]:
    with SerpstatEmulator(seed=3, size=300, now=lambda: NOW, rps=None) as emulator:
        yield emulator


def _paced(emulator: SerpstatEmulator, clock: Gate) -> seotasks.Client:
    """A client allowed one call every two seconds, its first call made: the next waits."""
    client = seotasks.connect(
        "serpstat", clock=clock, env={}, now=lambda: NOW, rps=0.5, **emulator.settings
    )
    client.page(status="any")
    return client


def _in_thread(work: Callable[[], object]) -> tuple[threading.Thread, dict[str, object]]:
    """``work()`` started on a thread of its own; the dict gets its ``value`` or ``error``."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # asserted on by the test, in its own thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_a_call_waiting_for_its_pacing_slot_when_the_client_closes_is_refused_unsent(
    serpstat: SerpstatEmulator,
) -> None:
    """Shutdown closes the shared client while a handler's call waits for pacing: the call
    must end at once with the closed client's `ValueError`, never be sent afterwards on a
    pool nothing closes any more (a connection left open in a long-running service)."""
    clock = Gate()
    client = _paced(serpstat, clock)
    asked = serpstat.requests
    thread, outcome = _in_thread(lambda: client.page(status="any"))
    assert clock.waiting.wait(HANG)
    client.close()
    clock.release()  # the wait is over either way: the call must not go out now
    thread.join(HANG)
    assert not thread.is_alive()
    error = outcome.get("error")
    assert isinstance(error, ValueError), outcome
    assert str(error).startswith("this seotasks client is closed")
    assert serpstat.requests == asked


def test_a_call_waiting_out_a_five_minute_retry_after_when_the_client_closes_ends_unsent(
    serpstat: SerpstatEmulator,
) -> None:
    """The vendor said "come back in five minutes" to one handler's call; shutdown closes the
    shared client. The call ends at once with the closed client's `ValueError`, and its
    retry is never sent: not five minutes later, not ever."""
    serpstat.server.faults.retry_after = "300"
    serpstat.server.faults.inject(Fault.HTTP_429_RETRY_AFTER, 1)
    client = seotasks.connect("serpstat", env={}, now=lambda: NOW, **serpstat.settings)
    backing_off = threading.Event()
    client.transport.on_event = lambda event: backing_off.set()
    thread, outcome = _in_thread(lambda: client.page(status="any"))
    assert backing_off.wait(HANG)
    client.close()
    thread.join(HANG)
    assert not thread.is_alive()
    error = outcome.get("error")
    assert isinstance(error, ValueError), outcome
    assert str(error).startswith("this seotasks client is closed")
    assert serpstat.requests == 1  # the refused call; its retry never went out


def test_collect_many_on_a_closed_client_is_refused_at_the_call() -> None:
    """Like every other call: not one `Collected` per task, each carrying the refusal."""
    clock = FakeClock()
    with DataForSEOEmulator(seed=2, size=0, clock=clock, kinds=(KIND,)) as emulator:
        client = seotasks.connect("dataforseo", clock=clock, env={}, **emulator.settings)
        tasks = list(client.tasks(status="any"))
        client.close()
        with pytest.raises(ValueError, match=r"^this seotasks client is closed"):
            client.collect_many(tasks)


@pytest.mark.parametrize("ordered", [False, True])
def test_a_collect_many_into_a_folder_left_early_leaves_no_temporary_file(
    tmp_path: Path, ordered: bool
) -> None:
    """Leaving the loop drops the results fetched and not yet yielded: their files go with
    them, rather than stay as hidden files nobody knows the task of."""
    clock = FakeClock()
    with DataForSEOEmulator(seed=5, size=0, clock=clock, kinds=(KIND,)) as emulator:
        emulator.add_tasks(120, posted=datetime.now(UTC) - timedelta(hours=1), code=20000)
        client = seotasks.connect(
            "dataforseo", clock=clock, env={}, families=["serp"], **emulator.settings
        )
        kept = 0
        with client:
            outcomes = client.collect_many(
                client.tasks(), workers=8, into=tmp_path, ordered=ordered
            )
            for outcome in outcomes:
                assert outcome.path is not None
                outcome.path.rename(tmp_path / f"{outcome.task.id}.json")
                kept += 1
                if kept == 10:
                    break
            outcomes.close()
        assert len(emulator.collected_ids()) > kept  # results were in flight when it stopped
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(RESULT_SUFFIX)) == []
        assert len(list(tmp_path.iterdir())) == kept


def _forked(child: Callable[[], None]) -> int:
    """Run ``child`` in a forked child process; its exit status (0: it returned)."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into the test runner
        code = 1
        try:
            signal.alarm(int(HANG))  # a hang guard: a deadlocked child must still end
            child()
            code = 0
        except BaseException:
            traceback.print_exc()  # the test's captured stderr says why the child failed
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return status


def test_a_child_forked_while_a_thread_waits_for_pacing_can_still_call(
    serpstat: SerpstatEmulator,
) -> None:
    """A thread of the parent holds the pacing window while it waits; the child has no
    such thread, so it must not inherit that lock held (it would wait forever)."""
    clock = Gate()
    client = _paced(serpstat, clock)
    thread, _ = _in_thread(lambda: client.page(status="any"))
    assert clock.waiting.wait(HANG)
    asked = serpstat.requests

    def child() -> None:
        clock.release()  # the child's own copy: its call waits out the window in real time
        client.page(status="any")

    status = _forked(child)
    clock.release()
    thread.join(HANG)
    client.close()
    assert status == 0, f"the child ended with status {status} (a signal: {status & 0x7F})"
    assert serpstat.requests == asked + 2  # the child's call and the parent thread's


def test_a_forked_child_never_sends_on_the_parents_connections(
    serpstat: SerpstatEmulator,
) -> None:
    """Parent and child writing requests on one inherited socket mix them up (a garbled
    body, or one process reading the other's answer): the child opens its own."""
    connection: list[int] = []  # the server's thread serving each request: one per connection

    def seen(_request: HttpRequest) -> None:
        connection.append(threading.get_ident())

    serpstat.server.on_request = seen
    client = seotasks.connect(
        "serpstat", env={}, now=lambda: NOW, page_size=100, **serpstat.settings
    )
    with client:
        client.page(status="any")  # leaves its connection open in the pool
        status = _forked(lambda: client.page(status="any"))
        client.page(status="any")
    assert status == 0
    parent, child, again = connection
    assert child != parent  # the child's request came on a connection of its own
    assert again == parent  # and the parent's connection is still the parent's


def _start_together(client: seotasks.Client, workers: tuple[int, ...]) -> None:
    """``collect_many(workers=w)`` for each ``w``, each on a thread of its own, at once."""
    together = threading.Barrier(len(workers))

    def start(n: int) -> None:
        together.wait()
        client.collect_many([], workers=workers[n])

    in_threads(len(workers), start)


def test_collect_many_started_by_two_threads_at_once_keeps_the_larger_pool() -> None:
    """Two request handlers start `collect_many` on one client at the same instant, with
    16 and 8 workers. The pool must end up keeping 16 connections per host: kept at 8,
    each call of the 16 workers beyond 8 opens a connection (TLS handshake included) and
    throws it away, with urllib3's "Connection pool is full" warning each time."""
    clock = FakeClock()
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch often: the race shows in a few tries
    try:
        with DataForSEOEmulator(seed=1, size=0, clock=clock) as emulator:
            smaller = 0
            for _ in range(TRIES):
                # source=history: over tasks_ready, one collect_many at a time per client.
                with seotasks.connect(
                    "dataforseo", clock=clock, env={}, source="history", **emulator.settings
                ) as c:
                    _start_together(c, (16, 8))
                    kept = c.transport._pool.connection_pool_kw["maxsize"]
                    smaller += (kept, c.transport.pool_maxsize) != (16, 16)
    finally:
        sys.setswitchinterval(switching)
    assert smaller == 0, f"{smaller} of {TRIES} clients kept a smaller pool than 16 workers need"


def test_threads_list_page_collect_and_collect_many_through_one_client_at_once() -> None:
    """What the docs promise a service: eight threads sharing one client, each doing
    another kind of work at the same time, each get exactly their tasks, and together
    never meet the vendor's limits (the emulator counts every refusal)."""
    clock = FakeClock()
    with DataForSEOEmulator(seed=4, size=900, clock=clock, kinds=(KIND,)) as emulator:
        until = datetime.now(UTC) - timedelta(minutes=1)
        expected = sorted(emulator.history_ids(until=until, families=["serp"]))
        client = seotasks.connect(
            "dataforseo",
            clock=clock,
            env={},
            source="history",
            families=["serp"],
            page_size=100,
            **emulator.settings,
        )
        recent = datetime.now(UTC) - timedelta(days=20)  # results kept 30 days
        done = list(client.tasks(since=recent, until=until))
        got: dict[int, list[str]] = {}

        def work(n: int) -> None:
            if n < 3:
                got[n] = [t.id for t in client.tasks(status="any", until=until)]
            elif n == 3:
                page = client.page(status="any", until=until)
                got[n] = [t.id for t in page.tasks]
                while page.next_cursor is not None:
                    page = client.page(page.next_cursor)
                    got[n] += [t.id for t in page.tasks]
            elif n < 6:
                outcomes = client.collect_many(done[n - 4 :: 2], workers=4)
                got[n] = [o.task.id for o in outcomes if o.ok]
            else:
                got[n] = [t.id for t in done[n - 6 :: 2] if client.collect(t) is not None]

        with client:
            in_threads(8, work)
        assert len(done) > 50, len(done)
        for n in range(4):
            assert sorted(got[n]) == expected and len(set(got[n])) == len(got[n]), n
        assert sorted(got[4] + got[5]) == sorted(got[6] + got[7]) == sorted(t.id for t in done)
        assert emulator.rate_limited == 0


def test_a_debug_log_line_of_a_request_never_fails_while_another_thread_connects(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With DEBUG logging on, every urllib3 record goes through the filter that scrubs it
    with each live client's secrets. Iterating the registry of clients while another
    thread connected (a web app making a client per tenant) raised "Set changed size
    during iteration" out of the log call, so out of the request that logged it: a
    listing crashed with a `RuntimeError`."""
    caplog.set_level(logging.DEBUG)
    urllib3_log = logging.getLogger("urllib3.connectionpool")
    failures: list[BaseException] = []
    connecting = threading.Event()
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)

    logging_on = threading.Event()

    def log_requests() -> None:
        while connecting.is_set():
            logging_on.set()
            try:
                urllib3_log.debug('http://127.0.0.1:1 "GET /v3/x?token=secret HTTP/1.1" 200 2')
            except RuntimeError as exc:
                failures.append(exc)
            caplog.clear()

    tenants: list[seotasks.Client] = []  # alive: each log record is scrubbed with them all

    def connect_many(_: int) -> None:
        for _ in range(2000):
            tenants.append(
                seotasks.connect("serpstat", env={}, token=f"tenant-{secrets.token_hex(8)}")
            )

    connecting.set()
    logger = threading.Thread(target=log_requests, daemon=True)
    logger.start()
    try:
        assert logging_on.wait(HANG)
        in_threads(2, connect_many)
    finally:
        connecting.clear()
        logger.join(HANG)
        sys.setswitchinterval(switching)
        for client in tenants:
            client.close()
    assert failures == []
