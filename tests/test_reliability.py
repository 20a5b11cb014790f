"""Reliability: every fault class, at random pages, for every first-party provider.

A full listing of N seeded tasks under a seeded fault schedule either returns exactly
the N distinct tasks (the transport retried its way through) or raises one of the
documented typed errors carrying ``resume_cursor``; a fresh client (a new process, as
far as a listing can tell) resumes from that cursor and completes the set exactly, with
no task lost or repeated. And several threads listing through one client share its
pacer: the emulator never sees more than the vendor's rate.

Property-based tests of the converters and the cursor codec live in test_convert.py and
test_cursor.py. Everything here runs over real loopback HTTP against the emulators, on
a `FakeClock` shared with them, so backoff and pacing cost no real time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_serpstat.emulator import SerpstatEmulator
from threadrun import in_threads

import seotasks
from seotasks.clock import FakeClock
from seotasks.emulation import Fault, HttpRequest
from seotasks.errors import RateLimited, ResponseFormatError, SeotasksError, TransientError
from seotasks.testing.pacing import most_in_window
from seotasks.transport import RetryPolicy, Timeouts

RETRY = RetryPolicy(attempts=3, base=0.01, cap=0.05, rate_limited_floor=0.01)
#: The faulted runs': short enough that Fault.SLOW (0.5 s) trips it. A busy machine can
#: keep a healthy answer longer than that; such a timeout is one fault more, which the
#: faulted runs' assertions allow (the exact set, or a typed error to resume from).
TIMEOUTS = Timeouts(connect=2.0, read=0.25)
#: A run on a healthy network must end with the exact set: its timeouts only guard
#: against a hang, never time an answer.
HEALTHY = Timeouts()
SLOW_SECONDS = 0.5
#: What a listing may end in when the retries run out (documented in seotasks.errors).
TYPED = (TransientError, RateLimited, ResponseFormatError)
NOW = datetime.now(UTC).replace(microsecond=0)

#: Every fault a listing recovers from, in `Fault`'s order (a proxy's 403 is a refusal,
#: not one: tests/test_collect_verdicts.py); a mismatched JSON-RPC id only exists for
#: Serpstat.
RECOVERED = [f for f in Fault if f is not Fault.HTTP_403]
COMMON = [f for f in RECOVERED if f is not Fault.MISMATCHED_ID]
MATRIX = [("serpstat", f) for f in RECOVERED] + [("dataforseo", f) for f in COMMON]


pytestmark = pytest.mark.usefixtures("real_providers")


class Vendor:
    """One provider's emulator, its ground truth and how to connect a fresh client."""

    def __init__(self, name: str, clock: FakeClock, seed: int) -> None:
        self.name = name
        self.clock = clock
        self.options: dict[str, Any]
        self.emulator: SerpstatEmulator | DataForSEOEmulator
        if name == "serpstat":
            serp = SerpstatEmulator(seed=seed, size=2400, clock=clock, now=lambda: NOW)
            self.emulator = serp.start()
            self.options = {"page_size": 400}
            self.expected = serp.task_ids()
            self.kwargs: dict[str, Any] = {"status": "any"}
        else:
            dfs = DataForSEOEmulator(
                seed=seed,
                size=3000,
                clock=clock,
                kinds=("serp/google/organic", "serp/bing/organic"),
                span_days=60,
            )
            self.emulator = dfs.start()
            until = datetime.now(UTC) - timedelta(minutes=1)
            self.options = {"source": "history", "families": ["serp"], "page_size": 200}
            self.expected = sorted(dfs.history_ids(until=until, families=["serp"]))
            self.kwargs = {"status": "any", "until": until}
        self.emulator.server.faults.slow_seconds = SLOW_SECONDS
        self.clients: list[seotasks.Client] = []

    @property
    def faults(self) -> Any:
        return self.emulator.server.faults

    def connect(self, timeouts: Timeouts = TIMEOUTS) -> seotasks.Client:
        client = seotasks.connect(
            self.name,
            clock=self.clock,
            retry=RETRY,
            timeouts=timeouts,
            env={},
            **self.emulator.settings,
            **self.options,
        )
        self.clients.append(client)
        return client

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.emulator.stop()


@pytest.fixture
def vendor(request: pytest.FixtureRequest) -> Iterator[Any]:
    made: list[Vendor] = []

    def make(name: str, seed: int = 11) -> Vendor:
        v = Vendor(name, FakeClock(), seed)
        made.append(v)
        return v

    yield make
    for v in made:
        v.close()


@pytest.mark.parametrize(("provider", "fault"), MATRIX, ids=[f"{p}-{f.value}" for p, f in MATRIX])
def test_fault_schedule_yields_the_exact_set_or_a_resumable_typed_error(
    vendor: Any, provider: str, fault: Fault
) -> None:
    v: Vendor = vendor(provider)
    assert len(v.expected) > 1000  # several pages
    seed = sum(map(ord, f"{provider}/{fault.value}"))
    # About a third of the requests fail: some pages recover within the retries, some
    # run out of them (a fault on three attempts in a row) and end the listing.
    v.faults.schedule([fault], rate=0.35, seed=seed)
    listed: list[str] = []
    error: SeotasksError | None = None
    try:
        for task in v.connect().tasks(**v.kwargs):
            listed.append(task.id)
    except SeotasksError as exc:
        error = exc
    assert v.faults.injected, "the schedule should have injected at least one fault"
    assert len(listed) == len(set(listed)), "a task was repeated"
    if error is None:
        assert sorted(listed) == v.expected
        return
    assert isinstance(error, TYPED), f"untyped ending: {error!r}"
    assert error.resume_cursor, "a listing error must carry resume_cursor"
    # The second run: a fresh client from the cursor, the network healthy again.
    v.faults.clear()
    listed.extend(t.id for t in v.connect(HEALTHY).tasks(error.resume_cursor))
    assert len(listed) == len(set(listed)), "the resumed run repeated a task"
    assert sorted(listed) == v.expected, "the resumed run lost a task"


@pytest.mark.parametrize("provider", ["serpstat", "dataforseo"])
def test_mixed_faults_resume_until_done_with_faults_still_on(vendor: Any, provider: str) -> None:
    """Faults keep coming on the resumed runs too: each resume gets further, none repeats."""
    v: Vendor = vendor(provider, seed=5)
    menu = [f for f in MATRIX if f[0] == provider]
    v.faults.schedule([f for _, f in menu if f is not Fault.SLOW], rate=0.3, seed=99)
    listed: list[str] = []
    cursor: str | None = None
    for _ in range(40):
        try:
            # No slow answers to time out: a timeout would only add faults of the machine's.
            client = v.connect(HEALTHY)
            listed.extend(t.id for t in client.tasks(cursor, **({} if cursor else v.kwargs)))
            break
        except TYPED as exc:
            assert exc.resume_cursor
            cursor = exc.resume_cursor
    else:
        pytest.fail("40 resumes did not finish the listing")
    assert len(listed) == len(set(listed))
    assert sorted(listed) == v.expected


# Concurrency runs on a FakeClock: the counts below are exact, whatever the machine's
# load. That holds because the pacer awaits the answer of the oldest call in a full
# window before working out its wait (`Pacer.reserve`): a FakeClock jumps a whole window
# while another thread's request may still be in flight, and the emulator then stamps
# that request late; the pacer counts it from its answer, never earlier than the stamp.


def test_threads_share_one_serpstat_pacer() -> None:
    """Three threads, one client: together never above the plan's requests/second."""
    clock = FakeClock()
    emulator = SerpstatEmulator(seed=3, size=700, clock=clock, now=lambda: NOW, rps=5.0)
    emulator.start()
    try:
        client = seotasks.connect(
            "serpstat", clock=clock, retry=RETRY, env={}, rps=5, page_size=100, **emulator.settings
        )
        results: dict[int, list[str]] = {}

        def work(n: int) -> None:
            results[n] = [t.id for t in client.tasks(status="any")]

        try:
            in_threads(3, work)
        finally:
            client.close()
        assert len(results) == 3
        for ids in results.values():
            assert ids == emulator.task_ids()
        accepted = emulator.app.accepted
        assert len(accepted) >= 3 * 7
        assert emulator.app.rate_limited == 0
        assert most_in_window(accepted, 1.0) <= 5
    finally:
        emulator.stop()


def test_threads_share_one_dataforseo_pacer() -> None:
    """Three threads paging id_list through one client stay under 10 calls a minute."""
    clock = FakeClock()
    stamps: list[float] = []
    lock = threading.Lock()

    def seen(request: HttpRequest) -> None:
        if request.path.endswith("/id_list"):
            with lock:
                stamps.append(clock.monotonic())

    with DataForSEOEmulator(seed=4, size=1200, clock=clock, kinds=("serp/google/organic",)) as emu:
        emu.server.on_request = seen
        until = datetime.now(UTC) - timedelta(minutes=1)
        expected = sorted(emu.history_ids(until=until, families=["serp"]))
        client = seotasks.connect(
            "dataforseo",
            clock=clock,
            retry=RETRY,
            env={},
            source="history",
            families=["serp"],
            page_size=200,
            **emu.settings,
        )
        results: list[list[str]] = []

        def work(_: int) -> None:
            results.append(sorted(t.id for t in client.tasks(status="any", until=until)))

        try:
            in_threads(3, work)
        finally:
            client.close()
        assert len(results) == 3 and all(r == expected for r in results)
        assert len(stamps) >= 3 * 6
        assert emu.rate_limited == 0
        assert most_in_window(stamps, 60.0) <= 10
