"""Results with content and the vendor's echo of what was posted, over loopback: SERP
(organic, Maps, News) and Keywords Data.

Tasks are posted the way callers post them (seotasks' own ``client.submit``, or raw HTTP
with the vendor's field names), the clock is moved past their completion, and the
``task_get`` answers are judged by the documented value rules (`contentkit`):
competition HIGH/MEDIUM/LOW, indexes on their 0-100 scale, one result per posted
keyword, options as posted.
"""

from __future__ import annotations

import json
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from seotasks import SerpTaskSpec

from .conftest import Connect
from .contentkit import (
    LEVELS,
    Vendor,
    assert_counted,
    assert_echo,
    assert_ranked,
    assert_sites,
    assert_url,
)


def _us(**fields: Any) -> dict[str, Any]:
    """A task body for the United States in English (codes), with ``fields``."""
    return {"location_code": 2840, "language_code": "en", **fields}


def test_google_organic_submitted_by_seotasks(emu: Any, vendor: Vendor, connect: Connect) -> None:
    client = connect(emu)
    spec = SerpTaskSpec(
        keyword="running shoes, trail", location=2840, language="en", device="mobile", depth=30
    )
    [submitted] = client.submit([spec])
    assert submitted.ok and submitted.task_id
    [[posted]] = emu.posted()
    vendor.done()
    for flavour in ("advanced", "regular"):
        task = vendor.get("serp/google/organic", submitted.task_id, flavour)
        assert_echo(task["data"], posted)
        assert task["data"]["device"] == "mobile" and task["data"]["os"] == "android"
        [result] = task["result"]
        assert result["keyword"] == "running shoes, trail"
        assert_sites(result["items"], "organic", 30)
        assert_counted(result)
        assert len(result["items"]) == 30  # a depth of 30 is 30 results
        for item in result["items"]:
            assert item["page"] == (item["rank_absolute"] - 1) // 10 + 1
        assert len({i["domain"] for i in result["items"]}) == 30
        query = parse_qs(urlsplit(result["check_url"]).query)
        assert " " not in result["check_url"] and "," not in result["check_url"]
        assert query["q"] == ["running shoes, trail"]


def test_google_organic_posted_raw_echoes_every_field(vendor: Vendor, emu: Any) -> None:
    posted = {
        "keyword": "albert einstein",
        "location_name": "United States",
        "language_name": "English",
        "device": "desktop",
        "os": "macos",
        "depth": 25,
        "priority": 2,
        "se_domain": "google.co.uk",
        "tag": "raw-post",
        "calculate_rectangles": True,
        "find_targets_in": ["organic", "featured_snippet"],
    }
    task = vendor.echoed("serp/google/organic", posted, "advanced")
    assert task["data"]["location_name"] == "United States"  # a name stays a name
    assert "location_code" not in task["data"]
    [result] = task["result"]
    assert result["location_code"] == 2840 and result["language_code"] == "en"  # codes
    assert result["se_domain"] == "google.co.uk"
    assert urlsplit(result["check_url"]).hostname == "www.google.co.uk"
    assert_ranked(result["items"], 25)
    assert all(item["rectangle"]["width"] > 0 for item in result["items"])


def test_names_stay_names_in_the_echo_and_codes_place_the_result(vendor: Vendor) -> None:
    posted = {
        "keyword": "ramen",
        "location_name": "New York,New York,United States",
        "language_name": "Japanese",
    }
    maps = {"keyword": "ramen", "location_name": "Japan", "language_code": "ja"}
    [organic_id] = vendor.post("serp/google/organic", posted)
    [maps_id] = vendor.post("serp/google/maps", maps)
    vendor.done()
    task = vendor.get("serp/google/organic", organic_id, "regular")
    assert_echo(task["data"], posted)
    [result] = task["result"]
    assert (result["location_code"], result["language_code"]) == (1023191, "ja")
    query = parse_qs(urlsplit(result["check_url"]).query)
    assert (query["hl"], query["gl"]) == (["ja"], ["US"])
    task = vendor.get("serp/google/maps", maps_id, "advanced")
    assert_echo(task["data"], maps)
    places = task["result"][0]["items"]
    assert places and {p["address_info"]["country_code"] for p in places} == {"JP"}


def test_depth_bounds_the_items_and_the_default_is_the_first_page(vendor: Vendor) -> None:
    ids = vendor.post(
        "serp/google/organic",
        _us(keyword="tea", depth=7),
        _us(keyword="tea"),
        _us(keyword="tea", depth=120),
    )
    vendor.done()
    counts = [
        len(vendor.get("serp/google/organic", i, "advanced")["result"][0]["items"]) for i in ids
    ]
    assert counts == [7, 10, 120]


def test_google_maps_places_ranked_within_depth(vendor: Vendor) -> None:
    posted = {
        "keyword": "pizza",
        "location_code": 2276,
        "language_code": "de",
        "depth": 40,
        "device": "mobile",
        "os": "ios",
    }
    task = vendor.echoed("serp/google/maps", posted, "advanced")
    [result] = task["result"]
    assert_sites(result["items"], "maps_search", 40)
    assert_counted(result)
    for item in result["items"]:
        rating = item["rating"]
        assert 0 <= rating["value"] <= rating["rating_max"] == 5
        assert sum(item["rating_distribution"].values()) == rating["votes_count"]
        assert item["address_info"]["country_code"] == "DE"
        assert -90 <= item["latitude"] <= 90 and -180 <= item["longitude"] <= 180
    assert_url(result["check_url"])


def test_google_news_articles_before_completion(vendor: Vendor) -> None:
    posted = _us(keyword="climate summit", depth=20)
    task = vendor.echoed("serp/google/news", posted, "advanced")
    [result] = task["result"]
    assert_sites(result["items"], "news_search", 20)
    done = datetime.fromisoformat(result["datetime"])
    for item in result["items"]:
        assert datetime.fromisoformat(item["timestamp"]) <= done
    assert parse_qs(urlsplit(result["check_url"]).query)["q"] == ["climate summit"]


def test_bing_organic_device_and_os_echoed(vendor: Vendor) -> None:
    # Posted percent-encoded, as the vendor asks for "+" and "%" (it decodes keywords).
    posted = _us(keyword="c%2B%2B 100%25", device="mobile", os="ios", depth=15)
    task = vendor.echoed("serp/bing/organic", posted, "advanced")
    [result] = task["result"]
    assert_sites(result["items"], "organic", 15)
    assert result["keyword"] == "c++ 100%"
    assert result["se_domain"] == "bing.com"
    assert urlsplit(result["check_url"]).hostname == "www.bing.com"
    assert parse_qs(urlsplit(result["check_url"]).query)["q"] == ["c++ 100%"]
    html = vendor.get("serp/bing/organic", task["id"], "html")["result"][0]
    assert html["items"] and html["items_count"] == len(html["items"])
    assert [p["page"] for p in html["items"]] == list(range(1, len(html["items"]) + 1))
    # Each page's markup holds the results the advanced flavour lists for that page.
    for page in html["items"]:
        soup = _Links()
        soup.feed(page["html"])
        listed = [i for i in result["items"] if i["page"] == page["page"]]
        assert soup.links == [(i["url"], i["title"]) for i in listed]


class _Links(HTMLParser):
    """The (href, title) of each result link in a page, as a scraper would read them."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self.links.append((self._href, data))
            self._href = None


# -- Keywords Data ------------------------------------------------------------------------


@pytest.mark.parametrize("partners", [False, True])
def test_search_volume_one_result_per_keyword(vendor: Vendor, partners: bool) -> None:
    words = ["buy laptop", "cheap laptops for sale", "purchase laptop", "buy laptop"]
    posted = {"location_name": "United States", "keywords": words, "search_partners": partners}
    task = vendor.echoed("keywords_data/google_ads/search_volume", posted)
    assert task["data"]["keywords"] == words  # a JSON list, not "['buy laptop', ...]"
    assert task["result_count"] == len(task["result"]) == len(words)
    assert [r["keyword"] for r in task["result"]] == words
    for row in task["result"]:
        assert row["competition"] in LEVELS
        assert type(row["competition_index"]) is int and 0 <= row["competition_index"] <= 100
        assert row["search_partners"] is partners
        assert row["location_code"] == 2840
        assert 0 <= row["low_top_of_page_bid"] <= row["high_top_of_page_bid"]
        assert type(row["search_volume"]) is int and row["search_volume"] >= 0
        months = row["monthly_searches"]
        assert len(months) == 12 and len({(m["year"], m["month"]) for m in months}) == 12
        assert all(1 <= m["month"] <= 12 and m["search_volume"] >= 0 for m in months)


def test_bing_search_volume_device_and_history_lists(vendor: Vendor) -> None:
    volume = _us(keywords=["tea", "green tea"], device="mobile")
    history = _us(keywords=["tea"], device=["desktop", "mobile"])
    [volume_id] = vendor.post("keywords_data/bing/search_volume", volume)
    [history_id] = vendor.post("keywords_data/bing/search_volume_history", history)
    vendor.done()
    task = vendor.get("keywords_data/bing/search_volume", volume_id)
    assert_echo(task["data"], volume)
    assert [r["keyword"] for r in task["result"]] == ["tea", "green tea"]
    for row in task["result"]:
        assert row["device"] == "mobile"
        assert row["competition"] in (0.1, 0.5, 0.9)  # "Possible values: `0.1`, `0.5`,`0.9`"
        assert row["search_partners"] is False  # not posted: the default, not a coin toss
    [default_id] = vendor.post("keywords_data/bing/search_volume", {**volume, "device": None})
    vendor.done()
    task = vendor.get("keywords_data/bing/search_volume", default_id)
    assert {row["device"] for row in task["result"]} == {"all"}  # "default value: `all`"
    task = vendor.get("keywords_data/bing/search_volume_history", history_id)
    assert_echo(task["data"], history)
    assert task["data"]["device"] == ["desktop", "mobile"]
    assert task["result"][0]["device"] == ["desktop", "mobile"]
    assert "['desktop', 'mobile']" not in json.dumps(task)
