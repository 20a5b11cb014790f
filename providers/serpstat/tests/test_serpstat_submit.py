"""Serpstat submission (tasks.addKeywordList) and collection (tasks.getTaskResult) over
loopback, on the shared `FakeClock`: grouping, unsupported fields, blocked keywords, no
double post, and submit -> complete -> list -> collect."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

import seotasks
from seotasks import ProviderError, SerpTaskSpec, TransientError, UnsupportedQuery
from seotasks.clock import FakeClock
from seotasks.emulation import Fault


@pytest.fixture
def noon(now: datetime) -> datetime:
    """The data's start time: noon UTC of the day the tests run. The vendor refuses a
    duplicate task within one day, which a test starting at the real time would see
    cross midnight in its fake seconds, once in a while."""
    return now.replace(hour=12, minute=0, second=0)


@pytest.fixture
def emu(make_emulator: Any, clock: FakeClock, noon: datetime) -> Any:
    return make_emulator(seed=3, size=20, now=lambda: noon + timedelta(seconds=clock.monotonic()))


def _adds(emulator: Any) -> int:
    return sum(1 for r in emulator.server.requests if b"tasks.addKeywordList" in r.body)


def test_same_settings_share_one_task(emu: Any, connect: Any) -> None:
    client = connect(emu)
    specs = [SerpTaskSpec(keyword=f"kw {i}", location=23, language=1) for i in range(5)]
    specs += [SerpTaskSpec(keyword="mobile kw", location="23/21176", device="mobile")]
    results = client.submit(specs)
    assert all(r.ok for r in results)
    assert len({r.task_id for r in results[:5]}) == 1
    assert results[5].task_id != results[0].task_id
    posted = emu.posted()
    assert [m for m, _ in posted] == ["tasks.addKeywordList"] * 2
    assert posted[0][1] == {
        "keywords": [f"kw {i}" for i in range(5)],
        "seId": 1,
        "typeId": 1,
        "countryId": 23,
        "langId": 1,
    }
    assert posted[1][1] == {
        "keywords": ["mobile kw"],
        "seId": 1,
        "typeId": 2,
        "countryId": 23,
        "regionId": 21176,
    }


def test_a_keyword_given_twice_is_sent_once_across_the_thousand_keyword_calls(
    emu: Any, connect: Any
) -> None:
    """Duplicates were dropped within one call of 1000 keywords only: a keyword given
    again after the 1000th spec went into the next task, crawled and charged twice."""
    client = connect(emu)
    specs = [SerpTaskSpec(keyword=f"bulk kw {i}", location=23, language=1) for i in range(1003)]
    specs.append(SerpTaskSpec(keyword="bulk kw 5", location=23, language=1))
    results = client.submit(specs)
    assert all(r.ok for r in results)
    assert results[-1].task_id == results[5].task_id
    sent = [params["keywords"] for _, params in emu.posted()]
    assert [len(words) for words in sent] == [1000, 3]
    assert sorted(w for words in sent for w in words) == sorted({s.keyword for s in specs})


def test_a_refused_token_sends_no_further_call_of_the_batch(emu: Any, connect: Any) -> None:
    """Specs of four settings are four calls in one batch: after the first was refused
    (403 "Invalid token"), the other three were sent, accepted and paid for, while the
    command said "refused the token" and no count."""
    client = connect(emu)
    emu.fail_next(403, "Invalid token", 1)
    specs = [SerpTaskSpec(keyword="kw", location=country, language=1) for country in (23, 24, 25)]
    specs.append(SerpTaskSpec(keyword="kw", location="23/21176", device="mobile"))
    results = client.submit(specs)
    assert _adds(emu) == 1
    assert all(isinstance(r.error, seotasks.AuthError) for r in results)
    assert all(str(r.error).startswith("not sent: ") for r in results[1:])


@pytest.mark.parametrize(
    "field",
    [
        {"depth": 10},
        {"priority": "high"},
        {"tag": "t"},
        {"engine": "bing"},
        {"location": "United States"},
        {"language": "en"},
        {"location": 999},
    ],
)
def test_unsupported_fields(emu: Any, connect: Any, field: dict[str, Any]) -> None:
    client = connect(emu)
    spec = SerpTaskSpec(keyword="x", **{"location": 23, **field})
    [result] = client.submit([spec])
    assert isinstance(result.error, UnsupportedQuery)
    assert emu.posted() == []


@pytest.mark.parametrize(
    ("location", "said"),
    [("United States", "is a name"), ("23/-5", "is no '<countryId>/<regionId>' pair")],
)
def test_a_location_that_is_no_id_says_what_it_is(
    emu: Any, connect: Any, location: str, said: str
) -> None:
    """ "23/-5" was called a name: it is a malformed pair."""
    [result] = connect(emu).submit([SerpTaskSpec(keyword="q", location=location)])
    assert f"location {location!r} {said}; Serpstat takes a numeric" in str(result.error)


def test_blocked_keyword_reported(emu: Any, connect: Any) -> None:
    client = connect(emu)
    results = client.submit(
        [SerpTaskSpec(keyword="good", location=23), SerpTaskSpec(keyword="bad<>", location=23)]
    )
    assert results[0].ok
    assert isinstance(results[1].error, ProviderError) and results[1].task_id is None
    # The vendor gives the refusal no code: the message says so instead of "error None".
    assert results[1].error.code is None
    assert str(results[1].error) == (
        "serpstat: vendor error: keyword blocked (special symbols); not crawled, not charged"
    )


def test_every_keyword_blocked_is_no_auth_error(emu: Any, connect: Any) -> None:
    """The vendor's refusal quotes the blocked keywords: one naming a token is the
    caller's data, not a token problem (error 400 is an auth error for "Missing token")."""
    client = connect(emu)
    [result] = client.submit([SerpTaskSpec(keyword="api token<>", location=23)])
    assert type(result.error) is ProviderError and result.error.code == 400
    assert "blocked keywords: api token<>" in str(result.error)
    assert emu.posted() == []


@pytest.mark.parametrize("fault", [Fault.RESET, Fault.HTTP_500, Fault.TRUNCATED])
def test_lost_answer_not_resent(emu: Any, connect: Any, fault: Fault) -> None:
    client = connect(emu)
    emu.server.faults.inject(fault)
    [result] = client.submit([SerpTaskSpec(keyword="once", location=23)])
    assert result.task_id is None and result.error is not None
    assert result.error.outcome_unknown  # a cut-off body too: the task may exist
    if fault is not Fault.TRUNCATED:
        assert isinstance(result.error, TransientError)
    assert _adds(emu) == 1
    assert len(emu.posted()) == (1 if fault is Fault.TRUNCATED else 0)  # processed once


def test_answer_for_another_request_is_outcome_unknown(emu: Any, connect: Any) -> None:
    """An answer carrying another request's id cannot say which task was created: the
    task may exist (the vendor made it), so the spec is outcome unknown, not refused."""
    client = connect(emu)
    emu.server.faults.inject(Fault.MISMATCHED_ID)
    [result] = client.submit([SerpTaskSpec(keyword="once", location=23)])
    assert result.task_id is None and result.error is not None
    assert result.error.outcome_unknown
    assert _adds(emu) == 1 and len(emu.posted()) == 1


def test_rate_limit_answer_is_retried(emu: Any, connect: Any) -> None:
    client = connect(emu)
    emu.server.faults.inject(Fault.RATE_LIMIT_BODY)
    [result] = client.submit([SerpTaskSpec(keyword="once", location=23)])
    assert result.ok
    assert _adds(emu) == 2 and len(emu.posted()) == 1


def test_submit_complete_list_collect(emu: Any, connect: Any, clock: FakeClock) -> None:
    client = connect(emu)
    words = [f"word {i}" for i in range(120)]  # three result pages of 50
    results = client.submit([SerpTaskSpec(keyword=w, location=23, language=1) for w in words])
    task_id = results[0].task_id
    assert task_id is not None
    [queued] = [t for t in client.tasks(status="any") if t.id == task_id]
    assert queued.status.value == "queued"
    clock.advance(600)
    [done] = [t for t in client.tasks(status="completed") if t.id == task_id]
    body = client.collect(done)
    assert [t["keyword"] for t in body["tops"]] == words
    assert body["task_meta"]["country_id"] == "23"
    assert "next_page" not in body


def test_collect_unfinished_is_an_error(emu: Any, connect: Any) -> None:
    client = connect(emu)
    [result] = client.submit([SerpTaskSpec(keyword="soon", location=23)])
    [task] = [t for t in client.tasks(status="any") if t.id == result.task_id]
    with pytest.raises(ProviderError):
        client.collect(task)


# -- SERP types and callback URLs ------------------------------------------------------------------


def test_local_finder_sends_type_local(emu: Any, connect: Any) -> None:
    client = connect(emu)
    specs = [
        SerpTaskSpec(keyword="pizza", location=23, serp_type="local_finder"),
        SerpTaskSpec(keyword="pizza", location=23),  # organic: the vendor's default, "regular"
    ]
    results = client.submit(specs)
    assert all(r.ok for r in results)
    assert results[0].task_id != results[1].task_id  # a different type is a different task
    [(_, local), (_, organic)] = emu.posted()
    assert local["type"] == "local" and local["keywords"] == ["pizza"]
    assert "type" not in organic


@pytest.mark.parametrize(
    ("serp_type", "words"),
    [
        ("maps", ["'maps'", "local_finder", "organic"]),
        ("local", ["Serpstat's own name", "local_finder"]),
        ("regular_aio", ["Serpstat's own name"]),
        ("news", ["'news'"]),
    ],
)
def test_unknown_serp_type(emu: Any, connect: Any, serp_type: str, words: list[str]) -> None:
    client = connect(emu)
    [result] = client.submit([SerpTaskSpec(keyword="x", location=23, serp_type=serp_type)])
    assert isinstance(result.error, UnsupportedQuery)
    for word in words:
        assert word in str(result.error)
    assert emu.posted() == []


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"pingback_url": "https://hooks.example.com/p?id=$id"}, "pingback_url"),
        ({"postback_url": "https://hooks.example.com/p"}, "postback_url"),
        (
            {"postback_url": "https://hooks.example.com/p", "postback_data": "advanced"},
            "postback_data",
        ),
    ],
)
def test_callback_urls_unsupported(
    emu: Any, connect: Any, fields: dict[str, Any], named: str
) -> None:
    client = connect(emu)
    [result] = client.submit([SerpTaskSpec(keyword="x", location=23, **fields)])
    assert isinstance(result.error, UnsupportedQuery)
    assert named in str(result.error)
    assert "hooks.example.com" not in str(result.error)  # the URL itself is never quoted
    assert emu.posted() == []


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("regular", True), ("local", True), ("regular_aio", True), ("maps", False), (1, False)],
)
def test_emulator_checks_type(emu: Any, value: Any, accepted: bool) -> None:
    import json

    import urllib3

    body = {
        "id": "1",
        "method": "tasks.addKeywordList",
        "params": {"keywords": ["a"], "seId": 1, "countryId": 23, "type": value},
    }
    answer = urllib3.request(
        "POST",
        f"{emu.server.url}/rt/api/v2/?token={emu.token}",
        body=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )
    decoded = json.loads(answer.data)
    assert ("result" in decoded) is accepted
    if not accepted:
        assert decoded["error"]["message"] == "Json schema validation error: type"
    assert len(emu.posted()) == (1 if accepted else 0)


def test_same_day_duplicate_is_a_provider_error_not_retried(
    emu: Any, connect: Any, clock: FakeClock
) -> None:
    """The vendor refuses a task identical to one created today ("task (id=x) with such
    parameters has already been created today"): a final `ProviderError` for that spec,
    sent once, never retried; the next day the same task is accepted again."""
    client = connect(emu)
    spec = SerpTaskSpec(keyword="duplicate me", location=23, language=1)
    [first] = client.submit([spec])
    assert first.ok
    [again] = client.submit([spec])
    assert again.task_id is None and isinstance(again.error, ProviderError)
    assert again.error.code == 400
    assert f"id={first.task_id}" in str(again.error) and "already been created today" in str(
        again.error
    )
    assert _adds(emu) == 2 and len(emu.posted()) == 1
    other = SerpTaskSpec(keyword="duplicate me", location=23, language=1, device="mobile")
    assert client.submit([other])[0].ok  # other settings: another task
    clock.advance(86_400)
    [next_day] = client.submit([spec])
    assert next_day.ok and next_day.task_id != first.task_id
