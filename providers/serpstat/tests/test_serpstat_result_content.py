"""Serpstat ``tasks.getTaskResult`` with content, as the reference example shapes it.

Keywords are posted through seotasks' own ``client.submit`` (``tasks.addKeywordList``,
so a keyword may hold commas), the shared clock runs past completion, and the collected
result is judged by the documented rules: one ``tops`` entry per keyword posted, each
``top`` ranked 1..N without gaps, urls that parse with the entry's ``subdomain`` as host
and ``domain`` as its registered part, hosts free of commas and spaces, lengths that
match their texts, ``right_spell`` ``""`` where the example shows ``""``, ads by block.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from seotasks import SerpTaskSpec
from seotasks.clock import FakeClock

WORDS = ["running shoes, trail", "café au lait", "c++ 100%", "  ", "Москва отели", "a,b,c"]


@pytest.fixture
def emu(make_emulator: Any, clock: FakeClock, now: Any) -> Any:
    return make_emulator(seed=4, size=5, now=lambda: now + timedelta(seconds=clock.monotonic()))


def _collect(emu: Any, connect: Any, clock: FakeClock, words: list[str]) -> dict[str, Any]:
    client = connect(emu)
    results = client.submit([SerpTaskSpec(keyword=w, location=23, language=1) for w in words])
    assert all(r.ok for r in results)
    task_id = results[0].task_id
    clock.advance(3600)
    [done] = [t for t in client.tasks(status="completed") if t.id == task_id]
    body: dict[str, Any] = client.collect(done)
    return body


def _host(host: str) -> None:
    labels = host.split(".")
    assert len(labels) >= 2, host
    for label in labels:
        assert label and label.isascii() and label.replace("-", "").isalnum(), host


def test_tops_as_documented(emu: Any, connect: Any, clock: FakeClock) -> None:
    words = [w for w in WORDS if w.strip()]
    body = _collect(emu, connect, clock, words)
    assert [t["keyword"] for t in body["tops"]] == words  # one entry per keyword posted
    assert body["task_meta"]["country_id"] == "23"
    for entry in body["tops"]:
        data = entry["keyword_data"]
        assert data["right_spell"] == ""
        assert data["target_fields"] == "[]"
        assert set(data["ads"]) == {"1", "2", "3"}
        assert type(data["results"]) is int and data["results"] >= len(data["top"])
        top = data["top"]
        assert top and [t["position"] for t in top] == list(range(1, len(top) + 1))
        assert len({t["subdomain"] for t in top}) == len(top)
        for row in top:
            split = urlsplit(row["url"])
            assert split.scheme == "https" and split.hostname == row["subdomain"]
            _host(row["subdomain"])
            _host(row["domain"])
            assert row["subdomain"] == row["domain"] or row["subdomain"].endswith(
                "." + row["domain"]
            )
            assert row["title_length"] == len(row["title"])
            assert row["snippet_length"] == len(row["snippet"])
            assert row["breadcrumbs"].startswith(f"https://{row['subdomain']}")
        for ad in data["ads"]["1"]:
            assert urlsplit(ad["url"]).hostname == ad["subdomain"]
            _host(ad["domain"])


def test_the_same_task_answers_the_same(emu: Any, connect: Any, clock: FakeClock) -> None:
    client = connect(emu)
    [result] = client.submit([SerpTaskSpec(keyword="tea, green", location=23)])
    clock.advance(3600)
    [done] = [t for t in client.tasks(status="completed") if t.id == result.task_id]
    first = client.collect(done)
    assert client.collect(done) == first
    # Another task with the same keyword is another crawl: its own results.
    [other] = client.submit([SerpTaskSpec(keyword="tea, green", location=23, device="mobile")])
    clock.advance(3600)
    [later] = [t for t in client.tasks(status="completed") if t.id == other.task_id]
    assert client.collect(later)["tops"][0]["keyword_data"] != first["tops"][0]["keyword_data"]


def test_seeded_tasks_answer_searches_people_make(make_emulator: Any, connect: Any) -> None:
    """A seeded task's results named its keywords ``keyword 0``, ``keyword 1``, and its
    SERP titles ``Keyword 0 - Keyword 0``: words are drawn from the task id now, distinct
    within a task, the same at every answer, and every keyword has its own SERP."""
    emu = make_emulator(seed=7, size=60)
    client = connect(emu)
    done = [t for t in client.tasks(status="completed") if (t.keywords_count or 0) > 2]
    assert len(done) >= 3
    seen: set[str] = set()
    for task in done[:3]:
        body: Any = client.collect(task)
        words = [entry["keyword"] for entry in body["tops"]]
        assert len(words) == len(set(words)) == task.keywords_count
        assert not any(re.fullmatch(r"keyword \d+", w) for w in words), words
        assert all(re.fullmatch(r"[a-z ]+", w) for w in words), words
        for entry in body["tops"]:
            assert entry["keyword"].title() in entry["keyword_data"]["top"][0]["title"]
        assert client.collect(task) == body
        seen.update(words)
    assert len(seen) > 6  # tasks are not all given the same words
