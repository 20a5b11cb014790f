"""The ``ready`` source over real HTTP: tasks_ready across families, the cap, collection."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from seotasks_dataforseo.emulator import DataForSEOEmulator

from seotasks import ProviderError, TaskStatus, UnsupportedQuery
from seotasks.model import Task

from .conftest import Connect, MakeEmulator
from .contentkit import Vendor

KINDS = (
    "serp/google/organic",
    "serp/bing/organic",
    "keywords_data/bing/search_volume_history",
    "merchant/amazon/products",
    "business_data/google/reviews",
    "on_page",
    "app_data/apple/app_info",
)


def test_drains_ready_tasks_across_families_past_serps_cap_by_collecting(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    # Past serp's cap of 1000, the point here: Google organic drawn six times as often,
    # about 2250 ready, 1300 of them serp (each one collected: the test's cost).
    kinds = (*KINDS, *("serp/google/organic",) * 5)
    emu = make_emulator(seed=11, size=2700, kinds=kinds, recent=0.9)
    truth = emu.ready_ids()
    assert len(truth) >= 2000
    client = connect(emu)
    listed: list[str] = []
    capped_pages = 0
    for page in client.pages():
        capped_pages += page.capped
        for task in page.tasks:
            listed.append(task.id)
            body = client.collect(task)
            assert body["tasks"][0]["id"] == task.id
    assert Counter(listed).most_common(1)[0][1] == 1, "a task was listed twice"
    assert set(listed) == truth
    kinds = Counter(emu.task(i)["kind"].split("/")[0] for i in listed)
    assert kinds["serp"] > 1000  # beyond the cap: only collecting showed the rest
    assert capped_pages >= 1
    # Every task that was ready is gone; one that completed while the listing ran (on a
    # loaded machine it takes a while) may be ready now, and was never listed as done.
    assert not emu.ready_ids() & truth
    assert emu.collected_ids() == truth
    assert emu.rate_limited == 0
    assert set(kinds) >= {"serp", "keywords_data", "merchant", "business_data", "on_page"}


def test_capped_list_without_collection_shows_1000_and_says_so(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=3, size=3000, kinds=("serp/google/organic",), recent=1.0)
    assert len(emu.ready_ids()) > 1000
    client = connect(emu, families=["serp"])
    pages = list(client.pages())
    ids = [t.id for p in pages for t in p.tasks]
    assert len(ids) == len(set(ids)) == 1000
    assert any(p.capped for p in pages)
    assert any("capped at 1000" in note for p in pages for note in p.notes)
    # Nothing was collected: the same 1000 again, the rest still hidden.
    again = {t.id for t in connect(emu, families=["serp"]).tasks()}
    assert again == set(ids)
    assert emu.collected_ids() == set()


def test_items_map_to_tasks(make_emulator: MakeEmulator, connect: Connect) -> None:
    emu = make_emulator(seed=5, size=400, kinds=KINDS, recent=1.0)
    tasks = {t.id: t for t in connect(emu).tasks()}
    assert set(tasks) == emu.ready_ids()
    kinds = set()
    for task in tasks.values():
        truth = emu.task(task.id)
        assert task.provider == "dataforseo"
        assert task.status is TaskStatus.COMPLETED and task.progress == 1.0
        assert task.kind == truth["kind"]
        assert task.created_at == truth["posted"]
        assert task.tag == truth["tag"]
        assert task.raw["id"] == task.id
        kinds.add(task.kind)
    assert kinds == set(KINDS)
    organic = next(t for t in tasks.values() if t.kind == "serp/google/organic")
    assert organic.engine == "google"
    assert organic.raw["endpoint_advanced"].endswith(organic.id)


def test_families_restrict_the_endpoints_called(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=6, size=600, kinds=KINDS, recent=1.0)
    family = "keywords_data/bing/search_volume_history"
    tasks = list(connect(emu, families=[family]).tasks())
    assert tasks and {t.kind for t in tasks} == {family}
    assert {t.id for t in tasks} == emu.ready_ids([family])
    paths = {r.path for r in emu.server.requests}
    assert paths == {f"/v3/{family}/tasks_ready"}


def test_family_selector_uses_the_family_level_endpoint(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=6, size=300, kinds=KINDS, recent=1.0)
    list(connect(emu, families=["serp", "serp/google/organic", "keywords_data/bing"]).tasks())
    paths = [r.path for r in emu.server.requests]
    assert "/v3/serp/tasks_ready" in paths
    assert "/v3/serp/google/organic/tasks_ready" not in paths  # covered by /v3/serp
    assert "/v3/keywords_data/bing/search_volume_history/tasks_ready" in paths


def test_ready_window_and_statuses_are_refused_not_ignored(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=1, size=10)
    client = connect(emu)
    with pytest.raises(UnsupportedQuery, match="3 days"):
        client.page(since=datetime.now(UTC) - timedelta(days=4))
    with pytest.raises(UnsupportedQuery, match="history"):
        client.page(status="failed")
    assert emu.server.requests == []


def test_a_since_older_than_a_listing_keeps_names_the_listing_that_reaches_it(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    # Listing both vendors for a migration with --since 5d: tasks_ready keeps 3 days,
    # and the refusal says which listing holds the older tasks, as its status and
    # completion-time refusals do.
    emu = make_emulator(seed=1, size=10)
    five_days_ago = datetime.now(UTC) - timedelta(days=5)
    with pytest.raises(UnsupportedQuery, match=r"3 days.*; use source=history \(181 days"):
        connect(emu).page(since=five_days_ago)
    with pytest.raises(
        UnsupportedQuery, match=r"30 days.*; without include_metadata, id_list keeps 181 days"
    ):
        connect(emu, source="history", include_metadata=True).page(
            since=datetime.now(UTC) - timedelta(days=40)
        )
    assert emu.server.requests == []


def test_ready_window_and_pending_tasks(make_emulator: MakeEmulator, connect: Connect) -> None:
    emu = make_emulator(seed=2, size=0, kinds=("serp/google/organic",))
    now = datetime.now(UTC)
    old = emu.add_tasks(5, posted=now - timedelta(days=4), code=20000)
    fresh = emu.add_tasks(5, posted=now - timedelta(hours=1), code=20000)
    pending = emu.add_tasks(3, posted=now, code=20000, delay=timedelta(hours=2))
    failed = emu.add_tasks(2, posted=now - timedelta(hours=1), code=40101)
    listed = {t.id for t in connect(emu).tasks()}
    assert set(fresh) <= listed
    assert not listed & set(old + pending + failed)


def test_collect_results_and_errors(make_emulator: MakeEmulator, connect: Connect) -> None:
    emu = make_emulator(seed=4, size=0, kinds=("keywords_data/google_ads/search_volume",))
    now = datetime.now(UTC)
    (done,) = emu.add_tasks(1, posted=now - timedelta(hours=1), code=20000)
    # Posted 10 minutes ago: handed (40601) its first minute, in the queue since.
    (queued,) = emu.add_tasks(
        1, posted=now - timedelta(minutes=10), code=20000, delay=timedelta(hours=1)
    )
    client = connect(emu)
    (task,) = client.tasks()
    assert task.id == done
    body = client.collect(task)
    assert body["tasks"][0]["status_code"] == 20000
    assert body["tasks"][0]["result"][0]["keyword"]
    assert emu.task(done)["collected"] and emu.ready_ids() == set()
    # A still-queued task answers 40602 with no result: a ProviderError, never a "result".
    pending = Task(
        provider="dataforseo",
        id=queued,
        status=TaskStatus.QUEUED,
        kind="keywords_data/google_ads/search_volume",
    )
    with pytest.raises(ProviderError) as queued_info:
        client.collect(pending)
    assert queued_info.value.code == 40602 and "no result yet" in str(queued_info.value)
    unknown = Task(
        provider="dataforseo",
        id="00000000-1111-2222-3333-444444444444",
        status=TaskStatus.COMPLETED,
        kind="keywords_data/google_ads/search_volume",
    )
    with pytest.raises(ProviderError) as info:
        client.collect(unknown)
    assert info.value.code == 40401


def test_collect_never_follows_a_foreign_endpoint(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=4, size=0, kinds=("serp/google/organic",))
    (task_id,) = emu.add_tasks(1, posted=datetime.now(UTC) - timedelta(hours=1), code=20000)
    task = Task(
        provider="dataforseo",
        id=task_id,
        status=TaskStatus.COMPLETED,
        kind="serp/google/organic",
        raw={
            "endpoint_advanced": "http://evil.example/v3/serp/google/organic/task_get/advanced/"
            + task_id,
            "endpoint_regular": f"/v3/../../etc/task_get/regular/{task_id}",
        },
    )
    connect(emu).collect(task)
    assert [r.path for r in emu.server.requests] == [
        f"/v3/serp/google/organic/task_get/advanced/{task_id}"
    ]
    unbuildable = Task(provider="dataforseo", id=task_id, status=TaskStatus.COMPLETED)
    with pytest.raises(UnsupportedQuery):
        connect(emu).collect(unbuildable)


@pytest.mark.parametrize("source", ["ready", "history"])
def test_a_tag_with_half_a_character_does_not_block_the_listing(
    vendor: Vendor, emu: DataForSEOEmulator, connect: Connect, source: str
) -> None:
    """A tag holding a lone surrogate's escape (``"\\ud800"``, no character UTF-8 can
    write) made every page a malformed answer, retried, then the listing failed: no
    task of the account could be listed. It reads as U+FFFD, the rest of the page as sent."""
    spec = {"keyword": "x", "location_code": 2840, "language_code": "en"}
    [odd] = vendor.post("serp/google/organic", {**spec, "tag": "lone\ud800x"})
    [plain] = vendor.post("serp/google/organic", {**spec, "tag": "plain"})
    vendor.done()
    metadata = source == "history"  # where id_list has the tags
    client = connect(emu, source=source, families=["serp"], include_metadata=metadata)
    tags = {task.id: task.tag for task in client.tasks(status="completed")}
    assert tags == {odd: "lone\ufffdx", plain: "plain"}


def test_a_result_with_half_a_character_is_collected(
    vendor: Vendor, emu: DataForSEOEmulator, connect: Connect, tmp_path: Path
) -> None:
    """The same tag in a result: in memory as U+FFFD, into a file as the vendor's bytes."""
    spec = {"keyword": "x", "location_code": 2840, "language_code": "en", "tag": "lone\ud800x"}
    [task_id] = vendor.post("serp/google/organic", spec)
    vendor.done()
    client = connect(emu, families=["serp"])
    [task] = client.tasks(status="completed")
    assert task.id == task_id
    result: Any = client.collect(task)
    assert result["tasks"][0]["data"]["tag"] == "lone\ufffdx"
    [streamed] = client.collect_many([task], into=tmp_path)
    assert streamed.error is None and streamed.path is not None
    assert b'"lone\\ud800x"' in streamed.path.read_bytes()
