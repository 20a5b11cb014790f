"""Long waits said on stderr (pacing, and before a retry): a minute's silence reads as a hang.

DataForSEO allows 20 ``tasks_ready`` calls a minute, and one listing of the default
families makes 16: a second listing (or a ``collect`` run after one) waits most of a
minute before its first call. Said once per endpoint, with the vendor's rate and the provider's
advice, by every command that lists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..client import Client
    from ..transport import TransportEvent
    from .common import Progress, StatusLine

__all__ = ["WAIT_NOTICE", "event_sink", "wait_notices"]

#: A pacing wait at least this long (seconds) is announced on stderr, once per endpoint.
WAIT_NOTICE = 5.0


def wait_notices(line: StatusLine, client: Client) -> Callable[[TransportEvent], None]:
    """A transport event sink that says on ``line``'s stream each endpoint's first long
    pacing wait, and every long wait before a retry (hints: left out under ``--quiet``).

    A terminal's status line shows a retry as it comes, but a scheduler's log has no status
    line: without a line of its own, a run waiting out a vendor's ``Retry-After`` of
    minutes looked hung there."""
    noticed: set[str] = set()

    def notify(event: TransportEvent) -> None:
        if event.seconds < WAIT_NOTICE:
            return
        if event.kind in _RETRIES:
            line.notice(_retry_text(client, event), hint=True)
        elif event.kind == "waiting" and event.endpoint not in noticed:
            noticed.add(event.endpoint)
            line.notice(_wait_text(client, event.endpoint, event.seconds), hint=True)

    return notify


def event_sink(progress: Progress, client: Client) -> Callable[[TransportEvent], None]:
    """`wait_notices`, and every other wait or retry counted on the listing's line."""
    notify = wait_notices(progress, client)

    def sink(event: TransportEvent) -> None:
        notify(event)
        if event.kind != "waiting":
            progress.event(client.name, event.kind, event.describe())

    return sink


#: The events of a wait before a retry, and what each says of the call before it.
_RETRIES = {"rate-limited": "rate limited", "retry": "the last try failed"}


def _retry_text(client: Client, event: TransportEvent) -> str:
    """``dataforseo: retrying tasks_ready in 120s (rate limited)``."""
    how_long = _how_long(client, event.seconds)
    return f"{client.name}: retrying {event.endpoint} in {how_long} ({_RETRIES[event.kind]})"


def _wait_text(client: Client, endpoint: str, wait: float) -> str:
    limit = client.transport.pacer.limit_for(endpoint)
    rate = ""
    if limit is not None:
        per = "minute" if limit.period == 60 else f"{limit.period:g} s"
        rate = f" (the vendor allows {limit.calls} a {per})"
    advice = client.provider.advice("wait", endpoint)
    return (
        f"{client.name}: waiting {_how_long(client, wait)} for the next {endpoint} call{rate}"
        + (f"; {advice}" if advice else "")
    )


def _how_long(client: Client, wait: float) -> str:
    """``42s``; on the sandbox's faster clock (`SANDBOX_SPEED`) what the wait really
    lasts too, or a minute announced and over in a second reads as a hang to interrupt."""
    from ..clock import ScaledClock

    clock = client.transport.clock
    if isinstance(clock, ScaledClock):
        return f"{wait:.0f}s of the sandbox's clock ({wait / clock.factor:.1f}s real)"
    return f"{wait:.0f}s"
