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

from html import escape

from . import sections, sections_work
from .figure_types import Figures
from .layout import CSS, Page, when

__all__ = ["render_html"]


def render_html(figures: Figures, *, title: str = "seotasks report") -> str:
    """The whole page for ``figures``: one string, nothing to fetch when opened."""
    f = figures
    page = Page()
    sections.overview(page, f)
    sections.turnaround(page, f)
    sections.queue(page, f)
    sections.failures(page, f)
    sections.spend(page, f)
    sections_work.activity(page, f)
    sections_work.backlog(page, f)
    sections_work.comparisons(page, f)
    notes = "".join(f"<li>{escape(n)}</li>" for n in f.notes)
    if notes:
        page.section("notes", "Notes")
        page.parts.append(f'<ul class="notes">{notes}</ul>')
        page.end()
    selection = f.selection
    window = (
        f"created {when(f.first_created)} to {when(f.last_created)}"
        if f.first_created
        else "no tasks"
    )
    asked = [f"status {selection['status']}"]
    if f.incomplete:
        asked.append(
            f"maybe incomplete: a vendor capped its list (see the notes): {', '.join(f.incomplete)}"
        )
    if selection.get("since") or selection.get("until"):
        asked.append(
            f"{selection['time_field']} from {when(selection.get('since'))} "
            f"until {when(selection.get('until'))}"
        )
    providers = ", ".join(p.provider for p in f.providers) or "no provider"
    toc = "".join(f'<a href="#{a}">{escape(t)}</a>' for a, t in page.toc)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{escape(title)}: the vendors side by side</h1>"
        f'<p class="meta">{f.tasks:,} task{"" if f.tasks == 1 else "s"} from '
        f"{escape(providers)} · {escape(window)} · "
        f"{escape('; '.join(asked))} · source: {escape(f.source)} · "
        f"generated {when(f.now)}</p></header>"
        f"<nav>{toc}</nav>{''.join(page.parts)}"
        '<footer><p class="note">Made by seotasks report. Durations: percentiles by linear '
        "interpolation (DuckDB quantile_cont). Times in UTC.</p></footer>"
        "</body></html>\n"
    )
