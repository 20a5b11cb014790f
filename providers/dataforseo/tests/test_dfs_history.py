"""The ``history`` source: id_list per family, windows, keyset paging, statuses."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import urllib3

import seotasks
from seotasks import ProviderError, TaskStatus, UnsupportedQuery

from .conftest import Connect, MakeEmulator

KINDS = (
    "serp/google/organic",
    "keywords_data/bing/search_volume_history",
    "merchant/amazon/products",
    "dataforseo_labs/google/ranked_keywords",
)
ALL = ["serp", "keywords_data", "merchant", "dataforseo_labs"]


def test_history_over_windows_and_pages_with_inserts_mid_run(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=21, size=6000, kinds=KINDS, span_days=40, recent=0.2)
    now = datetime.now(UTC).replace(microsecond=0)
    since, until = now - timedelta(days=30), now - timedelta(hours=1)
    before = emu.history_ids(since, until, families=ALL)
    client = connect(emu, source="history", families=ALL, window_days=7, page_size=250)
    listed: list[str] = []
    ahead: list[str] = []
    behind: list[str] = []
    pages = 0
    for page in client.pages(status="any", since=since, until=until):
        pages += 1
        listed.extend(t.id for t in page.tasks)
        if pages == 2:
            # The listing is inside serp, past its first days. New tasks both ahead
            # of the keyset (must appear) and behind it (shift offsets, must not
            # cause repeats).
            last = max(t.created_at for t in page.tasks if t.created_at)
            assert since + timedelta(days=2) < last < until - timedelta(days=3)
            ahead = emu.add_tasks(300, kinds=KINDS, posted=(until - timedelta(days=2), until))
            behind = emu.add_tasks(
                300, kinds=("serp/google/organic",), posted=(since, since + timedelta(days=1))
            )
    assert pages > 4 * 5  # several windows per family, several pages per window
    counts = Counter(listed)
    assert counts.most_common(1)[0][1] == 1, "a task was listed twice"
    assert set(listed) == before | set(ahead)
    assert not set(listed) & set(behind)
    assert emu.rate_limited == 0
    sent = [json.loads(r.body)[0] for r in emu.server.requests if r.path.endswith("/id_list")]
    assert all(item["limit"] == 250 and item["sort"] == "asc" for item in sent)
    spans = {
        datetime.fromisoformat(i["datetime_to"]) - datetime.fromisoformat(i["datetime_from"])
        for i in sent
    }
    assert max(spans) <= timedelta(days=7)
    assert all(i["offset"] == 0 for i in sent)  # keyset, not offsets


def test_statuses_times_and_filters(make_emulator: MakeEmulator, connect: Connect) -> None:
    emu = make_emulator(seed=8, size=300, kinds=KINDS[:2], span_days=20)
    now = datetime.now(UTC)
    failed = emu.add_tasks(4, kinds=KINDS[:1], posted=now - timedelta(hours=3), code=40101)
    queued = emu.add_tasks(
        3, kinds=KINDS[:1], posted=now - timedelta(minutes=5), delay=timedelta(hours=1)
    )
    client = connect(emu, source="history", families=["serp", "keywords_data"])
    tasks = {t.id: t for t in client.tasks(status="any")}
    assert set(tasks) == emu.history_ids(until=now, families=["serp", "keywords_data"])
    for task_id in failed:
        task = tasks[task_id]
        assert task.status is TaskStatus.FAILED
        assert task.message == "Internal SE Server Error."
        assert task.completed_at is not None and task.progress is None
    for task_id in queued:
        assert tasks[task_id].status is TaskStatus.QUEUED
        assert tasks[task_id].completed_at is None
    done = [t for t in tasks.values() if t.status is TaskStatus.COMPLETED]
    assert done and all(t.progress == 1.0 and t.completed_at for t in done)
    sample = done[0]
    truth = emu.task(sample.id)
    assert sample.created_at == truth["posted"] and sample.completed_at == truth["done"]
    assert sample.kind == truth["kind"] and sample.cost is not None
    assert {
        t.id
        for t in connect(emu, source="history", families=["serp", "keywords_data"]).tasks(
            status="failed"
        )
    } == emu.history_ids(until=now, status="failed", families=["serp", "keywords_data"])


def test_endpoint_selector_filters_kinds(make_emulator: MakeEmulator, connect: Connect) -> None:
    emu = make_emulator(seed=9, size=400, kinds=("serp/google/organic", "serp/bing/organic"))
    client = connect(emu, source="history", families=["serp/bing"])
    tasks = list(client.tasks(status="any"))
    assert tasks and {t.kind for t in tasks} == {"serp/bing/organic"}
    assert {t.id for t in tasks} == emu.history_ids(families=["serp/bing"])


def test_metadata_fills_optional_fields(make_emulator: MakeEmulator, connect: Connect) -> None:
    emu = make_emulator(seed=10, size=200, kinds=KINDS[:1], span_days=20)
    client = connect(emu, source="history", families=["serp"], include_metadata=True)
    tasks = list(client.tasks(status="any", since=datetime.now(UTC) - timedelta(days=10)))
    assert tasks
    for task in tasks:
        truth = emu.task(task.id)
        assert task.tag == truth["tag"]
        assert task.device in ("desktop", "mobile")
        assert task.location and task.language and task.keywords_count == 1
        assert task.engine == "google"
    with pytest.raises(UnsupportedQuery, match="30 days"):
        client.page(since=datetime.now(UTC) - timedelta(days=40))


def test_metadata_tag_is_the_tag_tasks_ready_shows_for_every_kind(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    # The migration view lists one account both ways (tasks_ready, id_list with
    # metadata): a task posted with a tag carries it in both, whatever its kind, also
    # one whose post fields the official client's table does not know (Yandex organic)
    # or lists without a tag (Bing audience estimation).
    emu = make_emulator(seed=7, size=3000, span_days=20)
    ready = {t.id: t for t in connect(emu, families=["serp", "keywords_data"]).tasks()}
    since = datetime.now(UTC) - timedelta(days=25)
    history = connect(
        emu, source="history", families=["serp", "keywords_data"], include_metadata=True
    )
    both = [(ready[t.id], t) for t in history.tasks(status="any", since=since) if t.id in ready]
    kinds = {r.kind for r, _ in both}
    assert {"serp/yandex/organic", "keywords_data/bing/audience_estimation"} <= kinds
    assert sum(r.tag is not None for r, _ in both) > 100
    assert [(r.kind, r.tag) for r, h in both if h.tag != r.tag] == []
    assert all(h.tag == emu.task(h.id)["tag"] for _, h in both)


def test_since_older_than_kept_is_refused(make_emulator: MakeEmulator, connect: Connect) -> None:
    emu = make_emulator(seed=1, size=10)
    client = connect(emu, source="history")
    with pytest.raises(UnsupportedQuery, match="181 days"):
        client.page(since=datetime.now(UTC) - timedelta(days=200))
    assert emu.server.requests == []


def test_a_since_in_the_future_is_refused_naming_since(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    """With no ``until`` given, the refusal blamed it ("until lies in the future or before
    since"); the ``since`` is what lies in the future."""
    emu = make_emulator(seed=1, size=10)
    client = connect(emu, source="history")
    with pytest.raises(UnsupportedQuery) as refused:
        client.page(since=datetime.now(UTC) + timedelta(days=1))
    assert "since is not before now" in str(refused.value)
    assert "until" not in str(refused.value)
    with pytest.raises(UnsupportedQuery, match="ends before the oldest kept"):
        client.page(time_field="completed_at", until=datetime.now(UTC) - timedelta(days=200))
    assert emu.server.requests == []


def test_many_tasks_at_one_instant_page_by_offset(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=12, size=0, kinds=KINDS[:1])
    instant = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    same = emu.add_tasks(180, posted=instant)
    others = emu.add_tasks(40, posted=(instant - timedelta(hours=1), instant + timedelta(hours=1)))
    client = connect(emu, source="history", families=["serp"], page_size=40)
    ids = [t.id for t in client.tasks(status="any")]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(same) | set(others)
    offsets = [json.loads(r.body)[0]["offset"] for r in emu.server.requests]
    assert max(offsets) > 0  # the crowded instant was paged by offset


def test_a_crowded_last_second_is_listed_whole(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    """The listing ended once its position reached its end's second: the tasks after a
    full page at that second (an ``until`` with a fraction, cut to its second) were
    dropped without a word: 10 of 60 listed."""
    last = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    until = timedelta(milliseconds=500)
    emu = make_emulator(seed=13, size=0, kinds=KINDS[:1])
    crowded = emu.add_tasks(60, posted=last)
    before = emu.add_tasks(5, posted=(last - timedelta(seconds=40), last - timedelta(seconds=1)))
    client = connect(emu, source="history", families=["serp"], page_size=10)
    after = emu.add_tasks(5, posted=last + timedelta(seconds=1))  # past the until
    window = {"since": last - timedelta(minutes=1), "until": last + until}
    ids = [t.id for t in client.tasks(status="any", **window)]
    assert not set(after) & set(ids)
    assert sorted(ids) == sorted(crowded + before)


def test_a_crowded_second_a_listing_started_in_is_listed_whole(
    make_emulator: MakeEmulator,
) -> None:
    """Without ``until``, a listing ends at "now" (cut to its second): a batch posted in
    the second it started in lost every task after the first full page (101 of 120 at
    ``page_size=1``). It waits for that second's end (under a second), then reads on."""
    last = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    emu = make_emulator(seed=14, size=0, kinds=KINDS[:1])
    crowded = emu.add_tasks(30, posted=last)
    started = time.monotonic()  # the client's "now": half a second into that second

    def now() -> datetime:
        return last + timedelta(seconds=0.5 + time.monotonic() - started)

    options = {"source": "history", "families": ["serp"], "page_size": 10}
    client = seotasks.connect("dataforseo", env={}, now=now, **emu.settings, **options)
    with client:
        ids = [t.id for t in client.tasks(status="any", since=last - timedelta(minutes=1))]
    assert sorted(ids) == sorted(crowded)


def _post(emu: object, path: str, body: object, auth: bool = True) -> tuple[int, dict]:  # type: ignore[type-arg]
    settings = emu.settings  # type: ignore[attr-defined]
    headers = (
        urllib3.make_headers(basic_auth=f"{settings['login']}:{settings['password']}")
        if auth
        else {}
    )
    response = urllib3.request(
        "POST", settings["base_url"] + path, body=json.dumps(body).encode(), headers=headers
    )
    return response.status, json.loads(response.data)


def test_emulator_validates_id_list_like_the_vendor(make_emulator: MakeEmulator) -> None:
    emu = make_emulator(seed=1, size=10, enforce_limits=False)
    now = datetime.now(UTC)
    fmt = "%Y-%m-%d %H:%M:%S +00:00"
    good = {
        "datetime_from": (now - timedelta(days=5)).strftime(fmt),
        "datetime_to": (now - timedelta(days=1)).strftime(fmt),
        "limit": 10,
        "offset": 0,
        "sort": "desc",
    }
    status, body = _post(emu, "/v3/serp/id_list", [good])
    assert status == 200 and body["status_code"] == 20000
    task = body["tasks"][0]
    assert task["status_code"] == 20000 and task["path"] == ["v3", "serp", "id_list"]
    assert set(body) == {
        "version",
        "status_code",
        "status_message",
        "time",
        "cost",
        "tasks_count",
        "tasks_error",
        "tasks",
    }
    posted = [i["datetime_posted"] for i in task["result"]]
    assert posted == sorted(posted, reverse=True)
    bad = {
        "limit": 1001,
        "offset": -1,
        "sort": "sideways",
        "datetime_from": (now - timedelta(days=200)).strftime(fmt),
        "datetime_to": "yesterday",
    }
    for field, value in bad.items():
        status, body = _post(emu, "/v3/serp/id_list", [{**good, field: value}])
        assert status == 200 and body["status_code"] == 20000 and body["tasks_error"] == 1
        assert body["tasks"][0]["status_code"] == 40501, field
        assert body["tasks"][0]["result"] is None
    backwards = {**good, "datetime_to": good["datetime_from"], "datetime_from": good["datetime_to"]}
    assert _post(emu, "/v3/serp/id_list", [backwards])[1]["tasks"][0]["status_code"] == 40501
    recent_meta = {
        **good,
        "include_metadata": True,
        "datetime_from": (now - timedelta(days=40)).strftime(fmt),
    }
    assert _post(emu, "/v3/serp/id_list", [recent_meta])[1]["tasks"][0]["status_code"] == 40501
    assert _post(emu, "/v3/serp/id_list", {"not": "a list"})[1]["status_code"] == 40503
    # "An array with one object": a second is refused (it was dropped, the call answered).
    assert _post(emu, "/v3/serp/id_list", [good, good])[1]["status_code"] == 40000
    status, body = _post(emu, "/v3/serp/id_list", [good], auth=False)
    assert status == 401 and body["status_code"] == 40100
    status, body = _post(emu, "/v3/nowhere/id_list", [good])
    assert status == 404 and body["status_code"] == 40400


def test_an_undocumented_default_family_the_vendor_lacks_is_skipped_with_a_note(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    # ai_optimization/id_list is in no vendor list of id_list endpoints: a real account
    # may answer it 40400. A default listing then skips it and says so; the rest is whole.
    kinds = ("serp/google/organic", "ai_optimization/chat_gpt/llm_responses")
    emu = make_emulator(seed=12, size=300, kinds=kinds)
    emu.app.id_list_families = emu.app.id_list_families - {"ai_optimization"}
    client = connect(emu, source="history")
    pages = list(client.pages(status="any"))
    listed = {t.id for page in pages for t in page.tasks}
    notes = [note for page in pages for note in page.notes]
    assert listed == emu.history_ids(families=["serp"]) and listed
    assert any("/v3/ai_optimization/id_list" in n and "40400" in n for n in notes)
    assert emu.history_ids(families=["ai_optimization"])  # there was something to miss


def test_a_family_asked_for_by_name_is_never_skipped(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=12, size=100, kinds=("ai_optimization/chat_gpt/llm_responses",))
    emu.app.id_list_families = emu.app.id_list_families - {"ai_optimization"}
    client = connect(emu, source="history", families=["serp", "ai_optimization"])
    with pytest.raises(ProviderError) as info:
        list(client.tasks(status="any"))
    assert info.value.code == 40400 and info.value.resume_cursor
    # And a documented family answering "not found" is a wrong base URL, not a skip.
    emu.app.id_list_families = frozenset()
    with pytest.raises(ProviderError):
        list(connect(emu, source="history").tasks(status="any"))
