"""The report's sections per provider and group: overview, turnaround, queue time,
failures and spend (a chart of the largest groups beside a table of them all)."""

from __future__ import annotations

from collections.abc import Sequence

from . import charts
from .figure_types import Failure, Figures
from .layout import (
    Page,
    Table,
    count,
    group_attrs,
    key_cells,
    key_columns,
    money,
    percent,
    percentile_cells,
    percentile_columns,
)


def overview(page: Page, f: Figures) -> None:
    table = Table(
        "overview",
        "Per provider",
        [
            ("provider", "provider", True),
            ("tasks", "tasks", False),
            ("completed", "completed", False),
            ("failed", "failed", False),
            ("running", "running", False),
            ("queued", "queued", False),
            ("failure_rate", "failure rate", False),
            *percentile_columns("turnaround"),
            ("spend", "spend", False),
            ("cost_per_1000", "cost / 1000", False),
            ("not_collected", "not collected", False),
        ],
    )
    for p in f.providers:
        table.add(
            {"provider": p.provider},
            [
                (p.provider, None),
                (count(p.tasks), p.tasks),
                (count(p.completed), p.completed),
                (count(p.failed), p.failed),
                (count(p.running), p.running),
                (count(p.queued), p.queued),
                (percent(p.failure_rate), p.failure_rate),
                *percentile_cells(p.turnaround),
                (money(p.spend), p.spend),
                (money(p.cost_per_1000), p.cost_per_1000),
                (count(p.not_collected), p.not_collected),
            ],
        )
    page.section(
        "overview",
        "Overview",
        "Every provider at a glance; turnaround percentiles are over completed tasks.",
    )
    page.parts.append(table.html())
    page.end()


def turnaround(page: Page, f: Figures) -> None:
    page.section(
        "turnaround",
        "Turnaround",
        "How long a task takes from posting to completion (completed_at - created_at), "
        "per provider and " + ", ".join(f.by) + ".",
    )
    shown = [g for g in f.top_groups if g.turnaround.n]
    table = Table(
        "turnaround",
        "Turnaround by group",
        [*key_columns(f), ("timed", "timed", False), *percentile_columns("turnaround")],
    )
    for g in f.groups:
        table.add(
            group_attrs(g),
            [
                *key_cells(g),
                (count(g.turnaround.n), g.turnaround.n),
                *percentile_cells(g.turnaround),
            ],
        )
    figures = [
        page.chart(
            "turnaround-percentiles",
            lambda: charts.percentiles(shown),
            "p50 (circle), p90 (triangle) and p99 (diamond) per group.",
        )
        if shown
        else '<p class="empty">No completed task has both times in this selection.</p>'
    ]
    if f.turnaround_curves:
        figures.append(
            page.chart(
                "turnaround-distribution",
                lambda: charts.distribution(
                    f.turnaround_curves, "Turnaround distribution", "turnaround"
                ),
                "Read across: the share of tasks done within that time. "
                "Further left is faster; a long flat tail is a slow minority.",
            )
        )
    # Two charts side by side, the table (every group) below them at full width.
    page.parts.append(f'<div class="pair">{"".join(figures)}</div>')
    page.parts.append(f'<div class="tables wide">{table.html()}</div>')
    page.end()


def queue(page: Page, f: Figures) -> None:
    page.section(
        "queue",
        "Queue time",
        "How long a task waits before the vendor starts it (started_at - created_at), "
        "where the vendor reports started_at.",
    )
    if not f.queue_curves:
        page.parts.append('<p class="empty">No task in this selection reports started_at.</p>')
        page.end()
        return
    table = Table(
        "queue",
        "Queue time by group",
        [*key_columns(f), ("known", "tasks", False), *percentile_columns("queue")],
    )
    for g in f.groups:
        if g.queue.n:
            table.add(
                group_attrs(g),
                [*key_cells(g), (count(g.queue.n), g.queue.n), *percentile_cells(g.queue)],
            )
    page.pair(
        page.chart(
            "queue-distribution",
            lambda: charts.distribution(f.queue_curves, "Queue time distribution", "queue time"),
            "Share of tasks started within that time.",
        ),
        [table.html()],
    )
    page.end()


def failures(page: Page, f: Figures) -> None:
    page.section("failures", "Failures", "Failure rate = failed / (completed + failed).")
    rated = [g for g in f.top_groups if g.failure_rate is not None]
    table = Table(
        "failures",
        "Failure rate by group",
        [
            *key_columns(f),
            ("finished", "finished", False),
            ("failed", "failed", False),
            ("failure_rate", "failure rate", False),
        ],
    )
    for g in f.groups:
        finished = g.completed + g.failed
        if finished:
            table.add(
                group_attrs(g),
                [
                    *key_cells(g),
                    (count(finished), finished),
                    (count(g.failed), g.failed),
                    (percent(g.failure_rate), g.failure_rate),
                ],
            )
    figure = (
        page.chart("failure-rate", lambda: charts.failure_rates(rated), "Largest groups.")
        if rated
        else '<p class="empty">No finished task in this selection.</p>'
    )
    page.pair(figure, [table.html()])
    page.parts.append("<h3>Top failure messages</h3>")
    messages = _messages_table(f.failures)
    if f.failures:
        page.pair(
            page.chart(
                "failure-messages",
                lambda: charts.failure_messages(f.failures),
                "The vendor's own words, most frequent first (secrets scrubbed).",
            ),
            [messages],
        )
    else:
        page.parts.append('<p class="empty">No failed task in this selection.</p>')
    page.end()


def _messages_table(failures: Sequence[Failure]) -> str:
    table = Table(
        "failure-messages",
        "Top failure messages per provider",
        [
            ("provider", "provider", True),
            ("message", "message", True),
            ("count", "tasks", False),
            ("share", "of its failures", False),
            ("kinds", "kinds", False),
        ],
    )
    for item in failures:
        table.add(
            {"provider": item.provider},
            [
                (item.provider, None),
                (item.message, None),
                (count(item.count), item.count),
                (percent(item.share), item.share),
                (count(item.kinds), item.kinds),
            ],
        )
    return table.html()


def spend(page: Page, f: Figures) -> None:
    page.section(
        "spend",
        "Spend",
        "Spend is the sum of the vendor's cost over tasks that have one, in the vendor's "
        "currency; cost per 1000 tasks is spend / priced tasks x 1000.",
    )
    priced = [g for g in f.top_groups if g.cost_per_1000 is not None]
    table = Table(
        "spend",
        "Spend by group",
        [
            *key_columns(f),
            ("priced", "priced tasks", False),
            ("spend", "spend", False),
            ("cost_per_1000", "cost / 1000", False),
        ],
    )
    for g in f.groups:
        if g.priced:
            table.add(
                group_attrs(g),
                [
                    *key_cells(g),
                    (count(g.priced), g.priced),
                    (money(g.spend), g.spend),
                    (money(g.cost_per_1000), g.cost_per_1000),
                ],
            )
    figure = (
        page.chart(
            "cost-per-1000", lambda: charts.cost_per_1000(priced), "Largest groups with a cost."
        )
        if priced
        else '<p class="empty">No task in this selection has a cost.</p>'
    )
    page.pair(figure, [table.html()])
    page.end()
