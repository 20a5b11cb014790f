"""The locations and languages the emulator knows by name, read from ``locations.json``.

Why a bundled list: DataForSEO accepts a task's place and language either as a code
(``location_code`` 2840, ``language_code`` "en") or as a name (``location_name``
"New York,New York,United States", ``language_name`` "Japanese"), and answers 40501
"Invalid Field" for a name it does not know or a code and a name that name different
places. An emulator that knows six places refuses most real requests; one that knows none
cannot tell a typo from a city. The vendor's own list has 266,897 SERP locations (its
CDN CSV); this file keeps the entries people post most.

Every code and name is the vendor's: DataForSEO location codes and names are Google Ads
geo target constants (its ``location_code`` is the CSV's "Criteria ID", its
``location_name`` the "Canonical Name"; a country is 2000 + ISO 3166-1 numeric, e.g. 2840
United States; a city is "City,Region,Country", e.g. 1023191 "New York,New York,United
States", 1009540 "Osaka,Osaka,Japan"). No code is made up: an entry whose row was not
read is left out rather than guessed. Where the rows come from (the country rows' last
field says which):

* ``geotargets``: Google's geotargets CSV as published in the public repository
  ``meghaa13/CampaignAnalysis`` (``geotargets.csv`` at commit 9e5cc898, columns
  ``Criteria ID,Name,Canonical Name,Parent ID,Country Code,Target Type,Status``; a current
  edition: Turkiye, North Macedonia, Eswatini, Kosovo). Every city and the countries
  2050-2900 were read from that file, row by row.
* ``geotargets-older-copy``: 30 countries with codes 2004-2152 whose rows sit between the
  file's regions; they were taken from an older public copy of the same CSV's Country
  rows (a JavaScript list with the same columns). Their codes follow the 2000 + ISO rule.
  One name is the current file's instead: 2132 is "Cabo Verde" (the older copy says "Cape
  Verde"), as the canonical names of its municipality rows, parent 2132, read ("Praia,Cabo
  Verde" 9075470).

Cities: the capitals and largest cities of the countries whose city rows were read so far
(``docs/providers/dataforseo.md`` gives the counts; the tests' ``dfs_capitals.py`` names each
country's capital entry or why it has none). Google files some capitals only as the
district or region of the same name ("Thimphu,Bhutan" 9075448, "Conakry,Guinea" 9075549,
"Maseru,Lesotho" 9075597) or as its capital district ("Bamako Capital District,Mali"
9070452; "Distrito Nacional,Dominican Republic" 9069760, the parent of Santo Domingo's
neighbourhood rows): that row is what a caller posts for the capital, so it is bundled with
its own target type. A city-state (Singapore, Hong Kong, Monaco) is its
country entry. The CSV is 19 MB and was read a page
at a time, so a country whose cities were not reached is known by its country entry only;
adding a city is appending its CSV row (code, canonical name, country), which the tests
check against the rest of the file.

Russia and Belarus are left out on purpose: every DataForSEO locations page says "All
locations in Russia and Belarus are no longer supported across all DataForSEO services",
so the vendor refuses them and so does the emulator.

Languages: the vendor's SERP Google language list (name and code, e.g. "Japanese" / "ja",
"Azeri" / "az", "Chinese (Simplified)" / "zh-CN") as a third-party client keeps it
(``thanhhoang0794/SerpUpdate`` ``app/constant/languageList.ts``, commit d1ff5b92), plus the
two names only its Bing list has ("English (United Kingdom)" / "en-GB",
"Norwegian (Bokmål)" / "nb"); the Labs list (``CakrawalaAI/seo-agent``, generated from the
vendor's ``locations_and_languages_dataforseo_labs_2025_08_05.csv``) adds none.

The file is compact JSON (one array per row: code, name, ISO country, type[, source]) and
is parsed on first use, not at import.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import attrs

__all__ = [
    "Language",
    "Location",
    "language_by_code",
    "language_by_name",
    "languages",
    "location_by_code",
    "location_by_name",
    "locations",
]

#: Where an entry's code and name come from (see the module's docstring).
SOURCES = frozenset({"geotargets", "geotargets-older-copy"})


@attrs.frozen(slots=True)
class Location:
    """One place: its code, its full name, country, type and where the row comes from."""

    code: int
    name: str
    country: str
    type: str
    source: str


@attrs.frozen(slots=True)
class Language:
    """One language as the vendor lists it: its name and its code."""

    name: str
    code: str


@attrs.frozen(slots=True)
class _Tables:
    locations: tuple[Location, ...]
    languages: tuple[Language, ...]
    by_location_name: Mapping[str, Location]
    by_location_code: Mapping[int, Location]
    by_language_name: Mapping[str, Language]
    by_language_code: Mapping[str, Language]


def _location(row: list[Any]) -> Location:
    """``[code, name, country, type]`` (a city: its row was read from the CSV) or the same
    with a fifth field naming the source (a country)."""
    source = str(row[4]) if len(row) > 4 else "geotargets"
    return Location(int(row[0]), str(row[1]), str(row[2]), str(row[3]), source)


@cache
def _tables() -> _Tables:
    text = resources.files(__package__).joinpath("locations.json").read_text("utf-8")
    raw: dict[str, Any] = json.loads(text)
    places = tuple(_location(row) for row in raw["countries"] + raw["cities"])
    tongues = tuple(Language(str(name), str(code)) for name, code in raw["languages"])
    return _Tables(
        places,
        tongues,
        MappingProxyType({p.name: p for p in places}),
        MappingProxyType({p.code: p for p in places}),
        MappingProxyType({t.name: t for t in tongues}),
        # Codes compare without case: "zh-cn" and "zh-CN" are one language to a caller.
        MappingProxyType({t.code.casefold(): t for t in tongues}),
    )


def locations() -> tuple[Location, ...]:
    """Every known place: countries first, then cities."""
    return _tables().locations


def languages() -> tuple[Language, ...]:
    """Every known language."""
    return _tables().languages


def location_by_name(name: str) -> Location | None:
    """The place named exactly ``name`` (the vendor matches full names), or None."""
    return _tables().by_location_name.get(name)


def location_by_code(code: int) -> Location | None:
    """The known place with ``code``, or None (the vendor knows many more codes)."""
    return _tables().by_location_code.get(code)


def language_by_name(name: str) -> Language | None:
    """The language named exactly ``name``, or None."""
    return _tables().by_language_name.get(name)


def language_by_code(code: str) -> Language | None:
    """The known language with ``code`` (any case), or None."""
    return _tables().by_language_code.get(code.casefold())
