"""The sandbox check: the emulator's data stands where ``now`` says, reproducibly.

`Provider.sandbox` receives ``now`` (in its `SandboxRequest`), the data's wall clock: ``seotasks tasks --sandbox
--sandbox-day 2026-01-01`` stands the emulators *and* the clients at that day's midnight,
so relative times (``--since 2d``), retention windows and the listed dates agree. A
sandbox that draws its tasks around the real time, or around a date of its own, prints
dates from another day and answers windows that end "now" with the wrong tasks. This
check starts the provider's own sandbox three times (the same seed each time) and lists
it with a client standing at the same ``now``: twice at one fixed moment, which must give
the same tasks with the same times; once years later, which must move every time. A
provider with a retention ``window`` must also answer a ``since`` inside it, counted from
that ``now``: one that measures its window on the system clock refuses it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from ...clock import FakeClock
from ...errors import RateLimited, UnsupportedQuery
from ...model import TaskStatus
from ...plugins import get_provider
from ...sandbox import SandboxRequest
from .asserts import failures_only, held_times

if TYPE_CHECKING:
    from ...call import Request
    from ...client import Client
    from . import ConformanceEnv

__all__ = ["SandboxChecks"]

#: Where the first two sandboxes stand: a fixed moment, far from the real time (a
#: sandbox on the real clock is caught) and a leap day (so is date arithmetic by hand).
_NOW = datetime(2024, 2, 29, 12, 0, tzinfo=UTC)
#: How far the third one stands later: more than any sandbox's data spans, so that every
#: time drawn around the later moment is after every time drawn around the first.
_LATER = timedelta(days=1000)
_SEED = 28
#: Small: the check lists the whole sandbox three times.
_SIZE = 60

_Snapshot = list[
    tuple[str, TaskStatus, datetime | None, datetime | None, datetime | None, float | None]
]


@contextlib.contextmanager
def _sandboxed(name: str, now: datetime) -> Iterator[Client | None]:
    """A client of ``name``'s sandbox started at ``now`` (None: it ships none), both on
    one `FakeClock`, the emulator's rate limits and the client's pacing, as the CLI does."""
    from ...connection import connect
    from ..clients import FAST_RETRY

    clock = FakeClock()

    def wall() -> datetime:
        return now

    manager = get_provider(name).sandbox(
        SandboxRequest(seed=_SEED, size=_SIZE, clock=clock, now=wall)
    )
    if manager is None:
        yield None
        return
    with (
        manager as running,
        connect(
            name, env={}, clock=clock, now=wall, retry=FAST_RETRY, **running.settings
        ) as client,
    ):
        yield client


def _listing(name: str, now: datetime) -> tuple[_Snapshot, str] | None:
    """Every task of ``name``'s sandbox started at ``now``, or None without a sandbox,
    and the refusal of a creation bound half the declared `Capabilities.window` before
    ``now`` ("" when answered, or not asked: no window, or no ``created_at`` held)."""
    with _sandboxed(name, now) as client:
        if client is None:
            return None
        tasks = list(client.tasks(status="any"))
        refusal = _window_refusal(client, now)
    snapshot = [
        (t.id, t.status, t.created_at, t.started_at, t.completed_at, t.progress) for t in tasks
    ]
    return sorted(snapshot, key=lambda row: row[0]), refusal


#: The most listings the clock check makes: one more than the tightest limit of a
#: bucket the listing calls, when that is at most this (a listing is a call or a few).
_MOST_ROUNDS = 40


def _paced_refusal(name: str) -> str | None:
    """Whether listing ``name``'s sandbox more often than the tightest declared rate
    limit of the buckets a listing calls allows in one period, paced by a client on the
    sandbox's own `FakeClock`, was refused: the refusal, "" when every listing went
    through, None when the check does not apply (no sandbox, no such limit of at most
    `_MOST_ROUNDS` calls)."""
    from ...ratelimit import limit_key

    limits = get_provider(name).rate_limits
    with _sandboxed(name, _NOW) as client:
        if client is None:
            return None
        used: list[Request] = []
        client.transport.on_send = used.append
        try:
            list(client.tasks(status="any"))
            buckets = {limit_key(limits, request.endpoint) for request in used}
            tightest = min((limits[k].calls for k in buckets if k is not None), default=None)
            if tightest is None or tightest + 1 > _MOST_ROUNDS:
                return None
            for _ in range(int(tightest)):
                list(client.tasks(status="any"))
        except RateLimited as exc:
            return str(exc)
        finally:
            client.transport.on_send = None
    return ""


def _window_refusal(client: Client, now: datetime) -> str:
    """A provider that measures its retention on the system clock, not on
    ``transport.now()``, refuses every ``--since`` of a sandbox stood at another day."""
    window = client.capabilities.window
    if window is None or "created_at" not in held_times(client.capabilities):
        return ""
    since = now - window / 2
    try:
        client.page(status="any", since=since)
    except UnsupportedQuery as exc:
        return f"refused since={since.isoformat()}: {exc}"
    return ""


def _times(snapshot: _Snapshot) -> list[datetime]:
    return sorted(when for row in snapshot for when in row[2:5] if isinstance(when, datetime))


class SandboxChecks:
    """`Provider.sandbox` honours ``now`` and ``clock`` (skipped for a provider that ships
    no sandbox)."""

    def test_sandbox_honours_now(self, conformance: ConformanceEnv) -> None:
        """The same seed and ``now`` list the same tasks, timestamps included; a later
        ``now`` moves every time. The client stands at the same ``now`` (its windows and
        retention count from it), and both sides share one `FakeClock` for pacing."""
        __tracebackhide__ = failures_only
        listed = _listing(conformance.provider, _NOW)
        if listed is None:
            pytest.skip("the provider ships no sandbox (Provider.sandbox returns None)")
        first, refusal = listed
        assert first, f"the sandbox started at now={_NOW.isoformat()} listed no task"
        if refusal:
            pytest.fail(
                f"a client standing at now={_NOW.isoformat()} {refusal[:300]}, half its "
                "declared window before that now: the provider measures its retention on "
                "the system clock. Count back from self.transport.now(), the client's wall "
                "clock (`seotasks tasks --sandbox --sandbox-day` moves it)",
                pytrace=False,
            )
        again_listed = _listing(conformance.provider, _NOW)
        assert again_listed is not None
        again = again_listed[0]
        if again != first:
            ids, ids_again = {row[0] for row in first}, {row[0] for row in again}
            if ids != ids_again:
                detail = f"the task ids differ, e.g. {sorted(ids ^ ids_again)[:5]}"
            else:
                row, other = next((a, b) for a, b in zip(first, again, strict=True) if a != b)
                detail = f"task {row[0]} was {row[1:]} the first time, {other[1:]} the second"
            pytest.fail(
                f"two sandboxes with seed={_SEED} and now={_NOW.isoformat()} listed different "
                f"tasks: {detail}. Draw the seeded data from the seed and `now` alone",
                pytrace=False,
            )
        times = _times(first)
        assert times, "no task of the sandbox carries any time: the check cannot see `now`"
        moved = _listing(conformance.provider, _NOW + _LATER)
        assert moved is not None
        later = _times(moved[0])
        if not later or later[0] <= times[-1]:
            pytest.fail(
                f"the sandbox ignores `now`: started {_LATER.days} days later, its times "
                f"span {later[0] if later else None}..{later[-1] if later else None}, while "
                f"at now={_NOW.isoformat()} they spanned {times[0]}..{times[-1]}. Draw the "
                "seeded times around the `now` that Provider.sandbox receives "
                "(`seotasks tasks --sandbox --sandbox-day` relies on it)",
                pytrace=False,
            )

    def test_sandbox_honours_clock(self, conformance: ConformanceEnv) -> None:
        """The sandbox counts its rate limits on the `SandboxRequest` clock, which the
        CLI's clients pace on too: on the system clock it refuses a listing paced in
        the shared (fast) time, and ``seotasks tasks --sandbox`` stops with RateLimited
        partway."""
        __tracebackhide__ = failures_only
        refusal = _paced_refusal(conformance.provider)
        if refusal is None:
            pytest.skip("no sandbox, or no declared rate limit of at most 39 calls a period")
        if refusal:
            pytest.fail(
                "listing the sandbox more often than its tightest declared rate limit "
                "allows, paced by a client on the sandbox's own clock, was refused "
                f"({refusal[:200]}): the sandbox counts its limits on the system clock. "
                "Count them on SandboxRequest.clock, which the client paces on",
                pytrace=False,
            )
