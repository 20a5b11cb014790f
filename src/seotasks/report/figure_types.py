"""The report's figures as values: frozen attrs classes, and `Figures.to_json`, the
``--format json`` output. `seotasks.report.figures` says what each figure means and
computes them; the page (`seotasks.report.html`) and the charts only read them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

#: How a missing key value is shown and written: the vendor did not say.
NONE_LABEL = "(not reported)"


def label_of(values: Iterable[str | None]) -> str:
    """A group's key as one line: ``serp/google/organic · mobile``. A value that would
    read as another's (a tag ``(not reported)``, an empty one) or lose its edges in a
    chart (spaces) is quoted: a chart draws one bar per label, and stacked two groups
    whose labels read the same."""
    return " · ".join(_shown(v) for v in values)


def _shown(value: str | None) -> str:
    if value is None:
        return NONE_LABEL
    if value == NONE_LABEL or not value.strip() or value != value.strip():
        return json.dumps(value, ensure_ascii=False)
    return value


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
        return label_of(self.labels.values())

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
    """A provider's completed tasks by collection: ``collected``, ``not_collectable`` (the
    provider cannot fetch them at all), a ``collection_failed`` (the last attempt left an
    error), ``not_collected`` (failed attempts included), and the age of those not
    collected; ``expired``, those not collected that are older than the provider keeps
    results (no fetch can bring them now; not in ``not_collected``)."""

    provider: str
    completed: int
    collected: int
    not_collectable: int
    collection_failed: int
    not_collected: int
    expired: int
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
    #: The providers whose listing missed tasks (a list the vendor capped): the figures
    #: are of what was listed, and the notes say what is missing.
    incomplete: tuple[str, ...] = ()

    @property
    def tasks(self) -> int:
        return sum(p.tasks for p in self.providers)

    @property
    def top_groups(self) -> tuple[Group, ...]:
        """The groups the charts show: the `top` with the most tasks (tables show all)."""
        return self.groups[: self.top]

    def to_json(self) -> dict[str, Any]:
        """The object ``--format json`` prints, as a `dict` of JSON types (times as ISO
        8601 UTC, durations in seconds, floats at twelve digits): not yet text,
        ``json.dumps`` it."""
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
        return twelve_digits(value)
    return value


def twelve_digits(value: float) -> float:
    """A figure as the JSON and the page's ``data-value`` give it: twelve significant
    digits, so 805.4000000000001 s reads 805.4 while a spend of a fraction of a cent
    (0.0001125) keeps every digit (six decimals cut it to 0.000112)."""
    return float(f"{value:.12g}")
