"""Bing Search Volume History and Keyword Performance content, per device asked.

The official models (the vendor's field lists) give the shapes the generated table
leaves as bare lists: a history's ``searches.<device>`` is a list of ``{year, month,
day, search_volume}`` for the posted ``period`` (``monthly``: the past 24 months, the
default; ``weekly``: 15 weeks; ``daily``: 45 days) and the posted ``device`` list (all
four by default); a Keyword Performance ``keyword_kpi.<device>`` is a list of ``{ad_position,
clicks, impressions, average_cpc, ctr, total_cost, average_bid}`` for the posted
``device`` (``all`` by default). A device not asked for has no data: ``null``, as the
models say. Newest first, as ``monthly_searches`` is ordered.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from .content_shared import Result
from .result_values import Job

__all__ = ["fill"]

HISTORY_DEVICES = ("mobile", "desktop", "tablet", "non_smartphones")
KPI_DEVICES = ("desktop", "mobile", "tablet")
#: Points per period: "up to past 24 months", "15 weeks", "45 days".
_POINTS = {"monthly": 24, "weekly": 15, "daily": 45}
#: Ad positions a keyword's ads are reported at (of the documented FirstPage1..10, MainLine1..4).
_POSITIONS = ("MainLine1", "MainLine2", "FirstPage1")


def fill(job: Job, result: Result, keyword: str) -> None:
    """Fill ``result``'s ``searches`` / ``keyword_kpi`` (whichever its shape has)."""
    rng = job.rng(f"bing:{keyword}")
    if "searches" in result:
        asked = job.request.get("device")
        devices = list(asked) if isinstance(asked, list) and asked else list(HISTORY_DEVICES)
        period = job.request.get("period")
        period = period if period in _POINTS else "monthly"
        result["device"], result["period"] = devices, period
        base = rng.choice((40, 320, 1900, 8100))
        result["searches"] = {
            device: _history(job, rng, period, base) if device in devices else None
            for device in ("desktop", "non_smartphones", "mobile", "tablet")
        }
    if "keyword_kpi" in result:
        asked = job.request.get("device")
        devices = [asked] if asked in KPI_DEVICES else list(KPI_DEVICES)
        result["keyword_kpi"] = {
            device: _kpis(rng) if device in devices else None for device in KPI_DEVICES
        }


def _history(job: Job, rng: random.Random, period: str, base: int) -> list[Result]:
    """The period's points before the day the task completed, newest first."""
    done = job.done.date()
    points: list[tuple[int, int, int | None]] = []
    if period == "monthly":
        year, month = done.year, done.month
        for _ in range(_POINTS[period]):
            month -= 1
            if month == 0:
                year, month = year - 1, 12
            points.append((year, month, None))
    else:
        step = timedelta(weeks=1) if period == "weekly" else timedelta(days=1)
        day: date = done - timedelta(days=done.weekday()) if period == "weekly" else done
        for _ in range(_POINTS[period]):
            day -= step
            points.append((day.year, day.month, day.day))
    scale = base / (4 if period == "weekly" else 30 if period == "daily" else 1)
    return [
        {"year": y, "month": m, "day": d, "search_volume": int(scale * rng.uniform(0.6, 1.4))}
        for y, m, d in points
    ]


def _kpis(rng: random.Random) -> list[Result]:
    rows = []
    for position in _POSITIONS:
        impressions = rng.randrange(50, 5000)
        clicks = rng.randrange(0, max(1, impressions // 10))
        cpc = round(rng.uniform(0.1, 3.0), 2)
        rows.append(
            {
                "ad_position": position,
                "clicks": clicks,
                "impressions": impressions,
                "average_cpc": cpc,
                "ctr": round(100 * clicks / impressions, 4),
                "total_cost": round(clicks * cpc, 4),
                "average_bid": round(cpc * rng.uniform(1.0, 1.6), 2),
            }
        )
    return rows
