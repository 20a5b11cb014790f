"""``seotasks status``'s counts, taken task by task as the listing streams.

The summary needs counters, a minimum, a sum and, for ``--to DIR``, a look at each
completed task: it never needed the tasks themselves. Holding every listed task (its
vendor item included) cost about 1.5 kB each, 1.6 GB for an account of a million.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model import TaskStatus
from ..store import ResultStore

if TYPE_CHECKING:
    from ..client import Client
    from ..model import Task

__all__ = ["Tally", "has_file"]

_UNFINISHED = (TaskStatus.QUEUED, TaskStatus.RUNNING)


def has_file(store: ResultStore, provider: str, task_id: str) -> bool:
    """Whether ``store`` holds the task's result file, as `seotasks collect --to DIR`
    judges it (`ResultStore.existing`: either form; something else in its place is no
    file, and would stop that run)."""
    try:
        return store.existing(provider, task_id) is not None
    except OSError:
        return False


class Tally:
    """The counts of one listing of ``client``'s tasks, as of ``now``; ``to``: the results
    folder that decides what is not collected yet (of a listing that does not drain)."""

    def __init__(self, client: Client, to: Path | None, now: datetime) -> None:
        self.client, self.to, self.now = client, to, now
        self.store = None if to is None else ResultStore(to)
        self.drains = client.capabilities.drains
        self.kept = client.capabilities.results_kept
        self.tasks = self.completed = self.with_cost = 0
        self.by_status: Counter[str] = Counter()
        self.by_kind: Counter[str] = Counter()
        self.spend = Decimal(0)
        #: The unfinished task created first: where a stuck queue shows.
        self.oldest: Task | None = None
        #: A draining listing's ids: a journal's fetched tasks are told apart by them.
        self.listed: set[str] = set()
        #: With ``to``: the completed tasks without a file there, as `seotasks collect
        #: --to DIR` would meet them: to fetch, expired, or refused by the provider.
        self.ready = self.expired = 0
        self.why: Counter[str] = Counter()

    def add(self, task: Task) -> None:
        self.tasks += 1
        self.by_status[task.status.value] += 1
        self.by_kind[task.kind or "-"] += 1
        created = task.created_at
        first = self.oldest.created_at if self.oldest is not None else None
        if (
            task.status in _UNFINISHED
            and created is not None
            and (first is None or created < first)
        ):
            self.oldest = task
        if task.cost is not None:
            self.spend += task.cost
            self.with_cost += 1
        if self.drains:
            self.listed.add(task.id)
        if task.status is TaskStatus.COMPLETED:
            self.completed += 1
            store = self.store
            if (
                store is not None
                and not self.drains
                and not has_file(store, self.client.name, task.id)
            ):
                self._meet(task)

    def _meet(self, task: Task) -> None:
        """Count a completed task without a file as ``collect --to DIR`` would meet it:
        finished longer ago than the vendor keeps a result (`Capabilities.results_kept`,
        the report's "expired": no fetch brings it now), one the provider cannot fetch at
        all (DataForSEO's live-only APIs: its reason counted), or one to fetch.

        "Cannot fetch" is asked without a call: the request `Provider.result_download`
        would send is built, not sent, and the provider refuses it as `collect` would. A
        provider that streams no result cannot be asked so: its tasks count as to fetch."""
        from ..errors import UnsupportedQuery

        finished = task.completed_at or task.created_at
        if self.kept is not None and finished is not None and self.now - finished > self.kept:
            self.expired += 1
            return
        with self.client.transport.redactor.active():  # a reason built in the plugin
            try:
                self.client.provider.result_download(task)
            except UnsupportedQuery as exc:
                self.why[str(exc)] += 1
                return
        self.ready += 1

    def summary(self, everything: bool, capped: list[str]) -> dict[str, Any]:
        """The JSON object ``--format json`` prints (``everything``: the listing offered
        every status; ``capped``: the lists the vendor capped)."""
        ready: int | None = None
        how = "unknown without --to DIR, the folder collect --to writes"
        counted = self.to is not None and not self.drains
        if self.drains:
            ready, how = self.completed, "listed as ready; collecting removes them"
            if capped:
                how += "; at least: the vendor capped a list, more may be ready"
        elif self.to is not None:
            ready, how = self.ready, f"completed without a file in {self.to}"
            if not self.to.is_dir():  # a typo reads as a folder where nothing is collected
                how += " (no such folder)"
        kept = None if self.kept is None else self.kept.total_seconds() / 86400
        return {
            "provider": self.client.name,
            "tasks": self.tasks,
            "statuses": "all" if everything else "completed",
            "kinds": len(self.by_kind),
            "by_status": dict(sorted(self.by_status.items())),
            "by_kind": dict(self.by_kind.most_common()),
            "oldest_unfinished": self._oldest() if everything else None,
            "ready_not_collected": ready,
            "ready_how": how,
            "expired": self.expired if counted else None,
            "not_collectable": self.why.total() if counted else None,
            "not_collectable_why": dict(self.why.most_common()),
            "results_kept_days": kept,
            "capped_lists": capped,
            "spend": str(self.spend) if self.with_cost else None,
            "with_cost": self.with_cost,
            "without_cost": self.tasks - self.with_cost,
        }

    def _oldest(self) -> dict[str, Any] | None:
        task = self.oldest
        if task is None or task.created_at is None:
            return None
        return {
            "id": task.id,
            "status": task.status.value,
            "created_at": task.created_at.isoformat(),
            "waiting_hours": round((self.now - task.created_at).total_seconds() / 3600, 1),
        }
