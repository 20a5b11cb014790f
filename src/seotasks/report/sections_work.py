"""The report's sections over time and across vendors: tasks per hour, results ready but
not collected, and the same kind of task at two vendors side by side."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape
from operator import attrgetter
from typing import Any

from . import charts
from .figure_types import Backlog, Comparison, Figures
from .layout import (
    PROVIDER,
    Column,
    Page,
    Table,
    count,
    counts,
    duration,
    money,
    percent,
    text,
    timed,
    when,
)


def activity(page: Page, f: Figures) -> None:
    a = f.activity
    page.section(
        "activity",
        "Tasks per hour",
        "Tasks by the hour they were created, stacked by their status now: a band of "
        "running or queued tasks far in the past is work a vendor left unfinished.",
    )
    columns = [
        PROVIDER,
        *counts("tasks"),
        Column("mean_per_hour", "mean / hour", _rate),
        Column("peak_per_hour", "peak / hour", _rate),
        Column("peak_at", "peak bucket", when, _iso, text=True),
    ]
    table = Table("activity", "Rate per provider, from its first bucket to its last", columns)
    for summary in a.summary:
        table.add({"provider": summary.provider}, summary)
    figure = (
        page.chart(
            "activity",
            lambda: charts.activity(a),
            f"Buckets of {a.bucket_hours} h; the rate is tasks per hour within each.",
        )
        if a.rows
        else '<p class="empty">No task with a creation time in this selection.</p>'
    )
    page.pair(figure, [table.html()])
    page.end()


def backlog(page: Page, f: Figures) -> None:
    page.section(
        "backlog",
        "Ready but not collected",
        "Completed tasks whose result was not collected, and how long they have waited "
        "(since completion, else since creation).",
    )
    if f.collection is None or not f.backlog:
        page.parts.append(
            '<p class="empty">Not known for this selection: no record of collection (see the notes).</p>'
        )
        page.end()
        return
    known = (
        "the store's results table (seotasks load --collect)"
        if f.collection == "results table"
        else "the listing itself, which drops a task once it is collected"
    )
    page.parts.append(f'<p class="note">Known from {escape(known)}.</p>')
    table = _backlog_table(f.backlog)
    waiting = [b for b in f.backlog if b.not_collected]
    figure = (
        page.chart(
            "backlog-ages",
            lambda: charts.backlog_ages(waiting),
            "Tasks not collected, by age band.",
        )
        if waiting
        else '<p class="empty">Every completed task was collected.</p>'
    )
    page.pair(figure, [table])
    page.end()


def _backlog_table(backlog: Sequence[Backlog]) -> str:
    columns = [
        PROVIDER,
        *counts(
            "completed",
            "collected",
            "not_collectable",
            "collection_failed",
            "not_collected",
            "expired",
        ),
        timed("age_p50", "age p50", attrgetter("age.p50")),
        timed("age_p90", "age p90", attrgetter("age.p90")),
        timed("oldest", "oldest", attrgetter("oldest")),
    ]
    table = Table("backlog", "Collection per provider", columns)
    for b in backlog:
        table.add({"provider": b.provider}, b)
    return table.html()


def _rate(per_hour: float) -> str:
    return f"{per_hour:,.1f}"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def comparisons(page: Page, f: Figures) -> None:
    page.section(
        "side-by-side",
        "Side by side",
        "The same kind of task at two vendors (the migration view). Kinds are matched by "
        "name, or where one vendor names the kind one level more precisely "
        "(serp/google ~ serp/google/organic); --compare KIND=KIND chooses pairs.",
    )
    if not f.comparisons:
        page.parts.append(
            '<p class="empty">No kind is found at two providers in this selection.</p>'
        )
        page.end()
        return
    for index, item in enumerate(f.comparisons):
        page.parts.append(
            f"<h3>{escape(item.title)} <small>({escape(item.a.provider)} vs "
            f"{escape(item.b.provider)}, matched by {escape(item.matched)})</small></h3>"
        )
        table = _comparison_table(item, index)
        curves = [c for c in (item.curve_a, item.curve_b) if c is not None]
        figure = (
            page.chart(
                f"comparison-{index}",
                functools.partial(charts.comparison, item),
                "Further left is faster.",
            )
            if curves
            else '<p class="empty">Neither has timed completed tasks.</p>'
        )
        page.pair(figure, [table])
    page.end()


def _ratio(a: float | None, b: float | None) -> tuple[str, Any]:
    if a is None or b is None or a == 0:
        return ("—", None)
    return (f"{b / a:.2f}x", b / a)  # data-value: twelve digits, as every cell's


def _comparison_table(item: Comparison, index: int) -> str:
    a, b = item.a, item.b
    table = Table(
        f"comparison-{index}",
        f"{a.provider} vs {b.provider}",
        [
            text("figure"),
            Column("a", a.provider),
            Column("b", b.provider),
            Column("ratio", f"{b.provider} / {a.provider}"),
        ],
    )
    rows: list[tuple[str, str, float | None, float | None, Callable[[Any], str]]] = [
        ("tasks", "tasks", a.tasks, b.tasks, count),
        ("completed", "completed", a.completed, b.completed, count),
        ("turnaround_p50", "turnaround p50", a.turnaround.p50, b.turnaround.p50, duration),
        ("turnaround_p90", "turnaround p90", a.turnaround.p90, b.turnaround.p90, duration),
        ("turnaround_p99", "turnaround p99", a.turnaround.p99, b.turnaround.p99, duration),
        ("failure_rate", "failure rate", a.failure_rate, b.failure_rate, percent),
        ("cost_per_1000", "cost / 1000", a.cost_per_1000, b.cost_per_1000, money),
    ]
    for key, label, va, vb, fmt in rows:
        table.add_cells(
            {"figure": key},
            [(label, None), (fmt(va), va), (fmt(vb), vb), _ratio(va, vb)],
        )
    return table.html()
