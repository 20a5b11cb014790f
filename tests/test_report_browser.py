"""``seotasks report`` opened in a real browser: headless Chromium (Debian's ``chromium``).

The data is the emulators' (seeded), put where a user puts it: ``seotasks load
--sandbox`` writes the DuckDB store, ``seotasks report --from`` renders it; a second page
is rendered from a live sandbox listing (``seotasks report --sandbox``). Chromium,
driven by Playwright (``executable_path``: no browser download), opens each file
offline and the test checks:

* nothing failed and nothing was fetched: no console error or warning, no page error,
  no request but the file itself (the context is offline, too), no ``<script>``;
* every chart rendered: each ``<figure data-chart>`` holds one laid-out SVG with the
  marks its data calls for (one line per distribution, one bar per group, three
  points per percentile range...), counted from DuckDB independently;
* the tables hold the figures a DuckDB query written here computes on its own (with
  ``percentile_cont ... WITHIN GROUP`` and ``date_diff``, not the report's ``epoch`` and
  ``quantile_cont``), and the chart's p50 points say the same as the table;
* the emulator's known distribution comes out: DataForSEO's emulator finishes a SERP
  task ``uniform(5, 900)`` seconds after posting, so ``serp/google/organic`` has
  p50 ~ 452.5 s and p90 ~ 810.5 s.

A full-page screenshot of each report is kept under pytest's temporary folder and its
path printed. Without Chromium the test fails (``.ci/run`` installs it); it never skips.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from clihere import run_here
from clirun import cli_env, sandbox_store

from seotasks.report.layout import duration

#: DataForSEO's emulator: a non-live task is done uniform(5, 900) s after it was posted.
UNIFORM_LOW, UNIFORM_HIGH = 5.0, 900.0
SEED = "30"


def _chromium() -> str:
    found = os.environ.get("SEOTASKS_CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail(
            "the report's browser test needs Chromium: apt-get install -y chromium "
            "(.ci/run installs it), or SEOTASKS_CHROMIUM=/path/to/chromium"
        )
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=_chromium())
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store written by ``seotasks load --sandbox`` (`clirun.sandbox_store`)."""
    return sandbox_store(tmp_path_factory.mktemp("report-store"), "--seed", SEED)


class Opened:
    """A report open in Chromium, with what happened while it loaded."""

    def __init__(self, page: Any, messages: list[str], requests: list[str]) -> None:
        self.page = page
        self.messages = messages
        self.requests = requests

    def rows(self, table: str) -> list[dict[str, Any]]:
        """Each row of ``table[data-table]``: its data-* attributes, and per cell
        ``{col: (text, data-value)}`` under ``cells``."""
        rows: list[dict[str, Any]] = self.page.eval_on_selector_all(
            f'table[data-table="{table}"] tbody tr',
            """rows => rows.map(r => ({
                attrs: Object.assign({}, r.dataset),
                cells: Object.fromEntries([...r.querySelectorAll('td[data-col]')].map(
                    c => [c.dataset.col, [c.textContent, c.dataset.value ?? null]]))
            }))""",
        )
        return rows

    def marks(self, chart: str, role: str) -> list[str]:
        """The aria-labels of the marks of one role in chart ``chart``."""
        labels: list[str] = self.page.eval_on_selector_all(
            f'figure[data-chart="{chart}"] svg [aria-roledescription="{role}"]',
            "marks => marks.map(m => m.getAttribute('aria-label') || '')",
        )
        return labels


def _open(browser: Any, html: Path, shots: Path, capsys: pytest.CaptureFixture[str]) -> Opened:
    context = browser.new_context(offline=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    messages: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: messages.append(f"requestfailed: {r.url}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(html.as_uri(), wait_until="load")
    shot = shots / f"{html.stem}.png"
    page.screenshot(path=str(shot), full_page=True)
    with capsys.disabled():
        print(f"\nscreenshot of {html.name}: {shot}")
    assert shot.stat().st_size > 10_000
    return Opened(page, messages, requests)


def _check_page_is_whole(opened: Opened, html: Path) -> None:
    assert opened.messages == []
    assert opened.requests == [html.as_uri()]
    page = opened.page
    assert page.locator("script").count() == 0
    assert page.locator("link[href], img[src], iframe, object, embed").count() == 0
    figures = page.locator("figure[data-chart]")
    assert figures.count() >= 5
    for index in range(figures.count()):
        figure = figures.nth(index)
        name = figure.get_attribute("data-chart")
        assert figure.locator("svg").count() == 1, name
        box = figure.locator("svg").bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 60, name
        # Titled, with axis titles: text the chart itself carries.
        assert figure.locator("svg text").count() >= 3, name


# -- independent figures --------------------------------------------------------------------


class Store:
    """The store's figures, by queries written here (not the report's)."""

    def __init__(self, path: Path) -> None:
        self.db = duckdb.connect()
        self.db.execute("SET TimeZone = 'UTC'")
        self.db.execute(f"ATTACH '{path}' AS independent (READ_ONLY)")
        self.table = "independent.seotasks.tasks"

    def per_provider(self) -> dict[str, dict[str, Any]]:
        rows = self.db.execute(
            f"""
            SELECT provider, count(*),
              sum(CASE WHEN status = 'completed' THEN 1 ELSE 0 END),
              sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END),
              sum(cost)
            FROM {self.table} GROUP BY provider ORDER BY provider
            """
        ).fetchall()
        return {p: {"tasks": n, "completed": c, "failed": f, "spend": s} for p, n, c, f, s in rows}

    def percentiles(self, by_kind: bool) -> dict[tuple[str, ...], tuple[int, list[float]]]:
        keys = "provider, kind" if by_kind else "provider"
        seconds = "date_diff('millisecond', created_at, completed_at) / 1000.0"
        rows = self.db.execute(
            f"""
            SELECT {keys}, count(*),
              percentile_cont(0.5) WITHIN GROUP (ORDER BY {seconds}),
              percentile_cont(0.9) WITHIN GROUP (ORDER BY {seconds}),
              percentile_cont(0.99) WITHIN GROUP (ORDER BY {seconds})
            FROM {self.table}
            WHERE status = 'completed' AND created_at IS NOT NULL AND completed_at IS NOT NULL
            GROUP BY {keys}
            """
        ).fetchall()
        width = 2 if by_kind else 1
        return {tuple(r[:width]): (int(r[width]), [float(v) for v in r[width + 1 :]]) for r in rows}

    def top_groups(self, top: int = 10) -> list[dict[str, Any]]:
        """The charts' groups: (provider, kind) with the most tasks, ties by name."""
        rows = self.db.execute(
            f"""
            SELECT provider, kind, count(*) AS n,
              sum(CASE WHEN status IN ('completed', 'failed') THEN 1 ELSE 0 END),
              sum(CASE WHEN status = 'completed' AND completed_at IS NOT NULL
                       AND created_at IS NOT NULL THEN 1 ELSE 0 END),
              count(cost)
            FROM {self.table} GROUP BY provider, kind
            ORDER BY n DESC, provider, kind NULLS LAST LIMIT {top}
            """
        ).fetchall()
        return [
            {"name": f"{p} {k}", "finished": fin, "timed": t, "priced": c}
            for p, k, _, fin, t, c in rows
        ]

    def failure_messages(self) -> int:
        row = self.db.execute(
            f"""SELECT count(*) FROM (
              SELECT provider, message, row_number() OVER (
                PARTITION BY provider ORDER BY count(*) DESC, coalesce(message, '')) AS rank
              FROM {self.table} WHERE status = 'failed' GROUP BY provider, message
            ) WHERE rank <= 10"""
        ).fetchone()
        return int(row[0]) if row else 0

    def status_pairs(self) -> int:
        row = self.db.execute(
            f"SELECT count(DISTINCT (provider, status)) FROM {self.table} "
            "WHERE created_at IS NOT NULL"
        ).fetchone()
        return int(row[0]) if row else 0


def _field(label: str, name: str) -> str:
    """One field of a mark's aria-label (Vega writes ``name: value; name: value``)."""
    fields = dict(part.split(": ", 1) for part in label.split("; "))
    return fields[name]


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _close(value: str | None, expected: float) -> bool:
    return value is not None and abs(float(value) - expected) <= max(1e-6, abs(expected) * 1e-9)


# -- the tests --------------------------------------------------------------------------------


def test_the_store_report_renders_in_chromium_with_the_stores_figures(
    browser: Any, store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html = tmp_path / "store-report.html"
    made = run_here(["report", "--from", str(store), "--to", str(html)], cli_env(tmp_path))
    assert made.returncode == 0, made.stderr
    assert f"-> {html} (" in made.stderr
    opened = _open(browser, html, tmp_path, capsys)
    _check_page_is_whole(opened, html)
    truth = Store(store)

    # Overview: counts, failure rate, spend and turnaround per provider.
    providers = truth.per_provider()
    overall = truth.percentiles(by_kind=False)
    overview = {r["attrs"]["provider"]: r["cells"] for r in opened.rows("overview")}
    assert set(overview) == set(providers) == {"dataforseo", "serpstat"}
    for name, expected in providers.items():
        cells = overview[name]
        for key in ("tasks", "completed", "failed"):
            assert _number(cells[key][0]) == expected[key], (name, key)
        finished = expected["completed"] + expected["failed"]
        # Serpstat's list has no failed status: no rate rather than a 0 % by construction.
        rate = "—" if name == "serpstat" else f"{expected['failed'] / finished * 100:.1f} %"
        assert cells["failure_rate"][0] == rate
        if expected["spend"] is None:
            assert cells["spend"] == ["—", None]
        else:
            assert _close(cells["spend"][1], float(expected["spend"]))
        count, quantiles = overall[(name,)]
        for label, value in zip(("p50", "p90", "p99"), quantiles, strict=True):
            text, exact = cells[f"turnaround_{label}"]
            assert _close(exact, value), (name, label, exact, value)
            assert text == duration(value)

    # Every group of the turnaround table, against the independent percentiles.
    by_kind = truth.percentiles(by_kind=True)
    table = opened.rows("turnaround")
    assert len(table) == len({(r["attrs"]["provider"], r["attrs"]["group"]) for r in table})
    timed = 0
    for row in table:
        key = (row["attrs"]["provider"], row["attrs"]["group"])
        if key not in by_kind:
            assert row["cells"]["timed"][0] == "0", key
            continue
        timed += 1
        count, quantiles = by_kind[key]
        assert _number(row["cells"]["timed"][0]) == count
        for label, value in zip(("p50", "p90", "p99"), quantiles, strict=True):
            assert _close(row["cells"][f"turnaround_{label}"][1], value), (key, label)
    assert timed == len(by_kind)

    # The known distribution: uniform(5, 900) s for DataForSEO's SERP tasks.
    count, (p50, p90, _) = by_kind[("dataforseo", "serp/google/organic")]
    assert count >= 200
    expect50 = UNIFORM_LOW + 0.5 * (UNIFORM_HIGH - UNIFORM_LOW)
    expect90 = UNIFORM_LOW + 0.9 * (UNIFORM_HIGH - UNIFORM_LOW)
    # Standard errors at this count: about 25 s for p50 and 15 s for p90; three of them.
    assert abs(p50 - expect50) < 75, p50
    assert abs(p90 - expect90) < 45, p90
    shown = {(r["attrs"]["provider"], r["attrs"]["group"]): r for r in table}
    organic = shown[("dataforseo", "serp/google/organic")]["cells"]
    assert abs(float(organic["turnaround_p50"][1]) - expect50) < 75

    # Charts: the marks each one's data calls for.
    top = truth.top_groups()
    with_times = [g for g in top if g["timed"]]
    assert len(opened.marks("turnaround-percentiles", "rule mark")) == len(with_times)
    points = opened.marks("turnaround-percentiles", "point")
    assert len(points) == 3 * len(with_times)
    for label in points:  # the chart's p50 is the table's
        if _field(label, "percentile") == "p50":
            provider, _, kind = _field(label, "group").partition(" ")
            exact = float(shown[(provider, kind)]["cells"]["turnaround_p50"][1])
            assert abs(float(_field(label, "seconds")) - max(1.0, exact)) < 0.01
    lines = opened.marks("turnaround-distribution", "line mark")
    assert len(lines) == len(with_times)
    assert {_field(x, "group") for x in lines} == {g["name"] for g in with_times}
    rated = [g for g in top if g["finished"] and not g["name"].startswith("serpstat ")]
    assert len(opened.marks("failure-rate", "bar")) == len(rated)
    assert len(opened.marks("cost-per-1000", "bar")) == len([g for g in top if g["priced"]])
    assert len(opened.marks("failure-messages", "bar")) == truth.failure_messages() > 0
    assert len(opened.marks("activity", "area mark")) == truth.status_pairs()
    # The migration view: Serpstat's serp/google against DataForSEO's organic SERP.
    headings = opened.page.locator("#side-by-side h3").all_inner_texts()
    assert any(h.startswith("serp/google ~ serp/google/organic") for h in headings), headings
    assert len(opened.marks("comparison-0", "line mark")) == 2
    assert opened.page.locator("#queue .empty").count() == 1  # no vendor reports started_at


def test_a_live_sandbox_report_shows_what_is_not_collected(
    browser: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """DataForSEO's default listing (tasks_ready) drains on collection: every task it
    lists is done and not collected, its age counted from its posting time."""
    html = tmp_path / "sandbox-report.html"
    env = cli_env(tmp_path)
    common = ["report", "--sandbox", "-p", "dataforseo", "-p", "serpstat", "--seed", SEED]
    made = run_here([*common, "--to", str(html)], env, timeout=240)
    assert made.returncode == 0, made.stderr
    opened = _open(browser, html, tmp_path, capsys)
    _check_page_is_whole(opened, html)
    backlog = {r["attrs"]["provider"]: r["cells"] for r in opened.rows("backlog")}
    overview = {r["attrs"]["provider"]: r["cells"] for r in opened.rows("overview")}
    assert set(backlog) == {"dataforseo"}  # Serpstat's listing does not drain: not known
    completed = _number(overview["dataforseo"]["completed"][0])
    assert completed > 100
    assert _number(backlog["dataforseo"]["not_collected"][0]) == completed
    assert overview["serpstat"]["not_collected"] == ["—", None]
    bars = opened.marks("backlog-ages", "bar")
    assert sum(int(_field(b, "tasks")) for b in bars) == completed
