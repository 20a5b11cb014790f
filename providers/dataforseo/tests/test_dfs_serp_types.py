"""SERP types other than organic, and the per-device depth table, on both sides of the wire:
the provider's mapping (`_post_item` via `Client.submit`) and the emulator's own check of
a raw task_post, both reading `seotasks_dataforseo.serp_types`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import urllib3
from seotasks_dataforseo import serp_types
from seotasks_dataforseo.endpoints import BY_NAME, CATALOGUE

from seotasks import SerpTaskSpec, UnsupportedQuery
from seotasks.clock import FakeClock

BASE = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def emulator(make_emulator: Any, clock: FakeClock) -> Any:
    return make_emulator(size=0, now=lambda: BASE + timedelta(seconds=clock.monotonic()))


def _spec(**kw: Any) -> SerpTaskSpec:
    kw.setdefault("keyword", "pizza")
    kw.setdefault("location", 2840)
    kw.setdefault("language", "en")
    return SerpTaskSpec(**kw)


def _raw_post(emulator: Any, path: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    headers = urllib3.make_headers(
        basic_auth=f"{emulator.settings['login']}:{emulator.settings['password']}"
    )
    answer = urllib3.request("POST", emulator.url + path, body=json.dumps(items), headers=headers)
    body: dict[str, Any] = json.loads(answer.data)
    return body


# -- the table itself ---------------------------------------------------------------------------


def test_table_covers_the_catalogue() -> None:
    kinds = {row.kind for row in serp_types.SERP_TYPES.values()}
    assert kinds <= set(BY_NAME), "every postable type must have a tasks_ready endpoint"
    assert set(serp_types.NOT_EXPRESSIBLE) <= set(BY_NAME)
    assert not kinds & set(serp_types.NOT_EXPRESSIBLE)
    serp_endpoints = {ep.name for ep in CATALOGUE if ep.name.count("/") == 2}
    serp_endpoints = {n for n in serp_endpoints if n.startswith("serp/")}
    assert serp_endpoints == kinds | set(serp_types.NOT_EXPRESSIBLE)


def test_table_rows_are_consistent() -> None:
    for row in serp_types.SERP_TYPES.values():
        assert row.devices and set(row.devices) <= {"desktop", "mobile"}, row.kind
        assert row.postback_data and set(row.postback_data) <= set(serp_types.ALL_FLAVOURS)
        assert row.default_postback_data in row.postback_data
        if row.depth_field is not None:
            for device, depth in row.depths.items():
                assert 1 <= depth.most <= 700, (row.kind, device)
                assert depth.default is None or 1 <= depth.default <= depth.most
        if not row.device_field:
            assert row.devices == ("desktop",), row.kind


@pytest.mark.parametrize(
    ("kind", "device", "default", "most"),
    [
        ("serp/google/organic", "mobile", 10, 700),
        ("serp/google/maps", "desktop", 100, 700),
        ("serp/google/maps", "mobile", 20, 700),
        ("serp/google/local_finder", "desktop", 10, 350),
        ("serp/google/jobs", "desktop", 10, 200),
        ("serp/seznam/organic", "mobile", 10, 500),
        ("serp/youtube/organic", "desktop", 20, 700),
    ],
)
def test_recorded_figures(kind: str, device: str, default: int, most: int) -> None:
    _, engine, name = kind.split("/")
    row = serp_types.find(engine, name)
    assert row is not None
    assert row.depths[device] == serp_types.Depth(default, most)


@pytest.mark.parametrize("kind", ["serp/google/news", "serp/google/images", "serp/google/jobs"])
def test_desktop_only_types(kind: str) -> None:
    _, engine, name = kind.split("/")
    row = serp_types.find(engine, name)
    assert row is not None and row.devices == ("desktop",)
    assert serp_types.device_problem(row, "mobile") is not None


# -- the provider's mapping ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "path", "item"),
    [
        (
            _spec(serp_type="maps", device="mobile", depth=700),
            "/v3/serp/google/maps/task_post",
            {"device": "mobile", "depth": 700},
        ),
        # A desktop-only endpoint without a device field is sent none.
        (_spec(serp_type="news", depth=50), "/v3/serp/google/news/task_post", {"depth": 50}),
        (_spec(engine="youtube", depth=40), "/v3/serp/youtube/organic/task_post", {}),
        (_spec(serp_type="jobs", depth=200), "/v3/serp/google/jobs/task_post", {"depth": 200}),
        (_spec(serp_type="ai_mode", device="mobile"), "/v3/serp/google/ai_mode/task_post", {}),
    ],
)
def test_types_map_to_their_endpoint(
    emulator: Any, connect: Any, spec: SerpTaskSpec, path: str, item: dict[str, Any]
) -> None:
    client = connect(emulator)
    [result] = client.submit([spec])
    assert result.ok, result.error
    assert emulator.server.requests[-1].path == path
    [[posted]] = emulator.posted()
    for key, value in item.items():
        assert posted[key] == value
    if spec.engine == "youtube":
        assert posted["block_depth"] == 40 and "depth" not in posted
    if spec.serp_type == "news":
        assert "device" not in posted
    if spec.language is None:
        assert "language_code" not in posted and "language_name" not in posted


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (_spec(serp_type="shopping"), ["'shopping'", "maps", "news", "local_finder"]),
        (_spec(engine="bing", serp_type="news"), ["bing", "organic"]),
        (_spec(engine="altavista"), ["altavista", "google", "bing"]),
        (_spec(serp_type="search_by_image"), ["image_url"]),
        (_spec(engine="naver"), ["no location"]),
        (_spec(serp_type="news", device="mobile"), ["desktop only"]),
        (_spec(serp_type="images", device="mobile"), ["desktop only"]),
        (_spec(serp_type="jobs", depth=201), ["1..200"]),
        (_spec(serp_type="local_finder", depth=351), ["1..350"]),
        (_spec(engine="seznam", device="mobile", depth=501), ["1..500", "mobile"]),
        (_spec(depth=701), ["1..700"]),
        (_spec(serp_type="ai_mode", depth=10), ["no depth"]),
        (_spec(serp_type="maps", language=None), ["needs a language"]),
    ],
)
def test_unsupported_types_and_limits(
    emulator: Any, connect: Any, spec: SerpTaskSpec, words: list[str]
) -> None:
    client = connect(emulator)
    [result] = client.submit([spec])
    assert isinstance(result.error, UnsupportedQuery)
    for word in words:
        assert word in str(result.error)
    assert emulator.posted() == []  # refused before anything was sent


def test_limits_are_inclusive(emulator: Any, connect: Any) -> None:
    client = connect(emulator)
    specs = [
        _spec(serp_type="jobs", depth=200),
        _spec(serp_type="local_finder", device="mobile", depth=350),
        _spec(engine="seznam", depth=500, language="cs"),
        _spec(depth=1),
    ]
    assert all(r.ok for r in client.submit(specs))


# -- the emulator checks raw posts with the same table -------------------------------------------


@pytest.mark.parametrize(
    ("path", "extra", "code", "message"),
    [
        ("/v3/serp/google/jobs/task_post", {"depth": 201}, 40501, "'depth'"),
        ("/v3/serp/google/maps/task_post", {"device": "mobile", "depth": 701}, 40501, "'depth'"),
        ("/v3/serp/google/local_finder/task_post", {"depth": 351}, 40501, "'depth'"),
        ("/v3/serp/bing/organic/task_post", {"device": "tablet"}, 40501, "'device'"),
        ("/v3/serp/google/ai_mode/task_post", {"device": "tablet"}, 40501, "'device'"),
        # Endpoints without a device or depth field do not know one.
        ("/v3/serp/google/news/task_post", {"device": "mobile"}, 40506, "device"),
        ("/v3/serp/google/ai_mode/task_post", {"depth": 10}, 40506, "depth"),
        ("/v3/serp/youtube/organic/task_post", {"depth": 10}, 40506, "depth"),
        ("/v3/serp/youtube/organic/task_post", {"block_depth": 701}, 40501, "'block_depth'"),
        # Seznam takes Czech only ("supports only the Czech language"), by code or name.
        ("/v3/serp/seznam/organic/task_post", {}, 40501, "'language_code'"),
        (
            "/v3/serp/seznam/organic/task_post",
            {"language_code": None, "language_name": "English"},
            40501,
            "'language_name'",
        ),
    ],
)
def test_emulator_rejects_like_the_vendor(
    emulator: Any, path: str, extra: dict[str, Any], code: int, message: str
) -> None:
    item = {"keyword": "pizza", "location_code": 2840, "language_code": "en", **extra}
    body = _raw_post(emulator, path, [item])
    [task] = body["tasks"]
    assert task["status_code"] == code and message in task["status_message"]
    assert emulator.size == 0


def test_emulator_accepts_the_limits(emulator: Any) -> None:
    item = {"keyword": "pizza", "location_code": 2840, "language_code": "en"}
    body = _raw_post(
        emulator,
        "/v3/serp/google/maps/task_post",
        [{**item, "device": "mobile", "depth": 700}, {**item, "depth": 1}],
    )
    assert [t["status_code"] for t in body["tasks"]] == [20100, 20100]
    body = _raw_post(emulator, "/v3/serp/google/jobs/task_post", [{**item, "depth": 200}])
    assert body["tasks"][0]["status_code"] == 20100
    czech = [
        {**item, "language_code": "CS"},
        {**item, "language_code": None, "language_name": "Czech"},
    ]
    body = _raw_post(emulator, "/v3/serp/seznam/organic/task_post", czech)
    assert [t["status_code"] for t in body["tasks"]] == [20100, 20100]


# -- the whole cycle for a non-organic type -------------------------------------------------------


def test_maps_submit_complete_list_collect(emulator: Any, connect: Any, clock: FakeClock) -> None:
    client = connect(emulator, families=["serp"])
    results = client.submit(
        [_spec(keyword=f"pizza {i}", serp_type="maps", tag=f"m{i}") for i in range(2)]
        + [_spec(keyword="plain")]
    )
    assert all(r.ok for r in results)
    maps_ids = {r.task_id for r in results[:2]}
    assert not maps_ids & {t.id for t in client.tasks()}  # still running
    clock.advance(301)
    listed = {t.id: t for t in client.tasks()}
    assert maps_ids | {results[2].task_id} <= set(listed)
    task = listed[results[0].task_id]  # type: ignore[index]
    assert task.kind == "serp/google/maps" and task.tag == "m0"
    assert listed[results[2].task_id].kind == "serp/google/organic"  # type: ignore[index]
    body = client.collect(task)
    assert emulator.server.requests[-1].path == (
        f"/v3/serp/google/maps/task_get/advanced/{task.id}"
    )
    [result] = body["tasks"][0]["result"]
    assert result["keyword"] == "pizza 0" and result["type"] == "maps"
    assert task.id in emulator.collected_ids()
    assert task.id not in {t.id for t in client.tasks()}


def test_maps_listed_by_its_own_endpoint(emulator: Any, connect: Any, clock: FakeClock) -> None:
    client = connect(emulator, families=["serp/google/maps"])
    [result] = client.submit([_spec(serp_type="maps")])
    clock.advance(301)
    [task] = list(client.tasks())
    assert task.id == result.task_id
    assert {r.path for r in emulator.server.requests if r.path.endswith("tasks_ready")} == {
        "/v3/serp/google/maps/tasks_ready"
    }


def test_seeded_seznam_tasks_are_czech(make_emulator: Any, connect: Any) -> None:
    """The sandbox's own Seznam tasks were drawn US English, German...: a language the
    vendor refuses for Seznam. They search in Czech, in Czechia."""
    kinds = ("serp/seznam/organic", "serp/google/organic")
    emu = make_emulator(seed=4, size=80, kinds=kinds, recent=1.0)
    client = connect(emu, source="history", families=["serp"], include_metadata=True)
    tasks = list(client.tasks(status="any"))
    places = {(t.kind, t.location, t.language) for t in tasks}
    assert {(k, loc, lang) for k, loc, lang in places if k == kinds[0]} == {
        (kinds[0], "2203", "cs")
    }
    assert {lang for k, _, lang in places if k == kinds[1]} > {"en"}  # the others as drawn
