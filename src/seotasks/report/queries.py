"""The SQL of every figure over ``report_tasks``, one query per figure group; what each
figure means is stated in `seotasks.report.figures`."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .figure_types import (
    Activity,
    ActivityRow,
    ActivitySummary,
    Backlog,
    Curve,
    Failure,
    Group,
    Percentiles,
    label_of,
)

if TYPE_CHECKING:
    import duckdb

#: The percentiles of every duration table.
QUANTILES = (0.5, 0.9, 0.99)
#: Points of a distribution curve: every whole percentile, the minimum and the maximum.
CURVE_POINTS = tuple(i / 100 for i in range(101))
#: The widest a tasks-per-hour chart gets; past it, buckets widen.
MAX_BUCKETS = 240
#: Bucket widths tried for tasks per hour, in hours.
BUCKET_HOURS = (1, 3, 6, 12, 24, 168, 720)
#: Where the buckets' edges are counted from (DuckDB's own default: a Monday, midnight UTC).
BUCKET_ORIGIN = datetime(2000, 1, 3, tzinfo=UTC)
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


def _expired(age: str, kept: Mapping[str, float] | None) -> tuple[str, list[object]]:
    """SQL true for a task whose ``age`` (seconds) is past what its provider keeps
    results (``kept``: seconds by provider), and the parameters its placeholders take."""
    if not kept:
        return "false", []
    limits = " ".join("WHEN ? THEN ?" for _ in kept)
    pairs: list[object] = [v for pair in kept.items() for v in pair]
    return f"coalesce({age} > CASE provider {limits} END, false)", pairs


def groups(
    connection: duckdb.DuckDBPyConnection,
    keys: Sequence[str],
    known: frozenset[str] | None,
    *,
    rated: bool = True,
    unfailing: Collection[str] = (),
    now: datetime | None = None,
    kept: Mapping[str, float] | None = None,
) -> list[Group]:
    """Per provider and ``keys``, biggest first. ``known``: the providers whose collection
    is known (``None``: all of them); ``rated``: whether the tasks hold both completed and
    failed ones, so that a failure rate means something; ``unfailing``: providers whose
    listing never reports a failed task, whose rate would be 0 % by construction.
    ``not_collected`` leaves out, as `backlog` does, the tasks older at ``now`` than their
    provider keeps results (``kept``): no fetch can bring those now."""
    columns = "".join(f", {k}" for k in keys)
    age = "epoch(CAST(? AS TIMESTAMPTZ)) - epoch(coalesce(completed_at, created_at))"
    gone, gone_args = _expired(age, kept if now is not None else None)
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
          count(*) FILTER (WHERE collected = false AND NOT {gone})
        FROM {_TIMED}
        GROUP BY ALL
        ORDER BY count(*) DESC, provider{columns}
        """,
        [now, *gone_args] if gone_args else [],
    ).fetchall()
    found = []
    for row in rows:
        provider, labels, rest = row[0], row[1 : 1 + len(keys)], row[1 + len(keys) :]
        tasks, completed, failed, running, queued = (int(v) for v in rest[:5])
        timed, turnaround, queued_n, queue, priced, spend, not_collected = rest[5:]
        finished = completed + failed
        found.append(
            Group(
                provider=provider,
                labels=dict(zip(keys, labels, strict=True)),
                tasks=tasks,
                completed=completed,
                failed=failed,
                running=running,
                queued=queued,
                failure_rate=(
                    failed / finished if finished and rated and provider not in unfailing else None
                ),
                turnaround=_percentiles(int(timed), turnaround),
                queue=_percentiles(int(queued_n), queue),
                priced=int(priced),
                spend=float(spend) if priced else None,
                cost_per_1000=float(spend) / int(priced) * 1000 if priced else None,
                not_collected=int(not_collected) if known is None or provider in known else None,
            )
        )
    return found


def curves(
    connection: duckdb.DuckDBPyConnection, keys: Sequence[str], column: str
) -> dict[tuple[str | None, ...], Curve]:
    """The distribution of ``column`` per provider and ``keys``, keyed alike."""
    columns = "".join(f", {k}" for k in keys)
    rows = connection.execute(
        f"SELECT provider{columns}, count({column}), quantile_cont({column}, "
        f"{_list(CURVE_POINTS)}) FROM {_TIMED} WHERE {column} IS NOT NULL GROUP BY ALL"
    ).fetchall()
    found = {}
    for row in rows:
        labels = tuple(row[1 : 1 + len(keys)])
        n, values = row[1 + len(keys)], row[2 + len(keys)]
        found[(row[0], *labels)] = Curve(
            provider=row[0],
            label=label_of(labels),
            n=int(n),
            points=tuple(zip(CURVE_POINTS, (float(v) for v in values), strict=True)),
        )
    return found


def failures(connection: duckdb.DuckDBPyConnection) -> list[Failure]:
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
    """The narrowest width whose buckets, from the first task's to the last's, number at
    most `MAX_BUCKETS`. Counted in buckets, not in the span: buckets start on edges
    (`BUCKET_ORIGIN`), so 239.5 h that end on an edge touch 241 one-hour buckets."""
    if first is None or last is None:
        return 1
    for hours in BUCKET_HOURS:
        width = 3600 * hours
        start, end = ((t - BUCKET_ORIGIN).total_seconds() // width for t in (first, last))
        if end - start + 1 <= MAX_BUCKETS:
            return hours
    return BUCKET_HOURS[-1]


def activity(
    connection: duckdb.DuckDBPyConnection, first: datetime | None, last: datetime | None
) -> Activity:
    hours = _bucket_hours(first, last)
    origin = BUCKET_ORIGIN.isoformat(sep=" ")
    rows = connection.execute(
        f"""
        WITH counted AS (
          SELECT time_bucket(INTERVAL '{hours} hours', created_at, TIMESTAMPTZ '{origin}')
            AS start, provider, status,
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
    summary = []
    for provider, buckets in sorted(totals.items()):
        peak_at = max(buckets, key=lambda b: (buckets[b], -b.timestamp())) if buckets else None
        # Over the provider's own buckets, its first task's to its last's: vendors keep
        # lists for different times (a week beside months), and a mean over the whole
        # window would read a short list as a slow vendor.
        held = [start for start, n in buckets.items() if n]
        span_hours = ((max(held) - min(held)).total_seconds() / 3600 + hours) if held else 1.0
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


def backlog(
    connection: duckdb.DuckDBPyConnection,
    now: datetime,
    known: frozenset[str] | None,
    kept: Mapping[str, float] | None = None,
) -> list[Backlog]:
    """Each provider's completed tasks by collection; ``kept``: seconds each provider
    keeps a result (`Capabilities.results_kept`), past which a task not collected is
    counted as ``expired``, not as waiting (DataForSEO's 913 tasks "ready" at over 30
    days read as a backlog that no fetch could ever clear)."""
    bands = " ".join(f"WHEN age < {bound} THEN {i}" for i, (bound, _) in enumerate(AGE_BANDS[:-1]))
    gone, gone_args = _expired("age", kept)
    aged = (
        f"(SELECT *, {gone} AS gone FROM (SELECT *, epoch(CAST(? AS TIMESTAMPTZ)) - "
        f"epoch(coalesce(completed_at, created_at)) AS age, CASE {bands} ELSE "
        f"{len(AGE_BANDS) - 1} END AS band FROM report_tasks WHERE status = 'completed'))"
    )
    waiting = "collected = false AND NOT gone"
    rows = connection.execute(
        f"""
        SELECT provider, count(*), count(*) FILTER (WHERE collected),
          count(*) FILTER (WHERE collected IS NULL),
          count(*) FILTER (WHERE {waiting} AND collect_error IS NOT NULL),
          count(*) FILTER (WHERE {waiting}),
          count(*) FILTER (WHERE collected = false AND gone),
          count(age) FILTER (WHERE {waiting}),
          quantile_cont(age, {_list(QUANTILES)}) FILTER (WHERE {waiting}),
          max(age) FILTER (WHERE {waiting}),
          list(band) FILTER (WHERE {waiting})
        FROM {aged} GROUP BY provider ORDER BY provider
        """,
        [*gone_args, now],
    ).fetchall()
    out = []
    for provider, completed, collected, never, failed, missing, expired, *rest in rows:
        aged_n, ages, oldest, band_list = rest
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
                not_collectable=int(never),
                collection_failed=int(failed),
                not_collected=int(missing),
                expired=int(expired),
                age=_percentiles(int(aged_n), ages),
                oldest=float(oldest) if oldest is not None else None,
                bands=tuple((label, n) for (_, label), n in zip(AGE_BANDS, counts, strict=True)),
            )
        )
    return out


def pairs(
    by_kind: Sequence[Group], compare: Sequence[tuple[str, str]]
) -> list[tuple[str, Group, Group]]:
    """The (matched, a, b) kind pairs across providers; ``compare`` pairs when given."""
    kinds: dict[str, dict[str, Group]] = {}
    for group in by_kind:
        kind = group.labels["kind"]
        if kind is not None:
            kinds.setdefault(group.provider, {})[kind] = group
    providers = list(kinds)
    found: list[tuple[str, Group, Group]] = []
    for i, first in enumerate(providers):
        for second in providers[i + 1 :]:
            mine, theirs = kinds[first], kinds[second]
            if compare:
                for left, right in compare:
                    if left in mine and right in theirs:
                        found.append(("--compare", mine[left], theirs[right]))
                    elif right in mine and left in theirs:
                        found.append(("--compare", theirs[left], mine[right]))
                continue
            matched_a: set[str] = set()
            matched_b: set[str] = set()
            for kind in sorted(mine.keys() & theirs.keys()):
                found.append(("same kind", mine[kind], theirs[kind]))
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
                    found.append(("prefix", best, group) if flip else ("prefix", group, best))
    found.sort(key=lambda p: (-min(p[1].completed, p[2].completed), p[1].name, p[2].name))
    return found
