"""Bing Search Volume History and Keyword Performance results, over raw HTTP: filled as
the vendor documents them, not empty shells.

The official models (the vendor's field lists): a history result's ``searches`` holds,
per device (``desktop``, ``non_smartphones``, ``mobile``, ``tablet``), a list of
``{year, month, day, search_volume}``; ``period`` is ``monthly`` (up to the past 24
months, the default), ``weekly`` (15 weeks) or ``daily`` (45 days); ``device`` defaults
to all four. A Keyword Performance result's ``keyword_kpi`` holds, per device
(``desktop``, ``mobile``, ``tablet``; ``device`` ``all`` by default), a list of
``{ad_position, clicks, impressions, average_cpc, ctr, total_cost, average_bid}``, and
"if there is no data, then the value is null". An empty list is neither.
"""

from __future__ import annotations

from typing import Any

import pytest

from .contentkit import Vendor

HISTORY = "keywords_data/bing/search_volume_history"
PERFORMANCE = "keywords_data/bing/keyword_performance"
WHERE = {"location_code": 2840, "language_code": "en"}
ALL_DEVICES = ("desktop", "non_smartphones", "mobile", "tablet")
POSITIONS = {f"FirstPage{n}" for n in range(1, 11)} | {f"MainLine{n}" for n in range(1, 5)}


def _results(vendor: Vendor, kind: str, posted: dict[str, Any]) -> list[dict[str, Any]]:
    task = vendor.echoed(kind, posted)
    results: list[dict[str, Any]] = task["result"]
    assert [r["keyword"] for r in results] == posted["keywords"]
    return results


@pytest.mark.parametrize(
    ("extra", "devices", "period", "entries"),
    [
        ({}, ("mobile", "desktop", "tablet", "non_smartphones"), "monthly", 24),
        (
            {"device": ["desktop", "mobile"], "period": "weekly"},
            ("desktop", "mobile"),
            "weekly",
            15,
        ),
        ({"device": ["tablet"], "period": "daily"}, ("tablet",), "daily", 45),
    ],
)
def test_search_volume_history_has_a_history_per_device_asked(
    vendor: Vendor, extra: dict[str, Any], devices: tuple[str, ...], period: str, entries: int
) -> None:
    results = _results(vendor, HISTORY, {"keywords": ["coffee", "tea"], **WHERE, **extra})
    for result in results:
        assert result["period"] == period and result["device"] == list(devices)
        searches = result["searches"]
        assert set(searches) == set(ALL_DEVICES)
        for device in ALL_DEVICES:
            history = searches[device]
            if device not in devices:
                assert history is None, device
                continue
            assert len(history) == entries, device
            for point in history:
                assert isinstance(point["year"], int) and 1 <= point["month"] <= 12
                assert point["day"] is None or 1 <= point["day"] <= 31
                assert isinstance(point["search_volume"], int) and point["search_volume"] >= 0
            dates = [(p["year"], p["month"], p["day"] or 0) for p in history]
            assert dates == sorted(set(dates), reverse=True), "newest first, no repeats"


@pytest.mark.parametrize(
    ("extra", "devices"),
    [({}, ("desktop", "mobile", "tablet")), ({"device": "mobile"}, ("mobile",))],
)
def test_keyword_performance_has_kpis_per_device_asked(
    vendor: Vendor, extra: dict[str, Any], devices: tuple[str, ...]
) -> None:
    for result in _results(vendor, PERFORMANCE, {"keywords": ["bike", "phone"], **WHERE, **extra}):
        kpi = result["keyword_kpi"]
        assert set(kpi) == {"desktop", "mobile", "tablet"}
        for device, rows in kpi.items():
            if device not in devices:
                assert rows is None, device
                continue
            assert rows, device
            for row in rows:
                assert row["ad_position"] in POSITIONS
                assert 0 <= row["clicks"] <= row["impressions"]
                assert row["ctr"] == pytest.approx(100 * row["clicks"] / row["impressions"], 0.01)
                assert row["total_cost"] == pytest.approx(row["clicks"] * row["average_cpc"], 0.01)
                assert row["average_bid"] > 0
