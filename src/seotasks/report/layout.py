"""The building blocks of the report's page: how a figure is written (durations, shares,
money, counts, times), the page's CSS, its tables and its sections, which write the
markup contract `seotasks.report.html` states.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from html import escape
from operator import attrgetter
from typing import Any

import attrs

from . import charts
from .figure_types import NONE_LABEL, Figures, Group, twelve_digits


def duration(seconds: float | None) -> str:
    """``45 s``, ``7 min 32 s``, ``2 h 05 min``, ``3 d 4 h``; an em dash when unknown."""
    if seconds is None:
        return "—"
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 10:
        return f"{sign}{s:.1f} s"
    whole = round(s)
    if whole < 60:
        return f"{sign}{whole} s"
    if whole < 3600:
        return f"{sign}{whole // 60} min {whole % 60:02d} s"
    if whole < 86400:
        return f"{sign}{whole // 3600} h {whole % 3600 // 60:02d} min"
    return f"{sign}{whole // 86400} d {whole % 86400 // 3600} h"


def percent(share: float | None) -> str:
    """A share as ``6.0 %`` (one decimal). A share that is not 0 or 1 never reads as
    one: one failure in 5000 tasks is ``<0.1 %``, not a clean ``0.0 %``."""
    if share is None:
        return "—"
    if 0 < share < 0.0005:
        return "<0.1 %"
    if 0.9995 <= share < 1:
        return ">99.9 %"
    return f"{share * 100:.1f} %"


def money(amount: float | None) -> str:
    """Two decimals from 1 up, four below (vendor prices are fractions of a cent). An
    amount that is not 0 never reads as 0 (``<0.0001``), as a share never does."""
    if amount is None:
        return "—"
    if 0 < amount < 0.00005:
        return "<0.0001"
    return f"{amount:,.2f}" if abs(round(amount, 4)) >= 1 else f"{amount:.4f}"


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


Cell = tuple[str, Any]


def _same(value: Any) -> Any:
    return value


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


@attrs.frozen
class Column:
    """One column of a `Table`: its ``data-col`` key and heading, and how a row's cell is
    written: ``read`` takes the value from the row (default: its attribute ``key``),
    ``show`` writes it for the reader, ``exact`` for ``data-value`` (None: no exact value);
    a ``text`` column is left-aligned and may wrap."""

    key: str
    heading: str
    show: Callable[[Any], str] = str
    exact: Callable[[Any], Any] | None = _same
    read: Callable[[Any], Any] | None = None
    text: bool = False

    def cell(self, row: Any) -> Cell:
        value = getattr(row, self.key) if self.read is None else self.read(row)
        return (self.show(value), None if self.exact is None else self.exact(value))


def text(key: str, heading: str | None = None, read: Callable[[Any], Any] | None = None) -> Column:
    """A column of names (providers, kinds, messages), with no exact value."""
    return Column(key, heading or key, exact=None, read=read, text=True)


def counts(*keys: str) -> list[Column]:
    """Columns of counts, each the row's attribute of that name (``not_collected`` is
    headed "not collected")."""
    return [Column(key, key.replace("_", " "), count) for key in keys]


def timed(key: str, heading: str, read: Callable[[Any], float | None]) -> Column:
    """A duration (``7 min 32 s``), exact to the millisecond."""
    return Column(key, heading, duration, _rounded, read)


PROVIDER = text("provider")
FAILURE_RATE = Column("failure_rate", "failure rate", percent)
SPEND = Column("spend", "spend", money)
COST_PER_1000 = Column("cost_per_1000", "cost / 1000", money)


class Table:
    """One ``<table data-table=NAME>`` of `Column` s, a row per `add`."""

    def __init__(self, name: str, caption: str, columns: Sequence[Column]) -> None:
        self.name = name
        self.caption = caption
        self.columns = columns
        self.rows: list[str] = []

    def add(self, attrs: dict[str, str], row: Any) -> None:
        """A row of each column's cell of ``row``; ``attrs`` become its ``data-*``."""
        self.add_cells(attrs, [column.cell(row) for column in self.columns])

    def add_cells(self, attrs: dict[str, str], cells: Sequence[Cell]) -> None:
        """A row of ``cells``: (text, exact value or None) in column order."""
        parts = []
        for column, (shown_text, value) in zip(self.columns, cells, strict=True):
            classes = []
            if column.text:
                classes.append("text")
            if shown_text == "—":
                classes.append("missing")
            cls = f' class="{" ".join(classes)}"' if classes else ""
            data = "" if value is None else f' data-value="{escape(_exact(value))}"'
            shown = escape(shown_text)
            if column.text:  # long kinds wrap after a slash, not mid-word
                shown = shown.replace("/", "/<wbr>")
            parts.append(f'<td data-col="{column.key}"{cls}{data}>{shown}</td>')
        extra = "".join(f' data-{k}="{escape(v)}"' for k, v in attrs.items())
        self.rows.append(f"<tr{extra}>{''.join(parts)}</tr>")

    def html(self) -> str:
        text = ' class="text"'
        head = "".join(
            f'<th{text if c.text else ""} scope="col">{escape(c.heading)}</th>'
            for c in self.columns
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


def percentile_columns(prefix: str) -> list[Column]:
    """p50, p90 and p99 of the row's `Percentiles` named ``prefix`` (``turnaround``...)."""
    return [timed(f"{prefix}_{p}", p, attrgetter(f"{prefix}.{p}")) for p in ("p50", "p90", "p99")]


def group_attrs(g: Group) -> dict[str, str]:
    return {"provider": g.provider, "group": g.label}


def _label(key: str) -> Callable[[Group], str]:
    return lambda g: g.labels[key] or NONE_LABEL


def key_columns(f: Figures) -> list[Column]:
    """What names a group: its provider and its ``--by`` values."""
    return [PROVIDER, *(text(k, read=_label(k)) for k in f.by)]


def _exact(value: object) -> str:
    """A cell's ``data-value``: a float as the JSON has it (`twelve_digits`; a p90 read
    ``14952.0`` in one table and ``14951.999999999998`` in another)."""
    return str(twelve_digits(value)) if isinstance(value, float) else str(value)
