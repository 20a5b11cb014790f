"""The emulator accepts what the vendor's pages document, where the official client lags:
request fields the client model lacks (`documented_fields`) and places and languages by
name (`locations`), with a code and a name posted together naming the same thing."""

from __future__ import annotations

import json
from typing import Any

import pytest
import urllib3
from seotasks_dataforseo import serp_types
from seotasks_dataforseo.emulator import documented_fields, locations, vendor_shapes

#: The vendor's own Local Finder example, verbatim from the cURL sample of
#: https://docs.dataforseo.com/v3/serp/google/local_finder/task_post/ :
#:     [{"language_code": "en", "location_code": 2840, "keyword": "local nail services",
#:       "min_rating": 4.5, "time_filter": "monday"}]
#: dataforseo-client 2.1.10 has neither min_rating nor time_filter on this endpoint.
LOCAL_FINDER_EXAMPLE = [
    {
        "language_code": "en",
        "location_code": 2840,
        "keyword": "local nail services",
        "min_rating": 4.5,
        "time_filter": "monday",
    }
]

ORGANIC = "/v3/serp/google/organic/task_post"


@pytest.fixture
def emulator(make_emulator: Any) -> Any:
    return make_emulator(size=0)


def _post(emulator: Any, path: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """POST ``items`` to ``path`` as a caller would; the per-task answers."""
    headers = urllib3.make_headers(basic_auth=f"{emulator.login}:{emulator.password}")
    headers["Content-Type"] = "application/json"
    answer = urllib3.request("POST", emulator.url + path, body=json.dumps(items), headers=headers)
    assert answer.status == 200
    body = json.loads(answer.data)
    assert body["status_code"] == 20000
    tasks: list[dict[str, Any]] = body["tasks"]
    return tasks


def _codes(emulator: Any, path: str, items: list[dict[str, Any]]) -> list[int]:
    return [task["status_code"] for task in _post(emulator, path, items)]


def _organic(**fields: Any) -> dict[str, Any]:
    return {"keyword": "pizza", **fields}


# -- documented fields the client lacks ------------------------------------------------------


def test_vendor_local_finder_example_is_accepted(emulator: Any) -> None:
    assert json.dumps(LOCAL_FINDER_EXAMPLE) == documented_fields.LOCAL_FINDER_EXAMPLE
    [task] = _post(emulator, "/v3/serp/google/local_finder/task_post", LOCAL_FINDER_EXAMPLE)
    assert (task["status_code"], task["status_message"]) == (20100, "Task Created.")
    assert task["data"]["min_rating"] == 4.5 and task["data"]["time_filter"] == "monday"


def test_client_model_really_lacks_the_extra_fields() -> None:
    """The table holds only what the generated one cannot: were the client to catch up,
    the row would be redundant and should go."""
    for kind, extras in documented_fields.EXTRA_FIELDS.items():
        generated = vendor_shapes.post_fields(kind) or {}
        assert not set(extras) & set(generated), kind
        for name, extra in extras.items():
            assert extra.url.startswith("https://docs.dataforseo.com/"), name
            assert name in extra.quote, name


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("min_rating", 4, 20100),
        ("min_rating", "4.5", 40501),
        ("time_filter", "monday", 20100),
        ("time_filter", 1, 40501),
    ],
)
def test_extra_fields_are_type_checked(emulator: Any, field: str, value: Any, code: int) -> None:
    item = {"keyword": "nails", "location_code": 2840, "language_code": "en", field: value}
    assert _codes(emulator, "/v3/serp/google/local_finder/task_post", [item]) == [code]


@pytest.mark.parametrize("path", [ORGANIC, "/v3/serp/google/maps/task_post"])
def test_extra_fields_are_refused_where_not_documented(emulator: Any, path: str) -> None:
    item = {**LOCAL_FINDER_EXAMPLE[0]}
    [task] = _post(emulator, path, [item])
    assert task["status_code"] == 40506
    assert "min_rating" in task["status_message"] and "time_filter" in task["status_message"]


def test_every_extra_kind_is_found_from_what_the_router_passes() -> None:
    """`check_post` is told the endpoint's SERP row and generated table, not its name: each
    kind of the extra table must be recovered from those, and only it."""
    for kind in documented_fields.EXTRA_FIELDS:
        parts = kind.split("/")
        serp = serp_types.find(parts[1], parts[2]) if parts[0] == "serp" else None
        documented = vendor_shapes.post_fields(kind)
        assert documented_fields.kind_of(serp, documented) == kind
        if serp is None:
            twins = [
                other
                for other in vendor_shapes._table()["task_post"]
                if vendor_shapes.post_fields(other) == documented
            ]
            assert twins == [kind]


def test_merged_post_fields_keep_the_generated_ones() -> None:
    merged = documented_fields.post_fields("serp/google/local_finder")
    assert merged is not None
    assert merged["min_rating"] == ("float", False) and merged["keyword"] == ("str", True)
    assert documented_fields.post_fields("serp/google/organic") == vendor_shapes.post_fields(
        "serp/google/organic"
    )


# -- locations and languages by name ---------------------------------------------------------


def test_new_york_and_japanese_by_name(emulator: Any) -> None:
    item = _organic(location_name="New York,New York,United States", language_name="Japanese")
    [task] = _post(emulator, ORGANIC, [item])
    assert task["status_code"] == 20100
    with emulator.dataset.lock:
        created = emulator.dataset.by_id[task["id"]]
        assert (created.location, created.language) == (1023191, "ja")


@pytest.mark.parametrize(
    "name",
    [
        "Luanda,Luanda Province,Angola",  # Africa
        "Tokyo,Tokyo,Japan",  # Asia
        "Vienna,Vienna,Austria",  # Europe
        "Canberra,Australian Capital Territory,Australia",  # Oceania
        "Buenos Aires,Buenos Aires,Argentina",  # South America
        "Ottawa,Ontario,Canada",  # North America
    ],
)
def test_a_capital_per_continent_by_name(emulator: Any, name: str) -> None:
    assert _codes(emulator, ORGANIC, [_organic(location_name=name, language_code="en")]) == [20100]


@pytest.mark.parametrize(
    ("location", "language"),
    [
        ({"location_code": 1023191}, {"language_code": "ja"}),
        (
            {"location_code": 1023191, "location_name": "New York,New York,United States"},
            {"language_code": "ja", "language_name": "Japanese"},
        ),
        ({"location_code": 2826, "location_name": "United Kingdom"}, {"language_code": "en"}),
        ({"location_name": "Germany"}, {"language_code": "DE", "language_name": "German"}),
        ({"location_code": 1000997}, {"language_name": "Chinese (Traditional)"}),
    ],
)
def test_codes_and_agreeing_names_are_accepted(
    emulator: Any, location: dict[str, Any], language: dict[str, Any]
) -> None:
    assert _codes(emulator, ORGANIC, [_organic(**location, **language)]) == [20100]


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"location_code": 2840, "location_name": "Germany"}, "location_name"),
        (
            {"location_code": 1023191, "location_name": "London,England,United Kingdom"},
            "location_name",
        ),
        (
            {"location_code": 2276, "language_code": "de", "language_name": "Japanese"},
            "language_name",
        ),
        ({"location_name": "Atlantis", "language_code": "en"}, "location_name"),
        (
            {"location_name": "new york,new york,united states", "language_code": "en"},
            "location_name",
        ),
        ({"location_code": 2840, "language_name": "Klingon"}, "language_name"),
        ({"location_name": "Russia", "language_code": "ru"}, "location_name"),
        ({"location_code": 2643, "language_code": "ru"}, "location_code"),
    ],
)
def test_disagreeing_or_unknown_names_answer_40501(
    emulator: Any, fields: dict[str, Any], named: str
) -> None:
    item = _organic(**fields)
    item.setdefault("language_code", "en")
    [task] = _post(emulator, ORGANIC, [item])
    assert (task["status_code"], task["status_message"]) == (40501, f"Invalid Field: '{named}'.")


def test_languages_of_the_vendor_list() -> None:
    tongues = locations.languages()
    assert len(tongues) == 130
    assert len({t.code.casefold() for t in tongues}) == len(tongues)
    named = {t.name: t.code for t in tongues}
    assert named["Japanese"] == "ja" and named["Azeri"] == "az"
    assert named["Chinese (Simplified)"] == "zh-CN" and named["Norwegian (Bokmål)"] == "nb"
    assert locations.language_by_code("ZH-cn") == locations.language_by_name("Chinese (Simplified)")
