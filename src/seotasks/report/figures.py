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
  `MAX_BUCKETS` buckets, and the rate is still per hour (count / bucket hours);
* **not collected** is a completed task with no collected result (see
  `seotasks.report.source` for how that is known); its **age** counts from
  ``completed_at`` (else ``created_at``) to the report's ``now``.

The classes are frozen attrs classes; `Figures.to_json` is the ``--format json`` output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import ConfigError

if TYPE_CHECKING:
    import duckdb

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

#: What a group may be keyed by besides its provider (``--by``).
BY_CHOICES = ("kind", "engine", "device", "location", "language")
#: The percentiles of every duration table.
QUANTILES = (0.5, 0.9, 0.99)
#: Points of a distribution curve: every whole percentile, the minimum and the maximum.
CURVE_POINTS = tuple(i / 100 for i in range(101))
#: The widest a tasks-per-hour chart gets; past it, buckets widen.
MAX_BUCKETS = 240
#: Bucket widths tried for tasks per hour, in hours.
BUCKET_HOURS = (1, 3, 6, 12, 24, 168, 720)
#: Age bands of the not-collected tasks: (upper bound in seconds, label).
AGE_BANDS: tuple[tuple[float, str], ...] = (
    (3600, "< 1 h"),
    (6 * 3600, "1-6 h"),
    (86400, "6-24 h"),
    (3 * 86400, "1-3 d"),
    (7 * 86400, "3-7 d"),
    (30 * 86400, "7-30 d"),
    (float("inf"), "> 30 d"),
)
#: Failure messages kept per provider.
TOP_MESSAGES = 10
#: How a missing key value is shown and written: the vendor did not say.
NONE_LABEL = "(not reported)"


@attrs.frozen(slots=True, kw_only=True)
class Percentiles:
    """p50/p90/p99 of ``n`` durations, in seconds (``None`` when ``n`` is 0)."""

    n: int
    p50: float | None
    p90: float | None
    p99: float | None


@attrs.frozen(slots=True, kw_only=True)
class Group:
    """One provider's tasks of one key (``labels``: ``--by`` column -> value); with no
    labels, all of that provider's tasks."""

    provider: str
    labels: Mapping[str, str | None]
    tasks: int
    completed: int
    failed: int
    running: int
    queued: int
    failure_rate: float | None
    turnaround: Percentiles
    queue: Percentiles
    priced: int
    spend: float | None
    cost_per_1000: float | None
    not_collected: int | None

    @property
    def label(self) -> str:
        """The key as one line: ``serp/google/organic · mobile``."""
        return " · ".join(NONE_LABEL if v is None else v for v in self.labels.values())

    @property
    def name(self) -> str:
        """Provider and key: ``dataforseo serp/google/organic``."""
        return f"{self.provider} {self.label}".strip()


@attrs.frozen(slots=True, kw_only=True)
class Curve:
    """A duration distribution: ``points`` are (share of tasks, seconds), share rising
    from 0 (the fastest) to 1 (the slowest) in whole percent."""

    provider: str
    label: str
    n: int
    points: tuple[tuple[float, float], ...]


@attrs.frozen(slots=True, kw_only=True)
class Failure:
    """A failure message and how often a provider's failed tasks gave it."""

    provider: str
    message: str
    count: int
    share: float
    kinds: int


@attrs.frozen(slots=True, kw_only=True)
class ActivityRow:
    """Tasks created in one bucket, by provider and present status."""

    start: datetime
    provider: str
    status: str
    tasks: int
    per_hour: float


@attrs.frozen(slots=True, kw_only=True)
class ActivitySummary:
    """One provider's rate over the window: mean and peak tasks per hour."""

    provider: str
    tasks: int
    mean_per_hour: float
    peak_per_hour: float
    peak_at: datetime | None


@attrs.frozen(slots=True, kw_only=True)
class Activity:
    """Tasks per hour over time: ``bucket_hours`` wide buckets, every bucket of the
    window present (zeros included, so stacked areas do not bridge a gap)."""

    bucket_hours: int
    rows: tuple[ActivityRow, ...]
    summary: tuple[ActivitySummary, ...]


@attrs.frozen(slots=True, kw_only=True)
class Backlog:
    """A provider's completed tasks by collection: ``collected``, a ``collection_failed``
    (the last attempt left an error), ``not_collected`` (failed attempts included), and
    the age of those not collected."""

    provider: str
    completed: int
    collected: int
    collection_failed: int
    not_collected: int
    age: Percentiles
    oldest: float | None
    bands: tuple[tuple[str, int], ...]


@attrs.frozen(slots=True, kw_only=True)
class Comparison:
    """The same kind of task at two vendors. ``matched``: ``"same kind"`` (both name it
    alike), ``"prefix"`` (one names it more precisely, e.g. ``serp/google`` and
    ``serp/google/organic``: the other's busiest kind under it) or ``"--compare"``."""

    matched: str
    a: Group
    b: Group
    curve_a: Curve | None
    curve_b: Curve | None

    @property
    def title(self) -> str:
        if self.a.label == self.b.label:
            return self.a.label
        return f"{self.a.label} ~ {self.b.label}"


@attrs.frozen(slots=True, kw_only=True)
class Figures:
    """Everything the report shows, for one selection at one moment (``now``)."""

    now: datetime
    source: str
    selection: Mapping[str, Any]
    first_created: datetime | None
    last_created: datetime | None
    by: tuple[str, ...]
    top: int
    providers: tuple[Group, ...]
    groups: tuple[Group, ...]
    turnaround_curves: tuple[Curve, ...]
    queue_curves: tuple[Curve, ...]
    failures: tuple[Failure, ...]
    activity: Activity
    collection: str | None
    backlog: tuple[Backlog, ...]
    comparisons: tuple[Comparison, ...]
    notes: tuple[str, ...]

    @property
    def tasks(self) -> int:
        return sum(p.tasks for p in self.providers)

    @property
    def top_groups(self) -> tuple[Group, ...]:
        """The groups the charts show: the `top` with the most tasks (tables show all)."""
        return self.groups[: self.top]

    def to_json(self) -> dict[str, Any]:
        """The figures as JSON types: times as ISO 8601 UTC, durations in seconds."""
        return {"version": 1, **_plain(self)}


def _plain(value: Any) -> Any:
    if attrs.has(type(value)):
        out = {f.name: _plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
        if isinstance(value, Group):
            out["label"] = value.label
        if isinstance(value, Comparison):
            out["title"] = value.title
        return out
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value


# -- queries ------------------------------------------------------------------------------

#: Durations derived once for every query: seconds, NULL where not known.
_TIMED = (
    "(SELECT *, "
    "CASE WHEN status = 'completed' THEN epoch(completed_at) - epoch(created_at) END "
    "AS turnaround, epoch(started_at) - epoch(created_at) AS queue_time FROM report_tasks)"
)


def _list(values: Sequence[float]) -> str:
    return "[" + ", ".join(repr(v) for v in values) + "]"


def _percentiles(n: int, values: Sequence[float] | None) -> Percentiles:
    if not n or values is None:
        return Percentiles(n=n, p50=None, p90=None, p99=None)
    p50, p90, p99 = (float(v) for v in values)
    return Percentiles(n=n, p50=p50, p90=p90, p99=p99)


def _groups(
    connection: duckdb.DuckDBPyConnection, keys: Sequence[str], known: frozenset[str] | None
) -> list[Group]:
    """Per provider and ``keys``, biggest first. ``known``: the providers whose collection
    is known (``None``: all of them)."""
    columns = "".join(f", {k}" for k in keys)
    rows = connection.execute(
        f"""
        SELECT provider{columns},
          count(*),
          count(*) FILTER (WHERE status = 'completed'),
          count(*) FILTER (WHERE status = 'failed'),
          count(*) FILTER (WHERE status = 'running'),
          count(*) FILTER (WHERE status = 'queued'),
          count(turnaround), quantile_cont(turnaround, {_list(QUANTILES)}),
          count(queue_time), quantile_cont(queue_time, {_list(QUANTILES)}),
          count(cost), CAST(sum(cost) AS DOUBLE),
          count(*) FILTER (WHERE collected = false)
        FROM {_TIMED}
        GROUP BY ALL
        ORDER BY count(*) DESC, provider{columns}
        """
    ).fetchall()
    groups = []
    for row in rows:
        provider, labels, rest = row[0], row[1 : 1 + len(keys)], row[1 + len(keys) :]
        tasks, completed, failed, running, queued = (int(v) for v in rest[:5])
        timed, turnaround, queued_n, queue, priced, spend, not_collected = rest[5:]
        finished = completed + failed
        groups.append(
            Group(
                provider=provider,
                labels=dict(zip(keys, labels, strict=True)),
                tasks=tasks,
                completed=completed,
                failed=failed,
                running=running,
                queued=queued,
                failure_rate=failed / finished if finished else None,
                turnaround=_percentiles(int(timed), turnaround),
                queue=_percentiles(int(queued_n), queue),
                priced=int(priced),
                spend=float(spend) if priced else None,
                cost_per_1000=float(spend) / int(priced) * 1000 if priced else None,
                not_collected=int(not_collected) if known is None or provider in known else None,
            )
        )
    return groups


def _curves(
    connection: duckdb.DuckDBPyConnection, keys: Sequence[str], column: str
) -> dict[tuple[str | None, ...], Curve]:
    """The distribution of ``column`` per provider and ``keys``, keyed alike."""
    columns = "".join(f", {k}" for k in keys)
    rows = connection.execute(
        f"SELECT provider{columns}, count({column}), quantile_cont({column}, "
        f"{_list(CURVE_POINTS)}) FROM {_TIMED} WHERE {column} IS NOT NULL GROUP BY ALL"
    ).fetchall()
    curves = {}
    for row in rows:
        labels = tuple(row[1 : 1 + len(keys)])
        n, values = row[1 + len(keys)], row[2 + len(keys)]
        label = " · ".join(NONE_LABEL if v is None else v for v in labels)
        curves[(row[0], *labels)] = Curve(
            provider=row[0],
            label=label,
            n=int(n),
            points=tuple(zip(CURVE_POINTS, (float(v) for v in values), strict=True)),
        )
    return curves


def _failures(connection: duckdb.DuckDBPyConnection) -> list[Failure]:
    rows = connection.execute(
        f"""
        SELECT provider, message, n, sum(n) OVER (PARTITION BY provider), kinds FROM (
          SELECT provider, coalesce(message, '(no message)') AS message, count(*) AS n,
            count(DISTINCT kind) AS kinds
          FROM report_tasks WHERE status = 'failed' GROUP BY ALL
        )
        QUALIFY row_number() OVER (PARTITION BY provider ORDER BY n DESC, message) <= {TOP_MESSAGES}
        ORDER BY provider, n DESC, message
        """
    ).fetchall()
    return [
        Failure(provider=p, message=m, count=int(n), share=int(n) / int(t), kinds=int(k))
        for p, m, n, t, k in rows
    ]


def _bucket_hours(first: datetime | None, last: datetime | None) -> int:
    if first is None or last is None:
        return 1
    span = (last - first).total_seconds() / 3600
    for hours in BUCKET_HOURS:
        if span / hours < MAX_BUCKETS:
            return hours
    return BUCKET_HOURS[-1]


def _activity(
    connection: duckdb.DuckDBPyConnection, first: datetime | None, last: datetime | None
) -> Activity:
    hours = _bucket_hours(first, last)
    rows = connection.execute(
        f"""
        WITH counted AS (
          SELECT time_bucket(INTERVAL '{hours} hours', created_at) AS start, provider, status,
            count(*) AS n
          FROM report_tasks WHERE created_at IS NOT NULL GROUP BY ALL
        ), buckets AS (
          SELECT unnest(generate_series(min(start), max(start), INTERVAL '{hours} hours'))
            AS start FROM counted
        ), pairs AS (SELECT DISTINCT provider, status FROM counted)
        SELECT b.start, p.provider, p.status, coalesce(c.n, 0)
        FROM buckets b CROSS JOIN pairs p
        LEFT JOIN counted c ON c.start = b.start AND c.provider = p.provider
          AND c.status = p.status
        ORDER BY b.start, p.provider, p.status
        """
    ).fetchall()
    out = [
        ActivityRow(
            start=start.astimezone(UTC),
            provider=provider,
            status=status,
            tasks=int(n),
            per_hour=int(n) / hours,
        )
        for start, provider, status, n in rows
    ]
    totals: dict[str, dict[datetime, int]] = {}
    for row in out:
        per = totals.setdefault(row.provider, {})
        per[row.start] = per.get(row.start, 0) + row.tasks
    span_hours = max(1.0, ((last - first).total_seconds() / 3600) if first and last else 1.0)
    summary = []
    for provider, buckets in sorted(totals.items()):
        peak_at = max(buckets, key=lambda b: (buckets[b], -b.timestamp())) if buckets else None
        summary.append(
            ActivitySummary(
                provider=provider,
                tasks=sum(buckets.values()),
                mean_per_hour=sum(buckets.values()) / span_hours,
                peak_per_hour=(buckets[peak_at] / hours) if peak_at else 0.0,
                peak_at=peak_at,
            )
        )
    return Activity(bucket_hours=hours, rows=tuple(out), summary=tuple(summary))


def _backlog(
    connection: duckdb.DuckDBPyConnection, now: datetime, known: frozenset[str] | None
) -> list[Backlog]:
    bands = " ".join(f"WHEN age < {bound} THEN {i}" for i, (bound, _) in enumerate(AGE_BANDS[:-1]))
    aged = (
        "(SELECT *, epoch(CAST(? AS TIMESTAMPTZ)) - epoch(coalesce(completed_at, created_at)) "
        f"AS age, CASE {bands} ELSE {len(AGE_BANDS) - 1} END AS band FROM report_tasks "
        "WHERE status = 'completed')"
    )
    rows = connection.execute(
        f"""
        SELECT provider, count(*), count(*) FILTER (WHERE collected),
          count(*) FILTER (WHERE collected = false AND collect_error IS NOT NULL),
          count(*) FILTER (WHERE collected = false),
          count(age) FILTER (WHERE collected = false),
          quantile_cont(age, {_list(QUANTILES)}) FILTER (WHERE collected = false),
          max(age) FILTER (WHERE collected = false),
          list(band) FILTER (WHERE collected = false)
        FROM {aged} GROUP BY provider ORDER BY provider
        """,
        [now],
    ).fetchall()
    out = []
    for provider, completed, collected, failed, missing, aged_n, ages, oldest, band_list in rows:
        if known is not None and provider not in known:
            continue
        counts = [0] * len(AGE_BANDS)
        for band in band_list or ():
            counts[int(band)] += 1
        out.append(
            Backlog(
                provider=provider,
                completed=int(completed),
                collected=int(collected),
                collection_failed=int(failed),
                not_collected=int(missing),
                age=_percentiles(int(aged_n), ages),
                oldest=float(oldest) if oldest is not None else None,
                bands=tuple((label, n) for (_, label), n in zip(AGE_BANDS, counts, strict=True)),
            )
        )
    return out


def _pairs(
    by_kind: Sequence[Group], compare: Sequence[tuple[str, str]]
) -> list[tuple[str, Group, Group]]:
    """The (matched, a, b) kind pairs across providers; ``compare`` pairs when given."""
    kinds: dict[str, dict[str, Group]] = {}
    for group in by_kind:
        kind = group.labels["kind"]
        if kind is not None:
            kinds.setdefault(group.provider, {})[kind] = group
    providers = list(kinds)
    pairs: list[tuple[str, Group, Group]] = []
    for i, first in enumerate(providers):
        for second in providers[i + 1 :]:
            mine, theirs = kinds[first], kinds[second]
            if compare:
                for left, right in compare:
                    if left in mine and right in theirs:
                        pairs.append(("--compare", mine[left], theirs[right]))
                    elif right in mine and left in theirs:
                        pairs.append(("--compare", theirs[left], mine[right]))
                continue
            matched_a: set[str] = set()
            matched_b: set[str] = set()
            for kind in sorted(mine.keys() & theirs.keys()):
                pairs.append(("same kind", mine[kind], theirs[kind]))
                matched_a.add(kind)
                matched_b.add(kind)
            # One level more precise only: serp/google ~ serp/google/organic, but a
            # bare "serp" says too little to stand for any one SERP type.
            for shorter, longer, flip in ((mine, theirs, False), (theirs, mine, True)):
                taken_short, taken_long = (matched_b, matched_a) if flip else (matched_a, matched_b)
                for kind, group in sorted(shorter.items()):
                    under = [
                        g
                        for k, g in longer.items()
                        if k.startswith(kind + "/")
                        and "/" not in k[len(kind) + 1 :]
                        and k not in taken_long
                    ]
                    if kind in taken_short or not under:
                        continue
                    best = max(under, key=lambda g: (g.completed, g.tasks, g.label))
                    taken_short.add(kind)
                    taken_long.add(best.labels["kind"] or "")
                    pairs.append(("prefix", best, group) if flip else ("prefix", group, best))
    pairs.sort(key=lambda p: (-min(p[1].completed, p[2].completed), p[1].name, p[2].name))
    return pairs


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
    providers = _groups(connection, (), known)
    groups = _groups(connection, by, known)
    by_kind = groups if by == ("kind",) else _groups(connection, ("kind",), known)
    shown = groups[:top]
    turnaround = _curves(connection, by, "turnaround")
    queue = _curves(connection, by, "queue_time")
    kind_curves = turnaround if by == ("kind",) else _curves(connection, ("kind",), "turnaround")

    def key_of(group: Group) -> tuple[str | None, ...]:
        return (group.provider, *group.labels.values())

    comparisons = []
    for matched, a, b in _pairs(by_kind, compare)[:top]:
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
        failures=tuple(_failures(connection)),
        activity=_activity(connection, first, last),
        collection=tasks.collection,
        backlog=tuple(_backlog(connection, now, known)),
        comparisons=tuple(comparisons),
        notes=(),
    )
    return attrs.evolve(figures, notes=tuple(_notes(figures, tasks)))


def _notes(figures: Figures, tasks: Tasks) -> list[str]:
    """What the reader must know to read the figures right: what is missing, and why."""
    notes = []
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
        if p.completed and not p.failed:
            notes.append(
                f"{p.provider}: no failed task here, so its failure rate is 0 %; a listing "
                "that never reports failures shows the same (`seotasks providers` lists "
                "the statuses each one reports)."
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
