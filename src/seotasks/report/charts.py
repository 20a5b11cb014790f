"""The report's charts: Vega-Lite specs built with altair, rendered to SVG by vl-convert.

Why this pair (and not plotly, matplotlib or a JavaScript chart library inlined):

* **No JavaScript in the page.** vl-convert runs Vega itself (in an embedded V8) and
  hands back a finished SVG, so the page shows its charts offline, with scripts
  blocked, in a mail client or printed, and a browser has nothing to execute (nothing
  to fail either). plotly's offline mode inlines its 3.5 MB bundle into every file
  and draws in the browser.
* **Size independent of the task count.** Every chart receives aggregates computed
  in DuckDB (percentiles, buckets, counts), a few hundred marks at most, so the report
  for 100 000 tasks weighs what the one for 1 000 does.
* **A grammar with titles, units and axes by default**, a spec anyone can take to the
  Vega editor, and two well-kept libraries (altair: the Vega-Lite reference binding for
  Python; vl-convert: the Vega project's own converter, a single wheel, no browser).

Times on duration axes are seconds on a log scale with human tick labels (``10 min``,
``6 h``), since a vendor's turnaround spans seconds to days; rates are per hour, money
is in the vendor's currency.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import altair as alt
import jsonschema
from altair.utils.schemapi import debug_mode

from .figure_types import Activity, Backlog, Comparison, Curve, Failure, Group

__all__ = [
    "STATUS_COLORS",
    "activity",
    "backlog_ages",
    "comparison",
    "cost_per_1000",
    "distribution",
    "failure_messages",
    "failure_rates",
    "percentiles",
    "spec",
    "to_svg",
]

#: Plot width in pixels: a chart and its table fit side by side on a laptop screen.
WIDTH = 440
#: Status colours, the same in every chart (completed green, failed red...).
STATUS_COLORS = {
    "completed": "#2f9e44",
    "failed": "#e03131",
    "running": "#1c7ed6",
    "queued": "#adb5bd",
}
#: Duration ticks in seconds, labelled by `_DURATION_LABEL`.
_TICKS = (1, 10, 60, 600, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400)
#: A Vega expression: seconds as ``45 s``, ``10 min``, ``6 h``, ``2 d``, ``1 w``.
_DURATION_LABEL = (
    "datum.value >= 604800 ? format(datum.value / 604800, '~g') + ' w' : "
    "datum.value >= 86400 ? format(datum.value / 86400, '~g') + ' d' : "
    "datum.value >= 3600 ? format(datum.value / 3600, '~g') + ' h' : "
    "datum.value >= 60 ? format(datum.value / 60, '~g') + ' min' : "
    "format(datum.value, '~g') + ' s'"
)
#: A log scale cannot show 0 s: durations below this are drawn at it (said on the axis).
_FLOOR = 1.0


def _ticks(values: Iterable[float]) -> list[float]:
    seen = [float(v) for v in values if v is not None]
    if not seen:
        return [float(t) for t in _TICKS[:4]]
    low, high = max(_FLOOR, min(seen)), max(_FLOOR, max(seen))
    chosen = [float(t) for t in _TICKS if low / 10 <= t <= high * 10]
    return chosen or [_FLOOR]


def _duration_axis(title: str, values: Iterable[float]) -> alt.Axis:
    return alt.Axis(
        title=title, values=_ticks(values), labelExpr=_DURATION_LABEL, grid=True, format="~g"
    )


def _titled(chart: Any, title: str, subtitle: str) -> Any:
    return chart.properties(title=alt.Title(title, subtitle=subtitle, anchor="start"))


def _config(chart: Any) -> Any:
    return (
        chart.configure_view(stroke=None)
        .configure_axis(labelFontSize=11, titleFontSize=12, labelLimit=320)
        .configure_title(fontSize=14, subtitleFontSize=11, subtitleColor="#555")
        .configure_legend(orient="bottom", direction="horizontal", columns=3, labelLimit=300)
    )


def percentiles(groups: Sequence[Group]) -> Any:
    """p50, p90 and p99 turnaround per group: a line from p50 to p99, a mark at each."""
    rows: list[dict[str, Any]] = []
    ranges: list[dict[str, Any]] = []
    for g in groups:
        t = g.turnaround
        if t.p50 is None or t.p90 is None or t.p99 is None:
            continue
        name = g.name
        ranges.append({"group": name, "provider": g.provider, "low": t.p50, "high": t.p99})
        for label, value in (("p50", t.p50), ("p90", t.p90), ("p99", t.p99)):
            rows.append(
                {
                    "group": name,
                    "provider": g.provider,
                    "percentile": label,
                    "seconds": max(_FLOOR, value),
                    "n": t.n,
                }
            )
    order: list[str] = [r["group"] for r in ranges]
    axis = _duration_axis(
        "turnaround (log scale; under 1 s drawn at 1 s)", [r["seconds"] for r in rows]
    )
    scale = alt.Scale(type="log")
    y = alt.Y("group:N", sort=order, title=None)
    rule = (
        alt.Chart(
            alt.InlineData(
                values=[
                    {**r, "low": max(_FLOOR, r["low"]), "high": max(_FLOOR, r["high"])}
                    for r in ranges
                ]
            )
        )
        .mark_rule(strokeWidth=2)
        .encode(
            y=y,
            x=alt.X("low:Q", scale=scale, axis=axis),
            x2="high:Q",
            color=alt.Color("provider:N", legend=alt.Legend(title="provider")),
        )
    )
    points = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_point(filled=True, size=60, opacity=1)
        .encode(
            y=y,
            x=alt.X("seconds:Q", scale=scale, axis=axis),
            shape=alt.Shape(
                "percentile:N",
                scale=alt.Scale(
                    domain=["p50", "p90", "p99"], range=["circle", "triangle-right", "diamond"]
                ),
                legend=alt.Legend(title="percentile"),
            ),
            color=alt.Color("provider:N"),
            tooltip=["group:N", "percentile:N", "seconds:Q", "n:Q"],
        )
    )
    chart = alt.layer(rule, points).properties(width=WIDTH, height=max(60, 22 * len(ranges)))
    return _config(
        _titled(chart, "Turnaround percentiles", "completed_at - created_at of completed tasks")
    )


def distribution(curves: Sequence[Curve], title: str, what: str) -> Any:
    """Share of tasks done within a duration (an ECDF), one line per group."""
    rows: list[dict[str, Any]] = [
        {"group": f"{c.provider} {c.label}".strip(), "share": share, "seconds": max(_FLOOR, sec)}
        for c in curves
        for share, sec in c.points
    ]
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_line(interpolate="step-after", strokeWidth=2)
        .encode(
            x=alt.X(
                "seconds:Q",
                scale=alt.Scale(type="log"),
                axis=_duration_axis(f"{what} (log scale)", [r["seconds"] for r in rows]),
            ),
            y=alt.Y(
                "share:Q",
                axis=alt.Axis(title="share of tasks done within (%)", format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color(
                "group:N",
                legend=alt.Legend(title=None, columns=2),
            ),
        )
        .properties(width=WIDTH, height=260)
    )
    return _config(_titled(chart, title, f"{what} per provider and group, whole percentiles"))


def _bars(
    rows: list[dict[str, Any]], x: str, x_title: str, x_format: str, title: str, subtitle: str
) -> Any:
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=None, title=None),
            x=alt.X(f"{x}:Q", axis=alt.Axis(title=x_title, format=x_format)),
            color=alt.Color("provider:N", legend=alt.Legend(title="provider")),
        )
        .properties(width=WIDTH - 100, height=max(40, 20 * len(rows)))
    )
    return _config(_titled(chart, title, subtitle))


#: A group figure drawn as bars, by its `Group` attribute: (axis title, axis format,
#: chart title, subtitle).
_GROUP_BARS = {
    "failure_rate": (
        "failure rate (% of finished tasks)",
        "%",
        "Failure rate",
        "failed / (completed + failed)",
    ),
    "cost_per_1000": (
        "cost per 1000 tasks (vendor's currency)",
        ",.2f",
        "Cost per 1000 tasks",
        "spend / priced tasks x 1000",
    ),
}


def _group_bars(groups: Sequence[Group], figure: str) -> Any:
    """A bar per group that has ``figure`` (`_GROUP_BARS`)."""
    rows = [
        {"label": g.name, "provider": g.provider, figure: getattr(g, figure)}
        for g in groups
        if getattr(g, figure) is not None
    ]
    return _bars(rows, figure, *_GROUP_BARS[figure])


def failure_rates(groups: Sequence[Group]) -> Any:
    """Failed / (completed + failed) per group."""
    return _group_bars(groups, "failure_rate")


def failure_messages(failures: Sequence[Failure]) -> Any:
    """The most frequent failure messages, per provider."""
    rows = [
        {"label": f"{f.provider}: {_short(f.message)}", "provider": f.provider, "count": f.count}
        for f in failures
    ]
    return _bars(
        rows,
        "count",
        "failed tasks",
        "~d",
        "Top failure messages",
        "failed tasks by the vendor's message",
    )


def cost_per_1000(groups: Sequence[Group]) -> Any:
    """What 1000 tasks of each group cost."""
    return _group_bars(groups, "cost_per_1000")


def activity(figures: Activity) -> Any:
    """Tasks per hour over time, stacked by status, one panel per provider."""
    rows = [
        {
            "start": r.start.isoformat(),
            "provider": r.provider,
            "status": r.status,
            "per_hour": r.per_hour,
        }
        for r in figures.rows
    ]
    statuses = [s for s in STATUS_COLORS if any(r["status"] == s for r in rows)]
    hours = figures.bucket_hours
    every = "hour" if hours == 1 else f"{hours} hours"
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_area(interpolate="step-after")
        .encode(
            x=alt.X(
                "start:T",
                scale=alt.Scale(type="utc"),
                axis=alt.Axis(
                    title="created (UTC)", format="%b %d" if hours >= 24 else "%b %d %H:%M"
                ),
            ),
            y=alt.Y("per_hour:Q", stack="zero", axis=alt.Axis(title="tasks per hour")),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=statuses, range=[STATUS_COLORS[s] for s in statuses]),
                legend=alt.Legend(title="status now"),
            ),
            order=alt.Order("status:N"),
        )
        .properties(width=WIDTH, height=120)
        .facet(row=alt.Row("provider:N", title=None))
    )
    return _config(
        _titled(
            chart,
            "Tasks per hour",
            f"by creation time, one bucket every {every}, stacked by status",
        )
    )


def backlog_ages(backlog: Sequence[Backlog]) -> Any:
    """Completed tasks not collected, by age band and provider."""
    order = [label for label, _ in backlog[0].bands] if backlog else []
    rows = [
        {"band": label, "provider": b.provider, "tasks": n}
        for b in backlog
        for label, n in b.bands
        if n
    ]
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar()
        .encode(
            x=alt.X(
                "band:N",
                sort=order,
                axis=alt.Axis(title="age (since completion, else creation)", labelAngle=0),
            ),
            xOffset=alt.XOffset("provider:N"),
            y=alt.Y("tasks:Q", axis=alt.Axis(title="tasks not collected", format="~d")),
            color=alt.Color("provider:N", legend=alt.Legend(title="provider")),
        )
        .properties(width=WIDTH, height=220)
    )
    return _config(
        _titled(
            chart, "Ready but not collected", "completed tasks with no collected result, by age"
        )
    )


def comparison(item: Comparison) -> Any:
    """The two vendors' turnaround distributions for one kind, on one axis."""
    curves = [c for c in (item.curve_a, item.curve_b) if c is not None]
    chart = distribution(curves, f"Turnaround: {item.title}", "turnaround")
    return chart


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def spec(build: Callable[[], Any]) -> dict[str, Any]:
    """The Vega-Lite spec of the chart ``build()`` makes, checked against the schema.

    Why not altair's own checking: it validates every data row against the schema too,
    once when the data is wrapped and again in ``to_dict`` (a fifth of a second of CPU
    for a chart of 2 000 points, most of the report's time). The rows are ours and
    plain, so the chart is built unchecked and its structure checked once, on a copy
    holding the first few rows of each dataset: a wrong encoding or mark still fails
    here, loudly, before anything is rendered. The check is `_schema_check`'s; a spec it
    refuses goes to altair's ``validate`` for the error, which names the wrong property.
    """
    with debug_mode(False):
        made: dict[str, Any] = build().to_dict(validate=False)
    sample = dict(made)
    sample["datasets"] = {name: rows[:3] for name, rows in made.get("datasets", {}).items()}
    refused = next(_schema_check().iter_errors(sample), None)
    if refused is not None:
        alt.Root.validate(sample)  # raises altair's account of what is wrong
        raise refused  # altair found nothing: the schema's own words, then
    return made


@functools.cache
def _schema_check() -> Any:
    """A validator of the Vega-Lite schema altair writes, made once a process.

    Why not ``alt.Root.validate``: it copies the whole schema (1.9 MB of JSON) and builds
    a validator at every call, 15 ms of CPU a chart against 0.6 ms for this one, which is
    the same validator class with the same format checker over the same schema
    (``load_schema`` of the module that defines ``alt.Root``, so of the Vega-Lite version
    altair writes)."""
    schema = sys.modules[alt.Root.__module__].load_schema()
    validator = jsonschema.validators.validator_for(schema)
    return validator(schema, format_checker=validator.FORMAT_CHECKER)


_ID = re.compile(r'\bid="([^"]+)"')


def to_svg(made: dict[str, Any], prefix: str) -> str:
    """The spec ``made`` as an SVG document to inline in HTML, its ids prefixed with
    ``prefix``.

    Why the prefix: several SVGs inlined in one page share one id space, and Vega names
    clip paths alike in every chart (``clip1``...); a second chart would then clip to the
    first chart's rectangle.
    """
    import vl_convert

    svg = vl_convert.vegalite_to_svg(made)
    ids = set(_ID.findall(svg))
    for name in sorted(ids, key=len, reverse=True):
        svg = svg.replace(f'id="{name}"', f'id="{prefix}-{name}"')
        svg = svg.replace(f"url(#{name})", f"url(#{prefix}-{name})")
        svg = svg.replace(f'href="#{name}"', f'href="#{prefix}-{name}"')
    return svg
