"""The official client, paced to the vendor's per-minute limits on a clock the emulator shares.

Why: the contract suite runs against an emulator that enforces DataForSEO's documented
limits (``tasks_ready`` 20 a minute, ``id_list`` 10, everything else 2000), and the
official client has no pacing of its own: a run of a few hundred calls would meet
``40202`` within seconds. A caller of the real API paces its calls; so does this suite,
with seotasks' own `Pacer` wrapped around the official client's HTTP layer (its
``RESTClientObject``), so every call the official API classes make - and every raw
request the suite sends through ``api_client.rest_client`` - waits for room first.

The pacer and the emulator share one `FakeClock`: a wait of a minute costs no real time,
yet the emulator counts its windows on the same clock and would answer ``40202`` to a
call that came too early. The limits are the vendor's, restated here from
``docs/vendors/dataforseo.md`` (which cites the vendor's pages) rather than imported
from the emulator, so the two sides do not agree by construction.
"""

from __future__ import annotations

from typing import Any

from dataforseo_client.api_client import ApiClient
from dataforseo_client.configuration import Configuration
from dataforseo_client.rest import RESTClientObject

from seotasks.clock import Clock
from seotasks.ratelimit import Pacer, RateLimit

__all__ = ["LIMITS", "PacedRESTClient", "group_of", "paced_api_client"]

#: The vendor's documented per-minute limits, by the group a path belongs to.
LIMITS: dict[str, RateLimit] = {
    "tasks_ready": RateLimit.per_minute(20),
    "id_list": RateLimit.per_minute(10),
    "other": RateLimit.per_minute(2000),
}


def group_of(url: str) -> str:
    """The limit a call to ``url`` counts against."""
    path = url.split("?", 1)[0].rstrip("/")
    if path.endswith("/tasks_ready"):
        return "tasks_ready"
    if path.endswith("/id_list"):
        return "id_list"
    return "other"


class PacedRESTClient(RESTClientObject):
    """The official client's HTTP layer, each request admitted by ``pacer`` first."""

    def __init__(self, configuration: Configuration, pacer: Pacer) -> None:
        super().__init__(configuration)
        self.pacer = pacer
        #: Requests sent, by group (what the run cost in calls).
        self.sent: dict[str, int] = {group: 0 for group in LIMITS}

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        group = group_of(url)
        slot = self.pacer.reserve(group)
        try:
            return super().request(method, url, *args, **kwargs)
        finally:
            slot.done()
            self.sent[group] += 1


def paced_api_client(configuration: Configuration, clock: Clock) -> ApiClient:
    """An official `ApiClient` whose every request is paced on ``clock``."""
    client = ApiClient(configuration)
    client.rest_client = PacedRESTClient(configuration, Pacer(dict(LIMITS), clock))
    return client
