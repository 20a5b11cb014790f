"""Where each provider's next listing starts: seotasks cursors kept as dlt resource state.

The ``tasks`` resource keeps one small JSON dict per provider in
``dlt.current.resource_state()``. dlt commits that dict with the rows extracted in the
same run (locally, and into the destination's ``_dlt_pipeline_state`` table), so the
state never claims a page whose rows were not loaded, and a run that dies loses both.

Two things are kept:

* ``cursor``: the seotasks cursor of the next page of a listing that has not finished
  (a run stopped by ``add_limit`` or an error resumes there). It is advanced with each
  page, *before* that page's rows are yielded, so whatever dlt commits holds the rows of
  every page up to the one the cursor points past, and nothing else.
* ``start``: where the next listing begins once one has finished. How that is chosen
  depends on what the vendor's listing can do (`strategy_for`), because "only what is
  new" means something different for each:

  ``since`` (the vendor filters by creation time, e.g. DataForSEO ``source=history``):
      the next listing asks for ``since`` = the creation time of the oldest task still
      queued or running, else of the newest task seen, minus ``overlap``. Tasks that can
      still change are asked for again; finished ones before them never are.
  ``cursor`` (a list in creation order with no time filter, e.g. Serpstat's 7-day
      ``tasks.getList``): the next listing resumes from the cursor that led to the first
      page holding an unfinished task, else to the last page, so it reads that page again
      and then only what was added. Only when the listing was seen to be in ascending
      creation order; a newest-first list starts over each run (new tasks are on page 1).
  ``drain`` (the vendor lists what is done and not yet collected, DataForSEO
      ``tasks_ready``): the vendor keeps the progress itself; collecting (``collect=True``)
      removes a task from its next listing. Every run lists from the start.
  ``full``: every run lists from the start (a time-filtered listing selected by
      completion time, where a creation-time mark does not apply).

A change of selection (providers' listing options, status, since, until) starts over:
the old cursors belong to another query and seotasks would refuse them anyway.

Nothing here imports dlt: the state is a plain dict, so this logic is tested alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any

from seotasks.model import Page, TaskStatus
from seotasks.provider import Capabilities

__all__ = [
    "CURSOR",
    "DRAIN",
    "FULL",
    "SINCE",
    "STRATEGIES",
    "ProviderState",
    "selection_key",
    "strategy_for",
]

DRAIN, SINCE, CURSOR, FULL = "drain", "since", "cursor", "full"
STRATEGIES = (DRAIN, SINCE, CURSOR, FULL)
_OPEN = (TaskStatus.QUEUED, TaskStatus.RUNNING)


def strategy_for(capabilities: Capabilities, time_field: str = "created_at") -> str:
    """How a provider's listing is made incremental (see the module docstring).

    A selection by completion time (``time_field="completed_at"``) cannot start at a
    creation-time mark: such a listing is read whole each run (`FULL`).
    """
    if capabilities.drains:
        return DRAIN
    if "since" in capabilities.server_filters:
        return SINCE if time_field == "created_at" else FULL
    return CURSOR


def selection_key(
    listing: Mapping[str, Any],
    status: str | None,
    since: datetime | timedelta | None,
    until: datetime | timedelta | None,
    time_field: str = "created_at",
) -> str:
    """A digest of what a listing selects: state made under another selection is dropped.

    A rolling bound (a `timedelta` back from each run's start) is the same selection
    from run to run, so it is described by its span, not by the time it gives today."""
    described = {
        "listing": dict(listing),
        "status": status,
        "time_field": time_field,
        "since": _bound(since),
        "until": _bound(until),
    }
    text = json.dumps(described, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _bound(value: datetime | timedelta | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        return f"{value.total_seconds():g} s before each run"
    return value.isoformat()


def _time(value: Any) -> datetime | None:
    return None if not isinstance(value, str) else datetime.fromisoformat(value)


class ProviderState:
    """One provider's entry in the ``tasks`` resource state, read and advanced page by page.

    ``store`` is the dict dlt persists (``resource_state().setdefault(name, {})``); every
    change is made in it directly, as JSON-able values.
    """

    def __init__(
        self,
        store: MutableMapping[str, Any],
        *,
        selection: str,
        strategy: str,
        overlap: timedelta = timedelta(minutes=5),
        account: str | None = None,
    ) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
        self.store = store
        self.strategy = strategy
        self.overlap = overlap
        #: Why the stored state was set aside, for the run's notes (None: it was kept).
        self.reset_reason: str | None = None
        if store and (store.get("selection") != selection or store.get("strategy") != strategy):
            self.reset_reason = "the selection changed since the last run; listing from the start"
            store.clear()
        store.setdefault("selection", selection)
        store.setdefault("strategy", strategy)
        store.setdefault("cursor", None)
        store.setdefault("start", None)
        store.setdefault("run", None)
        store.setdefault("collected", {})
        # Whose state this is (`seotasks.account.account_key`): another account's run of
        # the pipeline is refused (`seotasks_dlt.tasks_run`).
        store["account"] = account

    # -- where to begin ---------------------------------------------------------------------

    @property
    def resume_cursor(self) -> str | None:
        """The next page of an unfinished listing, or None."""
        cursor = self.store.get("cursor")
        return cursor if isinstance(cursor, str) else None

    @property
    def start_cursor(self) -> str | None:
        """``cursor`` strategy: the cursor the next listing starts from (None: the start)."""
        start = self.store.get("start")
        if isinstance(start, dict) and isinstance(start.get("cursor"), str):
            return str(start["cursor"])
        return None

    @property
    def start_since(self) -> datetime | None:
        """``since`` strategy: the creation time the next listing starts at (None: all)."""
        start = self.store.get("start")
        return _time(start.get("since")) if isinstance(start, dict) else None

    def begin(self, lead: str | None) -> None:
        """A listing starts (or resumes) at cursor ``lead``; keep its running figures."""
        if self.store.get("run") is None or self.store.get("cursor") is None:
            self.store["run"] = {
                "lead": lead,
                "open_lead": None,
                "open_seen": False,
                "oldest_open": None,
                "newest": None,
                "oldest": None,
                "ascending": True,
                "page_first": None,
                "open_first": None,
            }

    def forget(self, reason: str) -> None:
        """Drop every cursor (one the provider refused): the next listing starts over."""
        self.reset_reason = reason
        self.store["cursor"] = None
        self.store["start"] = None
        self.store["run"] = None
        self.store["collected"] = {}

    # -- results already collected --------------------------------------------------------

    def was_collected(self, task_id: str) -> bool:
        """Whether this task's result was loaded by an earlier page or run.

        Listings read some tasks again (the overlap, the page an unfinished task is on,
        the tasks a run collected from the destination before listing them); this keeps
        them from being collected again - a call the vendor paces and may bill, and for
        DataForSEO ``tasks_ready`` a consuming read.
        """
        return task_id in self.store["collected"]

    def mark_collected(self, task_id: str, created_at: datetime | None) -> None:
        """``created_at`` as the caller has it: the destination's copy for a backfilled
        task, which `page` replaces with the listing's own once the task is listed."""
        self.store["collected"][task_id] = _iso(created_at)

    # -- advancing ------------------------------------------------------------------------

    def page(self, page: Page) -> None:
        """``page`` was listed: advance the cursor to the page after it.

        Call it before yielding the page's rows, so that the state dlt commits never
        points past rows it does not hold.

        The marks of the page's collected tasks take the creation times the listing gives
        now: the next listing's start (`_finish`) is one of them, and a mark made from
        another source (the destination's row of a backfilled task, loaded from an
        earlier listing; the sandbox draws its tasks' times again at each start) could
        fall just before it and be dropped while the page that holds the task is read
        again.
        """
        collected: dict[str, str | None] = self.store["collected"]
        for task in page.tasks:
            if task.id in collected and task.created_at is not None:
                collected[task.id] = _iso(task.created_at)
        run = self.store["run"]
        oldest_open: datetime | None = _time(run["oldest_open"])
        before = newest = _time(run["newest"])
        first: datetime | None = None
        page_open = False
        for task in page.tasks:
            created = task.created_at
            if created is None:
                if task.status in _OPEN:
                    page_open = True
                continue
            if first is None or created < first:
                first = created
            if newest is None or created > newest:
                newest = created
            if task.status in _OPEN:
                page_open = True
                if oldest_open is None or created < oldest_open:
                    oldest_open = created
        if first is not None and before is not None and first < before:
            run["ascending"] = False
        run["page_first"] = _iso(first)
        oldest = _time(run["oldest"])
        if first is not None and (oldest is None or first < oldest):
            run["oldest"] = _iso(first)
        if page_open and not run["open_seen"]:
            run["open_seen"] = True
            run["open_lead"] = run["lead"]
            run["open_first"] = run["page_first"]
        run["oldest_open"] = _iso(oldest_open)
        run["newest"] = _iso(newest)
        self.store["cursor"] = page.next_cursor
        if page.next_cursor is None:
            self._finish(run, page)
        else:
            run["lead"] = page.next_cursor

    def _finish(self, run: dict[str, Any], last: Page) -> None:
        """The listing reached its end: choose where the next one starts, and drop the
        collected marks of tasks the next listing will not read again.

        The marks of the ``last`` page's tasks are kept whatever their time: this runs
        before that page is collected (its rows are yielded after `page`), and its
        collection asks `was_collected` of each of them. Dropped here, the tasks a run had
        collected from the destination (`seotasks_dlt.backfill`) in an earlier run of
        the same load, created before the next listing's start, were fetched a second
        time. The next listing that does not show them drops them.
        """
        previous = self.store.get("start")
        #: Tasks created before this are not listed again: their collected marks can go.
        reread: datetime | None = None
        if self.strategy in (DRAIN, FULL):
            start = None
        elif self.strategy == SINCE:
            oldest_open, newest = _time(run["oldest_open"]), _time(run["newest"])
            mark = oldest_open if oldest_open is not None else newest
            if mark is None:  # nothing listed: ask from the same point next time
                start = previous
                reread = _time(previous.get("since")) if isinstance(previous, dict) else None
            else:
                reread = mark - self.overlap
                start = {"since": _iso(reread)}
        elif not run["ascending"]:
            start = None
        else:
            start = {"cursor": run["open_lead"] if run["open_seen"] else run["lead"]}
            reread = _time(run["open_first"] if run["open_seen"] else run["page_first"])
            if start["cursor"] is None:
                start = None
        self.store["start"] = start
        self.store["run"] = None
        if self.strategy != DRAIN and reread is None:
            # The next listing starts over: anything older than this listing's oldest
            # task has left the vendor's list for good.
            reread = _time(run["oldest"])
        listed = {task.id for task in last.tasks}
        collected: dict[str, str | None] = self.store["collected"]
        for task_id, created in list(collected.items()):
            if task_id in listed:
                continue
            when = _time(created)
            # Drain: a collected task leaves the vendor's list. No reread time: the
            # listing held no dated task, so no mark's task will be read again.
            if self.strategy == DRAIN or reread is None or when is None or when < reread:
                del collected[task_id]
