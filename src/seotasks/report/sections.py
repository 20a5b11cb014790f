"""The report's sections per provider and group: overview, turnaround, queue time,
failures and spend (a chart of the largest groups beside a table of them all)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter

from . import charts
from .figure_types import Failure, Figures, Group
from .figures import FINISHED
from .layout import (
    COST_PER_1000,
    FAILURE_RATE,
    PROVIDER,
    SPEND,
    Column,
    Page,
    Table,
    count,
    counts,
    group_attrs,
    key_columns,
    percent,
    percentile_columns,
    text,
)


def groups_table(
    f: Figures,
    name: str,
    caption: str,
    columns: Sequence[Column],
    keep: Callable[[Group], bool] = lambda g: True,
) -> Table:
    """A table of every group ``keep`` keeps: what names it, then ``columns``."""
    table = Table(name, caption, [*key_columns(f), *columns])
    for g in f.groups:
        if keep(g):
            table.add(group_attrs(g), g)
    return table


def _finished(g: Group) -> int:
    return g.completed + g.failed


def overview(page: Page, f: Figures) -> None:
    columns = [
        PROVIDER,
        *counts("tasks", "completed", "failed", "running", "queued"),
        FAILURE_RATE,
        *percentile_columns("turnaround"),
        SPEND,
        COST_PER_1000,
        *counts("not_collected"),
    ]
    table = Table("overview", "Per provider", columns)
    for p in f.providers:
        table.add({"provider": p.provider}, p)
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
    timed = Column("timed", "timed", count, read=attrgetter("turnaround.n"))
    table = groups_table(
        f, "turnaround", "Turnaround by group", [timed, *percentile_columns("turnaround")]
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
    known = Column("known", "tasks", count, read=attrgetter("queue.n"))
    table = groups_table(
        f,
        "queue",
        "Queue time by group",
        [known, *percentile_columns("queue")],
        keep=lambda g: g.queue.n > 0,
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
    finished = Column("finished", "finished", count, read=_finished)
    table = groups_table(
        f,
        "failures",
        "Failure rate by group",
        [finished, *counts("failed"), FAILURE_RATE],
        keep=lambda g: _finished(g) > 0,
    )
    status = f.selection["status"]
    if rated:
        figure = page.chart("failure-rate", lambda: charts.failure_rates(rated), "Largest groups.")
    elif status in FINISHED:
        figure = (
            f'<p class="empty">No failure rate: --status {status} leaves out the '
            f"{FINISHED[status]} tasks.</p>"
        )
    elif any(_finished(g) for g in f.top_groups):
        figure = (
            '<p class="empty">No failure rate: no listing here reports a failed task '
            "(see the notes).</p>"
        )
    else:
        figure = '<p class="empty">No finished task in this selection.</p>'
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
    columns = [
        PROVIDER,
        text("message"),
        Column("count", "tasks", count),
        Column("share", "of its failures", percent),
        *counts("kinds"),
    ]
    table = Table("failure-messages", "Top failure messages per provider", columns)
    for item in failures:
        table.add({"provider": item.provider}, item)
    return table.html()


def spend(page: Page, f: Figures) -> None:
    page.section(
        "spend",
        "Spend",
        "Spend is the sum of the vendor's cost over tasks that have one, in the vendor's "
        "currency; cost per 1000 tasks is spend / priced tasks x 1000.",
    )
    priced = [g for g in f.top_groups if g.cost_per_1000 is not None]
    priced_tasks = Column("priced", "priced tasks", count)
    table = groups_table(
        f,
        "spend",
        "Spend by group",
        [priced_tasks, SPEND, COST_PER_1000],
        keep=lambda g: g.priced > 0,
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
