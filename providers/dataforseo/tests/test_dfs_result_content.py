"""Results with content and the vendor's echo of what was posted, over loopback.

Tasks are posted the way callers post them (seotasks' own ``client.submit``, or raw HTTP
with the vendor's field names), the clock is moved past their completion, and the
``task_get`` answers are judged by the documented value rules, not by comparison with
what the emulator happens to produce: ranks 1..N without gaps, N within the posted
depth, urls that parse with a host, competition HIGH/MEDIUM/LOW, indexes on their
0-100 scale, one result per posted keyword, options as posted, ``data.function ==
"task_get"`` and every posted field echoed as posted (names stay names, lists stay lists).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import urllib3

from seotasks import SerpTaskSpec
from seotasks.clock import FakeClock

from .conftest import Connect, MakeEmulator

BASE = datetime.now(UTC).replace(microsecond=0)
LEVELS = {"HIGH", "MEDIUM", "LOW"}


class Vendor:
    """Raw HTTP to the emulator, as a caller without seotasks would talk to it."""

    def __init__(self, emu: Any) -> None:
        self.emu = emu
        self.http = urllib3.PoolManager()
        self.headers = {
            **urllib3.make_headers(basic_auth=f"{emu.login}:{emu.password}"),
            "Content-Type": "application/json",
        }

    def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        answer = self.http.request(
            method,
            self.emu.url + path,
            body=None if body is None else json.dumps(body),
            headers=self.headers,
        )
        assert answer.status == 200, answer.data[:300]
        parsed: dict[str, Any] = json.loads(answer.data)
        return parsed

    def post(self, kind: str, *items: dict[str, Any]) -> list[str]:
        """Post tasks; their ids (each must be created)."""
        body = self.call("POST", f"/v3/{kind}/task_post", list(items))
        ids = []
        for task in body["tasks"]:
            assert task["status_code"] == 20100, task["status_message"]
            ids.append(task["id"])
        return ids

    def get(self, kind: str, task_id: str, flavour: str = "") -> dict[str, Any]:
        """The one task entry of a task_get answer (it must be a success)."""
        path = f"/v3/{kind}/task_get/{flavour + '/' if flavour else ''}{task_id}"
        if flavour == "summary":
            path = f"/v3/on_page/summary/{task_id}"
        body = self.call("GET", path)
        task: dict[str, Any] = body["tasks"][0]
        assert task["status_code"] == 20000, task["status_message"]
        assert task["id"] == task_id
        return task


@pytest.fixture
def emu(make_emulator: MakeEmulator, clock: FakeClock) -> Any:
    # The data's wall time follows the fake clock: posted tasks complete as it advances.
    return make_emulator(size=0, now=lambda: BASE + timedelta(seconds=clock.monotonic()))


@pytest.fixture
def vendor(emu: Any) -> Iterator[Vendor]:
    yield Vendor(emu)


def _done(clock: FakeClock) -> None:
    clock.advance(600)  # past the emulator's 5-minute completion delay


# -- rules --------------------------------------------------------------------------------


def assert_url(url: Any) -> str:
    """An absolute http(s) URL with a host; returns the host."""
    assert isinstance(url, str) and " " not in url, url
    split = urlsplit(url)
    assert split.scheme in ("http", "https") and split.hostname, url
    assert_host(split.hostname)
    return split.hostname


def assert_host(host: Any) -> None:
    assert isinstance(host, str) and host, host
    labels = host.split(".")
    assert len(labels) >= 2, host
    for label in labels:
        assert label and label.replace("-", "").isalnum() and label.isascii(), host


def assert_ranked(items: list[dict[str, Any]], most: int) -> None:
    """rank_absolute 1..N without gaps or repeats, N within ``most``."""
    assert items, "no items"
    assert len(items) <= most
    assert [i["rank_absolute"] for i in items] == list(range(1, len(items) + 1))
    assert all(1 <= i["rank_group"] <= i["rank_absolute"] for i in items)


def assert_echo(data: dict[str, Any], posted: dict[str, Any]) -> None:
    """``data`` is a task_get echo holding every posted field exactly as posted."""
    assert data["function"] == "task_get"
    for name, value in posted.items():
        assert name in data, f"{name} not echoed"
        assert data[name] == value and type(data[name]) is type(value), (name, data[name])


def assert_counted(result: dict[str, Any]) -> None:
    assert result["items_count"] == len(result["items"])


# -- SERP ---------------------------------------------------------------------------------


def test_google_organic_submitted_by_seotasks(
    emu: Any, vendor: Vendor, connect: Connect, clock: FakeClock
) -> None:
    client = connect(emu)
    spec = SerpTaskSpec(
        keyword="running shoes, trail", location=2840, language="en", device="mobile", depth=30
    )
    [submitted] = client.submit([spec])
    assert submitted.ok and submitted.task_id
    [[posted]] = emu.posted()
    _done(clock)
    for flavour in ("advanced", "regular"):
        task = vendor.get("serp/google/organic", submitted.task_id, flavour)
        assert_echo(task["data"], posted)
        assert task["data"]["device"] == "mobile" and task["data"]["os"] == "android"
        [result] = task["result"]
        assert result["keyword"] == "running shoes, trail"
        assert_ranked(result["items"], 30)
        assert_counted(result)
        assert len(result["items"]) == 30  # a depth of 30 is 30 results
        for item in result["items"]:
            assert item["type"] == "organic"
            assert assert_url(item["url"]) == item["domain"]
            assert item["page"] == (item["rank_absolute"] - 1) // 10 + 1
        assert len({i["domain"] for i in result["items"]}) == 30
        query = parse_qs(urlsplit(result["check_url"]).query)
        assert " " not in result["check_url"] and "," not in result["check_url"]
        assert query["q"] == ["running shoes, trail"]


def test_google_organic_posted_raw_echoes_every_field(
    vendor: Vendor, clock: FakeClock, emu: Any
) -> None:
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
    [task_id] = vendor.post("serp/google/organic", posted)
    _done(clock)
    task = vendor.get("serp/google/organic", task_id, "advanced")
    assert_echo(task["data"], posted)
    assert task["data"]["location_name"] == "United States"  # a name stays a name
    assert "location_code" not in task["data"]
    [result] = task["result"]
    assert result["location_code"] == 2840 and result["language_code"] == "en"  # codes
    assert result["se_domain"] == "google.co.uk"
    assert urlsplit(result["check_url"]).hostname == "www.google.co.uk"
    assert_ranked(result["items"], 25)
    assert all(item["rectangle"]["width"] > 0 for item in result["items"])


def test_names_stay_names_in_the_echo_and_codes_place_the_result(
    vendor: Vendor, clock: FakeClock
) -> None:
    posted = {
        "keyword": "ramen",
        "location_name": "New York,New York,United States",
        "language_name": "Japanese",
    }
    maps = {"keyword": "ramen", "location_name": "Japan", "language_code": "ja"}
    [organic_id] = vendor.post("serp/google/organic", posted)
    [maps_id] = vendor.post("serp/google/maps", maps)
    _done(clock)
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


def test_depth_bounds_the_items_and_the_default_is_the_first_page(
    vendor: Vendor, clock: FakeClock
) -> None:
    ids = vendor.post(
        "serp/google/organic",
        {"keyword": "tea", "location_code": 2840, "language_code": "en", "depth": 7},
        {"keyword": "tea", "location_code": 2840, "language_code": "en"},
        {"keyword": "tea", "location_code": 2840, "language_code": "en", "depth": 120},
    )
    _done(clock)
    counts = [
        len(vendor.get("serp/google/organic", i, "advanced")["result"][0]["items"]) for i in ids
    ]
    assert counts == [7, 10, 120]


def test_google_maps_places_ranked_within_depth(vendor: Vendor, clock: FakeClock) -> None:
    posted = {
        "keyword": "pizza",
        "location_code": 2276,
        "language_code": "de",
        "depth": 40,
        "device": "mobile",
        "os": "ios",
    }
    [task_id] = vendor.post("serp/google/maps", posted)
    _done(clock)
    task = vendor.get("serp/google/maps", task_id, "advanced")
    assert_echo(task["data"], posted)
    [result] = task["result"]
    assert_ranked(result["items"], 40)
    assert_counted(result)
    for item in result["items"]:
        assert item["type"] == "maps_search"
        assert assert_url(item["url"]) == item["domain"]
        rating = item["rating"]
        assert 0 <= rating["value"] <= rating["rating_max"] == 5
        assert sum(item["rating_distribution"].values()) == rating["votes_count"]
        assert item["address_info"]["country_code"] == "DE"
        assert -90 <= item["latitude"] <= 90 and -180 <= item["longitude"] <= 180
    assert_url(result["check_url"])


def test_google_news_articles_before_completion(vendor: Vendor, clock: FakeClock) -> None:
    posted = {
        "keyword": "climate summit",
        "location_code": 2840,
        "language_code": "en",
        "depth": 20,
    }
    [task_id] = vendor.post("serp/google/news", posted)
    _done(clock)
    task = vendor.get("serp/google/news", task_id, "advanced")
    assert_echo(task["data"], posted)
    [result] = task["result"]
    assert_ranked(result["items"], 20)
    done = datetime.fromisoformat(result["datetime"])
    for item in result["items"]:
        assert item["type"] == "news_search"
        assert assert_url(item["url"]) == item["domain"]
        assert datetime.fromisoformat(item["timestamp"]) <= done
    assert parse_qs(urlsplit(result["check_url"]).query)["q"] == ["climate summit"]


def test_bing_organic_device_and_os_echoed(vendor: Vendor, clock: FakeClock) -> None:
    # Posted percent-encoded, as the vendor asks for "+" and "%" (it decodes keywords).
    posted = {
        "keyword": "c%2B%2B 100%25",
        "location_code": 2840,
        "language_code": "en",
        "device": "mobile",
        "os": "ios",
        "depth": 15,
    }
    [task_id] = vendor.post("serp/bing/organic", posted)
    _done(clock)
    task = vendor.get("serp/bing/organic", task_id, "advanced")
    assert_echo(task["data"], posted)
    [result] = task["result"]
    assert_ranked(result["items"], 15)
    assert result["keyword"] == "c++ 100%"
    assert result["se_domain"] == "bing.com"
    assert urlsplit(result["check_url"]).hostname == "www.bing.com"
    assert parse_qs(urlsplit(result["check_url"]).query)["q"] == ["c++ 100%"]
    for item in result["items"]:
        assert item["type"] == "organic" and assert_url(item["url"]) == item["domain"]
    html = vendor.get("serp/bing/organic", task_id, "html")["result"][0]
    assert html["items"] and html["items_count"] == len(html["items"])
    assert [p["page"] for p in html["items"]] == list(range(1, len(html["items"]) + 1))


# -- Keywords Data ------------------------------------------------------------------------


@pytest.mark.parametrize("partners", [False, True])
def test_search_volume_one_result_per_keyword(
    vendor: Vendor, clock: FakeClock, partners: bool
) -> None:
    words = ["buy laptop", "cheap laptops for sale", "purchase laptop", "buy laptop"]
    posted = {"location_name": "United States", "keywords": words, "search_partners": partners}
    [task_id] = vendor.post("keywords_data/google_ads/search_volume", posted)
    _done(clock)
    task = vendor.get("keywords_data/google_ads/search_volume", task_id)
    assert_echo(task["data"], posted)
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


def test_bing_search_volume_device_and_history_lists(vendor: Vendor, clock: FakeClock) -> None:
    volume = {
        "keywords": ["tea", "green tea"],
        "location_code": 2840,
        "language_code": "en",
        "device": "mobile",
    }
    history = {
        "keywords": ["tea"],
        "location_code": 2840,
        "language_code": "en",
        "device": ["desktop", "mobile"],
    }
    [volume_id] = vendor.post("keywords_data/bing/search_volume", volume)
    [history_id] = vendor.post("keywords_data/bing/search_volume_history", history)
    _done(clock)
    task = vendor.get("keywords_data/bing/search_volume", volume_id)
    assert_echo(task["data"], volume)
    assert [r["keyword"] for r in task["result"]] == ["tea", "green tea"]
    for row in task["result"]:
        assert row["device"] == "mobile"
        assert row["competition"] in (0.1, 0.5, 0.9)  # "Possible values: `0.1`, `0.5`,`0.9`"
        assert row["search_partners"] is False  # not posted: the default, not a coin toss
    [default_id] = vendor.post("keywords_data/bing/search_volume", {**volume, "device": None})
    _done(clock)
    task = vendor.get("keywords_data/bing/search_volume", default_id)
    assert {row["device"] for row in task["result"]} == {"all"}  # "default value: `all`"
    task = vendor.get("keywords_data/bing/search_volume_history", history_id)
    assert_echo(task["data"], history)
    assert task["data"]["device"] == ["desktop", "mobile"]
    assert task["result"][0]["device"] == ["desktop", "mobile"]
    assert "['desktop', 'mobile']" not in json.dumps(task)


# -- On-Page, LLM -------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 7, 300])
def test_on_page_never_crawls_more_than_allowed(
    vendor: Vendor, clock: FakeClock, limit: int
) -> None:
    targets = [f"site{n}.example.org" for n in range(6)]
    ids = vendor.post("on_page", *({"target": t, "max_crawl_pages": limit} for t in targets))
    _done(clock)
    for task_id, target in zip(ids, targets, strict=True):
        task = vendor.get("on_page", task_id, "summary")
        assert_echo(task["data"], {"target": target, "max_crawl_pages": limit})
        [result] = task["result"]
        status = result["crawl_status"]
        assert status["max_crawl_pages"] == limit
        assert 1 <= status["pages_crawled"] <= limit
        assert result["domain_info"]["name"] == target
        metrics = result["page_metrics"]
        assert 0 <= metrics["onpage_score"] <= 100
        assert all(0 <= v <= status["pages_crawled"] for v in metrics["checks"].values())


def test_llm_response_keeps_prompt_and_model(vendor: Vendor, clock: FakeClock) -> None:
    posted = {
        "user_prompt": "What is the best tea for mornings?",
        "model_name": "gpt-4.1-mini",
        "tag": "llm",
    }
    [task_id] = vendor.post("ai_optimization/chat_gpt/llm_responses", posted)
    _done(clock)
    task = vendor.get("ai_optimization/chat_gpt/llm_responses", task_id)
    assert_echo(task["data"], posted)
    assert "keyword" not in task["data"]
    [result] = task["result"]
    assert result["model_name"] == "gpt-4.1-mini"
    assert result["items"] and result["items"][0]["sections"][0]["text"]


# -- id_list metadata, Labs live ----------------------------------------------------------


def _history(vendor: Vendor, family: str) -> list[dict[str, Any]]:
    now = vendor.emu.now()
    window = {
        "datetime_from": (now - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S +00:00"),
        "datetime_to": now.strftime("%Y-%m-%d %H:%M:%S +00:00"),
        "include_metadata": True,
    }
    body = vendor.call("POST", f"/v3/{family}/id_list", [window])
    items: list[dict[str, Any]] = body["tasks"][0]["result"]
    return items


def test_id_list_metadata_echoes_as_posted(vendor: Vendor, clock: FakeClock) -> None:
    serp = {
        "keyword": "tea",
        "location_name": "Germany",
        "language_name": "German",
        "depth": 20,
        "os": "windows",
    }
    volume = {"keywords": ["tea", "green tea"], "location_code": 2840, "search_partners": True}
    [serp_id] = vendor.post("serp/google/organic", serp)
    [volume_id] = vendor.post("keywords_data/google_ads/search_volume", volume)
    _done(clock)
    [item] = [i for i in _history(vendor, "serp") if i["id"] == serp_id]
    assert item["metadata"]["function"] == "task_post"
    assert {k: item["metadata"][k] for k in serp} == serp
    [item] = [i for i in _history(vendor, "keywords_data") if i["id"] == volume_id]
    assert {k: item["metadata"][k] for k in volume} == volume


def test_labs_ranked_keywords_live(vendor: Vendor) -> None:
    posted = {
        "target": "dataforseo.com",
        "location_name": "United States",
        "language_code": "en",
        "limit": 12,
    }
    body = vendor.call("POST", "/v3/dataforseo_labs/google/ranked_keywords/live", [posted])
    [task] = body["tasks"]
    assert task["status_code"] == 20000
    assert {k: task["data"][k] for k in posted} == posted
    [result] = task["result"]
    assert result["target"] == "dataforseo.com" and result["location_code"] == 2840
    assert_counted(result)
    assert 0 < len(result["items"]) <= 12 <= result["total_count"]
    assert result["metrics"]["organic"]["count"] == len(result["items"])
    buckets = {k: v for k, v in result["metrics"]["organic"].items() if k.startswith("pos_")}
    assert sum(buckets.values()) == len(result["items"])
    for item in result["items"]:
        info = item["keyword_data"]["keyword_info"]
        assert info["competition_level"] in LEVELS and 0 <= info["competition"] <= 1
        assert 0 <= item["keyword_data"]["keyword_properties"]["keyword_difficulty"] <= 100
        serp = item["ranked_serp_element"]["serp_item"]
        assert 1 <= serp["rank_absolute"] <= 100
        assert assert_url(serp["url"]) == "dataforseo.com"
        assert_url(item["ranked_serp_element"]["check_url"])
    [listed] = [i for i in _history(vendor, "dataforseo_labs") if i["id"] == task["id"]]
    assert listed["metadata"]["function"] == "live"
    assert {k: listed["metadata"][k] for k in posted} == posted


@pytest.mark.parametrize(("depth", "limit"), [(0, 100), (1, 100), (2, 30), (3, 1000)])
def test_labs_related_keywords_live_within_depth_and_limit(
    vendor: Vendor, depth: int, limit: int
) -> None:
    posted = {
        "keyword": "phone case",
        "location_code": 2840,
        "language_code": "en",
        "depth": depth,
        "limit": limit,
    }
    body = vendor.call("POST", "/v3/dataforseo_labs/google/related_keywords/live", [posted])
    [task] = body["tasks"]
    assert task["status_code"] == 20000
    [result] = task["result"]
    assert result["seed_keyword"] == "phone case"
    assert_counted(result)
    items = result["items"]
    assert 0 < len(items) <= limit and len(items) <= result["total_count"]
    assert all(0 <= i["depth"] <= depth for i in items)
    # Breadth first: 1 seed, then up to 8 more per keyword of the level before.
    assert result["total_count"] <= sum(8**d for d in range(depth + 1))
    assert items[0]["keyword_data"]["keyword"] == "phone case" and items[0]["depth"] == 0
    for item in items:
        assert item["keyword_data"]["keyword_info"]["competition_level"] in LEVELS


def test_labs_live_refuses_what_the_vendor_refuses(vendor: Vendor) -> None:
    path = "/v3/dataforseo_labs/google/related_keywords/live"
    cases = [
        ({"keyword": "x", "depth": 5}, 40501),
        ({"keyword": "x", "limit": 0}, 40501),
        ({"keyword": "x", "surprise": 1}, 40506),
        ({"depth": 1}, 40501),
        ({"keyword": "x", "location_name": "Atlantis"}, 40501),
    ]
    for item, code in cases:
        assert vendor.call("POST", path, [item])["tasks"][0]["status_code"] == code, item
    assert vendor.call("POST", path, [{"keyword": "a"}, {"keyword": "b"}])["status_code"] == 40000


# -- reproducible -------------------------------------------------------------------------


def test_the_same_task_gives_the_same_result(make_emulator: MakeEmulator) -> None:
    """Seeded emulators with the same seed answer every task identically, and a task
    fetched twice answers the same (values come from the task id, not global state)."""
    kinds = ("serp/google/organic", "keywords_data/google_ads/search_volume", "on_page")
    answers = []
    for _ in range(2):
        emu = make_emulator(seed=42, size=0, kinds=kinds, now=lambda: BASE)
        vendor = Vendor(emu)
        ids = emu.add_tasks(9, kinds=kinds, posted=BASE - timedelta(hours=1), code=20000)
        seen = []
        for task_id in ids:
            kind = emu.task(task_id)["kind"]
            flavour = {"serp/google/organic": "advanced", "on_page": "summary"}.get(kind, "")
            first = vendor.get(kind, task_id, flavour)
            again = vendor.get(kind, task_id, flavour)
            assert first["result"] == again["result"] and first["data"] == again["data"]
            seen.append((first["data"], first["result"]))
        answers.append(seen)
    assert answers[0] == answers[1]
