"""A loopback DataForSEO v3 for tests, the ``--sandbox`` demo, benchmarks and the conformance kit.

It speaks the wire format of ``docs/vendors/dataforseo.md`` field for field: the
envelope (``version``, ``status_code``, ``status_message``, ``time``, ``cost``,
``tasks_count``, ``tasks_error``, ``tasks[]`` with ``id``, ``path``, ``data``,
``result_count``, ``result``), HTTP Basic auth (401 + 40100 + ``WWW-Authenticate``),
``tasks_ready`` with its 1000 cap and hidden remainder, ``task_get`` removing a task
from the ready list, the 3-day ready window, ``id_list`` validation with the vendor's
codes inside HTTP-200 bodies, and the per-minute limits (20 tasks_ready, 10 id_list,
2000 others) counted on an injectable `seotasks.clock.Clock`, and 30 calls in progress
at once (40209 beyond them, `simultaneous`). Request fields, result
shapes, tasks_ready item fields and the task_get flavours per endpoint are the official
client's (`seotasks_dataforseo.vendor_shapes`, checked against its models by the contract
suite), so the vendor's generated client parses every answer and every request it sends
is accepted (``null`` meaning "not set"). ``task_post`` also checks each SERP task against
`seotasks_dataforseo.serp_types` (devices, depth limits, postback flavours), the table
the provider maps specs with; a task posted with a pingback or postback URL
completes into that callback (`seotasks_dataforseo.callbacks`: real calls to loopback
hosts only) and reaches tasks_ready only when the call fails. ``POST /v3/<family>/errors``
lists the failed deliveries and the task-level error answers of the last 7 days, ``GET
/v3/appendix/errors`` the code table (`errors`). Results can be fetched for 30 days, HTML
results for 7; then task_get answers 40403 "Results Expired.".

Vendor-level faults come from `seotasks.emulation.FaultPlan`: ``RATE_LIMIT_BODY`` is a
top-level 40202 in an HTTP-200 body, ``WRONG_TYPES`` a number where the vendor sends a
date string. The generic faults (5xx, 429, reset, slow, truncated, empty) are the
shared server's.

    with DataForSEOEmulator(seed=1, size=5000) as emu:
        client = seotasks.connect("dataforseo", **emu.settings)
        assert {t.id for t in client.tasks()} <= emu.ready_ids()

Assumptions where the vendor's docs are silent (kept explicit, tested against): id_list
filters and orders by ``datetime_posted`` (then id), both window ends inclusive; a
family-level tasks_ready lists every engine endpoint of its family; On-Page results are
collected with ``/v3/on_page/summary/<id>``.

Standard library only (plus attrs via seotasks.emulation).
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from seotasks.clock import Clock, SystemClock
from seotasks.emulation import (
    EmulatorServer,
)
from seotasks.model import TaskStatus
from seotasks.provider import Sandbox

from ..endpoints import (
    DEFAULT_FAMILIES,
    HISTORY_DEFAULT_FAMILIES,
    resolve_history,
    resolve_ready,
)
from .answers import status_of
from .app import DataForSEOApp
from .callbacks import Delivery
from .dataset import READY_KEEP, Dataset, EmuTask
from .envelope import vendor_id
from .http_layer import VendorHttp

if TYPE_CHECKING:
    from seotasks.sandbox import SandboxRequest

__all__ = ["DEFAULT_SIZE", "DataForSEOApp", "DataForSEOEmulator", "sandbox"]

DEFAULT_SIZE = 2500


class DataForSEOEmulator:
    """A running DataForSEO emulator with seeded data, plus ground truth for tests.

    ``clock`` counts the per-minute limits (share a `FakeClock` / `ScaledClock` with the
    client to run them instantly); ``now`` is the wall clock of the data (posting and
    completion times, the 3-day and 6-month windows), real UTC time by default.
    """

    def __init__(
        self,
        seed: int = 0,
        size: int = DEFAULT_SIZE,
        *,
        clock: Clock | None = None,
        now: Callable[[], datetime] | None = None,
        login: str = "emulator-login",
        password: str | None = None,
        span_days: float = 120,
        recent: float = 0.5,
        kinds: Iterable[str] | None = None,
        enforce_limits: bool = True,
        post_delay: timedelta = timedelta(minutes=5),
        callback_timeout: float = 10.0,
        port: int = 0,
    ) -> None:
        self.now: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        self.clock: Clock = clock or SystemClock()
        self.login = login
        self.password = password or f"emu-s3cret-{seed:04d}-dfs"
        self.dataset = Dataset(
            seed=seed,
            size=size,
            now=self.now,
            span=timedelta(days=span_days),
            recent=recent,
            kinds=kinds,
        )
        self.app = DataForSEOApp(
            self.dataset,
            login=self.login,
            password=self.password,
            clock=self.clock,
            now=self.now,
            enforce_limits=enforce_limits,
            post_delay=post_delay,
            callback_timeout=callback_timeout,
        )
        self.server = EmulatorServer(VendorHttp(self.app), port=port)
        self._started = False
        self._churn_rng = random.Random(seed + 1)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> DataForSEOEmulator:
        if not self._started:
            self.server.start()
            self._started = True
        return self

    def stop(self) -> None:
        self.app.callbacks.stop()
        self.server.stop()  # closes a socket bound for ``url`` even if never started
        self._started = False

    def __enter__(self) -> DataForSEOEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<DataForSEOEmulator {self.url} {self.size} tasks>"

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def settings(self) -> dict[str, Any]:
        """Keyword arguments for ``seotasks.connect("dataforseo", **settings)``.

        Typed ``Any`` as `connect`'s ``**options`` are: a user's ``mypy --strict`` checks
        a ``**dict[str, str]`` against every keyword of `connect` and refuses it."""
        return {"base_url": self.url, "login": self.login, "password": self.password}

    @property
    def size(self) -> int:
        with self.dataset.lock:
            return len(self.dataset.by_id)

    @property
    def rate_limited(self) -> int:
        """How many calls were refused with 40202 for exceeding a real limit."""
        return self.app.rate_limited

    @property
    def calls(self) -> dict[str, int]:
        """Authorized calls answered, per group (``tasks_ready``, ``id_list``, ``other``)."""
        return dict(self.app.calls)

    # -- changing the data -----------------------------------------------------------------

    def add_tasks(
        self,
        count: int,
        *,
        kinds: Iterable[str] | None = None,
        posted: datetime | tuple[datetime, datetime] | None = None,
        code: int | None = None,
        delay: timedelta | None = None,
    ) -> list[str]:
        """Insert ``count`` tasks now (mid-run is fine); returns their ids.

        ``posted`` is an instant or a (start, end) range (default: the seeded spread);
        ``code`` the final status code (default: mostly 20000); ``delay`` the time
        from posting to completion (a completion in the future keeps a task pending).
        """
        return self.dataset.add_random(count, kinds=kinds, posted=posted, code=code, delay=delay)

    def tie(self, task_id: str, count: int) -> list[str]:
        """Add ``count`` tasks exactly like ``task_id`` (same kind, status and times, new
        ids), as the vendor stores tasks posted in one batch: the conformance kit's tie at
        a page boundary (`ConformanceEnv.tie`). Returns the new ids."""
        made: list[str] = []
        with self.dataset.lock:
            base = self.dataset.by_id[task_id]
            for _ in range(count):
                twin = EmuTask(
                    vendor_id(self._churn_rng, base.posted),
                    base.kind,
                    base.posted,
                    base.done,
                    base.code,
                    self._churn_rng,
                )
                twin.cost, twin.tag, twin.keyword = base.cost, base.tag, base.keyword
                twin.device, twin.location, twin.language = (
                    base.device,
                    base.location,
                    base.language,
                )
                self.dataset._insert(twin, self.now())
                made.append(twin.id)
        return made

    def churn(self) -> None:
        """Move the account the way DataForSEO's moves under a reader: the kit's hook.

        Four tasks posted at seeded times (some land behind the reader, some ahead),
        two posted now that complete later, two pending tasks completed now (a status
        change; in tasks_ready they appear), two ready tasks collected (they leave
        tasks_ready) and one task forgotten (it leaves id_list and tasks_ready, as
        retention does).
        """
        rng = self._churn_rng
        now = self.now()
        self.add_tasks(4)
        self.add_tasks(2, posted=now, delay=timedelta(hours=1))
        data = self.dataset
        with data.lock:
            pending = data.pending(now)
            for task in rng.sample(pending, min(2, len(pending))):
                data.finish_now(task, now)
            ready = sorted(t.id for d in data.ready.values() for t in d.values())
            for task_id in rng.sample(ready, min(2, len(ready))):
                data.collect(data.by_id[task_id])
            every = sorted(data.by_id)
            if every:
                data.forget(data.by_id[rng.choice(every)])

    # -- ground truth --------------------------------------------------------------------

    def ready_ids(self, families: Iterable[str] | None = None) -> set[str]:
        """Every id a full drain of ``families`` would list now (beyond the 1000 cap)."""
        chosen = resolve_ready(list(families or DEFAULT_FAMILIES))
        with self.dataset.lock:
            return self.dataset.ready_ids(chosen, self.now())

    def history_ids(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        status: TaskStatus | str | None = None,
        families: Iterable[str] | None = None,
        *,
        time_field: str = "created_at",
    ) -> set[str]:
        """Ids with ``since <= posted < until`` in ``families``, optionally of one status.

        ``time_field="completed_at"`` bounds the completion time instead (tasks not done
        by now have none and are left out of a bounded query).
        """
        by_done = time_field == "completed_at"
        wanted = resolve_history(list(families or HISTORY_DEFAULT_FAMILIES))
        want_status = None if status is None else TaskStatus(status)
        now = self.now()
        ids: set[str] = set()
        with self.dataset.lock:
            for family in wanted:
                for key in self.dataset.history[family.family]:
                    task = self.dataset.by_id[key[1]]
                    when: datetime | None = task.posted
                    if by_done:
                        when = task.done if task.done <= now else None
                    if (since is not None or until is not None) and when is None:
                        continue
                    if since is not None and when is not None and when < since:
                        continue
                    if until is not None and when is not None and when >= until:
                        continue
                    if not family.wants(task.kind):
                        continue
                    if want_status is not None and status_of(task, now) is not want_status:
                        continue
                    ids.add(task.id)
        return ids

    def posted(self) -> list[list[Any]]:
        """Every task_post array processed so far (a lost answer still counts once)."""
        with self.dataset.lock:
            return [list(batch) for batch in self.app.posted]

    def deliveries(self) -> list[Delivery]:
        """Every pingback/postback attempted so far (task id, how, outcome; no URL)."""
        with self.app.callbacks._cond:
            return list(self.app.callbacks.deliveries)

    def wait_callbacks(self, timeout: float = 15.0) -> bool:
        """Wait until every callback due by ``now`` was attempted; False on timeout."""
        return self.app.callbacks.wait_idle(timeout)

    def collected_ids(self) -> set[str]:
        """Ids fetched with task_get at least once."""
        with self.dataset.lock:
            return {t.id for t in self.dataset.by_id.values() if t.collected}

    def task(self, task_id: str) -> dict[str, Any]:
        """One task as plain data: kind, times, status code now, collected flag."""
        with self.dataset.lock:
            t = self.dataset.by_id[task_id]
            now = self.now()
            return {
                "id": t.id,
                "kind": t.kind,
                "posted": t.posted,
                "done": t.done if t.done <= now else None,
                "code": t.code_at(now),
                "status": status_of(t, now).value,
                "tag": t.tag,
                "cost": t.cost,
                "collected": t.collected,
                "ready": t.listable and not t.collected and now - READY_KEEP <= t.done <= now,
                "callback": None if t.callback is None else t.callback.how,
                "awaiting": t.awaiting,
                "delivered": t.delivered,
            }


@contextlib.contextmanager
def sandbox(request: SandboxRequest) -> Iterator[Sandbox]:
    """`DataForSEOProvider.sandbox`: an emulator of ``request.size`` seeded tasks, while
    in use."""
    size = DEFAULT_SIZE if request.size is None else request.size
    emulator = DataForSEOEmulator(
        seed=request.seed, size=size, clock=request.clock, now=request.now, port=request.port or 0
    )
    with emulator:
        yield Sandbox(
            settings=emulator.settings,
            stop=emulator.stop,
            description=(
                f"DataForSEO emulator at {emulator.url} ({emulator.size} tasks, seed {request.seed})"
            ),
        )
