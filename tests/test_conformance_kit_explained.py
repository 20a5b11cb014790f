"""Where a listing differs from the ground truth, the conformance kit says why, judged
on the fake vendor broken the way plugin authors break theirs: a bound sent to the vendor
cut to whole seconds (the tasks of the last second before ``until`` are lost), times read
in the wrong zone (every bound selects other tasks than the vendor's own times do), and a
listing that stops early, which the churn check blamed on offset paging."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import attrs
import pytest
from fakevendor import FakeVendor, FakeVendorApp
from kitenv import KIT, Failed

import seotasks
from seotasks.model import Task, TaskQuery
from seotasks.provider import Batch, Capabilities, Position
from seotasks.testing import ConformanceEnv
from seotasks.testing.conformance.asserts import failures_only


def _until_cut_to_the_second(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake vendor given a server filter on ``until`` that the provider sends as
    whole seconds, cut down (``strftime`` drops the fraction): what the vendor drops."""
    fetch = FakeVendor.fetch

    def cut(self: FakeVendor, query: TaskQuery, position: Position) -> Batch:
        batch = fetch(self, query, position)
        if query.until is None:
            return batch
        sent = query.until.replace(microsecond=0)
        kept = [t for t in batch.tasks if t.created_at is None or t.created_at < sent]
        return Batch(tasks=kept, next=batch.next)

    monkeypatch.setattr(FakeVendor, "fetch", cut)
    monkeypatch.setattr(
        FakeVendor,
        "capabilities",
        lambda self: Capabilities(order="created_at", server_filters=frozenset({"until"})),
    )


def test_an_until_cut_to_whole_seconds_is_caught_and_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kit bounded listings at the listed times themselves, whole seconds at every
    vendor, where cutting a fraction changes nothing: a provider that truncates ``until``
    passed, and lost the last second's tasks of every ``--until`` with a fraction."""
    KIT.test_time_filters_honoured(kit_env(), "created_at")
    _until_cut_to_the_second(monkeypatch)
    with pytest.raises(AssertionError) as info:
        KIT.test_time_filters_honoured(kit_env(), "created_at")
    message = str(info.value)
    assert "half a second" in message, message
    assert "1 seeded tasks missing" in message, message
    assert "inside the bounds" in message and "round bounds outward" in message, message


def test_times_read_in_another_zone_are_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Times an hour off (the vendor's naive times read in the wrong zone): the kit said
    "60 seeded tasks missing", which sends an author to the paging. The listed times and
    the ground truth disagree about those tasks; the failure says so."""
    build = FakeVendor._task

    def an_hour_off(self: FakeVendor, item: object) -> Task:
        task = build(self, item)
        assert task.created_at is not None
        return attrs.evolve(task, created_at=task.created_at - timedelta(hours=1))

    monkeypatch.setattr(FakeVendor, "_task", an_hour_off)
    with pytest.raises(AssertionError) as info:
        KIT.test_time_filters_honoured(kit_env(), "created_at")
    message = str(info.value)
    assert "seeded tasks missing" in message and "unexpected tasks" in message, message
    assert "outside the bounds, but expected_ids holds it" in message, message
    assert "the provider's created_at disagrees with the vendor's" in message, message


def test_a_correct_listing_still_passes_both_bounds(
    kit_env: Callable[..., ConformanceEnv],
) -> None:
    for field in ("created_at", "completed_at"):
        KIT.test_time_filters_honoured(kit_env(), field)


def test_tasks_lost_without_churn_too_are_not_blamed_on_churn(
    kit_env: Callable[..., ConformanceEnv],
    app: FakeVendorApp,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A listing that ends after its second page lost the same tasks with the data
    standing still; the churn check told the author to re-read rows before an offset."""
    fetch = FakeVendor.fetch

    def two_pages(self: FakeVendor, query: TaskQuery, position: Position) -> Batch:
        batch = fetch(self, query, position)
        return batch if position["offset"] == 0 else Batch(tasks=batch.tasks, next=None)

    monkeypatch.setattr(FakeVendor, "fetch", two_pages)
    with pytest.raises(AssertionError) as info:
        KIT.test_paging_under_churn(kit_env(churn=lambda: app.add(2)), "any")
    message = str(info.value)
    assert "were lost under churn" in message, message
    assert "a listing of the data standing still loses" in message and "offset" not in message, (
        message
    )


def test_a_refused_creation_bound_the_listing_could_answer_is_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A retention window declared a few days too short refuses every ``--since`` over
    the listing's own tasks: the kit let the bare `UnsupportedQuery` through, as if it
    had broken itself."""

    def refusing(self: FakeVendor, query: TaskQuery) -> Position:
        if query.since is not None:
            raise seotasks.UnsupportedQuery("fakevendor keeps tasks for 1 day")
        return {"offset": 0}

    monkeypatch.setattr(FakeVendor, "start", refusing)
    with pytest.raises(Failed) as info:
        KIT.test_time_filters_honoured(kit_env(), "created_at")
    message = str(info.value)
    assert "refused since/until on created_at" in message, message
    assert "fakevendor keeps tasks for 1 day" in message, message


def test_a_listing_of_one_page_says_how_to_make_more(
    kit_env: Callable[..., ConformanceEnv],
) -> None:
    """The check said "the listing did not span several pages" above a repr of every
    page; the cursor checks already said what to do."""
    with pytest.raises(AssertionError) as info:
        KIT.test_every_task_exactly_once(kit_env(options={"page_size": 1000}))
    message = str(info.value)
    assert message.startswith("the listing spanned 1 page, but min_pages=2"), message
    assert "smaller page size" in message and "page_size option" in message, message


def test_a_listing_that_never_reaches_the_emulator_is_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages kept in a cache shared by every client: with HTTP 503 injected for every
    request the listing still succeeded, and the kit said "DID NOT RAISE SeotasksError"."""
    fetch = FakeVendor.fetch
    cache: dict[str, Batch] = {}

    def cached(self: FakeVendor, query: TaskQuery, position: Position) -> Batch:
        key = repr(position)
        if key not in cache:
            cache[key] = fetch(self, query, position)
        return cache[key]

    monkeypatch.setattr(FakeVendor, "fetch", cached)
    KIT.test_every_task_exactly_once(kit_env())  # fills the cache
    with pytest.raises(Failed) as info:
        KIT.test_server_errors_are_typed(kit_env())
    message = str(info.value)
    assert "with Fault.HTTP_503 injected for every request, the listing" in message, message
    assert "0 requests reached the emulator" in message, message


def test_a_skipped_check_is_placed_at_its_own_line_and_a_failing_one_hidden() -> None:
    """``pytest -rs`` on a plugin's kit run names each skipped check's line in the kit; with
    the checks hidden outright from tracebacks, pytest placed every such skip at one line
    of its own (``_pytest/python.py``) and counted them as one."""
    with pytest.raises(AssertionError) as failed:
        raise AssertionError("a check's verdict")
    with pytest.raises(pytest.skip.Exception) as skipped:
        pytest.skip("the provider declares no callbacks")
    assert failures_only(failed) and not failures_only(skipped)
    acme = Path(__file__).parents[1] / "examples" / "seotasks-acme"
    pytest_args = ["-q", "-rs", "-p", "no:xdist", "-p", "no:cacheprovider", "-k", "callbacks"]
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", *pytest_args, "tests/test_acme_conformance.py"],
        cwd=acme,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for line in ran.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(lines) == 2, ran.stdout
    for line in lines:
        assert re.search(r"SKIPPED \[1\] \S+/conformance/callbacks\.py:\d+: the provider", line)


def test_a_provider_that_did_not_load_fails_one_check_and_skips_the_rest() -> None:
    """Every check failed with the same `UnknownProvider` traceback, some under a cause
    of their own; the entry-point check alone says why, the others skip pointing to it."""
    acme = Path(__file__).parents[1] / "examples" / "seotasks-acme"
    args = ["-q", "-rfs", "-p", "no:xdist", "-p", "no:cacheprovider"]
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", *args, "tests/test_acme_conformance.py"],
        cwd=acme,
        env={**os.environ, "SEOTASKS_LOAD_PLUGINS": "dataforseo"},  # acme not loaded
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert re.search(r"^1 failed, \d+ skipped", ran.stdout.splitlines()[-1]), ran.stdout
    assert "FAILED tests/test_acme_conformance.py::" in ran.stdout
    assert "test_loads_through_entry_point" in ran.stdout.split("FAILED", 1)[1]
    assert "UnknownProvider" not in ran.stdout.split("short test summary", 1)[0], ran.stdout
    skipped = [line for line in ran.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skipped and all("acme did not load: test_loads_through" in s for s in skipped)
