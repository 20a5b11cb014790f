"""Results with content over loopback: On-Page summaries, LLM responses, the id_list's
metadata, the Labs live endpoints, and the same result for the same task.

Judged by the documented value rules (`contentkit`), as `test_dfs_result_content`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .conftest import MakeEmulator
from .contentkit import BASE, LEVELS, Vendor, assert_counted, assert_echo, assert_url


@pytest.mark.parametrize("limit", [1, 7, 300])
def test_on_page_never_crawls_more_than_allowed(vendor: Vendor, limit: int) -> None:
    targets = [f"site{n}.example.org" for n in range(6)]
    ids = vendor.post("on_page", *({"target": t, "max_crawl_pages": limit} for t in targets))
    vendor.done()
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


def test_llm_response_keeps_prompt_and_model(vendor: Vendor) -> None:
    posted = {
        "user_prompt": "What is the best tea for mornings?",
        "model_name": "gpt-4.1-mini",
        "tag": "llm",
    }
    task = vendor.echoed("ai_optimization/chat_gpt/llm_responses", posted)
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


def test_id_list_metadata_echoes_as_posted(vendor: Vendor) -> None:
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
    vendor.done()
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
