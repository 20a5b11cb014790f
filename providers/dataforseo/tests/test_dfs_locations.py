"""Places by the vendor's names and codes: every bundled entry is a Google geotargets row
(code = Criteria ID, name = Canonical Name), a task may name a place by either or both, and
a code and a name that disagree are refused as the vendor refuses them (40501)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
import urllib3
from seotasks_dataforseo.emulator import locations

from .dfs_capitals import CAPITALS, MISSING

ORGANIC = "/v3/serp/google/organic/task_post"
#: The vendor takes at most 100 tasks in one POST.
BATCH = 100
#: Google's "Target Type" of a bundled city: "City"; "Municipality" for Finland's towns,
#: Greece's municipalities and capitals such as San Marino; "City Region" for Jakarta.
CITY_TYPES = frozenset({"City", "Municipality", "City Region"})
#: Capitals Google files only as the district or region of the same name, or as their
#: capital district (Bamako, Santo Domingo); no City row for them was found: that row is what
#: a caller posts for the capital, so it is bundled.
CAPITAL_STAND_INS = {
    9069760: "Distrito Nacional,Dominican Republic",
    9070452: "Bamako Capital District,Mali",
    9075384: "Andorra la Vella,Andorra",
    9075448: "Thimphu,Bhutan",
    9075549: "Conakry,Guinea",
    9075563: "Bissau,Guinea-Bissau",
    9075597: "Maseru,Lesotho",
    9075841: "Saint-Denis,Reunion",
    9075928: "Dili,Timor-Leste",
}


@pytest.fixture
def emulator(make_emulator: Any) -> Any:
    return make_emulator(size=0)


def _post(emulator: Any, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """POST ``items`` to the organic task_post as a caller would; the per-task answers."""
    headers = urllib3.make_headers(basic_auth=f"{emulator.login}:{emulator.password}")
    headers["Content-Type"] = "application/json"
    answer = urllib3.request(
        "POST", emulator.url + ORGANIC, body=json.dumps(items), headers=headers
    )
    assert answer.status == 200
    body = json.loads(answer.data)
    assert body["status_code"] == 20000
    tasks: list[dict[str, Any]] = body["tasks"]
    return tasks


def _posted_locations(emulator: Any, items: list[dict[str, Any]]) -> list[int | str]:
    """Per item: the location code the emulator stored, or the error message it answered."""
    found: list[int | str] = []
    for start in range(0, len(items), BATCH):
        for task in _post(emulator, items[start : start + BATCH]):
            if task["status_code"] != 20100:
                found.append(task["status_message"])
                continue
            with emulator.dataset.lock:
                found.append(emulator.dataset.by_id[task["id"]].location)
    return found


def _task(**fields: Any) -> dict[str, Any]:
    return {"keyword": "pizza", "language_code": "en", **fields}


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Osaka,Osaka,Japan", 1009540),
        ("New York,New York,United States", 1023191),
        ("Tokyo,Tokyo,Japan", 1009317),
        ("London,England,United Kingdom", 1006886),
        ("Toronto,Toronto,Ontario,Canada", 1002451),
        ("Japan", 2392),
        ("United States", 2840),
    ],
)
def test_the_vendors_names_are_accepted_with_their_codes(
    emulator: Any, name: str, code: int
) -> None:
    by_name, by_both, by_code = _posted_locations(
        emulator,
        [
            _task(location_name=name),
            _task(location_name=name, location_code=code),
            _task(location_code=code),
        ],
    )
    assert by_name == by_both == by_code == code


@pytest.mark.parametrize(
    "fields",
    [
        {"location_name": "Osaka,Osaka,Japan", "location_code": 1009317},  # Tokyo's code
        {"location_name": "New York,New York,United States", "location_code": 2840},  # country
        {"location_name": "Osaka,Japan"},  # not the canonical name
        {"location_name": "Osaka"},
        {"location_name": "New York,United States"},
    ],
)
def test_mismatched_or_short_names_are_refused(emulator: Any, fields: dict[str, Any]) -> None:
    assert _posted_locations(emulator, [_task(**fields)]) == ["Invalid Field: 'location_name'."]


def test_every_bundled_pair_is_accepted_and_no_crossed_pair_is(emulator: Any) -> None:
    """Each entry posted with its own code and name is stored under that code; each name
    posted with the next entry's code is refused: the emulator checks the pair, not each
    half alone."""
    places = locations.locations()
    own = [_task(location_name=p.name, location_code=p.code) for p in places]
    assert _posted_locations(emulator, own) == [p.code for p in places]
    crossed = [
        _task(location_name=p.name, location_code=q.code)
        for p, q in zip(places, places[1:] + places[:1], strict=True)
    ]
    refused = _posted_locations(emulator, crossed)
    assert refused == ["Invalid Field: 'location_name'."] * len(places)


def test_the_bundled_entries_agree_with_each_other() -> None:
    """Codes and names are unique; a city's name ends with its country's name and its
    country code is that country's; codes are in Google's ranges (countries 2000 + ISO
    numeric, cities in the older 1 000 000 block or the newer 9 000 000 one)."""
    places = locations.locations()
    assert len({p.code for p in places}) == len(places)
    assert len({p.name for p in places}) == len(places)
    countries = {p.country: p for p in places if 2000 < p.code <= 2900}
    cities = [p for p in places if p.code > 2900]
    assert len(countries) + len(cities) == len(places)
    assert {p.source for p in places} <= locations.SOURCES
    for city in cities:
        parts = city.name.split(",")
        assert len(parts) >= 2 and all(part.strip() == part and part for part in parts), city
        assert city.name.endswith("," + countries[city.country].name), city
        assert 1_000_000 <= city.code < 1_100_000 or 9_000_000 <= city.code < 10_000_000, city
        assert city.type in CITY_TYPES or CAPITAL_STAND_INS.get(city.code) == city.name, city
    # Google's country names may hold a comma ("Saint Helena, Ascension and Tristan da
    # Cunha"), its ISO codes never do.
    assert all(len(iso) == 2 and iso.isalpha() and iso.isupper() for iso in countries)


def test_the_bundled_list_covers_what_it_promises() -> None:
    places = locations.locations()
    countries = [p for p in places if p.code <= 2900]
    cities = [p for p in places if p.code > 2900]
    assert len(countries) == 239
    assert {"US", "GB", "DE", "JP", "IN", "BR", "NG", "KE"} <= {p.country for p in countries}
    assert not {"RU", "BY"} & {p.country for p in places}
    per_country = Counter(p.country for p in cities)
    assert len(cities) == 1078 and len(per_country) == 179
    named = {p.name: p.code for p in cities}
    assert named["Kabul,Kabul,Afghanistan"] == 1000002
    assert named["Vienna,Vienna,Austria"] == 1000997
    assert named["Male,Maldives"] == 9075811
    assert named["Taipei City,Taiwan"] == 9040379
    capital = locations.location_by_name("San Marino,San Marino")
    assert capital is not None and capital.type == "Municipality"
    assert locations.location_by_code(1009540) == locations.location_by_name("Osaka,Osaka,Japan")


def test_every_country_has_its_capital_or_a_reason() -> None:
    """Each country entry is either mapped to its capital's entry, which is bundled, lies in
    that country and is a city (a city-state: the country entry itself), or listed with the
    reason it has none; no country is in both lists or in neither."""
    countries = {p.country: p for p in locations.locations() if p.code <= 2900}
    assert set(CAPITALS) | set(MISSING) == set(countries)
    assert not set(CAPITALS) & set(MISSING)
    for iso, name in CAPITALS.items():
        capital = locations.location_by_name(name)
        assert capital is not None and capital.country == iso, (iso, name)
        assert capital.code > 2900 or capital == countries[iso], (iso, name)
    city_states = {iso for iso, name in CAPITALS.items() if name == countries[iso].name}
    assert city_states == {"SG", "HK", "MC", "VA", "GI"}
    assert set(CAPITAL_STAND_INS.values()) <= set(CAPITALS.values())
    assert len(CAPITALS) == 173


@pytest.mark.parametrize("code", ["xx", "eng", "english", "klingon", "en-XX"])
def test_a_language_code_not_in_the_vendors_list_is_refused(emulator: Any, code: str) -> None:
    """Only a code's length was checked: "xx" and "eng" were posted, billed and crawled in
    the sandbox, and refused in production. Every code of the list is taken, in any case."""
    refused = _posted_locations(emulator, [_task(location_code=2840, language_code=code)])
    assert refused == ["Invalid Field: 'language_code'."]
    codes = [language.code for language in locations.languages()]
    taken = [_task(location_code=2840, language_code=c) for c in (*codes, "ZH-cn", "EN")]
    assert _posted_locations(emulator, taken) == [2840] * len(taken)
