"""Client-side pacing: never more than N calls in any window of one period (per endpoint,
or per resource under a pattern key, as the emulators' `ServerRateLimit` counts too)."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

import pytest
from fakevendor import FakeVendorApp, connect_fake
from hypothesis import given
from hypothesis import strategies as st
from threadrun import in_threads

from seotasks.clock import FakeClock, SystemClock
from seotasks.emulation import Fault, HttpRequest, HttpResponse, ServerRateLimit, json_response
from seotasks.ratelimit import Pacer, RateLimit, Slot, limit_key
from seotasks.redact import Redactor
from seotasks.testing.pacing import most_in_window
from seotasks.transport import Request, Transport


def assert_within_limit(stamps: list[float], limit: RateLimit) -> None:
    stamps = sorted(stamps)
    n = limit.calls
    for i in range(len(stamps) - n):
        # calls i .. i+n would be n+1 calls in one window: they must span at least a period
        assert stamps[i + n] - stamps[i] >= limit.period, (i, stamps[i : i + n + 1])


@given(
    calls=st.integers(min_value=1, max_value=6),
    period=st.floats(min_value=0.1, max_value=120),
    gaps=st.lists(st.floats(min_value=0, max_value=30), min_size=1, max_size=60),
)
def test_never_more_than_n_calls_in_any_window(
    calls: int, period: float, gaps: list[float]
) -> None:
    limit = RateLimit(calls, period)
    clock = FakeClock()
    pacer = Pacer({"ep": limit}, clock)
    stamps: list[float] = []
    for gap in gaps:
        clock.advance(gap)
        before = clock.monotonic()
        waited = pacer.acquire("ep")
        stamps.append(clock.monotonic())
        assert stamps[-1] - before == pytest.approx(waited)  # the wait happened on the clock
    assert_within_limit(stamps, limit)
    assert pacer.waited == pytest.approx(sum(clock.slept))


def test_first_n_calls_pass_then_the_next_waits_a_window() -> None:
    clock = FakeClock()
    pacer = Pacer({"tasks_ready": RateLimit.per_minute(20)}, clock)
    assert [pacer.acquire("tasks_ready") for _ in range(20)] == [0.0] * 20
    waited = pacer.acquire("tasks_ready")
    assert waited == pytest.approx(60 * 1.02)
    assert clock.slept == [pytest.approx(61.2)]
    clock.advance(61.2)  # a quiet minute later: a full window is free again
    assert [pacer.acquire("tasks_ready") for _ in range(19)] == [0.0] * 19


def test_endpoints_are_paced_separately_and_unknown_ones_not_at_all() -> None:
    clock = FakeClock()
    pacer = Pacer({"a": RateLimit(1, 10.0), "b": RateLimit(1, 10.0)}, clock, margin=0)
    assert pacer.acquire("a") == 0 and pacer.acquire("b") == 0
    assert all(pacer.acquire("free") == 0 for _ in range(100))
    assert pacer.acquire("a") == 10.0
    assert pacer.limit_for("a") == RateLimit(1, 10.0)
    assert pacer.limit_for("free") is None


def test_penalize_makes_the_next_call_wait_a_whole_window() -> None:
    clock = FakeClock(start=100.0)
    pacer = Pacer({"ep": RateLimit(3, 5.0)}, clock, margin=0)
    pacer.penalize("ep")
    assert pacer.acquire("ep") == 5.0
    assert clock.monotonic() == 105.0
    pacer.penalize("unknown")  # no limit, nothing to do
    assert pacer.acquire("unknown") == 0.0


def test_penalize_keeps_another_threads_call_in_flight_counted_from_its_answer() -> None:
    """A rate-limit answer reaches one thread while another thread's call is still out.
    The vendor may stamp that call as late as its answer, after the penalty began: pushed
    out of the window by the penalty, it let two more calls in within a period of its
    stamp, three where the vendor allows two (and the vendor refuses the third)."""
    clock = FakeClock()
    pacer = Pacer({"ep": RateLimit(2, 60.0)}, clock, margin=0)
    in_flight = pacer.reserve("ep")  # another thread's call, not answered yet
    pacer.penalize("ep")  # this thread's call met the vendor's limit
    clock.advance(10.0)
    in_flight.done()  # answered, so perhaps stamped by the vendor, at 10
    stamps = [in_flight.at]
    for _ in range(2):
        slot = pacer.reserve("ep")
        slot.done()
        stamps.append(slot.at)
    assert most_in_window(stamps, 60.0) <= 2, stamps


def test_rate_limit_constructors() -> None:
    assert RateLimit.per_minute(10) == RateLimit(10, 60.0)
    assert RateLimit.per_second(5) == RateLimit(5, 1.0)
    assert RateLimit.per_second(0.5) == RateLimit(1, 2.0)
    assert RateLimit.per_second(2.5) == RateLimit(5, 2.0)
    with pytest.raises(ValueError):
        RateLimit.per_second(0)
    with pytest.raises(ValueError):
        RateLimit(0, 1.0)
    with pytest.raises(ValueError):
        RateLimit(1, 0.0)


def test_threads_sharing_a_pacer_stay_under_the_limit() -> None:
    clock = FakeClock()
    limit = RateLimit(4, 2.0)
    pacer = Pacer({"ep": limit}, clock)
    stamps = _record(pacer, "ep")

    def work(_: int) -> None:
        for _ in range(25):
            pacer.acquire("ep")

    in_threads(8, work)
    assert len(stamps) == 200
    assert_within_limit(stamps, limit)
    assert clock.monotonic() >= (200 / 4 - 1) * 2.0


class _RecordingDeque(deque[Slot]):
    log: list[float]

    def append(self, x: Slot) -> None:
        self.log.append(x.at)  # the send time: sends must be spaced by the limit
        super().append(x)


def _record(pacer: Pacer, endpoint: str) -> list[float]:
    """Every stamp the pacer records for ``endpoint`` (its own deque keeps only the last N)."""
    window = pacer._windows[endpoint]
    recording = _RecordingDeque(maxlen=window.limit.calls)
    recording.log = []
    window.stamps = recording
    return recording.log


@pytest.mark.usefixtures("fake_registry")
def test_threads_listing_through_one_client_share_its_pace(serve: Any) -> None:
    app = FakeVendorApp(200)
    server = serve(app)
    clock = FakeClock()
    client = connect_fake(server.url, clock=clock, page_size=20)
    stamps = _record(client.transport.pacer, "tasks")
    results: list[int] = []

    def work(_: int) -> None:
        results.append(len(list(client.tasks(status="any"))))

    in_threads(6, work)
    assert results == [200] * 6
    assert len(stamps) == len(server.requests) == 60
    assert_within_limit(stamps, RateLimit(5, 1.0))  # FakeVendor: 5 calls a second
    assert clock.monotonic() >= (60 / 5 - 1) * 1.0


@pytest.mark.usefixtures("fake_registry")
def test_a_long_listing_is_paced(serve: Any) -> None:
    server = serve(FakeVendorApp(2500))
    clock = FakeClock()
    client = connect_fake(server.url, clock=clock)
    assert len(list(client.tasks(status="any"))) == 2500
    # 25 calls at 5 a second: five bursts of 5, each after waiting out the window.
    assert clock.slept == [pytest.approx(1.02)] * 4
    assert clock.monotonic() == pytest.approx(4 * 1.02)
    assert client.transport.pacer.waited == pytest.approx(sum(clock.slept))


def test_a_call_counts_from_its_answer_so_latency_cannot_open_the_window_early() -> None:
    # The vendor stamps a call somewhere between our send and its answer. Counted from
    # the send, a slow first answer would let call 3 in 10 s after call 1 was *sent*,
    # which may be under 10 s after the vendor saw it.
    clock = FakeClock()
    pacer = Pacer({"ep": RateLimit(2, 10.0)}, clock, margin=0)
    slow = pacer.reserve("ep")
    clock.sleep(3.0)  # the answer takes 3 s
    slow.done()
    assert pacer.reserve("ep").waited == 0.0
    third = pacer.reserve("ep")
    assert third.waited == pytest.approx(10.0)  # until 3 + 10, not 0 + 10
    assert clock.monotonic() == pytest.approx(13.0)
    # done() never moves a slot back in time, and unpaced endpoints give a free slot.
    third.done()
    assert third.at == pytest.approx(13.0)
    free = pacer.reserve("unlisted")
    free.done()
    assert free.waited == 0.0


def test_a_full_window_waits_for_its_oldest_calls_answer_before_counting() -> None:
    # Until the oldest call is answered, where the vendor's window for it starts is not
    # known (it may stamp the call as late as its answer). A waiter that counted from the
    # send would go at 0 + 10 even if the answer, and so perhaps the stamp, came at 3.
    clock = FakeClock()
    pacer = Pacer({"ep": RateLimit(1, 10.0)}, clock, margin=0)
    in_flight = pacer.reserve("ep")
    second: list[Slot] = []
    waiter = threading.Thread(target=lambda: second.append(pacer.reserve("ep")))
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive()  # blocked on the answer, not asleep on the clock
    clock.advance(3.0)
    in_flight.done()
    waiter.join(10)
    assert second[0].waited == pytest.approx(10.0)
    assert second[0].at == pytest.approx(13.0)


def test_an_answer_does_not_wait_behind_a_caller_waiting_for_room() -> None:
    # Real time: B waits for room (holding the window while it sleeps); the first call's
    # answer arrives meanwhile. done() must return at once, and B must then wait out the
    # window counted from that answer.
    clock = SystemClock()
    pacer = Pacer({"ep": RateLimit(1, 1.0)}, clock, margin=0)
    first = pacer.reserve("ep")
    started = threading.Event()
    second: list[Slot] = []

    def waiter() -> None:
        started.set()
        second.append(pacer.reserve("ep"))

    thread = threading.Thread(target=waiter)
    thread.start()
    started.wait(5)
    clock.sleep(0.2)
    answered = clock.monotonic()
    first.done()
    assert thread.is_alive()  # done() did not block until the waiter was through
    thread.join(10)
    assert second and second[0].at >= answered + 1.0


# -- limits per resource (a pattern key: Apify's 30 requests a second per dataset) --------


def test_a_pattern_key_paces_each_matching_endpoint_in_its_own_window() -> None:
    clock = FakeClock()
    pacer = Pacer(
        {"datasets/*": RateLimit(2, 1.0), "datasets/shared": RateLimit(1, 5.0)}, clock, margin=0
    )
    assert [pacer.acquire("datasets/a") for _ in range(2)] == [0.0, 0.0]
    assert [pacer.acquire("datasets/b") for _ in range(2)] == [0.0, 0.0]  # its own window
    assert pacer.acquire("datasets/a") == 1.0  # a's third call waits a's window out
    assert pacer.limit_for("datasets/zzz") == RateLimit(2, 1.0)
    # An exact key wins over a pattern; an endpoint nothing matches is not paced.
    assert pacer.limit_for("datasets/shared") == RateLimit(1, 5.0)
    assert pacer.limit_for("runs/a") is None
    assert all(pacer.acquire("runs/a") == 0.0 for _ in range(50))
    # `*` is the only special character: a dot or a bracket means itself.
    assert limit_key(["a.b/*"], "axb/1") is None and limit_key(["a.b/*"], "a.b/1") == "a.b/*"
    assert limit_key(["x/[1]"], "x/1") is None


@given(
    calls=st.lists(
        st.tuples(st.sampled_from("abc"), st.floats(min_value=0, max_value=2)),
        min_size=1,
        max_size=60,
    )
)
def test_each_resource_stays_under_its_limit(calls: list[tuple[str, float]]) -> None:
    limit = RateLimit(3, 1.0)
    clock = FakeClock()
    pacer = Pacer({"items/*": limit}, clock)
    stamps: dict[str, list[float]] = {}
    for resource, gap in calls:
        clock.advance(gap)
        pacer.acquire(f"items/{resource}")
        stamps.setdefault(resource, []).append(clock.monotonic())
    for resource_stamps in stamps.values():
        assert_within_limit(resource_stamps, limit)


def test_idle_resource_windows_are_dropped_and_busy_ones_kept() -> None:
    clock = FakeClock()
    pacer = Pacer({"datasets/*": RateLimit(1, 1.0)}, clock, margin=0)
    for n in range(255):
        pacer.acquire(f"datasets/{n}")
    busy = pacer.reserve("datasets/busy")  # sent, not answered: its window must stay
    clock.advance(1.0)
    pacer.acquire("datasets/new")  # the 257th window: the idle ones go first
    assert set(pacer._resources) == {"datasets/busy", "datasets/new"}
    busy.done()
    # A dropped resource starts afresh: its last call was a whole window ago anyway.
    assert pacer.acquire("datasets/0") == 0.0
    assert pacer.acquire("datasets/0") == 1.0


def test_a_window_dropped_while_a_caller_held_it_is_looked_up_again() -> None:
    clock = FakeClock()
    pacer = Pacer({"datasets/*": RateLimit(1, 1.0)}, clock, margin=0)
    pacer.acquire("datasets/a")
    stale = pacer._resources["datasets/a"]
    clock.advance(1.0)
    pacer._prune()  # as if another caller's new window had set it off
    assert stale.retired and "datasets/a" not in pacer._resources
    assert pacer.acquire("datasets/a") == 0.0
    assert pacer.acquire("datasets/a") == 1.0  # counted in the new window, not the stale one


def test_the_emulator_limits_each_resource_as_the_pacer_does() -> None:
    clock = FakeClock()
    server = ServerRateLimit({"datasets/*": (30, 1.0), "runs": (2, 1.0)}, clock)
    assert all(server.admit("datasets/a") is not None for _ in range(30))
    assert server.admit("datasets/a") is None  # the 31st in a second, for this dataset
    assert all(server.admit("datasets/b") is not None for _ in range(30))  # another one
    assert server.admit("runs") is not None and server.admit("runs") is not None
    assert server.admit("runs") is None and server.refused == 2
    clock.advance(1.0)
    assert server.admit("datasets/a") is not None
    with pytest.raises(KeyError, match="no rate limit names 'users/me'"):
        server.admit("users/me")  # an emulator bug, not an unlimited call


class _Datasets:
    """Dataset items, at most 30 reads a second per dataset (Apify's documented limit)."""

    def __init__(self, clock: FakeClock) -> None:
        self.limiter = ServerRateLimit({"datasets/*": (30, 1.0)}, clock)
        self.admitted: dict[str, list[float]] = {}
        self.lock = threading.Lock()

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        dataset = request.path.split("/")[2]
        at = self.limiter.admit(f"datasets/{dataset}")
        if at is None:
            return json_response(429, b'{"error": {"type": "rate-limit-exceeded"}}')
        with self.lock:
            self.admitted.setdefault(dataset, []).append(at)
        return json_response(200, b'[{"keyword": "a", "position": 1}]')


def test_per_resource_pacing_meets_the_vendors_per_resource_limit(serve: Any) -> None:
    """Eight threads read three datasets through one transport whose pacer keys its
    limit by dataset, on the clock the emulator counts on: the vendor, counting per
    dataset too, refuses nothing (that each dataset has a window of its own, rather
    than one shared, is `test_a_pattern_key_paces_each_matching_endpoint_in_its_own_window`)."""
    clock = FakeClock()
    app = _Datasets(clock)
    server = serve(app)
    transport = Transport(
        redactor=Redactor(), clock=clock, rate_limits={"datasets/*": RateLimit.per_second(30)}
    )
    transport.ensure_pool_size(8)

    def read(worker: int) -> None:
        dataset = "abc"[worker % 3]
        request = Request(
            method="GET",
            url=f"{server.url}/datasets/{dataset}/items",
            endpoint=f"datasets/{dataset}",
        )
        for _ in range(25):
            assert transport.call(request, lambda response: response.json()) == [
                {"keyword": "a", "position": 1}
            ]

    try:
        in_threads(8, read)
    finally:
        transport.close()
    assert app.limiter.refused == 0
    assert sum(map(len, app.admitted.values())) == 200
    assert sorted(app.admitted) == ["a", "b", "c"]
    for stamps in app.admitted.values():
        assert most_in_window(stamps, 1.0) <= 30
