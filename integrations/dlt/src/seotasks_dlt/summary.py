"""What one run of `seotasks_dlt.load` did: the one line ``seotasks load`` prints.

Its own module because the summary is all a caller (the CLI, an orchestrator's task)
keeps of a run; it holds names and counts only, never a destination's credentials.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

__all__ = ["LoadSummary", "TableCount"]


@attrs.frozen(slots=True, kw_only=True)
class TableCount:
    """Rows loaded into one table by a run: how many keys were new, how many existed."""

    rows: int
    new: int | None  # None: the destination cannot be counted (not an SQL destination)

    @property
    def existing(self) -> int | None:
        return None if self.new is None else self.rows - self.new


@attrs.frozen(slots=True, kw_only=True)
class LoadSummary:
    """What one run did, for the one line ``seotasks load`` prints."""

    pipeline: str
    #: The destination as shown to people: never its password.
    destination: str
    dataset: str
    tables: Mapping[str, TableCount]
    elapsed: float
    pending_loaded: bool = False
    #: Results whose fetch failed: loaded as rows holding the error (an orchestrator can
    #: act on a run where every collection failed, which loaded only errors).
    failed_results: int = 0
    #: The run was stopped early (``stop`` was set): what it fetched is loaded, the rest
    #: is for the next run.
    interrupted: bool = False
    notes: tuple[str, ...] = ()

    def line(self) -> str:
        parts = []
        for table, count in self.tables.items():
            detail = "" if count.new is None else f" ({count.new} new, {count.existing} updated)"
            parts.append(f"{table} {count.rows} rows{detail}")
        extra = ["finished an interrupted run's pending load first"] if self.pending_loaded else []
        extra += self.notes
        if self.interrupted:
            extra.append("interrupted: run the same command again to load the rest")
        said = "".join(f"; {note}" for note in extra)
        return (
            f"seotasks load: pipeline {self.pipeline} -> {self.destination} dataset "
            f"{self.dataset}: {', '.join(parts) or 'nothing new'}{said}; {self.elapsed:.1f} s"
        )
