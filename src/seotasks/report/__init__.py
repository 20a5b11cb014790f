"""The vendors side by side: turnaround, failures, spend and backlog as one HTML file.

``seotasks report`` (`seotasks.cli.report`) answers the question raw listings do not:
which vendor finishes my kind of task faster, cheaper and more reliably, and is that
changing? It works in three steps, one module each:

* `seotasks.report.source` puts the tasks in one DuckDB table, ``report_tasks``: read
  from the store ``seotasks load`` writes (``seotasks.duckdb``), or from a live listing;
* `seotasks.report.figures` computes every figure from that table with SQL
  (`compute`), into plain attrs classes that `Figures.to_json` turns into JSON;
* `seotasks.report.charts` draws them as Vega-Lite charts (built with altair) rendered
  to SVG by vl-convert, and `seotasks.report.html` lays charts and tables out in one
  self-contained HTML page (`render_html`).

Why one SQL table in the middle: the store and a live listing then share every figure's
code, and DuckDB computes percentiles over 100 000 tasks in milliseconds, so a chart
only ever receives aggregates (a hundred points a curve), never one mark per task. That
is what keeps the page small (kilobytes, not megabytes) and the render fast.

Why SVG and no JavaScript: the page must work offline, in a mail attachment, on a
machine that blocks scripts, and in ten years; static SVG does, and the browser test has
no script that could fail. All of this needs the optional extra ``seotasks[report]``
(altair, vl-convert-python, duckdb); the core never imports this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .figures import Figures as Figures
    from .figures import compute as compute
    from .html import render_html as render_html
    from .source import Selection as Selection
    from .source import from_store as from_store
    from .source import from_tasks as from_tasks

__all__ = ["Figures", "Selection", "compute", "from_store", "from_tasks", "render_html"]

_WHERE = {
    "Figures": "figures",
    "compute": "figures",
    "render_html": "html",
    "Selection": "source",
    "from_store": "source",
    "from_tasks": "source",
}


def __getattr__(name: str) -> Any:
    """The public names, imported on first use (duckdb and altair load only when needed)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
