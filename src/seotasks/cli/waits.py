"""Long pacing waits said on stderr: a minute's silence reads as a hang.

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
    """A transport event sink that says each endpoint's first long pacing wait on
    ``line``'s stream (a hint: left out under ``--quiet``); other events pass unsaid."""
    noticed: set[str] = set()

    def notify(event: TransportEvent) -> None:
        if event.kind != "waiting" or event.seconds < WAIT_NOTICE:
            return
        if event.endpoint not in noticed:
            noticed.add(event.endpoint)
            line.notice(_wait_text(client, event.endpoint, event.seconds), hint=True)

    return notify


def event_sink(progress: Progress, client: Client) -> Callable[[TransportEvent], None]:
    """`wait_notices`, and every other wait or retry counted on the listing's line."""
    notify = wait_notices(progress, client)

    def sink(event: TransportEvent) -> None:
        if event.kind == "waiting":
            notify(event)
        else:
            progress.event(client.name, event.kind, event.describe())

    return sink


def _wait_text(client: Client, endpoint: str, wait: float) -> str:
    from ..clock import ScaledClock

    limit = client.transport.pacer.limit_for(endpoint)
    rate = ""
    if limit is not None:
        per = "minute" if limit.period == 60 else f"{limit.period:g} s"
        rate = f" (the vendor allows {limit.calls} a {per})"
    advice = client.provider.advice("wait", endpoint)
    # The sandbox's clock runs faster (`SANDBOX_SPEED`): say what the wait really lasts,
    # or a minute announced and over in a second reads as a hang to be interrupted.
    clock = client.transport.clock
    how_long = (
        f"{wait:.0f}s of the sandbox's clock ({wait / clock.factor:.1f}s real)"
        if isinstance(clock, ScaledClock)
        else f"{wait:.0f}s"
    )
    return f"{client.name}: waiting {how_long} for the next {endpoint} call{rate}" + (
        f"; {advice}" if advice else ""
    )
