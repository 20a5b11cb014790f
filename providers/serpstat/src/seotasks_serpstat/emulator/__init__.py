"""A loopback Serpstat: JSON-RPC ``tasks.getList`` from seeded data, faults on demand.

It speaks what the vendor reference documents (``docs/vendors/serpstat.md``): POST
to ``/rt/api/v2/`` (or ``/v4/``) with ``?token=``; a body ``{"id", "method", "params"}``;
the answer ``{"id": "<id as a string>", "result": [...]}`` or ``{"id", "error": {"code",
"message", "data": null}}`` -- **always HTTP 200**, errors included, with the vendor's
positive codes (400 missing token / bad params, 403 invalid token or method, 429 query
frequency exceeded). It keeps the 7-day window and the documented cap of 60,000 rows a
method returns, lets new tasks arrive and old ones expire between pages, limits
requests per second on an injectable clock, and expresses the
vendor-level faults of `seotasks.emulation.Fault` (a 429 error object, a wrong type, an
answer for another id); the network faults are the shared `EmulatorServer`'s.

Standard library only (plus attrs, as the core's emulation base): it serves the tests,
``seotasks tasks --sandbox``, the benchmarks and the conformance kit alike. Share one
clock between the client and the emulator (``clock=``): the rate limit counts on it, so
a client on a `FakeClock` and an emulator on real time would disagree.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from hashlib import sha256
from typing import Any, Final

from seotasks.clock import Clock
from seotasks.emulation import EmulatorServer

from .app import PATHS, SerpstatApp
from .dataset import MAX_ROWS, Dataset, TaskTruth

__all__ = ["DEFAULT_SIZE", "PATHS", "SerpstatApp", "SerpstatEmulator", "TaskTruth"]

DEFAULT_SIZE: Final = 1500


class SerpstatEmulator:
    """A running Serpstat emulator with its data; a context manager.

    ``seed`` and ``size`` fix the data; ``clock`` (monotonic) drives the requests/second
    limit (``rps``; ``None`` for none) and ``now`` the data's wall time (UTC-aware
    datetimes; real time by default). ``timezone`` is the zone the naive timestamps are
    written in; ``order="desc"`` serves newest first; ``pending_parsed_at`` is what an
    unfinished task shows as ``parsed_at`` (JSON null, as documented, or e.g. ``""``);
    ``max_rows`` the rows tasks.getList serves at most (``None``: all, for benchmarks);
    ``port`` the loopback port (0: one the system picks); ``typed_ids`` serves tasks.getList
    ids and counts as JSON integers, as the current schema types them (text by default,
    as the older pages show them: the reference says to read both). The token is one a seed.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        size: int = DEFAULT_SIZE,
        clock: Clock | None = None,
        now: Callable[[], datetime] | None = None,
        rps: float | None = 1.0,
        timezone: str = "UTC",
        order: str = "asc",
        token: str | None = None,
        pending_parsed_at: str | None = None,
        path: str = "/rt/api/v2/",
        post_delay: int = 30,
        post_duration: int = 240,
        max_rows: int | None = MAX_ROWS,
        port: int = 0,
        typed_ids: bool = False,
    ) -> None:
        if order not in ("asc", "desc"):
            raise ValueError("order must be 'asc' or 'desc'")
        if path not in PATHS:
            raise ValueError(f"path must be one of {sorted(PATHS)}")
        self.token = token or "emu-" + sha256(b"serpstat %d" % seed).hexdigest()[:24]
        self.timezone = timezone
        self.rps = rps  # the requests a second it allows (None: no limit)
        self.dataset = Dataset(seed=seed, size=size, now=now, timezone=timezone, max_rows=max_rows)
        self.dataset.pending_parsed_at = pending_parsed_at
        self.app = SerpstatApp(
            self.dataset,
            token=self.token,
            clock=clock,
            rps=rps,
            descending=order == "desc",
            post_delay=post_delay,
            post_duration=post_duration,
            typed_ids=typed_ids,
        )
        self.server = EmulatorServer(self.app, port=port)
        self._path = path
        self.size = size
        self._churn_rng = random.Random(seed + 1)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> SerpstatEmulator:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> SerpstatEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The JSON-RPC endpoint (the provider's ``base_url``)."""
        return f"{self.server.url}{self._path}"

    @property
    def settings(self) -> dict[str, Any]:
        """Options that point ``connect("serpstat", ...)`` here, with the zone of its times
        (``Any``, as `connect` takes them: strict mypy refuses a ``**dict[str, str]``); not
        the rate: give another ``rps`` than 1 as ``connect(..., rps=emulator.rps)``."""
        return {"base_url": self.url, "token": self.token, "timezone": self.timezone}

    # -- changing the data --------------------------------------------------------------------

    def add_tasks(self, count: int) -> list[str]:
        """Post ``count`` new (queued) tasks now; their ids."""
        return self.dataset.add(count)

    def expire(self, count: int) -> list[str]:
        """Drop the ``count`` oldest tasks from the list at once; their ids."""
        return self.dataset.expire(count)

    def finish(self, count: int) -> list[str]:
        """Finish ``count`` queued or running tasks now; their ids."""
        return self.dataset.finish(count, self._churn_rng)

    def churn(self) -> None:
        """Move the list the way Serpstat's moves under a reader: the conformance kit's hook.

        Five new tasks at the new end, three of the oldest expired (every later row moves
        up three places on a page-numbered list), two unfinished tasks finished.
        """
        self.add_tasks(5)
        self.expire(3)
        self.finish(2)

    def fail_next(self, code: int, message: str, count: int = 1) -> None:
        """Answer the next ``count`` authorized calls with a JSON-RPC error object."""
        self.app.fail_next(code, message, count)

    # -- ground truth -------------------------------------------------------------------------

    def task_ids(self, status: str | None = None) -> list[str]:
        """Ids listed right now (oldest first), optionally only ``queued|running|completed``."""
        return self.dataset.task_ids(status)

    def all_ids(self) -> list[str]:
        """Every id ever posted, expired ones included."""
        return self.dataset.all_ids()

    def truth(self, task_id: str) -> TaskTruth:
        """What the task is right now (UTC times, status, percent, ids)."""
        return self.dataset.truth(task_id)

    def rows(self) -> list[dict[str, Any]]:
        """The whole current list as wire rows, in the served order."""
        now = self.dataset.now_epoch()
        indices = self.dataset.visible(now)
        if self.app.descending:
            indices = indices[::-1]
        return [self.dataset.row(i, now) for i in indices]

    def posted(self) -> list[tuple[str, dict[str, Any]]]:
        """Every task-adding call processed: (method, params), a lost answer counted once."""
        return list(self.app.posted)

    @property
    def requests(self) -> int:
        """How many HTTP requests reached the server."""
        return len(self.server.requests)
