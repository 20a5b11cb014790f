"""Every endpoint the emulator serves a result from, walked once: no empty shells.

For every kind with a ``task_get`` (every flavour the vendor offers for it, On-Page's
summary included) and the Labs live endpoints, one completed task is fetched and its
answer walked: every ``items`` list is counted (the figure: non-empty in N of M), every
``items_count`` equals ``len(items)``, ranked items run 1..N, every url parses with a
host, every host is letters, digits, hyphens and dots, competition values and indexes
stay on their documented scales, and ``data.function`` names the call. Run with ``-s``
to see the figures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import urllib3
from seotasks_dataforseo.emulator.checks import offered_flavours
from seotasks_dataforseo.emulator.content_items import UNREADABLE_ITEMS
from seotasks_dataforseo.endpoints import CATALOGUE

from .conftest import MakeEmulator
from .contentkit import assert_host, assert_url

LEVELS = {"HIGH", "MEDIUM", "LOW"}
_HOST_KEYS = frozenset({"domain", "main_domain", "subdomain", "se_domain"})
#: Fields never above their partner: an estimate's range, an ad's first and last showing.
_BELOW = {"low": "high", "min": "max", "first_shown": "last_shown", "first_seen": "last_seen"}
LIVE = {
    "dataforseo_labs/google/ranked_keywords": {"target": "example.org", "limit": 50},
    "dataforseo_labs/google/related_keywords": {"keyword": "tea", "depth": 2},
}


def _walk(value: Any, where: str = "") -> Iterator[tuple[str, str, Any, Any]]:
    """``(path, key, value, parent)`` for every key of every object in ``value``."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield f"{where}.{key}", key, inner, value
            yield from _walk(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            yield from _walk(inner, f"{where}[{n}]")


def _judge(answer: dict[str, Any], label: str, stats: dict[str, int]) -> bool | None:
    """Check every value of ``answer``'s result; whether its ``items`` are non-empty
    (None: its results have no ``items`` list)."""
    results = answer["tasks"][0]["result"]
    for path, key, value, parent in _walk(results, label):
        # Fields stating one fact agree (`content_agree`): a low under its high, ...
        above = parent.get(_BELOW.get(key, ""))
        if value is not None and above is not None and type(value) is type(above):
            assert value <= above, path
        if key == "cost" and {"clicks", "average_cpc"} <= parent.keys():
            assert value == round(parent["clicks"] * parent["average_cpc"], 2), path
        if key == "items" and isinstance(value, list):
            if "items_count" in parent:
                assert parent["items_count"] == len(value), path
            ranks = [i.get("rank_absolute") for i in value if isinstance(i, dict)]
            if ranks and all(isinstance(r, int) for r in ranks):
                assert ranks == list(range(1, len(ranks) + 1)), path
        elif isinstance(value, str) and key.lower().endswith("url") and value:
            if key != "relative_url":  # Labs: the path on the target, by definition
                assert_url(value)
        elif key in _HOST_KEYS and value is not None:
            assert_host(value)
        elif key in ("competition", "competition_level") and value is not None:
            assert value in LEVELS if isinstance(value, str) else 0 <= value <= 1, path
        elif key in ("competition_index", "keyword_difficulty") and value is not None:
            assert 0 <= value <= 100, path
    lists = [r["items"] for r in results if isinstance(r, dict) and "items" in r]
    if not lists:
        return None
    return all(lists)


def walk(make_emulator: MakeEmulator) -> dict[str, int]:
    """Fetch one answer per served endpoint and flavour; the figures."""
    emu = make_emulator(seed=11, size=0, enforce_limits=False)
    http = urllib3.PoolManager()
    headers = {
        **urllib3.make_headers(basic_auth=f"{emu.login}:{emu.password}"),
        "Content-Type": "application/json",
    }
    stats = {"answers": 0, "lists": 0, "filled": 0, "unreadable": 0}
    now = datetime.now(UTC)
    for endpoint in CATALOGUE:
        if endpoint.aggregate:
            continue
        kind = endpoint.name
        for flavour in sorted(offered_flavours(kind)):
            (task_id,) = emu.add_tasks(1, kinds=[kind], posted=now - timedelta(hours=1), code=20000)
            if flavour == "summary":
                path = f"/v3/on_page/summary/{task_id}"
            else:
                path = f"/v3/{kind}/task_get/{flavour + '/' if flavour else ''}{task_id}"
            answer = json.loads(http.request("GET", emu.url + path, headers=headers).data)
            [task] = answer["tasks"]
            assert task["status_code"] == 20000, (path, task["status_message"])
            assert task["data"]["function"] == "task_get", path
            assert "['" not in json.dumps(task["data"]), path  # no Python repr of a list
            _count(stats, _judge(answer, path, stats), kind in UNREADABLE_ITEMS, path)
    for kind, item in LIVE.items():
        path = f"/v3/{kind}/live"
        answer = json.loads(
            http.request("POST", emu.url + path, body=json.dumps([item]), headers=headers).data
        )
        [task] = answer["tasks"]
        assert task["status_code"] == 20000 and task["data"]["function"] == "live", path
        _count(stats, _judge(answer, path, stats), False, path)
    return stats


def _count(stats: dict[str, int], filled: bool | None, unreadable: bool, path: str) -> None:
    stats["answers"] += 1
    if filled is None:
        return
    stats["lists"] += 1
    stats["filled"] += filled
    if not filled:
        assert unreadable, f"{path}: empty items"
        stats["unreadable"] += 1


def test_every_served_result_has_content(make_emulator: MakeEmulator) -> None:
    stats = walk(make_emulator)
    print(
        f"\n{stats['answers']} answers; items non-empty in {stats['filled']} of "
        f"{stats['lists']} answers that have an items list ({stats['unreadable']} kept "
        f"empty: the official client cannot read them)"
    )
    assert stats["answers"] >= 90
    assert stats["filled"] == stats["lists"] - stats["unreadable"]
    assert stats["unreadable"] <= 1


def test_a_reviews_time_ago_says_its_timestamp() -> None:
    from seotasks_dataforseo.emulator.content_agree import agree

    done = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    items = [
        {"timestamp": "2026-09-26 12:00:00 +00:00", "time_ago": "5 days ago"},
        {"timestamp": "2026-12-05 09:30:00 +00:00", "time_ago": "9 days ago"},
        {"timestamp": "2024-11-01 00:00:00 +00:00", "publication_date": "1 day ago"},
        {"low": 24.6, "high": 22.9, "first_shown": "2026-12-01", "last_shown": "2026-11-01"},
    ]
    agree(done, {"items": items})
    assert [i.get("time_ago") or i.get("publication_date") for i in items[:3]] == [
        "2 months ago",
        "2 hours ago",
        "2 years ago",
    ]
    assert items[3] == {
        "low": 22.9,
        "high": 24.6,
        "first_shown": "2026-11-01",
        "last_shown": "2026-12-01",
    }
