"""Realistic values for every documented request field, to build official request models.

The official client serialises a request model with every declared field: the ones the
caller set, and ``null`` for the rest. So two kinds of body are built per endpoint: a
*minimal* one (the required fields, everything else ``null``) and *full* ones that set
every documented field. Fields that name alternatives (``location_code`` /
``location_name`` / ``location_coordinate``, ``language_code`` / ``language_name``,
``pingback_url`` / ``postback_url``) are spread over several full bodies, one alternative
each, the way a real caller would send them; together the bodies set every field.
"""

from __future__ import annotations

import re
import types
import typing
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

#: A value a real caller would send, by field name (checked before the type fallback).
BY_NAME: dict[str, Any] = {
    "keyword": "rank tracker api",
    "keywords": ["rank tracker api", "serp api"],
    "location_code": 2840,
    "location_name": "United States",
    "location_coordinate": "53.476225,-2.243572,200",
    "language_code": "en",
    "language_name": "English",
    "device": "desktop",
    "os": "windows",
    "depth": 20,
    "block_depth": 20,
    "priority": 2,
    "tag": "contract-suite",
    "pingback_url": "http://127.0.0.1:9/ping?id=$id&tag=$tag",
    "postback_url": "http://127.0.0.1:9/post?id=$id&tag=$tag",
    "postback_data": "advanced",
    "load_async_ai_overview": True,
    "calculate_rectangles": True,
    "people_also_ask_click_depth": 2,
    "browser_screen_width": 1920,
    "browser_screen_height": 1080,
    "browser_screen_resolution_ratio": 1,
    "url": "https://www.google.com/search?q=rank%20tracker%20api&hl=en&gl=US",
    "se_domain": "google.com",
    "search_param": "&tbs=qdr:d",
    "remove_from_url": ["srsltid"],
    "expand_ai_overview": True,
    "group_organic_results": True,
    "max_crawl_pages": 2,
    "match_type": "with_subdomains",
    "match_value": "dataforseo.com",
    "target_search_mode": "any",
    "find_targets_in": ["organic", "featured_snippet"],
    "ignore_targets_in": ["paid", "images"],
    "dataset_id": "L2cvMTF4Y2Z6NnRzcg==",
    "image_url": "https://example.com/images/cat.jpg",
    "video_id": "vQXvyV0zIP4",
    "subtitles_language": "en",
    "subtitles_translate_language": "de",
    "market_type": "indexes",
    "news_type": "all",
    "time_range": "past_day",
    "date_from": "2026-11-01",
    "date_to": "2026-11-30",
    "employment_type": ["fulltime"],
    "location_radius": "300",
    "advertiser_ids": ["AR13752565271262920705"],
    "platform": "google_search",
    "format": "all",
    "period": "1_day",
    "window": "1_day",
    "target": "dataforseo.com",
    "type": "web",
    "category_code": 10019,
    "sort": "asc",
    "limit": 100,
    "offset": 0,
    "include_metadata": True,
}


def unwrap(annotation: Any) -> Any:
    """``Optional[X]`` / ``Annotated[X, ...]`` -> ``X``, repeatedly; of a union of several
    types, the first. (The official models' annotations are read here and in
    ``generate.py``; one reading keeps the table and the request values in step.)"""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def by_type(name: str, annotation: Any) -> Any:
    """A plausible value of ``annotation`` for a field no table names."""
    annotation = unwrap(annotation)
    origin = typing.get_origin(annotation)
    if origin is list:
        inner = typing.get_args(annotation)[0]
        return [by_type(name, inner)]
    if origin is dict:
        return {}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return full(annotation)
    if annotation is bool:
        return True
    if annotation is int:
        return 1
    if annotation is float:
        return 1.5
    if annotation is str:
        if name == "location_code":  # Google Trends types its location code as a string
            return "2840"
        if re.search(r"date|time", name):
            return "2026-11-15"
        if name.endswith("url"):
            return "https://example.com/"
        return "example"
    return None


def value(name: str, annotation: Any) -> Any:
    if name in BY_NAME:
        wanted = BY_NAME[name]
        base = unwrap(annotation)
        # The table's value, when its type is what the model declares for this endpoint.
        if (
            (base is str and isinstance(wanted, str))
            or (base is int and type(wanted) is int)
            or (base is bool and isinstance(wanted, bool))
            or (typing.get_origin(base) is list and isinstance(wanted, list))
        ):
            return wanted
    return by_type(name, annotation)


def fields(model: type[BaseModel]) -> list[str]:
    return [f for f in model.model_fields if f != "additional_properties"]


#: Engines that take one language only, and its code and name (Seznam: "supports only
#: the Czech language", the vendor's help center and task_post page).
ONE_LANGUAGE = {"seznam": ("cs", "Czech")}


def in_its_language(kind: str, body: BaseModel) -> BaseModel:
    """``body`` for endpoint ``kind`` with the one language its engine takes, where the
    engine takes one (`ONE_LANGUAGE`); the body as it is otherwise."""
    parts = kind.split("/")
    only = ONE_LANGUAGE.get(parts[1]) if len(parts) > 1 and parts[0] == "serp" else None
    if only is not None:
        for name, wanted in zip(("language_code", "language_name"), only, strict=True):
            if getattr(body, name, None) is not None:
                setattr(body, name, wanted)
    return body


def full(model: type[BaseModel], **override: Any) -> BaseModel:
    """``model`` with every declared field set (``override`` wins; ``None`` leaves it unset)."""
    values = {f: value(f, model.model_fields[f].annotation) for f in fields(model)}
    values.update(override)
    return model(**{k: v for k, v in values.items() if v is not None})


#: Groups of fields of which a caller sends one.
ALTERNATIVES = (
    ("location_code", "location_name", "location_coordinate"),
    ("language_code", "language_name"),
    ("pingback_url", "postback_url"),
)


def full_variants(model: type[BaseModel], postback_data: str | None) -> list[BaseModel]:
    """Bodies that together set every documented field, one alternative of a group each."""
    declared = set(fields(model))
    groups = [[f for f in group if f in declared] for group in ALTERNATIVES]
    count = max([len(g) for g in groups] + [1])
    variants = []
    for i in range(count):
        override: dict[str, Any] = {}
        for group in groups:
            for j, name in enumerate(group):
                chosen = j == min(i, len(group) - 1)
                if not chosen:
                    override[name] = None
        if "postback_data" in declared:
            override["postback_data"] = postback_data if "postback_url" not in override else None
        variants.append(full(model, **override))
    return variants


def minimal(model: type[BaseModel], required: set[str]) -> BaseModel:
    """``model`` with only what a caller must send; the client sends ``null`` for the rest."""
    declared = set(fields(model))
    values: dict[str, Any] = {}
    for name in fields(model):
        if name in required:
            values[name] = value(name, model.model_fields[name].annotation)
    for name in ("location_code", "language_code"):
        if name in declared and name not in values:
            values[name] = value(name, model.model_fields[name].annotation)
    if "keyword" in declared and "keyword" not in values and "keywords" not in values:
        values["keyword"] = BY_NAME["keyword"]
    return model(**values)


def documented_choices(model: type[BaseModel], name: str) -> list[str]:
    """The values a field's documentation lists after "possible values" (empty: none)."""
    info = model.model_fields.get(name)
    text = (info.description or "") if info is not None else ""
    _, found, rest = text.partition("possible values")
    if not found:
        return []
    return re.findall(r"`([a-z_]+)`", rest.split("\n")[0])


def required_fields(model: type[BaseModel]) -> set[str]:
    """The fields the official model's documentation marks "required field" (not "... if")."""
    found = set()
    for name in fields(model):
        text = model.model_fields[name].description or ""
        if re.search(r"required field(?!\s*if)", text, re.IGNORECASE):
            found.add(name)
    return found


def id_list_window(end: datetime | None = None, days: float = 2) -> tuple[str, str]:
    """An id_list window of ``days`` ending at ``end`` (the emulator's now; real time by
    default), in the vendor's ``yyyy-mm-dd hh:mm:ss +00:00``."""
    end = (end or datetime.now(UTC)).replace(microsecond=0)
    return wire_time(end - timedelta(days=days)), wire_time(end)


def wire_time(when: datetime) -> str:
    """``when`` as the vendor writes times: ``2019-11-15 12:57:46 +00:00``."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +00:00")
