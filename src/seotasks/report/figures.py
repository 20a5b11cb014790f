"""Every figure of the report, computed by SQL over ``report_tasks`` (`seotasks.report.source`).

The definitions, stated once because the page, the JSON and the tests all rely on them:

* **turnaround** is ``completed_at - created_at`` of a *completed* task, in seconds (a
  failed task's time is a different question: how soon the vendor gave up);
  percentiles are DuckDB's ``quantile_cont`` (linear interpolation between ranks, as
  numpy's default);
* **queue time** is ``started_at - created_at`` wherever a vendor reports ``started_at``;
* **failure rate** is failed / (completed + failed): tasks still queued or running have
  not had their chance to fail;
* **spend** is the sum of ``cost`` over every task that has one (vendors bill failed
  tasks too); **cost per 1000** is spend / priced tasks x 1000, so tasks with no known
  price neither raise nor dilute it;
* **tasks per hour** counts tasks by the hour bucket of ``created_at``, by their status
  now; the bucket widens (1 h up to a week) so that a long window keeps at most
  `queries.MAX_BUCKETS` buckets, and the rate is still per hour (count / bucket hours);
* **not collected** is a completed task with no collected result (see
  `seotasks.report.source` for how that is known); its **age** counts from
  ``completed_at`` (else ``created_at``) to the report's ``now``.

The figures are values (`seotasks.report.figure_types`), computed by the queries of
`seotasks.report.queries`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import attrs

from ..errors import ConfigError, SeotasksError
from . import queries
from .figure_types import (
    Activity,
    ActivityRow,
    ActivitySummary,
    Backlog,
    Comparison,
    Curve,
    Failure,
    Figures,
    Group,
    Percentiles,
)

if TYPE_CHECKING:
    from .source import Tasks

__all__ = [
    "BY_CHOICES",
    "Activity",
    "ActivityRow",
    "ActivitySummary",
    "Backlog",
    "Comparison",
    "Curve",
    "Failure",
    "Figures",
    "Group",
    "Percentiles",
    "compute",
]

#: The statuses that keep one kind of finished task only, each with the kind it leaves out.
FINISHED = {"completed": "failed", "failed": "completed"}

#: What a group may be keyed by besides its provider (``--by``).
BY_CHOICES = ("kind", "engine", "device", "location", "language", "tag")


def parse_compare(values: Sequence[str]) -> list[tuple[str, str]]:
    """``--compare KIND=KIND`` values as pairs; a malformed one is a `ConfigError`."""
    pairs = []
    for value in values:
        left, sep, right = value.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise ConfigError(f"--compare expects KIND=KIND, got {value!r}")
        pairs.append((left.strip(), right.strip()))
    return pairs


def compute(
    tasks: Tasks,
    *,
    now: datetime | None = None,
    by: Sequence[str] = ("kind",),
    compare: Sequence[tuple[str, str]] = (),
    top: int = 10,
) -> Figures:
    """Every figure of ``tasks`` (`seotasks.report.source.Tasks`), ages counted to ``now``.

    ``by`` keys the groups besides the provider (`BY_CHOICES`); ``compare`` declares
    kinds that are the same work at two vendors (without it, kinds are matched by name,
    or by prefix); ``top`` is how many groups (and comparisons) the charts show.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    by = tuple(dict.fromkeys(by))
    for key in by:
        if key not in BY_CHOICES:
            raise ConfigError(f"cannot group by {key!r}; choose from {', '.join(BY_CHOICES)}")
    if top < 1:
        raise ConfigError("top must be at least 1")
    connection = tasks.connection
    # None: collection is known for every provider (the store's results table).
    known = None if tasks.collection == "results table" else frozenset(tasks.draining)
    first, last = connection.execute(
        "SELECT min(created_at), max(created_at) FROM report_tasks"
    ).fetchone() or (None, None)
    # A status that leaves out completed or failed tasks leaves a failure rate of 0 % or
    # 100 % by construction: not the vendor's, so none is given.
    rated = tasks.selection.status not in FINISHED
    unfailing = tasks.unfailing
    rows = connection.execute("SELECT DISTINCT provider FROM report_tasks").fetchall()
    stored = [str(name) for (name,) in rows]
    retention = _results_kept(stored)

    def grouped(keys: tuple[str, ...]) -> list[Group]:
        return queries.groups(
            connection, keys, known, rated=rated, unfailing=unfailing, now=now, kept=retention
        )

    providers = grouped(())
    groups = grouped(by)
    by_kind = groups if by == ("kind",) else grouped(("kind",))
    shown = groups[:top]
    turnaround = queries.curves(connection, by, "turnaround")
    queue = queries.curves(connection, by, "queue_time")
    kind_curves = (
        turnaround if by == ("kind",) else queries.curves(connection, ("kind",), "turnaround")
    )

    def key_of(group: Group) -> tuple[str | None, ...]:
        return (group.provider, *group.labels.values())

    comparisons = []
    paired = queries.pairs(by_kind, compare)
    # The pairs asked for by --compare are shown, every one; the kinds found at both
    # vendors, the `top` first (the others said in a note, not dropped unsaid).
    kept = paired if compare else paired[:top]
    for matched, a, b in kept:
        comparisons.append(
            Comparison(
                matched=matched,
                a=a,
                b=b,
                curve_a=kind_curves.get(key_of(a)),
                curve_b=kind_curves.get(key_of(b)),
            )
        )
    figures = Figures(
        now=now,
        source=tasks.source,
        selection={
            "providers": list(tasks.selection.providers),
            "status": tasks.selection.status,
            "since": tasks.selection.since,
            "until": tasks.selection.until,
            "time_field": tasks.selection.time_field,
        },
        first_created=first.astimezone(UTC) if first is not None else None,
        last_created=last.astimezone(UTC) if last is not None else None,
        by=by,
        top=top,
        providers=tuple(providers),
        groups=tuple(groups),
        turnaround_curves=tuple(turnaround[key_of(g)] for g in shown if key_of(g) in turnaround),
        queue_curves=tuple(queue[key_of(g)] for g in shown if key_of(g) in queue),
        failures=tuple(queries.failures(connection)),
        activity=queries.activity(connection, first, last),
        collection=tasks.collection,
        backlog=tuple(queries.backlog(connection, now, known, retention)),
        comparisons=tuple(comparisons),
        notes=(),
        incomplete=tuple(name for name, _ in tasks.incomplete),
    )
    unmatched = [pair for pair in compare if not any(_asked(pair, a, b) for _, a, b in paired)]
    notes = _notes(figures, tasks, unmatched)
    if len(kept) < len(paired):
        notes.append(
            f"The side by side shows the {len(kept)} largest of the {len(paired)} kinds both "
            "vendors ran (--top); --compare KIND=KIND shows any other."
        )
    return attrs.evolve(figures, notes=tuple(notes))


def _results_kept(names: Sequence[str]) -> dict[str, float]:
    """Seconds each of the providers ``names`` keeps a result (its capabilities under
    default options); one not installed here, keeping them for good, or that cannot say
    without options (`ConfigError`) is left out: its tasks are never counted expired."""
    from ..plugins import capabilities_of, providers

    kept = {}
    for name in sorted(set(names) & set(providers())):
        try:
            span = capabilities_of(name).results_kept
        except SeotasksError:
            continue
        if span is not None:
            kept[name] = span.total_seconds()
    return kept


def _asked(pair: tuple[str, str], a: Group, b: Group) -> bool:
    """Whether the comparison of ``a`` and ``b`` is the ``--compare`` ``pair``."""
    return {a.labels["kind"], b.labels["kind"]} == set(pair)


def _notes(figures: Figures, tasks: Tasks, unmatched: Sequence[tuple[str, str]]) -> list[str]:
    """What the reader must know to read the figures right: what is missing, and why."""
    # First: a listing that missed tasks makes every other figure partial.
    notes = [
        f"{warning}. The figures leave out any past the cap." for _, warning in tasks.incomplete
    ]
    asked = tasks.selection.providers
    present = {p.provider for p in figures.providers}
    for name in asked:
        if name not in present:
            notes.append(f"{name}: no tasks in this selection.")
    for p in figures.providers:
        if p.completed and not p.turnaround.n:
            notes.append(
                f"{p.provider}: none of its {p.completed:,} completed tasks has both a creation "
                "and a completion time here, so its turnaround is not shown (`seotasks "
                "providers` lists the listing options; one may report completion times)."
            )
        if not p.priced:
            notes.append(f"{p.provider}: no task has a cost, so its spend is not shown.")
        if p.provider in tasks.unfailing and tasks.selection.status not in FINISHED:
            notes.append(
                f"{p.provider}: its listing never reports failed tasks (`seotasks providers` "
                "lists the statuses each one reports), so no failure rate is shown: a 0 % "
                "there would say nothing of how often it fails."
            )
        if p.completed and not p.failed and p.failure_rate is not None:
            notes.append(
                f"{p.provider}: no failed task here, so its failure rate is 0 %; a listing "
                "that never reports failures shows the same (`seotasks providers` lists "
                "the statuses each one reports)."
            )
    for field in figures.by:
        for p in figures.providers:
            mine = [g for g in figures.groups if g.provider == p.provider]
            if mine and all(g.labels.get(field) is None for g in mine):
                notes.append(
                    f"--by {field}: none of {p.provider}'s {p.tasks:,} tasks here has a "
                    f"{field}, so they stand as one group: its vendor or its listing does "
                    "not give one (`seotasks providers` lists each provider's listing "
                    "options)."
                )
    status = tasks.selection.status
    if status in FINISHED and figures.providers:
        notes.append(
            f"--status {status} leaves out the {FINISHED[status]} tasks, so no failure rate "
            "is shown (what remains fails at 0 % or 100 % by construction); --status any "
            "gives it."
        )
    for left, right in unmatched:
        notes.append(
            f"--compare {left}={right}: no two providers hold {left} at one and {right} at "
            "the other in this selection, so it has no side-by-side view."
        )
    if figures.providers and not any(p.queue.n for p in figures.providers):
        notes.append("No task reports when it started (started_at), so queue time is not shown.")
    if tasks.collection is None:
        notes.append(
            "Whether completed tasks were collected is not known here: `seotasks load "
            "--collect` records it in the results table, and a listing that drains on "
            "collection (DataForSEO's tasks_ready) shows only tasks not collected yet."
        )
    if len(figures.groups) > figures.top:
        notes.append(
            f"Charts show the {figures.top} largest of {len(figures.groups)} groups "
            "(--top); the tables list them all."
        )
    return notes
