"""Transport over a real loopback server: retries, Retry-After, timeouts, bad bodies."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from fakevendor import SECRET, FakeVendorApp, connect_fake
from hypothesis import given
from hypothesis import strategies as st

import seotasks
from seotasks import AuthError, RateLimited, ResponseFormatError, TransientError
from seotasks.clock import FakeClock
from seotasks.emulation import Fault
from seotasks.ratelimit import Pacer, RateLimit
from seotasks.redact import Redactor
from seotasks.testing.faults import PERSISTENT_ERRORS
from seotasks.transport import (
    Request,
    RetryPolicy,
    Timeouts,
    Transport,
    TransportEvent,
    parse_retry_after,
)

pytestmark = pytest.mark.usefixtures("fake_registry")


@pytest.fixture
def small(serve: Any) -> Any:
    return serve(FakeVendorApp(50))


@pytest.fixture
def ten(serve: Any) -> tuple[FakeVendorApp, Any]:
    """Ten tasks on loopback, and the app itself, to script its next answers
    (`FakeVendorApp.respond_with`)."""
    app = FakeVendorApp(10)
    return app, serve(app)


@pytest.mark.parametrize(
    "fault",
    [
        Fault.HTTP_500,
        Fault.HTTP_502,
        Fault.HTTP_503,
        Fault.RESET,
        Fault.HTTP_429,
        Fault.HTTP_429_RETRY_AFTER,
        Fault.RATE_LIMIT_BODY,
    ],
)
def test_retry_then_success(small: Any, fault: Fault) -> None:
    clock = FakeClock()
    client = connect_fake(small.url, clock=clock)
    events: list[TransportEvent] = []
    client.transport.on_event = events.append
    small.faults.inject(fault, 2)
    assert len(list(client.tasks(status="any"))) == 50
    assert len(small.requests) == 3
    assert small.faults.injected == [fault, fault]
    assert all(e.endpoint and e.seconds >= 0 for e in events)
    assert [e.kind for e in events if e.kind not in {"paced", "waiting"}] in (
        ["retry"] * 2,
        ["rate-limited"] * 2,
    )
    assert clock.slept and all(s > 0 for s in clock.slept)  # it waited before each retry
    assert clock.monotonic() > 0


@pytest.mark.parametrize(
    "fault", [Fault.HTTP_500, Fault.HTTP_503, Fault.RESET, Fault.HTTP_429, Fault.RATE_LIMIT_BODY]
)
def test_retries_run_out(small: Any, fault: Fault) -> None:
    error = PERSISTENT_ERRORS[fault]
    client = connect_fake(small.url, retry=RetryPolicy(attempts=3))
    small.faults.inject(fault, 10)
    with pytest.raises(error) as info:
        client.page(status="any")
    assert type(info.value) is error
    assert len(small.requests) == 3
    assert small.faults.pending() == 7


def test_exhausted_429_keeps_the_vendors_hint(small: Any) -> None:
    clock = FakeClock()
    client = connect_fake(small.url, clock=clock, retry=RetryPolicy(attempts=2))
    small.faults.inject(Fault.HTTP_429_RETRY_AFTER, 2)
    with pytest.raises(RateLimited) as info:
        client.page()
    assert info.value.retry_after == 1.0
    assert clock.slept == [1.0]


def test_retry_after_is_honoured_on_the_injected_clock(ten: tuple[FakeVendorApp, Any]) -> None:
    app, server = ten
    clock = FakeClock()
    client = connect_fake(server.url, clock=clock)
    app.respond_with(b"busy", status=503, **{"Retry-After": "7"})
    app.respond_with(b"{}", status=429, **{"Retry-After": "3"})
    assert len(client.page(status="any").tasks) == 10
    assert clock.slept == [7.0, 3.0]  # the fake clock did the waiting
    assert clock.monotonic() == 10.0


def test_without_a_hint_backoff_grows_exponentially_with_jitter(small: Any) -> None:
    clock = FakeClock()
    client = connect_fake(small.url, clock=clock, retry=RetryPolicy(attempts=5, base=0.5))
    small.faults.inject(Fault.HTTP_500, 4)
    client.page()
    assert len(clock.slept) == 4
    for attempt, delay in enumerate(clock.slept):
        ceiling = 0.5 * 2**attempt
        assert ceiling / 2 <= delay <= ceiling


def test_zero_retry_after_means_no_hint(ten: tuple[FakeVendorApp, Any]) -> None:
    app, server = ten
    clock = FakeClock()
    client = connect_fake(server.url, clock=clock)
    app.respond_with(b"busy", status=503, **{"Retry-After": "0"})
    client.page()
    assert len(clock.slept) == 1 and 0.25 <= clock.slept[0] <= 0.5


def test_429_without_hint_on_a_paced_endpoint_waits_a_whole_window(small: Any) -> None:
    clock = FakeClock()
    client = connect_fake(small.url, clock=clock)
    small.faults.inject(Fault.HTTP_429)
    client.page()
    # FakeVendor paces "tasks" at 5 per second (+2 % margin): the pacer waits it out.
    assert clock.slept == [pytest.approx(1.02)]


def test_rate_limited_unpaced_endpoint_waits_at_least_the_floor(small: Any) -> None:
    clock = FakeClock()
    transport = Transport(redactor=Redactor(), clock=clock, retry=RetryPolicy(base=0.01))
    small.faults.inject(Fault.HTTP_429)
    response = transport.call(
        Request(method="GET", url=f"{small.url}/tasks", endpoint="unpaced", headers={}),
        lambda r: r,
    )
    assert response.status == 401  # no key: the fake vendor's answer, parsed by the caller
    assert clock.slept == [1.0]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("1.5", 1.5),
        (" 3 ", 3.0),
        ("0", None),
        ("-3", None),
        ("", None),
        (None, None),
        ("soon", None),
        ("nan", None),
        ("99999999", 86400.0),  # capped: the clocks overflow past it
        ("Wed, 32 Foo 2026 25:61:00 GMT", None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value) == seconds


def test_parse_retry_after_http_dates() -> None:
    now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90
    assert parse_retry_after("Fri, 20 Nov 2026 10:00:30 GMT", now) == 30
    assert parse_retry_after("Fri, 20 Nov 2026 09:59:00 GMT", now) is None
    assert parse_retry_after(format_datetime(now, usegmt=True), now) is None


@given(st.text(max_size=60))
def test_parse_retry_after_never_raises(text: str) -> None:
    result = parse_retry_after(text, datetime(2026, 1, 1, tzinfo=UTC))
    assert result is None or 0 < result <= 3600


def test_a_read_timeout_is_retried(small: Any) -> None:
    small.faults.slow_seconds = 1.0
    small.faults.inject(Fault.SLOW)
    client = connect_fake(small.url, timeouts=Timeouts(connect=2.0, read=0.1))
    assert len(client.page(status="any").tasks) == 50
    # Two requests: the first was given up after the 0.1 s read timeout (had the client
    # waited out the slow answer, it would have taken that one and asked once).
    assert len(small.requests) == 2


def test_read_timeouts_run_out_as_transient_error(small: Any) -> None:
    small.faults.slow_seconds = 0.4
    small.faults.inject(Fault.SLOW, 2)
    client = connect_fake(
        small.url, timeouts=Timeouts(connect=2.0, read=0.1), retry=RetryPolicy(attempts=2)
    )
    with pytest.raises(TransientError, match=r"(?i)timed out"):
        client.page()


def test_connection_refused_is_transient(fake_registry: None) -> None:
    client = connect_fake("http://127.0.0.1:9", retry=RetryPolicy(attempts=2))
    with pytest.raises(TransientError, match=r"127\.0\.0\.1:9"):
        client.page()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"[1, 2]", "expected a JSON object"),
        (b'{"items": "none"}', "no items list"),
        (b'{"more": true}', "no items list"),
    ],
)
def test_wrong_shapes_are_response_format_errors_and_not_retried(
    ten: tuple[FakeVendorApp, Any], answer: bytes, message: str
) -> None:
    app, server = ten
    app.respond_with(answer, count=5)
    with pytest.raises(ResponseFormatError, match=message):
        connect_fake(server.url).page()
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b'{"items": [', "malformed JSON"),
        (b"<html>maintenance</html>", "malformed JSON"),
        (b"", "empty body"),
        (b"   \n", "empty body"),
        (b"\xff\xfe{}", "malformed JSON"),
    ],
)
def test_undecodable_http_200_bodies_are_retried_by_the_core(
    ten: tuple[FakeVendorApp, Any], answer: bytes, message: str
) -> None:
    """One rule for every provider: a cut-off or non-JSON HTTP-200 body is a failed
    transfer, retried for a read, and a `TransientError` once the retries run out."""
    app, server = ten
    clean = connect_fake(server.url).page().tasks
    app.respond_with(answer, count=3)
    with pytest.raises(TransientError, match=message):
        connect_fake(server.url, retry=RetryPolicy(attempts=3, base=0.001)).page()
    assert len(server.requests) == 1 + 3
    app.respond_with(answer, count=1)
    assert connect_fake(server.url, retry=RetryPolicy(base=0.001)).page().tasks == clean
    assert len(server.requests) == 1 + 3 + 2


@pytest.mark.parametrize("fault", [Fault.TRUNCATED, Fault.EMPTY])
def test_bad_body_faults_are_retried(small: Any, fault: Fault) -> None:
    clean = connect_fake(small.url).page().tasks
    small.faults.inject(fault, 2)
    assert connect_fake(small.url, retry=RetryPolicy(base=0.001)).page().tasks == clean
    assert len(small.requests) == 1 + 3


def test_wrong_types_fault_is_a_format_error(small: Any) -> None:
    small.faults.inject(Fault.WRONG_TYPES, 5)
    with pytest.raises(ResponseFormatError):
        connect_fake(small.url).page()
    assert len(small.requests) == 1


def test_a_cut_off_answer_to_a_post_is_outcome_unknown_and_not_resent(serve: Any) -> None:
    from seotasks.emulation import HttpResponse
    from seotasks.testing.replay import ReplayApp

    class CutOff(ReplayApp):
        def handle(self, request: Any, fault: Any) -> HttpResponse:
            self.requests.append(request)
            return HttpResponse(status=200, body=b'{"created": [')

    server = serve(CutOff())
    transport = Transport(redactor=Redactor(), retry=RetryPolicy(attempts=4, base=0.001))
    request = Request(
        method="POST", url=server.url + "/tasks", endpoint="post", body=b"{}", idempotent=False
    )
    with pytest.raises(TransientError) as info:
        transport.call(request, lambda response: response.json())
    assert info.value.outcome_unknown
    assert len(server.requests) == 1


def test_malformed_json_shows_a_short_snippet(ten: tuple[FakeVendorApp, Any]) -> None:
    app, server = ten
    app.respond_with(b"<html>" + b"x" * 5000, count=5)
    with pytest.raises(TransientError) as info:
        connect_fake(server.url, retry=RetryPolicy(attempts=2, base=0.001)).page()
    assert "<html>xxx" in str(info.value)
    assert len(str(info.value)) < 500


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed_and_the_error_says_where_it_points(
    ten: tuple[FakeVendorApp, Any], serve: Any, status: int
) -> None:
    """A redirect would carry the credentials to whatever host it names (an ``http://``
    one among them): it is refused, and the error names the address, so that the user can
    point ``base_url`` there if it is the vendor's new one."""
    app, server = ten
    other = serve(FakeVendorApp(10))
    app.respond_with(b"", status=status, Location=f"{other.url}/moved?key={SECRET}")
    with pytest.raises(seotasks.ProviderError) as info:
        connect_fake(server.url).page(status="any")
    assert other.requests == [] and len(server.requests) == 1
    text = str(info.value)
    assert f"HTTP {status}" in text and f"{other.url}/moved" in text, text
    assert "redirect" in text and "base_url" in text and SECRET not in text, text


def test_wrong_key_is_an_auth_error_not_retried(small: Any) -> None:
    client = connect_fake(small.url, api_key="wrong-key-1234")
    with pytest.raises(AuthError):
        client.page()
    assert len(small.requests) == 1


def test_one_pool_per_client_reuses_connections(small: Any) -> None:
    client = connect_fake(small.url, page_size=5)
    list(client.tasks(status="any"))
    assert client.transport.calls == 10
    pool = client.transport._pool.connection_from_url(small.url)
    assert pool.num_connections == 1  # ten calls over one kept-alive connection


def test_sends_a_user_agent_and_accepts_json(small: Any) -> None:
    connect_fake(small.url).page()
    headers = small.requests[0].headers
    assert headers["user-agent"].startswith("seotasks/")
    assert "fakevendor" in headers["user-agent"]
    assert headers["accept"] == "application/json"


def test_retry_policy_validation() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
    assert isinstance(seotasks.RateLimited("x", retry_after=0).retry_after, type(None))
    assert TransientError("x", retry_after=-1).retry_after is None


def test_a_ctrl_c_as_the_pacer_hands_out_a_slot_leaves_the_slot_answered(small: Any) -> None:
    """Ctrl-C can land between the pacer recording a call and the transport holding the
    slot: a slot never answered made the next call in a full window wait for it, up to
    five minutes of real time. Landed there by a trace function, as a signal would."""
    transport = Transport(redactor=Redactor(), rate_limits={"page": RateLimit(1, 60.0)})
    request = Request(method="GET", url=f"{small.url}/tasks", endpoint="page")

    def interrupt_on_return(frame: Any, event: str, arg: Any) -> Any:
        if event == "call" and frame.f_code is Pacer.reserve.__code__:
            return interrupt_on_return
        if event == "return" and frame.f_code is Pacer.reserve.__code__:
            raise KeyboardInterrupt
        return None

    sys.settrace(interrupt_on_return)
    try:
        with pytest.raises(KeyboardInterrupt):
            transport.send(request)
    finally:
        sys.settrace(None)
    [window] = transport.pacer._windows.values()
    assert [slot.answered() for slot in window.stamps] == [True]
    transport.close()
