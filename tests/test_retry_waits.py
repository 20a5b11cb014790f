"""Long waits before a retry: a ``Retry-After`` past `RetryPolicy.retry_after_limit` ends
the call at once, and a long one within it is said on stderr, terminal or not."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fakevendor import FakeVendorApp, connect_fake

from seotasks import RateLimited, TransientError
from seotasks.cli.common import StatusLine
from seotasks.cli.waits import wait_notices
from seotasks.clock import FakeClock
from seotasks.errors import RetryableError
from seotasks.transport import RetryPolicy, TransportEvent

pytestmark = pytest.mark.usefixtures("fake_registry")


@pytest.fixture
def ten(serve: Any) -> tuple[FakeVendorApp, Any]:
    app = FakeVendorApp(10)
    return app, serve(app)


@pytest.mark.parametrize(("status", "error"), [(429, RateLimited), (503, TransientError)])
def test_a_retry_after_past_the_limit_ends_the_call_at_once(
    ten: tuple[FakeVendorApp, Any], status: int, error: type[Exception]
) -> None:
    """A gateway asking for an hour held a scheduled run an hour a try (five tries),
    saying nothing: the call now ends with the vendor's error, which says what was asked."""
    app, server = ten
    clock = FakeClock()
    client = connect_fake(server.url, clock=clock)
    app.respond_with(b"{}", status=status, **{"Retry-After": "3600"})
    with pytest.raises(error) as info:
        client.page(status="any")
    assert clock.slept == []
    assert len(server.requests) == 1
    message = str(info.value)
    assert "asked to wait 3600s" in message and "retry_after_limit (300s)" in message
    assert isinstance(info.value, RetryableError) and info.value.retry_after == 3600.0


@pytest.mark.parametrize(
    ("policy", "asked"),
    [(RetryPolicy(), "300"), (RetryPolicy(retry_after_limit=3600), "3600")],
    ids=["at the default limit", "within a raised limit"],
)
def test_a_retry_after_within_the_limit_is_waited_out(
    ten: tuple[FakeVendorApp, Any], policy: RetryPolicy, asked: str
) -> None:
    app, server = ten
    clock = FakeClock()
    app.respond_with(b"{}", status=429, **{"Retry-After": asked})
    pages = connect_fake(server.url, clock=clock, retry=policy).page(status="any")
    assert (len(pages.tasks), clock.slept) == (10, [float(asked)])


def test_a_long_wait_before_a_retry_is_said_on_a_stderr_that_is_no_terminal(
    ten: tuple[FakeVendorApp, Any],
) -> None:
    """A scheduler's log has no status line: a run waiting minutes said nothing there."""
    app, server = ten
    client = connect_fake(server.url, clock=FakeClock())
    err = io.StringIO()
    client.transport.on_event = wait_notices(StatusLine(err, enabled=False), client)
    app.respond_with(b"{}", status=429, **{"Retry-After": "120"})
    app.respond_with(b"busy", status=503, **{"Retry-After": "7"})
    app.respond_with(b"busy", status=503, **{"Retry-After": "2"})  # short: unsaid
    assert len(client.page(status="any").tasks) == 10
    assert err.getvalue().splitlines() == [
        "seotasks: fakevendor: retrying tasks in 120s (rate limited)",
        "seotasks: fakevendor: retrying tasks in 7s (the last try failed)",
    ]


def test_quiet_leaves_the_retry_notice_out(ten: tuple[FakeVendorApp, Any]) -> None:
    _, server = ten
    client = connect_fake(server.url, clock=FakeClock())
    err = io.StringIO()
    line = StatusLine(err, enabled=False)
    line.quiet = True
    wait_notices(line, client)(TransportEvent(kind="rate-limited", endpoint="tasks", seconds=60))
    assert err.getvalue() == ""
