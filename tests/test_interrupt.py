"""`Transport.interrupt`: a stop ends every wait of the transport (pacing, ``Retry-After``,
another call's answer) at once with `Interrupted`, the waiting call unsent."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fakevendor import FakeVendorApp, connect_fake

from seotasks.clock import FakeClock, SystemClock
from seotasks.emulation import Fault
from seotasks.errors import Interrupted
from seotasks.ratelimit import Pacer, RateLimit

pytestmark = pytest.mark.usefixtures("fake_registry")


def test_a_set_stop_ends_a_pacing_wait_before_any_time_passes_and_records_no_call() -> None:
    clock = FakeClock()
    pacer = Pacer({"e": RateLimit(1, 60.0)}, clock)
    pacer.acquire("e")
    pacer.stop.set()
    with pytest.raises(Interrupted, match="waiting"):
        pacer.reserve("e")
    assert clock.monotonic() == 0.0  # the 60 s wait never ran
    pacer.stop.clear()
    pacer.reserve("e").done()  # the window held one call, not two: this one waits a window
    assert clock.slept == [pytest.approx(60.0 * 1.02)]


class Recording(SystemClock):
    """Real time, remembering each wait: how long it was asked to be, and whether the stop
    ended it early (what a test asserts instead of timing the wait)."""

    def __init__(self) -> None:
        self.waits: list[tuple[float, bool]] = []

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        stopped = super().wait(seconds, stop)
        self.waits.append((seconds, stopped))
        return stopped


def test_a_real_minute_long_pacing_wait_ends_when_the_stop_is_set() -> None:
    clock = Recording()
    pacer = Pacer({"e": RateLimit(1, 60.0)}, clock)
    pacer.acquire("e")
    threading.Timer(0.2, pacer.stop.set).start()
    with pytest.raises(Interrupted):
        pacer.reserve("e")
    [(asked, stopped)] = clock.waits
    assert asked > 60 and stopped  # a minute's wait, ended by the stop


def test_waiting_for_an_unanswered_call_ends_when_the_stop_is_set() -> None:
    pacer = Pacer({"e": RateLimit(1, 60.0)}, SystemClock())
    slot = pacer.reserve("e")  # sent, never answered
    threading.Timer(0.2, pacer.stop.set).start()
    with pytest.raises(Interrupted, match="answer"):
        pacer.reserve("e")
    slot.done()


def test_a_five_minute_retry_after_ends_when_the_transport_is_interrupted(serve: Any) -> None:
    server = serve(FakeVendorApp(5))
    server.faults.retry_after = "300"
    server.faults.inject(Fault.HTTP_429_RETRY_AFTER, 1)
    clock = Recording()
    client = connect_fake(server.url, clock=clock)
    events: list[str] = []
    client.transport.on_event = lambda event: events.append(f"{event.kind} {event.describe()}")
    timer = threading.Timer(0.3, client.transport.interrupt.set)
    timer.start()
    with pytest.raises(Interrupted, match="retry"):
        list(client.tasks(status="any"))
    assert clock.waits == [(300.0, True)]  # the five-minute wait, ended by the stop
    assert any("300.0s" in event for event in events)
    assert len(server.requests) == 1  # the retry was never sent
