"""The report's figures: each definition on tasks whose answer is known.

Small hand-built listings (`seotasks.report.source.from_tasks`) pin each definition
(interpolated percentiles, failure rate over finished tasks, cost per 1000 priced
tasks, queue time, bucket widths, rates, ages, kind matching, number formats); the
store is `test_report_store`'s.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from seotasks.errors import ConfigError
from seotasks.model import Task, TaskStatus
from seotasks.report.figures import Figures, Group, compute, parse_compare
from seotasks.report.html import render_html
from seotasks.report.layout import duration, money, percent
from seotasks.report.source import Selection, from_tasks

T0 = datetime(2026, 11, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 20, tzinfo=UTC)
COMPLETED, FAILED, RUNNING, QUEUED = (
    TaskStatus.COMPLETED,
    TaskStatus.FAILED,
    TaskStatus.RUNNING,
    TaskStatus.QUEUED,
)


def task(
    provider: str,
    number: int,
    status: TaskStatus = COMPLETED,
    *,
    took: float | None = 60,
    kind: str = "serp/google/organic",
    cost: str | None = None,
    posted: datetime = T0,
    waited: float | None = None,
    message: str | None = None,
    **fields: Any,
) -> Task:
    done = None if took is None else posted + timedelta(seconds=took)
    return Task(
        provider=provider,
        id=str(number),
        status=status,
        created_at=posted,
        completed_at=done if status in (COMPLETED, FAILED) else None,
        started_at=None if waited is None else posted + timedelta(seconds=waited),
        kind=kind,
        cost=None if cost is None else Decimal(cost),
        message=message,
        **fields,
    )


def figures_of(tasks: list[Task], **kwargs: Any) -> Figures:
    draining = kwargs.pop("draining", ())
    held = from_tasks(tasks, source="test", draining=draining)
    try:
        return compute(held, now=NOW, **kwargs)
    finally:
        held.close()


def interpolated(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), written out."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def provider(figures: Figures, name: str) -> Group:
    [found] = [p for p in figures.providers if p.provider == name]
    return found


# -- definitions ----------------------------------------------------------------------------


def test_turnaround_percentiles_interpolate_over_completed_tasks_only() -> None:
    took = [10.0, 20.0, 30.0, 40.0, 100.0]
    tasks = [task("a", i, took=t) for i, t in enumerate(took)]
    tasks += [task("a", 10, FAILED, took=5000), task("a", 11, RUNNING, took=None)]
    a = provider(figures_of(tasks), "a")
    assert a.turnaround.n == 5
    assert a.turnaround.p50 == pytest.approx(interpolated(took, 0.5)) == 30
    assert a.turnaround.p90 == pytest.approx(interpolated(took, 0.9)) == pytest.approx(76)
    assert a.turnaround.p99 == pytest.approx(interpolated(took, 0.99)) == pytest.approx(97.6)


def test_failure_rate_counts_finished_tasks_and_messages_rank_per_provider() -> None:
    tasks = [task("a", i) for i in range(6)]
    tasks += [task("a", 10 + i, FAILED, message="Internal SE Server Error.") for i in range(3)]
    tasks += [task("a", 20, FAILED, message="Invalid Field: 'keyword'.")]
    tasks += [task("a", 30 + i, QUEUED, took=None) for i in range(5)]
    f = figures_of(tasks)
    a = provider(f, "a")
    assert (a.tasks, a.completed, a.failed, a.queued) == (15, 6, 4, 5)
    assert a.failure_rate == pytest.approx(4 / 10)  # the queued five have not finished
    assert [(m.message, m.count, m.share) for m in f.failures] == [
        ("Internal SE Server Error.", 3, 0.75),
        ("Invalid Field: 'keyword'.", 1, 0.25),
    ]


@pytest.mark.parametrize("status", [COMPLETED, FAILED])
def test_a_status_that_leaves_out_finished_tasks_gives_no_failure_rate(
    status: TaskStatus,
) -> None:
    """``--status completed`` leaves the failed tasks out (``failed`` the completed ones):
    what remains fails at 0 % (100 %) by construction, whatever the vendor did. The page
    showed that 0 % as the vendor's failure rate, and a note read it as "no failed task"."""
    listed = [task("a", i, status, kind=f"k{i % 2}", message="x") for i in range(4)]
    held = from_tasks(listed, source="test", selection=Selection(status=status.value))
    try:
        f = compute(held, now=NOW, compare=parse_compare(["k0=k1"]))
    finally:
        held.close()
    assert provider(f, "a").failure_rate is None
    assert [g.failure_rate for g in f.groups] == [None, None]
    assert not any("failure rate is 0 %" in note for note in f.notes)
    [note] = [n for n in f.notes if "failure rate" in n]
    assert f"--status {status.value}" in note and "--status any" in note
    page = render_html(f)
    assert 'data-col="failure_rate" data-value=' not in page
    assert "No finished task in this selection" not in page
    assert json.loads(json.dumps(f.to_json()))["providers"][0]["failure_rate"] is None


def test_a_listing_that_never_reports_failures_is_not_called_unfinished() -> None:
    """A provider whose listing has no failed status (``unfailing``: Serpstat) has no
    failure rate; with no other provider, the failures chart's place said "No finished
    task in this selection" beside a table of its hundreds of finished tasks."""
    listed = [task("serpstat", i, COMPLETED) for i in range(3)]
    held = from_tasks(listed, source="test", unfailing=["serpstat"])
    try:
        f = compute(held, now=NOW)
    finally:
        held.close()
    assert provider(f, "serpstat").failure_rate is None
    page = render_html(f)
    assert "No finished task in this selection" not in page
    assert "No failure rate: no listing here reports a failed task (see the notes)." in page


def test_from_tasks_works_out_which_installed_providers_never_report_failures() -> None:
    """The documented Python recipe (`from_tasks` over DataForSEO history and Serpstat,
    no ``unfailing`` given) gave Serpstat a 0 % failure rate that ``seotasks report``
    does not: left unsaid, the providers no listing of which reports failures are worked
    out from the installed plugins, as for the store. ``unfailing=()`` says there are
    none, and a listed failure always counts."""
    listed = [task("serpstat", 1), task("dataforseo", 2), task("dataforseo", 3, FAILED)]
    for unfailing, rates in (
        (None, {"serpstat": None, "dataforseo": 0.5}),
        ((), {"serpstat": 0.0, "dataforseo": 0.5}),
    ):
        held = from_tasks(listed, source="test", unfailing=unfailing)
        try:
            f = compute(held, now=NOW)
        finally:
            held.close()
        assert {p.provider: p.failure_rate for p in f.providers} == rates


def test_a_compare_pair_that_matches_nothing_is_said() -> None:
    """``--compare`` names kinds that no two providers hold here (a typo, another window):
    the side-by-side view it asked for was left out without a word."""
    tasks = [task("dfs", i, kind="serp/google/organic") for i in range(3)]
    tasks += [task("st", 10 + i, kind="serp/google") for i in range(3)]
    f = figures_of(tasks, compare=parse_compare(["serp/google=serp/google/organic", "serp/x=y"]))
    assert [(c.a.name, c.b.name) for c in f.comparisons] == [
        ("st serp/google", "dfs serp/google/organic")
    ]
    [note] = [n for n in f.notes if "--compare" in n]
    assert "serp/x=y" in note and "serp/google=" not in note


def test_top_never_drops_a_pair_asked_for_and_says_which_it_left_out() -> None:
    """``--top 1`` cut the side by side to one pair, the ones ``--compare`` asked for
    included, and no note said so."""
    kinds = ["serp/bing/organic", "serp/yahoo/organic", "serp/google/organic"]
    tasks = [
        task(p, f"{p}{n}{i}", kind=k)
        for p in ("a", "b")
        for n, k in enumerate(kinds)
        for i in range(n + 1)
    ]
    asked = parse_compare([f"{k}={k}" for k in kinds[:2]])
    f = figures_of(tasks, top=1, compare=asked)
    assert sorted(c.a.labels["kind"] for c in f.comparisons) == sorted(kinds[:2])
    found = figures_of(tasks, top=1)
    assert len(found.comparisons) == 1
    [note] = [n for n in found.notes if "side by side" in n]
    assert "1 largest of the 3 kinds" in note


def test_groups_whose_labels_would_read_the_same_are_told_apart() -> None:
    """A task tagged ``(not reported)`` and one with no tag were two groups with one
    label, which the cost chart drew as one bar, their figures stacked."""
    tasks = [task("a", 1, tag="(not reported)"), task("a", 2), task("a", 3, tag=" x")]
    tasks += [task("a", 4, tag="")]
    names = [g.name for g in figures_of(tasks, by=("tag",)).groups]
    assert len(set(names)) == len(names) == 4
    assert set(names) == {'a "(not reported)"', "a (not reported)", 'a " x"', 'a ""'}


def test_spend_and_cost_per_1000_count_priced_tasks_only() -> None:
    tasks = [task("a", 1, cost="0.0006"), task("a", 2, cost="0.0012"), task("a", 3)]
    tasks += [task("a", 4, FAILED, cost="0.0006")]  # vendors bill failures too
    a = provider(figures_of(tasks), "a")
    assert a.priced == 3
    assert a.spend == pytest.approx(0.0024)
    assert a.cost_per_1000 == pytest.approx(0.0024 / 3 * 1000)
    assert money(a.cost_per_1000) == "0.8000"
    assert provider(figures_of([task("b", 1)]), "b").spend is None


def test_queue_time_where_started_at_is_known() -> None:
    tasks = [task("a", i, waited=w) for i, w in enumerate((5.0, 15.0, 25.0))] + [task("a", 9)]
    f = figures_of(tasks)
    a = provider(f, "a")
    assert a.queue.n == 3 and a.queue.p50 == pytest.approx(15.0)
    assert len(f.queue_curves) == 1 and f.queue_curves[0].n == 3
    assert not any("started_at" in n for n in f.notes)
    assert any("started_at" in n for n in figures_of([task("a", 1)]).notes)


def test_groups_by_more_than_kind() -> None:
    tasks = [task("a", 1, device="mobile"), task("a", 2, device="desktop"), task("a", 3)]
    f = figures_of(tasks, by=("kind", "device"))
    labels = sorted(g.label for g in f.groups)
    assert labels == [
        "serp/google/organic · (not reported)",
        "serp/google/organic · desktop",
        "serp/google/organic · mobile",
    ]
    with pytest.raises(ConfigError, match="cannot group by"):
        figures_of(tasks, by=("keyword",))


def test_groups_by_the_callers_tag() -> None:
    """A tag is how a caller marks a client or a campaign: the figures per tag."""
    tasks = [task("a", 1, tag="spring"), task("a", 2, FAILED, tag="spring"), task("a", 3)]
    groups = {g.label: g for g in figures_of(tasks, by=("tag",)).groups}
    assert sorted(groups) == ["(not reported)", "spring"]
    assert (groups["spring"].tasks, groups["spring"].failure_rate) == (2, 0.5)
    # A listing that gives no tag (DataForSEO's history without its metadata): said, or
    # the one group reads as "none of my tasks was tagged".
    untagged = figures_of([*tasks, task("b", 1), task("b", 2)], by=("tag",))
    [said] = [note for note in untagged.notes if note.startswith("--by tag")]
    assert said.startswith("--by tag: none of b's 2 tasks here has a tag")


def test_tasks_per_hour_widen_their_buckets_and_fill_the_gaps() -> None:
    hours = 24 * 30  # 720 hours: 1 h and 3 h buckets would be too many, 6 h are not
    tasks = [task("a", 1, posted=T0), task("a", 2, posted=T0 + timedelta(hours=hours))]
    tasks += [task("a", 3, RUNNING, took=None, posted=T0 + timedelta(hours=1))]
    activity = figures_of(tasks).activity
    assert activity.bucket_hours == 6
    buckets = {r.start for r in activity.rows}
    assert len(buckets) == hours // 6 + 1  # every bucket, zeros included
    assert {(r.status, r.tasks) for r in activity.rows if r.start == T0} == {
        ("completed", 1),
        ("running", 1),
    }
    assert sum(r.tasks for r in activity.rows) == 3
    assert {r.per_hour for r in activity.rows if r.tasks == 1} == {1 / 6}
    [summary] = activity.summary
    assert summary.peak_at == T0 and summary.peak_per_hour == pytest.approx(2 / 6)


@pytest.mark.parametrize(
    ("first", "last", "hours"),
    [
        (timedelta(minutes=30), timedelta(hours=240), 3),  # ends on an hour's edge
        (timedelta(hours=1), timedelta(hours=720), 6),  # ends on a 3 h bucket's edge
        (timedelta(0), timedelta(hours=239, minutes=59), 1),  # 240 whole buckets: fits
    ],
)
def test_no_tasks_per_hour_chart_has_more_than_240_buckets(
    first: timedelta, last: timedelta, hours: int
) -> None:
    """The width was chosen on the span (under 240 bucket widths), but the buckets run
    from the first task's to the last's: a span of 239.5 h that ends on an edge touches
    241 of them, one more than the chart is promised to hold."""
    tasks = [task("a", 1, posted=T0 + first), task("a", 2, posted=T0 + last)]
    activity = figures_of(tasks).activity
    assert activity.bucket_hours == hours
    assert len({r.start for r in activity.rows}) <= 240


def test_each_providers_mean_rate_is_over_its_own_span() -> None:
    """A vendor that keeps a day of tasks beside one that keeps ten is not averaged over
    ten days: each mean is over that provider's buckets, its first to its last."""
    ten_days = [task("a", n, posted=T0 + timedelta(hours=n)) for n in range(240)]
    last_day = [task("b", n, posted=T0 + timedelta(hours=216 + n)) for n in range(24)]
    activity = figures_of(ten_days + last_day).activity
    rates = {s.provider: s.mean_per_hour for s in activity.summary}
    assert rates == {"a": pytest.approx(1.0), "b": pytest.approx(1.0)}
    # The chart keeps one time axis: b's buckets before its first task are zeros there.
    b_rows = [r for r in activity.rows if r.provider == "b"]
    assert sum(r.tasks for r in b_rows) == 24 and len(b_rows) == 240


def test_a_draining_listing_knows_every_completed_task_is_not_collected() -> None:
    tasks = [
        task("ready", 1, took=None, posted=NOW - timedelta(minutes=30)),
        task("ready", 2, took=None, posted=NOW - timedelta(days=2)),
        task("other", 3),
    ]
    f = figures_of(tasks, draining=["ready"])
    [backlog] = f.backlog
    assert (backlog.provider, backlog.completed, backlog.not_collected) == ("ready", 2, 2)
    assert backlog.oldest == pytest.approx(2 * 86400)  # from creation: no completion time
    assert dict(backlog.bands) == {
        "< 1 h": 1,
        "1-6 h": 0,
        "6-24 h": 0,
        "1-3 d": 1,
        "3-7 d": 0,
        "7-30 d": 0,
        "> 30 d": 0,
    }
    assert provider(f, "other").not_collected is None  # not known: said, not guessed
    assert f.collection == "draining listing"


def test_kinds_match_by_name_one_level_deeper_or_as_asked() -> None:
    tasks = [task("dfs", i, kind="serp/google/organic") for i in range(5)]
    tasks += [task("dfs", 10 + i, kind="serp/google/maps") for i in range(2)]
    tasks += [task("dfs", 20, kind="keywords_data/google_ads/search_volume")]
    tasks += [task("st", 30 + i, kind="serp/google") for i in range(4)]
    tasks += [task("st", 40, kind="serp")]  # too vague to stand for one SERP type
    tasks += [task("st", 41, kind="keywords_data/google_ads/search_volume")]
    f = figures_of(tasks)
    pairs = {(c.a.name, c.b.name, c.matched) for c in f.comparisons}
    assert pairs == {
        (
            "dfs keywords_data/google_ads/search_volume",
            "st keywords_data/google_ads/search_volume",
            "same kind",
        ),
        ("dfs serp/google/organic", "st serp/google", "prefix"),  # the busiest under it
    }
    asked = figures_of(tasks, compare=parse_compare(["serp/google=serp/google/maps"]))
    assert [(c.a.name, c.b.name, c.matched) for c in asked.comparisons] == [
        ("st serp/google", "dfs serp/google/maps", "--compare")  # in the order given
    ]
    assert asked.comparisons[0].curve_a is not None and asked.comparisons[0].curve_b is not None
    with pytest.raises(ConfigError, match="KIND=KIND"):
        parse_compare(["serp/google"])


def test_an_empty_selection_still_makes_a_page_and_json() -> None:
    f = figures_of([])
    assert f.tasks == 0 and f.groups == () and f.activity.rows == ()
    page = render_html(f)
    assert "<svg" not in page and "nothing to show" in page
    assert json.loads(json.dumps(f.to_json()))["providers"] == []


def test_numbers_read_as_people_write_them() -> None:
    assert [duration(s) for s in (0.4, 42, 452.5, 7322, 2 * 86400 + 3 * 3600)] == [
        "0.4 s",
        "42 s",
        "7 min 32 s",
        "2 h 02 min",
        "2 d 3 h",
    ]
    assert (duration(None), percent(0.0625), money(1234.5)) == ("—", "6.2 %", "1,234.50")
    # Rounding never carries a figure into the next unit unwritten, nor a share to 0 or 100.
    assert [duration(s) for s in (59.5, 59.4, 3599.6)] == ["1 min 00 s", "59 s", "1 h 00 min"]
    assert [percent(s) for s in (0.0, 0.0004, 0.9996, 1.0)] == [
        "0.0 %",
        "<0.1 %",
        ">99.9 %",
        "100.0 %",
    ]


def test_a_malformed_chart_fails_before_anything_is_rendered() -> None:
    """Charts are built without altair's per-row checks; their structure is still checked."""
    import altair as alt
    import jsonschema

    from seotasks.report import charts

    def wrong() -> alt.Chart:
        data = alt.InlineData(values=[{"x": 1.0}] * 50)
        return alt.Chart(data).mark_bar().encode(x="x:Q").properties(width={"too": "wide"})

    with pytest.raises(jsonschema.ValidationError, match="is not of type 'number'"):
        charts.spec(wrong)
    made = charts.spec(lambda: alt.Chart(alt.InlineData(values=[{"x": 1.0}] * 50)).mark_bar())
    assert [len(rows) for rows in made["datasets"].values()] == [50]  # every row kept


def test_a_spend_of_a_fraction_of_a_cent_never_reads_as_nothing() -> None:
    """Two decimals from 1 up and four below: a spend under 0.00005 read ``0.0000``, as if
    the tasks had been free, and 0.99996 read ``1.0000`` where 1 reads ``1.00``. A spend
    that is not 0 now never reads as 0, as a share never does."""
    assert [money(a) for a in (0.0, 0.00003, 0.0001125, 0.0375, 0.99996, 1.0)] == [
        "0.0000",
        "<0.0001",
        "0.0001",
        "0.0375",
        "1.00",
        "1.00",
    ]


def test_per_hour_and_ratio_cells_keep_the_twelve_digits_of_every_other_cell() -> None:
    """The page's per-hour and side-by-side ratio ``data-value``s were rounded to six
    decimals (0.868056 where the JSON said 0.868055555556), where every other cell gives
    the JSON's twelve significant digits."""
    tasks = [task("a", i, posted=T0 + timedelta(hours=7 * i)) for i in range(3)]
    tasks += [task("b", 10 + i, posted=T0 + timedelta(hours=100 + 11 * i)) for i in range(7)]
    f = figures_of(tasks)
    page = render_html(f)

    def values(column: str) -> list[str]:
        return re.findall(rf'data-col="{column}" data-value="([^"]+)"', page)

    summary = f.to_json()["activity"]["summary"]
    assert values("mean_per_hour") == [str(s["mean_per_hour"]) for s in summary]
    assert "0.10447761194" in values("mean_per_hour")  # 7 tasks over 67 hours
    [pair] = f.comparisons
    tasks_ratio = pair.b.tasks / pair.a.tasks
    assert values("ratio")[0] == str(float(f"{tasks_ratio:.12g}")) == "0.428571428571"
