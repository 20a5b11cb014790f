"""The conformance kit's error checks judged on the fake vendor broken in known ways (as
``test_conformance_kit``): the credential ``bad_connect`` sent is looked for in the
`AuthError` like the env's secrets, a refusal not raised as one is named, a malformed
answer must end as a typed `ResponseFormatError`, not whatever the provider's parsing
happened to raise, each fault the transport retries must leave a listing unchanged, and a
forged position holding JSON's ``true`` must be refused.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs
import pytest
from fakevendor import SECRET, FakeVendor, FakeVendorApp, connect_fake
from kitenv import KIT, Failed

import seotasks
from seotasks.emulation import EmulatorServer
from seotasks.model import Task
from seotasks.provider import Batch, Position
from seotasks.testing import ConformanceEnv
from seotasks.transport import Response, decode_json_object


def test_the_credential_bad_connect_sent_is_located_in_the_auth_error(
    kit_env: Callable[..., ConformanceEnv],
    server: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A vendor that quotes the key it refused ("invalid key wr0ng...") and a provider that
    passes that on unscrubbed: a wrong key is still someone's credential (a typo of the
    right one, last year's), and the kit's ``secrets`` cannot name it, so the kit reads
    it from the client ``bad_connect`` made. The client scrubs the errors raised in its
    provider with the secrets the provider registered, so the leak the kit must find is a
    provider's that registers none (a `register_secrets` override that forgot ``super``)."""
    wrong = "wr0ng-k3y-9f8e7d6c5b"
    conformance = kit_env(bad_connect=lambda: connect_fake(server.url, api_key=wrong))
    parse = FakeVendor._parse

    def quoting(scrub: bool) -> Callable[[FakeVendor, Any], dict[str, object]]:
        def quote(self: FakeVendor, response: Any) -> dict[str, object]:
            if response.status == 401:
                text = f"fakevendor refused the API key {self.settings['api_key']}"
                raise seotasks.AuthError(self.transport.redactor.scrub(text) if scrub else text)
            return parse(self, response)

        return quote

    monkeypatch.setattr(FakeVendor, "_parse", quoting(scrub=True))
    KIT.test_bad_credentials_are_auth_errors(conformance)  # the client masks its own key
    monkeypatch.setattr(FakeVendor, "_parse", quoting(scrub=False))
    KIT.test_bad_credentials_are_auth_errors(conformance)  # the client masks it all the same
    monkeypatch.setattr(FakeVendor, "register_secrets", lambda self, redactor: None)
    with pytest.raises(Failed) as info:
        KIT.test_bad_credentials_are_auth_errors(conformance)
    message = str(info.value)
    assert "bad_connect's credential #1 of 1" in message, message
    assert "the AuthError's message" in message, message
    assert not any(wrong[i : i + 6] in message for i in range(len(wrong) - 5)), message


# -- item: a malformed answer is a ResponseFormatError -----------------------------------


def test_a_malformed_answer_must_end_as_a_response_format_error(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`Fault.WRONG_TYPES` puts a number where the fake vendor sends a time. Read through
    `seotasks.convert` it is a typed error callers can catch; parsed by hand, a TypeError
    no caller expects, which the kit names with what to change."""
    KIT.test_malformed_answers_are_typed(kit_env())
    build = FakeVendor._task

    def by_hand(self: FakeVendor, item: Any) -> seotasks.Task:
        datetime.fromisoformat(item["created"])  # TypeError on the number
        return build(self, item)

    monkeypatch.setattr(FakeVendor, "_task", by_hand)
    with pytest.raises(Failed, match=r"raised TypeError: .* ResponseFormatError naming the field"):
        KIT.test_malformed_answers_are_typed(kit_env())


def test_a_malformed_answers_failure_shows_no_secret_in_its_chain(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kit masked the key in its own message, but failed inside the handler: pytest
    printed the provider's exception it came from too, key and all."""
    build = FakeVendor._task

    def telling(self: FakeVendor, item: Any) -> seotasks.Task:
        if not isinstance(item["created"], str):
            raise KeyError(f"unreadable with key {self.settings['api_key']}")
        return build(self, item)

    monkeypatch.setattr(FakeVendor, "_task", telling)
    with pytest.raises(Failed, match=r"raised KeyError: .*with key \*\*\*") as info:
        KIT.test_malformed_answers_are_typed(kit_env())
    assert info.value.__context__ is None and info.value.__cause__ is None


def test_an_emulator_that_ignores_the_malformed_fault_is_a_skip_saying_so(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    handle = FakeVendorApp.handle
    monkeypatch.setattr(
        FakeVendorApp, "handle", lambda self, request, fault: handle(self, request, None)
    )
    with pytest.raises(pytest.skip.Exception, match=r"does not express Fault.WRONG_TYPES"):
        KIT.test_malformed_answers_are_typed(kit_env())


# -- item: a fetch that changes the position it was given --------------------------------


def test_a_fetch_that_changes_its_given_position_is_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fetch that advances the position it was handed and returns it as the next one:
    compared with itself, it looked like a listing stuck in place ("did not advance"),
    which sends the author to the vendor's paging; the kit's failure names the mutation."""
    fetch = FakeVendor.fetch

    def in_place(self: FakeVendor, query: seotasks.TaskQuery, position: Position) -> Batch:
        batch = fetch(self, query, position)
        if batch.next is None:
            return batch
        position.update(batch.next)
        return Batch(tasks=batch.tasks, next=position)

    monkeypatch.setattr(FakeVendor, "fetch", in_place)
    with pytest.raises(seotasks.ResponseFormatError) as info:
        KIT.test_every_task_exactly_once(kit_env())
    message = str(info.value)
    assert "fetch changed the position it was given" in message, message
    assert "{'offset': 0}" in message and "{'offset': 40}" in message, message


# -- item: what fetch returns is a Batch of this provider's tasks, ids as text ----------


def test_a_fetch_that_returns_a_list_is_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fetch that returns its page's tasks as a list, not a `Batch`: it failed as
    ``AttributeError: 'list' object has no attribute 'next'`` inside the client."""
    fetch = FakeVendor.fetch
    monkeypatch.setattr(
        FakeVendor, "fetch", lambda self, query, position: fetch(self, query, position).tasks
    )
    with pytest.raises(TypeError, match=r"fakevendor: fetch returned a list, not a seotasks.Batch"):
        KIT.test_every_task_exactly_once(kit_env())


def test_a_task_whose_id_is_not_text_is_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A provider that hands the vendor's numeric id over as an int: every listing held
    the tasks, yet the kit's failures read "200 seeded tasks missing" (ints never equal
    the expected strings) and a `collect` failed in the plugin's own id check."""
    build = FakeVendor._task

    def numbered(self: FakeVendor, item: Any) -> seotasks.Task:
        task = build(self, item)
        number: Any = int(task.id[1:])  # what a plugin passing the vendor's number on sends
        return seotasks.Task(provider=task.provider, id=number, status=task.status)

    monkeypatch.setattr(FakeVendor, "_task", numbered)
    with pytest.raises(
        TypeError, match=r"Task fakevendor:1: id must be a str, got int 1 \(.*str\(\) it\)"
    ):
        KIT.test_every_task_exactly_once(kit_env())


def test_a_task_whose_status_is_the_vendors_word_is_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A provider that passes the vendor's status word on (``"done"``) instead of mapping
    it to a `TaskStatus`: the task was built, then every status filter dropped it, and
    the kit blamed the seed ("no completed task to collect: seed some")."""
    build = FakeVendor._task

    def worded(self: FakeVendor, item: Any) -> seotasks.Task:
        task = build(self, item)
        word: Any = item["state"]
        return seotasks.Task(provider=task.provider, id=task.id, status=word)

    monkeypatch.setattr(FakeVendor, "_task", worded)
    with pytest.raises(
        TypeError, match=r"Task fakevendor:\w+: status must be a TaskStatus, got str 'done'"
    ):
        KIT.test_every_task_exactly_once(kit_env())


# -- item: the faults the transport retries leave a listing as it was ---------------------

Parse = Callable[[FakeVendor, Response], dict[str, object]]


def _rate_limit_as_provider_error(parse: Parse) -> Parse:
    """The fake vendor's "slow down" in an HTTP-200 body (`Fault.RATE_LIMIT_BODY`) raised
    as a `ProviderError`: a real listing ends at the vendor's first busy second."""

    def misread(self: FakeVendor, response: Response) -> dict[str, object]:
        if response.status == 200 and decode_json_object(response).get("code") == 429:
            raise seotasks.ProviderError(429, "slow down", provider=self.name)
        return parse(self, response)

    return misread


def _rate_limit_as_a_page(parse: Parse) -> Parse:
    """The fake vendor's "slow down" in an HTTP-200 body read as an empty last page."""

    def as_a_page(self: FakeVendor, response: Response) -> dict[str, object]:
        slow_down = response.status == 200 and decode_json_object(response).get("code") == 429
        return {"items": [], "more": False} if slow_down else parse(self, response)

    return as_a_page


def _decoded_by_hand(parse: Parse) -> Parse:
    """``json.loads(response.body)`` instead of ``response.json()``: a body cut off on its
    way is a bare ValueError, not the `TransientError` the transport retries."""

    def by_hand(self: FakeVendor, response: Response) -> dict[str, object]:
        json.loads(response.body)
        return parse(self, response)

    return by_hand


@pytest.mark.parametrize(
    ("breaking", "named"),
    [
        (_rate_limit_as_provider_error, ("RATE_LIMIT_BODY", "ProviderError", "RateLimited from")),
        (_decoded_by_hand, ("TRUNCATED", "JSONDecodeError", "response.json()")),
    ],
)
def test_a_retried_fault_the_parse_gets_wrong_is_named(
    kit_env: Callable[..., ConformanceEnv],
    monkeypatch: pytest.MonkeyPatch,
    breaking: Callable[[Parse], Parse],
    named: tuple[str, str, str],
) -> None:
    """The kit injected none of the faults the transport retries, so both passed it."""
    KIT.test_transient_faults_are_retried(kit_env())
    monkeypatch.setattr(FakeVendor, "_parse", breaking(FakeVendor._parse))
    with pytest.raises(Failed) as info:
        KIT.test_transient_faults_are_retried(kit_env())
    message = str(info.value)
    fault, raised, advice = named
    assert f"one Fault.{fault} injected" in message, message
    assert f"raised {raised}" in message and advice in message, message


@pytest.mark.parametrize(
    ("refusal", "named"),
    [
        ({"items": [], "more": False}, "listed 0 tasks, without an AuthError"),
        (seotasks.ProviderError(401, "bad key", provider="fakevendor"), "raised ProviderError"),
    ],
)
def test_a_refusal_of_credentials_not_raised_as_an_auth_error_is_named(
    kit_env: Callable[..., ConformanceEnv],
    server: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    refusal: dict[str, object] | seotasks.SeotasksError,
    named: str,
) -> None:
    """A vendor's refusal read as an empty page (an error in an HTTP-200 body taken for
    success) or raised as another type: the kit said only "DID NOT RAISE AuthError", or
    let the ProviderError through as if the kit itself had broken."""
    parse = FakeVendor._parse

    def misread(self: FakeVendor, response: Response) -> dict[str, object]:
        if response.status != 401:
            return parse(self, response)
        if isinstance(refusal, Exception):
            raise refusal
        return dict(refusal)

    monkeypatch.setattr(FakeVendor, "_parse", misread)
    conformance = kit_env(bad_connect=lambda: connect_fake(server.url, api_key="wrong-key-1234"))
    with pytest.raises(Failed) as info:
        KIT.test_bad_credentials_are_auth_errors(conformance)
    message = str(info.value)
    assert "a client with bad credentials (bad_connect)" in message, message
    assert named in message and "seotasks.AuthError from parse" in message, message


def test_a_rate_limit_answer_read_as_the_last_page_is_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error in an HTTP-200 body taken for success: the listing ends early, quietly,
    at the vendor's first "slow down". The kit named only the tasks missing."""
    monkeypatch.setattr(FakeVendor, "_parse", _rate_limit_as_a_page(FakeVendor._parse))
    with pytest.raises(AssertionError) as info:
        KIT.test_transient_faults_are_retried(kit_env())
    message = str(info.value)
    assert "one Fault.RATE_LIMIT_BODY injected: 250 seeded tasks missing" in message, message
    assert "read the fault's answer as a page" in message, message


# -- item: a position check that takes JSON's true for a number ---------------------------


def _takes_true_for_a_number(self: FakeVendor, position: Position) -> Position:
    """``isinstance(offset, int)`` holds for ``True``: an edited cursor then reaches the
    vendor as ``offset=True`` instead of ending as a `CursorError`."""
    offset = position.get("offset")
    if not isinstance(offset, int) or offset < 0:
        raise seotasks.CursorError("fakevendor cursor offset must be a non-negative int")
    return {"offset": offset}


def test_a_check_position_that_takes_true_for_a_number_is_named(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kit forged -1, URLs, lists and objects, never a boolean, so it passed."""
    monkeypatch.setattr(FakeVendor, "check_position", _takes_true_for_a_number)
    with pytest.raises(Failed, match=r"accepted a forged position \(true in every field\)"):
        KIT.test_forged_position_refused(kit_env())


# -- item: a vendor that echoes the request, key included, in its items ----------------

_read = FakeVendor._task


def _echoing(self: FakeVendor, item: Any) -> Task:
    echo = {"request": {"key": str(self.settings["api_key"])}}
    task = _read(self, item)
    return attrs.evolve(task, raw={**task.raw, **echo})


def _echoing_encoded(self: FakeVendor, item: Any) -> Task:
    """The key in base64 in an echoed header, under a field named by another credential."""
    key = base64.b64encode(str(self.settings["api_key"]).encode()).decode()
    echo = {"by-" + _OTHER: {"header": f"X-Key {key}"}}
    task = _read(self, item)
    return attrs.evolve(task, raw={**task.raw, **echo})


_OTHER = "other-credential-7f3a"


def test_a_credential_the_vendor_echoes_in_its_items_is_located_not_printed(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    KIT.test_tasks_carry_no_secret(kit_env())
    monkeypatch.setattr(FakeVendor, "_task", _echoing)
    with pytest.raises(
        Failed, match=r"secret #1 of 1 found in the raw item of task t000001"
    ) as info:
        KIT.test_tasks_carry_no_secret(kit_env())
    assert "at $.request.key" in str(info.value)
    assert SECRET not in str(info.value)


def test_an_echoed_credential_in_another_spelling_is_found_and_no_other_is_printed(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FakeVendor, "_task", _echoing_encoded)
    with pytest.raises(Failed, match=r"secret #1 of 2 found in the raw item") as info:
        KIT.test_tasks_carry_no_secret(kit_env(secrets=[SECRET, _OTHER]))
    message = str(info.value)
    assert "at $.by-***.header" in message
    assert SECRET not in message and _OTHER not in message


def _key_in_message(self: FakeVendor, item: Any) -> Task:
    """A vendor's error text passed into `Task.message`, the key in it."""
    return attrs.evolve(_read(self, item), message=f"run with key {self.settings['api_key']}")


def test_a_credential_in_a_tasks_message_is_located_not_printed(
    kit_env: Callable[..., ConformanceEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only `Task.raw` was looked at: a plugin that put the key into `message` passed the
    kit, and every listing printed it."""
    monkeypatch.setattr(FakeVendor, "_task", _key_in_message)
    with pytest.raises(Failed, match=r"secret #1 of 1 found in task t000001's message") as info:
        KIT.test_tasks_carry_no_secret(kit_env())
    assert SECRET not in str(info.value)
