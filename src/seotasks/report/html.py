"""The report as one self-contained HTML page: inline CSS, inline SVG charts, no script.

Nothing is fetched when the page opens: no script, no font (the system's sans-serif),
no image by URL. Each chart sits beside a table of the same figures, because a chart
shows the shape and a table the number one quotes in a mail. Table cells carry the
exact value in ``data-value`` (seconds, shares, money as computed) beside the rounded,
human text, so scripts and tests can read a figure without parsing ``7 min 32 s``.

Markup contract, relied on by the browser test: every chart is a
``<figure data-chart=NAME>`` holding one ``<svg>``; every table is a
``<table data-table=NAME>`` whose rows carry ``data-provider`` (and ``data-group``
for a group) and whose cells carry ``data-col``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from html import escape
from typing import Any

from . import charts
from .figures import Backlog, Comparison, Failure, Figures, Group, Percentiles

__all__ = ["duration", "money", "percent", "render_html"]


def duration(seconds: float | None) -> str:
    """``45 s``, ``7 min 32 s``, ``2 h 05 min``, ``3 d 4 h``; an em dash when unknown."""
    if seconds is None:
        return "—"
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 10:
        return f"{sign}{s:.1f} s"
    if s < 60:
        return f"{sign}{s:.0f} s"
    whole = round(s)
    if whole < 3600:
        return f"{sign}{whole // 60} min {whole % 60:02d} s"
    if whole < 86400:
        return f"{sign}{whole // 3600} h {whole % 3600 // 60:02d} min"
    return f"{sign}{whole // 86400} d {whole % 86400 // 3600} h"


def percent(share: float | None) -> str:
    """A share as ``6.0 %`` (one decimal)."""
    return "—" if share is None else f"{share * 100:.1f} %"


def money(amount: float | None) -> str:
    """Two decimals from 1 up, four below (vendor prices are fractions of a cent)."""
    if amount is None:
        return "—"
    return f"{amount:,.2f}" if abs(amount) >= 1 else f"{amount:.4f}"


def _count(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _when(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


_CSS = """
:root { color-scheme: light; --line: #dee2e6; --muted: #555; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; margin: 0 auto; max-width: 1500px; padding: 1.5rem 2rem 3rem; color: #212529;
  line-height: 1.4; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.25rem; margin: 2.2rem 0 .6rem; border-bottom: 1px solid var(--line);
  padding-bottom: .3rem; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
p.meta, p.lead, figcaption, .note { color: var(--muted); font-size: .9rem; }
nav a { margin-right: .9rem; font-size: .9rem; }
.pair { display: flex; flex-wrap: wrap; gap: 1.2rem 2rem; align-items: flex-start; }
figure { margin: 0; }
figure svg { max-width: 100%; height: auto; }
.tables { flex: 1 1 380px; min-width: 0; max-height: 42rem; overflow: auto; }
.tables.wide { max-height: 30rem; margin-top: 1rem; }
@media print { .tables { max-height: none; overflow: visible; } }
table { border-collapse: collapse; font-size: .85rem; margin: .3rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding: .2rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .25rem .6rem; text-align: right;
  white-space: nowrap; }
th { background: #f8f9fa; position: sticky; top: 0; }
td.text, th.text { text-align: left; white-space: normal; }
td.text { max-width: 16rem; }
td.missing { color: #adb5bd; }
ul.notes li { margin: .2rem 0; }
.empty { color: var(--muted); font-style: italic; }
"""


class _Table:
    """One ``<table data-table=NAME>``: columns (key, heading, is_text), rows of cells."""

    def __init__(self, name: str, caption: str, columns: Sequence[tuple[str, str, bool]]) -> None:
        self.name = name
        self.caption = caption
        self.columns = columns
        self.rows: list[str] = []

    def add(self, attrs: dict[str, str], cells: Sequence[tuple[str, Any]]) -> None:
        """A row; ``cells`` are (text, exact value or None) in column order."""
        parts = []
        for (key, _, is_text), (text, value) in zip(self.columns, cells, strict=True):
            classes = []
            if is_text:
                classes.append("text")
            if text == "—":
                classes.append("missing")
            cls = f' class="{" ".join(classes)}"' if classes else ""
            data = "" if value is None else f' data-value="{escape(str(value))}"'
            shown = escape(text)
            if is_text:  # long kinds wrap after a slash, not mid-word
                shown = shown.replace("/", "/<wbr>")
            parts.append(f'<td data-col="{key}"{cls}{data}>{shown}</td>')
        extra = "".join(f' data-{k}="{escape(v)}"' for k, v in attrs.items())
        self.rows.append(f"<tr{extra}>{''.join(parts)}</tr>")

    def html(self) -> str:
        text = ' class="text"'
        head = "".join(
            f'<th{text if is_text else ""} scope="col">{escape(h)}</th>'
            for _, h, is_text in self.columns
        )
        body = "".join(self.rows) or (
            f'<tr><td class="text empty" colspan="{len(self.columns)}">nothing to show</td></tr>'
        )
        return (
            f'<table data-table="{self.name}"><caption>{escape(self.caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )


class _Page:
    """Sections in order, and the charts rendered into them (ids kept unique)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.toc: list[tuple[str, str]] = []
        self.charts = 0

    def section(self, anchor: str, title: str, lead: str = "") -> None:
        self.toc.append((anchor, title))
        self.parts.append(f'<section id="{anchor}"><h2>{escape(title)}</h2>')
        if lead:
            self.parts.append(f'<p class="lead">{escape(lead)}</p>')

    def end(self) -> None:
        self.parts.append("</section>")

    def chart(self, name: str, build: Callable[[], Any], caption: str) -> str:
        self.charts += 1
        svg = charts.to_svg(charts.spec(build), f"c{self.charts}")
        return (
            f'<figure data-chart="{name}">{svg}<figcaption>{escape(caption)}</figcaption></figure>'
        )

    def pair(self, figure: str, tables: Iterable[str]) -> None:
        self.parts.append(
            f'<div class="pair">{figure}<div class="tables">{"".join(tables)}</div></div>'
        )


def _pcols(prefix: str) -> list[tuple[str, str, bool]]:
    return [(f"{prefix}_{p}", p, False) for p in ("p50", "p90", "p99")]


def _pcells(p: Percentiles) -> list[tuple[str, Any]]:
    return [(duration(v), None if v is None else round(v, 3)) for v in (p.p50, p.p90, p.p99)]


def _group_attrs(g: Group) -> dict[str, str]:
    return {"provider": g.provider, "group": g.label}


def _overview(page: _Page, f: Figures) -> None:
    table = _Table(
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
            *_pcols("turnaround"),
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
                (_count(p.tasks), p.tasks),
                (_count(p.completed), p.completed),
                (_count(p.failed), p.failed),
                (_count(p.running), p.running),
                (_count(p.queued), p.queued),
                (percent(p.failure_rate), p.failure_rate),
                *_pcells(p.turnaround),
                (money(p.spend), p.spend),
                (money(p.cost_per_1000), p.cost_per_1000),
                (_count(p.not_collected), p.not_collected),
            ],
        )
    page.section(
        "overview",
        "Overview",
        "Every provider at a glance; turnaround percentiles are over completed tasks.",
    )
    page.parts.append(table.html())
    page.end()


def _key_columns(f: Figures) -> list[tuple[str, str, bool]]:
    return [("provider", "provider", True), *((k, k, True) for k in f.by)]


def _key_cells(g: Group) -> list[tuple[str, Any]]:
    return [(g.provider, None), *((v or "(not reported)", None) for v in g.labels.values())]


def _turnaround(page: _Page, f: Figures) -> None:
    page.section(
        "turnaround",
        "Turnaround",
        "How long a task takes from posting to completion (completed_at - created_at), "
        "per provider and " + ", ".join(f.by) + ".",
    )
    shown = [g for g in f.top_groups if g.turnaround.n]
    table = _Table(
        "turnaround",
        "Turnaround by group",
        [*_key_columns(f), ("timed", "timed", False), *_pcols("turnaround")],
    )
    for g in f.groups:
        table.add(
            _group_attrs(g),
            [*_key_cells(g), (_count(g.turnaround.n), g.turnaround.n), *_pcells(g.turnaround)],
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


def _queue(page: _Page, f: Figures) -> None:
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
    table = _Table(
        "queue",
        "Queue time by group",
        [*_key_columns(f), ("known", "tasks", False), *_pcols("queue")],
    )
    for g in f.groups:
        if g.queue.n:
            table.add(
                _group_attrs(g), [*_key_cells(g), (_count(g.queue.n), g.queue.n), *_pcells(g.queue)]
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


def _failures(page: _Page, f: Figures) -> None:
    page.section("failures", "Failures", "Failure rate = failed / (completed + failed).")
    rated = [g for g in f.top_groups if g.failure_rate is not None]
    table = _Table(
        "failures",
        "Failure rate by group",
        [
            *_key_columns(f),
            ("finished", "finished", False),
            ("failed", "failed", False),
            ("failure_rate", "failure rate", False),
        ],
    )
    for g in f.groups:
        finished = g.completed + g.failed
        if finished:
            table.add(
                _group_attrs(g),
                [
                    *_key_cells(g),
                    (_count(finished), finished),
                    (_count(g.failed), g.failed),
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
    table = _Table(
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
                (_count(item.count), item.count),
                (percent(item.share), item.share),
                (_count(item.kinds), item.kinds),
            ],
        )
    return table.html()


def _spend(page: _Page, f: Figures) -> None:
    page.section(
        "spend",
        "Spend",
        "Spend is the sum of the vendor's cost over tasks that have one, in the vendor's "
        "currency; cost per 1000 tasks is spend / priced tasks x 1000.",
    )
    priced = [g for g in f.top_groups if g.cost_per_1000 is not None]
    table = _Table(
        "spend",
        "Spend by group",
        [
            *_key_columns(f),
            ("priced", "priced tasks", False),
            ("spend", "spend", False),
            ("cost_per_1000", "cost / 1000", False),
        ],
    )
    for g in f.groups:
        if g.priced:
            table.add(
                _group_attrs(g),
                [
                    *_key_cells(g),
                    (_count(g.priced), g.priced),
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


def _activity(page: _Page, f: Figures) -> None:
    a = f.activity
    page.section(
        "activity",
        "Tasks per hour",
        "Tasks by the hour they were created, stacked by their status now: a band of "
        "running or queued tasks far in the past is work a vendor left unfinished.",
    )
    table = _Table(
        "activity",
        "Rate per provider over the window",
        [
            ("provider", "provider", True),
            ("tasks", "tasks", False),
            ("mean_per_hour", "mean / hour", False),
            ("peak_per_hour", "peak / hour", False),
            ("peak_at", "peak bucket", True),
        ],
    )
    for s in a.summary:
        table.add(
            {"provider": s.provider},
            [
                (s.provider, None),
                (_count(s.tasks), s.tasks),
                (f"{s.mean_per_hour:,.1f}", round(s.mean_per_hour, 6)),
                (f"{s.peak_per_hour:,.1f}", round(s.peak_per_hour, 6)),
                (_when(s.peak_at), None if s.peak_at is None else s.peak_at.isoformat()),
            ],
        )
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


def _backlog(page: _Page, f: Figures) -> None:
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
    table = _Table(
        "backlog",
        "Collection per provider",
        [
            ("provider", "provider", True),
            ("completed", "completed", False),
            ("collected", "collected", False),
            ("collection_failed", "collection failed", False),
            ("not_collected", "not collected", False),
            ("age_p50", "age p50", False),
            ("age_p90", "age p90", False),
            ("oldest", "oldest", False),
        ],
    )
    for b in backlog:
        table.add(
            {"provider": b.provider},
            [
                (b.provider, None),
                (_count(b.completed), b.completed),
                (_count(b.collected), b.collected),
                (_count(b.collection_failed), b.collection_failed),
                (_count(b.not_collected), b.not_collected),
                (duration(b.age.p50), None if b.age.p50 is None else round(b.age.p50, 3)),
                (duration(b.age.p90), None if b.age.p90 is None else round(b.age.p90, 3)),
                (duration(b.oldest), None if b.oldest is None else round(b.oldest, 3)),
            ],
        )
    return table.html()


def _comparisons(page: _Page, f: Figures) -> None:
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
    return (f"{b / a:.2f}x", round(b / a, 6))


def _comparison_table(item: Comparison, index: int) -> str:
    a, b = item.a, item.b
    table = _Table(
        f"comparison-{index}",
        f"{a.provider} vs {b.provider}",
        [
            ("figure", "figure", True),
            ("a", a.provider, False),
            ("b", b.provider, False),
            ("ratio", f"{b.provider} / {a.provider}", False),
        ],
    )
    rows: list[tuple[str, str, float | None, float | None, Callable[[Any], str]]] = [
        ("tasks", "tasks", a.tasks, b.tasks, _count),
        ("completed", "completed", a.completed, b.completed, _count),
        ("turnaround_p50", "turnaround p50", a.turnaround.p50, b.turnaround.p50, duration),
        ("turnaround_p90", "turnaround p90", a.turnaround.p90, b.turnaround.p90, duration),
        ("turnaround_p99", "turnaround p99", a.turnaround.p99, b.turnaround.p99, duration),
        ("failure_rate", "failure rate", a.failure_rate, b.failure_rate, percent),
        ("cost_per_1000", "cost / 1000", a.cost_per_1000, b.cost_per_1000, money),
    ]
    for key, label, va, vb, fmt in rows:
        table.add(
            {"figure": key},
            [(label, None), (fmt(va), va), (fmt(vb), vb), _ratio(va, vb)],
        )
    return table.html()


def render_html(figures: Figures, *, title: str = "seotasks report") -> str:
    """The whole page for ``figures``: one string, nothing to fetch when opened."""
    f = figures
    page = _Page()
    _overview(page, f)
    _turnaround(page, f)
    _queue(page, f)
    _failures(page, f)
    _spend(page, f)
    _activity(page, f)
    _backlog(page, f)
    _comparisons(page, f)
    notes = "".join(f"<li>{escape(n)}</li>" for n in f.notes)
    if notes:
        page.section("notes", "Notes")
        page.parts.append(f'<ul class="notes">{notes}</ul>')
        page.end()
    selection = f.selection
    window = (
        f"created {_when(f.first_created)} to {_when(f.last_created)}"
        if f.first_created
        else "no tasks"
    )
    asked = [f"status {selection['status']}"]
    if selection.get("since") or selection.get("until"):
        asked.append(
            f"{selection['time_field']} from {_when(selection.get('since'))} "
            f"until {_when(selection.get('until'))}"
        )
    providers = ", ".join(p.provider for p in f.providers) or "none"
    toc = "".join(f'<a href="#{a}">{escape(t)}</a>' for a, t in page.toc)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{escape(title)}: the vendors side by side</h1>"
        f'<p class="meta">{f.tasks:,} tasks from {escape(providers)} · {escape(window)} · '
        f"{escape('; '.join(asked))} · source: {escape(f.source)} · "
        f"generated {_when(f.now)}</p></header>"
        f"<nav>{toc}</nav>{''.join(page.parts)}"
        '<footer><p class="note">Made by seotasks report. Durations: percentiles by linear '
        "interpolation (DuckDB quantile_cont). Times in UTC.</p></footer>"
        "</body></html>\n"
    )
