"""The building blocks of the report's page: how a figure is written (durations, shares,
money, counts, times), the page's CSS, its tables and its sections, which write the
markup contract `seotasks.report.html` states.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from html import escape
from typing import Any

from . import charts
from .figure_types import Figures, Group, Percentiles


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


def count(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def when(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


CSS = """
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


class Table:
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


class Page:
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


def percentile_columns(prefix: str) -> list[tuple[str, str, bool]]:
    return [(f"{prefix}_{p}", p, False) for p in ("p50", "p90", "p99")]


def percentile_cells(p: Percentiles) -> list[tuple[str, Any]]:
    return [(duration(v), None if v is None else round(v, 3)) for v in (p.p50, p.p90, p.p99)]


def group_attrs(g: Group) -> dict[str, str]:
    return {"provider": g.provider, "group": g.label}


def key_columns(f: Figures) -> list[tuple[str, str, bool]]:
    return [("provider", "provider", True), *((k, k, True) for k in f.by)]


def key_cells(g: Group) -> list[tuple[str, Any]]:
    return [(g.provider, None), *((v or "(not reported)", None) for v in g.labels.values())]
