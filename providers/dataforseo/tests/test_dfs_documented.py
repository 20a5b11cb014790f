"""The provider against DataForSEO's documented shapes, not against our emulator.

The answers in ``documented/`` were written from the vendor's field lists, in every form
the vendor's documents show (they disagree on the form of ``url`` and ``status`` in
id_list items). They are replayed over loopback through the real provider code, so a
misreading that the emulator shares with the provider fails here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from seotasks_dataforseo.endpoints import ID_LIST_FAMILIES

import seotasks
from seotasks.emulation import EmulatorServer, HttpRequest
from seotasks.testing.clients import Clients
from seotasks.testing.replay import ReplayApp, render_times

from .conftest import RETRY

HERE = Path(__file__).parent / "documented"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S +00:00"
SERP_IDS = [f"11301010-1111-0066-0000-7b1c61cb4f0{i}" for i in range(1, 6)]
LABS_IDS = ["11301200-2222-0387-0000-5d9e0a1b2c01", "11301200-2222-0387-0000-5d9e0a1b2c02"]


def fixture(name: str) -> Any:
    return json.loads((HERE / name).read_text())


def _served(name: str) -> Any:
    """An answer function: the fixture with its times rendered at the moment of the call."""
    body = fixture(name)
    return lambda request: render_times(body, datetime.now(UTC), TIME_FORMAT)


def _empty_id_list(family: str) -> Any:
    def answer(request: HttpRequest) -> Any:
        return {
            "version": "0.1.20261115",
            "status_code": 20000,
            "status_message": "Ok.",
            "time": "0.0100 sec.",
            "cost": 0,
            "tasks_count": 1,
            "tasks_error": 0,
            "tasks": [
                {
                    "id": "12011200-0000-0000-0000-00000000c001",
                    "status_code": 20000,
                    "status_message": "Ok.",
                    "time": "0.0100 sec.",
                    "cost": 0,
                    "result_count": 0,
                    "path": ["v3", family, "id_list"],
                    "data": {"api": family, "function": "id_list"},
                    "result": [],
                }
            ],
        }

    return answer


@pytest.fixture
def replay() -> Iterator[tuple[ReplayApp, EmulatorServer]]:
    app = ReplayApp()
    for family in ID_LIST_FAMILIES:
        app.add("POST", f"/v3/{family}/id_list", _empty_id_list(family))
    app.add("POST", "/v3/serp/id_list", _served("id_list_serp.json"))
    app.add("POST", "/v3/dataforseo_labs/id_list", _served("id_list_labs.json"))
    app.add(
        "GET",
        f"/v3/serp/google/organic/task_get/advanced/{SERP_IDS[0]}",
        _served("task_get_organic_advanced.json"),
    )
    with app.server() as server:
        yield app, server


@pytest.fixture
def history(replay: tuple[ReplayApp, EmulatorServer]) -> Iterator[Any]:
    settings = {
        "base_url": replay[1].url,
        "login": "documented-login",
        "password": "documented-password",
        "source": "history",
    }
    with Clients("dataforseo", settings, retry=RETRY) as clients:
        yield clients.connect


def test_id_list_url_in_every_documented_form_keeps_the_kind(history: Any) -> None:
    tasks = {t.id: t for t in history(families="serp").tasks(status="any")}
    assert list(tasks) == SERP_IDS
    kinds = [tasks[i].kind for i in SERP_IDS]
    assert kinds == [
        "serp/google/organic",  # v3/... (bare path)
        "serp/bing/organic",  # /v3/... (rooted path)
        "serp/google/maps",  # https://api.dataforseo.com/v3/... (absolute URL)
        "serp/google/organic",
        "serp/google/news",
    ]
    assert [tasks[i].engine for i in SERP_IDS[:3]] == ["google", "bing", "google"]


def test_id_list_status_as_message_or_code_string(history: Any) -> None:
    tasks = {t.id: t for t in history(families="serp").tasks(status="any")}
    statuses = [tasks[i].status for i in SERP_IDS]
    assert statuses == [
        seotasks.TaskStatus.COMPLETED,  # "Ok."
        seotasks.TaskStatus.COMPLETED,  # "20000"
        seotasks.TaskStatus.COMPLETED,
        seotasks.TaskStatus.FAILED,  # "40501", done
        seotasks.TaskStatus.QUEUED,  # "Task In Queue.", not done
    ]
    assert tasks[SERP_IDS[3]].message == "40501"


def test_a_history_listing_filtered_to_an_endpoint_finds_bare_path_tasks(history: Any) -> None:
    listed = [t.id for t in history(families="serp/google/organic").tasks(status="any")]
    assert listed == [SERP_IDS[0], SERP_IDS[3]]


def test_collect_builds_the_path_from_a_bare_path_url(
    history: Any, replay: tuple[ReplayApp, EmulatorServer]
) -> None:
    client = history(families="serp")
    task = next(t for t in client.tasks(status="completed") if t.id == SERP_IDS[0])
    body = client.collect(task)
    assert body["tasks"][0]["id"] == SERP_IDS[0]
    assert replay[0].paths("GET") == [f"/v3/serp/google/organic/task_get/advanced/{SERP_IDS[0]}"]


def test_default_history_lists_every_id_list_family_labs_included(
    history: Any, replay: tuple[ReplayApp, EmulatorServer]
) -> None:
    tasks = list(history().tasks(status="any"))
    ids = [t.id for t in tasks]
    assert set(LABS_IDS) <= set(ids)
    labs = {t.id: t.kind for t in tasks if t.id in LABS_IDS}
    assert labs == {
        LABS_IDS[0]: "dataforseo_labs/google/ranked_keywords",
        LABS_IDS[1]: "dataforseo_labs/google/keyword_ideas",
    }
    asked = {p.split("/")[2] for p in replay[0].paths("POST")}
    assert asked == set(ID_LIST_FAMILIES)
    assert len(ID_LIST_FAMILIES) == 11


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("v3/serp/google/organic/task_post", "serp/google/organic"),
        ("/v3/serp/google/organic/task_post", "serp/google/organic"),
        ("https://api.dataforseo.com/v3/serp/google/organic/task_post", "serp/google/organic"),
        ("https://sandbox.dataforseo.com/v3/on_page/task_post?x=1", "on_page"),
        ("v3/backlinks/backlinks/live", "backlinks/backlinks"),
        (
            " v3/keywords_data/google_ads/search_volume/task_post ",
            "keywords_data/google_ads/search_volume",
        ),
        ("serp/google/organic/task_post", None),  # no v3: not a path of this API
        ("https://api.dataforseo.com/", None),
        ("https://evil.example/x/v3/serp/google/organic/task_post", None),
        ("javascript:v3/serp", None),
        ("", None),
        (None, None),
    ],
)
def test_kind_from_url_reads_each_documented_form(url: object, kind: str | None) -> None:
    from seotasks_dataforseo.endpoints import kind_from_url

    assert kind_from_url(url) == kind


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("Ok.", seotasks.TaskStatus.COMPLETED),
        ("20000", seotasks.TaskStatus.COMPLETED),
        ("20000 Ok.", seotasks.TaskStatus.COMPLETED),
        ("Task In Queue.", seotasks.TaskStatus.QUEUED),
        ("40602", seotasks.TaskStatus.QUEUED),
        ("2\u00b2000", seotasks.TaskStatus.FAILED),  # isdigit() but not a code: no ValueError
        ("\uff12\uff10\uff10\uff10\uff10", seotasks.TaskStatus.FAILED),  # full-width digits
    ],
)
def test_status_for_reads_messages_and_ascii_codes_only(
    status: str, expected: seotasks.TaskStatus
) -> None:
    from seotasks_dataforseo.readers import status_for

    done = datetime.now(UTC)
    assert status_for(status, done)[0] is expected
