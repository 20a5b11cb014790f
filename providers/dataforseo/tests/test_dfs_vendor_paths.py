"""Collect paths and result shapes as the vendor names them, through the real provider over
loopback: Hotel Info is collected with ``task_get/advanced`` (not Business Data's plain
``task_get/<id>``), whether the path comes from a tasks_ready link or is built from the
kind of a history item; a Keywords Data result is a keyword-metrics row, not a SERP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from seotasks.model import Task, TaskStatus

from .conftest import Connect, MakeEmulator

HOTEL = "business_data/google/hotel_info"


@pytest.mark.parametrize("families", [[HOTEL], ["business_data"]])
def test_hotel_info_listed_by_tasks_ready_is_collected_with_advanced(
    make_emulator: MakeEmulator, connect: Connect, families: list[str]
) -> None:
    emu = make_emulator(seed=5, size=0, kinds=(HOTEL,))
    (done,) = emu.add_tasks(
        1, kinds=[HOTEL], posted=datetime.now(UTC) - timedelta(hours=1), code=20000
    )
    client = connect(emu, families=families)
    (task,) = client.tasks()
    assert task.id == done and task.kind == HOTEL
    body = client.collect(task)
    assert emu.server.requests[-1].path == f"/v3/{HOTEL}/task_get/advanced/{done}"
    result = body["tasks"][0]["result"][0]
    assert "hotel_identifier" in result and "items" not in result


def test_hotel_info_from_history_builds_the_advanced_path(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=5, size=0, kinds=(HOTEL,))
    (done,) = emu.add_tasks(
        1, kinds=[HOTEL], posted=datetime.now(UTC) - timedelta(hours=1), code=20000
    )
    client = connect(emu)
    task = Task(provider="dataforseo", id=done, status=TaskStatus.COMPLETED, kind=HOTEL)
    assert client.collect(task)["tasks"][0]["status_code"] == 20000
    assert emu.server.requests[-1].path == f"/v3/{HOTEL}/task_get/advanced/{done}"


def test_the_plain_path_of_hotel_info_is_not_found(make_emulator: MakeEmulator) -> None:
    import urllib3

    emu = make_emulator(seed=5, size=0, kinds=(HOTEL,))
    (done,) = emu.add_tasks(
        1, kinds=[HOTEL], posted=datetime.now(UTC) - timedelta(hours=1), code=20000
    )
    auth = urllib3.make_headers(basic_auth=f"{emu.login}:{emu.password}")
    answer = urllib3.PoolManager().request(
        "GET", f"{emu.url}/v3/{HOTEL}/task_get/{done}", headers=auth
    )
    assert answer.status == 404


def test_search_volume_result_is_keyword_metrics(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    kind = "keywords_data/google_ads/search_volume"
    emu = make_emulator(seed=6, size=0, kinds=(kind,))
    emu.add_tasks(1, kinds=[kind], posted=datetime.now(UTC) - timedelta(hours=1), code=20000)
    client = connect(emu, families=[kind])
    (task,) = client.tasks()
    result = client.collect(task)["tasks"][0]["result"][0]
    assert {"search_volume", "cpc", "monthly_searches"} <= set(result)
    assert type(result["search_volume"]) is int and type(result["location_code"]) is int
    assert not {"items", "items_count", "check_url"} & set(result)
    month = result["monthly_searches"][0]
    assert set(month) == {"year", "month", "search_volume"}


@pytest.mark.parametrize(
    ("kind", "before_id"),
    [
        # Keywords Data and Business Data results are a plain task_get/<id>, whatever the engine
        ("keywords_data/google/search_volume", "keywords_data/google/search_volume/task_get/"),
        ("business_data/yelp/reviews", "business_data/yelp/reviews/task_get/"),
        # as the other engines' endpoints of the same function are
        (
            "ai_optimization/perplexity/llm_responses",
            "ai_optimization/perplexity/llm_responses/task_get/",
        ),
        (
            "ai_optimization/perplexity/llm_scraper",
            "ai_optimization/perplexity/llm_scraper/task_get/advanced/",
        ),
        ("serp/duckduckgo/organic", "serp/duckduckgo/organic/task_get/advanced/"),
        ("merchant/ebay/products", "merchant/ebay/products/task_get/advanced/"),
        ("on_page/lighthouse", "on_page/lighthouse/task_get/json/"),
    ],
)
def test_a_kind_the_catalogue_lacks_is_collected_as_its_familys_endpoints_are(
    kind: str, before_id: str
) -> None:
    from seotasks_dataforseo.result_paths import task_get_path

    task_id = "12051523-1535-0066-0000-5f7c8e2b4a91"
    assert task_get_path(kind, task_id) == f"/v3/{before_id}{task_id}"
