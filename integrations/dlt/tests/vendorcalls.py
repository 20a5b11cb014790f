"""What the emulators were asked, counted per task, and the small loads that ask them.

Shared by the tests that count each result fetch at the vendor (`test_collect_once`,
`test_collect_after_reset`): a fetch repeated is a call paced and billed for nothing,
and with DataForSEO ``tasks_ready`` a second consuming read.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dltenv import duckdb_rows
from seotasks_dlt import LoadSummary, load
from seotasks_serpstat.emulator import SerpstatEmulator

from seotasks.clock import FakeClock
from seotasks.emulation import HttpRequest

__all__ = ["PER_RUN", "completed_ids", "get_task_results", "load_into", "serpstat_at", "task_gets"]

#: Results per dlt run: a collecting load of a hundred results is several runs.
PER_RUN = 20


def load_into(
    tmp: Path, provider: str, settings: dict[str, Any], per_run: int = PER_RUN, **kwargs: Any
) -> LoadSummary:
    """One `load` of ``provider`` into ``tmp``'s DuckDB file, on a fake clock, its results
    in dlt runs of ``per_run`` (`PER_RUN`: one collecting load is several runs)."""
    return load(
        [provider],
        to=tmp / "seotasks.duckdb",
        pipelines_dir=tmp / "pipelines",
        options={provider: settings},
        clock=FakeClock(),
        results_per_run=per_run,
        **kwargs,
    )


def completed_ids(tmp: Path) -> set[str]:
    query = "SELECT id FROM {t}.tasks WHERE status = 'completed'"
    return {str(i) for (i,) in duckdb_rows(tmp / "seotasks.duckdb", query)}


def task_gets(requests: Iterable[HttpRequest]) -> Counter[str]:
    """DataForSEO ``task_get`` calls per task id (the path's last part)."""
    return Counter(r.path.rsplit("/", 1)[-1] for r in requests if "/task_get/" in r.path)


def get_task_results(requests: Iterable[HttpRequest]) -> Counter[str]:
    """Serpstat ``tasks.getTaskResult`` calls per task id."""
    calls: Counter[str] = Counter()
    for request in requests:
        body = json.loads(request.body)
        if body.get("method") == "tasks.getTaskResult":
            calls[str(body["params"]["taskId"])] += 1
    return calls


def serpstat_at(shift: timedelta) -> SerpstatEmulator:
    """The same seeded Serpstat account, its tasks' times drawn ``shift`` later: what a
    ``--sandbox`` run sees, whose emulator draws them again at each start."""

    def now() -> datetime:
        return datetime.now(UTC) + shift

    return SerpstatEmulator(seed=7, size=150, rps=None, now=now)
