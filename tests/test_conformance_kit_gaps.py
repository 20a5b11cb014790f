"""Plugins broken the ways an outside author broke one, each of which the kit passed:
a ``start`` position its own ``check_position`` refuses, or holding the key (only an
error's ``resume_cursor`` carries it), a ``rate_limits`` key spelt unlike the requests'
endpoint, ``collect`` written but not declared, and failures said under the wrong cause."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest
from fakevendor import SECRET, FakeVendor, FakeVendorApp, PluginOf
from kitenv import KIT, Failed

import seotasks
from seotasks.model import TaskQuery
from seotasks.provider import Batch, Position
from seotasks.testing import ConformanceEnv


def test_a_start_position_check_position_refuses_is_caught(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    KIT.test_start_cursor_resumes_in_fresh_client(kit_env())
    monkeypatch.setattr(FakeVendor, "start", lambda self, query: {"offset": -1})
    with pytest.raises(Failed) as info:
        KIT.test_start_cursor_resumes_in_fresh_client(kit_env())
    message = str(info.value)
    assert "the resume_cursor of an error on the first page" in message, message
    assert "start() must return a position check_position accepts" in message, message


def test_a_key_in_the_start_position_is_caught(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    KIT.test_cursor_carries_no_secret(kit_env())
    monkeypatch.setattr(
        FakeVendor, "start", lambda self, query: {"offset": 0, "k": self.settings["api_key"]}
    )
    with pytest.raises(Failed) as info:
        KIT.test_cursor_carries_no_secret(kit_env())
    message = str(info.value)
    assert "found in the start cursor (an error's resume_cursor)'s payload at $.pos.k" in message
    assert SECRET not in message


def test_a_rate_limit_keyed_unlike_the_endpoint_is_caught(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    KIT.test_rate_limits_pace_every_call(kit_env())
    monkeypatch.setattr(FakeVendor, "rate_limits", {"task": seotasks.RateLimit(5, 1.0)})
    with pytest.raises(AssertionError) as info:
        KIT.test_rate_limits_pace_every_call(kit_env())
    message = str(info.value)
    assert "calls to 'tasks' matched no key of rate_limits, but 'task' looks meant" in message
    # A vendor limiting only its result reads leaves its listing unpaced on purpose.
    monkeypatch.setattr(FakeVendor, "rate_limits", {"results": seotasks.RateLimit(5, 1.0)})
    KIT.test_rate_limits_pace_every_call(kit_env())


def test_collect_written_but_not_declared_fails_instead_of_skipping(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(pytest.skip.Exception):
        KIT.test_collect_answers_json(kit_env())
    monkeypatch.setattr(FakeVendor, "collect", lambda self, task: {"id": task.id})
    with pytest.raises(Failed) as info:
        try:
            KIT.test_collect_answers_json(kit_env())
        except pytest.skip.Exception as skipped:
            pytest.fail(f"skipped: {skipped}")
    assert "overrides collect() but Capabilities.collect is False" in str(info.value)


def _drop_each_pages_last_task(monkeypatch: pytest.MonkeyPatch) -> None:
    fetch = FakeVendor.fetch

    def drop_last(self: FakeVendor, query: TaskQuery, position: Position) -> Batch:
        batch = fetch(self, query, position)
        return Batch(tasks=batch.tasks[:-1], next=batch.next)

    monkeypatch.setattr(FakeVendor, "fetch", drop_last)


def test_a_listing_short_without_a_fault_is_not_blamed_on_the_fault(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A provider dropping each page's last task was told its fault's answer was read as
    a page, and to decode bodies with response.json(), which it did."""
    _drop_each_pages_last_task(monkeypatch)
    with pytest.raises(AssertionError) as info:
        KIT.test_transient_faults_are_retried(kit_env())
    message = str(info.value)
    assert message.startswith("without a fault: "), message
    assert "seeded tasks missing" in message and "response.json()" not in message, message


def test_a_listing_short_without_churn_is_not_blamed_on_churn(
    kit_env: Callable[..., ConformanceEnv], app: FakeVendorApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quiet listing the churn check compares with runs after the churn, on other
    page boundaries: the tasks it drops are others than those the churned one dropped,
    and the check told the author to stop paging by offset."""
    _drop_each_pages_last_task(monkeypatch)
    with pytest.raises(AssertionError) as info:
        KIT.test_paging_under_churn(kit_env(churn=lambda: app.add(2)), "any")
    message = str(info.value)
    assert "a listing of the data standing still loses" in message, message
    assert "offset" not in message, message


def test_a_key_in_a_repr_says_to_mark_the_option_secret(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        FakeVendor, "__repr__", lambda self: f"FakeVendor(key={self.settings['api_key']})"
    )
    with pytest.raises(Failed) as info:
        KIT.test_reprs_carry_no_secret(kit_env())
    message = str(info.value)
    assert "found in repr(client.provider)" in message, message
    assert "declare each credential option with secret=True" in message, message


def test_callbacks_without_a_reader_are_refused_at_registration(fake_registry: None) -> None:
    class NoReader(FakeVendor):
        name = "noreader"
        callbacks = {"done": "POST"}

    with pytest.raises(TypeError, match="does not override read_callback"):
        seotasks.register_plugin(PluginOf(NoReader), "noreader")


def test_a_rate_limit_body_the_emulator_ignores_is_a_skip_not_a_pass(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An emulator answering `Fault.RATE_LIMIT_BODY` normally proved nothing of the
    provider's reading of it, and the check passed."""
    from seotasks.emulation import Fault

    KIT.test_transient_faults_are_retried(kit_env())
    handle = FakeVendorApp.handle

    def ignoring(self: FakeVendorApp, request: Any, fault: Fault | None) -> Any:
        return handle(self, request, None if fault is Fault.RATE_LIMIT_BODY else fault)

    monkeypatch.setattr(FakeVendorApp, "handle", ignoring)
    with pytest.raises(pytest.skip.Exception, match=r"answered Fault\.RATE_LIMIT_BODY normally"):
        KIT.test_transient_faults_are_retried(kit_env())


def test_a_task_twice_in_one_page_is_caught(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client drops a repeat within a page unsaid, so every listing check passed."""
    KIT.test_each_page_and_position_as_fetched(kit_env())
    fetch = FakeVendor.fetch

    def repeating(self: FakeVendor, query: TaskQuery, position: Position) -> Batch:
        batch = fetch(self, query, position)
        return Batch(tasks=[*batch.tasks, batch.tasks[0]], next=batch.next)

    monkeypatch.setattr(FakeVendor, "fetch", repeating)
    KIT.test_every_task_exactly_once(kit_env())  # what the client shows stays exact
    with pytest.raises(Failed, match=r"fetch returned 1 task\(s\) twice in one page \(fake"):
        KIT.test_each_page_and_position_as_fetched(kit_env())


def test_a_check_position_that_changes_the_position_is_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``check_position`` that restarts the listing was blamed on fetch's positions
    ("tasks listed twice ... fetch returns must lead past"): named now."""
    monkeypatch.setattr(FakeVendor, "check_position", lambda self, position: {"offset": 0})
    with pytest.raises(Failed) as info:
        KIT.test_each_page_and_position_as_fetched(kit_env())
    message = str(info.value)
    assert 'check_position changed the position fetch made: {"offset":' in message, message
    assert 'came back as {"offset":0}' in message, message


def test_another_page_size_never_sent_is_caught(kit_env: Callable[..., ConformanceEnv]) -> None:
    """A page-size option never sent (a misspelt parameter) gave both clients the same
    pages, and the check of a cursor resumed with another size passed, testing nothing."""
    env = kit_env()
    KIT.test_cursor_resumes_with_another_page_size(env)
    same = attrs.evolve(env, connect_other_size=env.connect)  # the same size: as if unsent
    with pytest.raises(Failed, match=r"the page-size option is not sent"):
        KIT.test_cursor_resumes_with_another_page_size(same)


def test_paging_that_does_not_advance_fails_instead_of_looping(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``fetch`` handing back the position it was given (pages overlapping by one, read
    to the end): the client stops with "paging did not advance", but the kit's own walk
    through the pages looped for ever, a plugin's test suite hung at full CPU."""
    KIT.test_each_page_and_position_as_fetched(kit_env())
    fetch = FakeVendor.fetch

    def stuck(self: FakeVendor, query: TaskQuery, position: Position) -> Batch:
        batch = fetch(self, query, position)
        return Batch(tasks=batch.tasks, next=position if batch.next is None else batch.next)

    monkeypatch.setattr(FakeVendor, "fetch", stuck)
    with pytest.raises(Failed) as info:
        KIT.test_each_page_and_position_as_fetched(kit_env())
    message = str(info.value)
    assert "fetch returned a position it had already been given" in message, message
    assert SECRET not in message
