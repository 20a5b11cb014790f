"""DataForSEO task submission over loopback: batching, per-task errors, no double post,
and the whole submit -> complete -> list -> collect cycle on a `FakeClock`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from seotasks_dataforseo import wire

from seotasks import ProviderError, SerpTaskSpec, TransientError, UnsupportedQuery
from seotasks.clock import FakeClock
from seotasks.emulation import Fault

BASE = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def emulator(make_emulator: Any, clock: FakeClock) -> Any:
    # The data's wall time follows the fake clock: posted tasks complete as it advances.
    return make_emulator(size=0, now=lambda: BASE + timedelta(seconds=clock.monotonic()))


def _spec(n: int, **kw: Any) -> SerpTaskSpec:
    kw.setdefault("location", 2840)
    kw.setdefault("language", "en")
    return SerpTaskSpec(keyword=f"kw {n}", **kw)


def _post_requests(emulator: Any) -> int:
    return sum(1 for r in emulator.server.requests if r.path.endswith("/task_post"))


def test_250_specs_post_in_three_batches(emulator: Any, connect: Any) -> None:
    client = connect(emulator)
    results = client.submit([_spec(i) for i in range(250)])
    assert [len(b) for b in emulator.posted()] == [100, 100, 50]
    assert all(r.ok and r.task_id for r in results)
    assert len({r.task_id for r in results}) == 250
    assert [r.spec.keyword for r in results] == [f"kw {i}" for i in range(250)]


def test_fields_are_mapped(emulator: Any, connect: Any) -> None:
    client = connect(emulator)
    spec = SerpTaskSpec(
        keyword="c++ 100%",
        engine="bing",
        location="Germany",
        language="German",
        device="mobile",
        depth=50,
        priority="high",
        tag="t1",
    )
    [result] = client.submit([spec])
    assert result.ok
    [[item]] = emulator.posted()
    assert item == {
        "keyword": "c%2B%2B 100%25",
        "location_name": "Germany",
        "language_name": "German",
        "device": "mobile",
        "depth": 50,
        "priority": 2,
        "tag": "t1",
    }
    assert emulator.server.requests[-1].path == "/v3/serp/bing/organic/task_post"


def test_partial_failure_reported_per_task(emulator: Any, connect: Any) -> None:
    client = connect(emulator)
    specs = [
        _spec(0),
        _spec(1, location="Atlantis"),  # the vendor refuses the name: 40501
        _spec(2, engine="altavista"),  # not expressible: never sent
        _spec(3, language=1),  # a numeric language id: DataForSEO takes ISO codes
        _spec(4, depth=701),
        SerpTaskSpec(keyword="x" * 701, location=2840, language="en"),
        _spec(6),
    ]
    results = client.submit(specs)
    assert [r.spec for r in results] == specs
    assert results[0].ok and results[6].ok
    assert isinstance(results[1].error, ProviderError) and results[1].error.code == 40501
    for index in (2, 3, 4, 5):
        assert isinstance(results[index].error, UnsupportedQuery), index
    assert [len(b) for b in emulator.posted()] == [3]


@pytest.mark.parametrize("fault", [Fault.RESET, Fault.HTTP_500, Fault.TRUNCATED])
def test_lost_answer_is_never_posted_twice(emulator: Any, connect: Any, fault: Fault) -> None:
    client = connect(emulator)
    emulator.server.faults.inject(fault, match="task_post")
    results = client.submit([_spec(i) for i in range(150)])
    assert _post_requests(emulator) == 2  # one per batch, none resent
    first, second = results[:100], results[100:]
    for r in first:
        assert isinstance(r.error, TransientError) and r.error.outcome_unknown
        assert r.task_id is None
    assert all(r.ok for r in second)
    processed = [item["keyword"] for batch in emulator.posted() for item in batch]
    assert len(processed) == len(set(processed))  # a cut-off answer was processed once


def test_unreadable_answer_is_outcome_unknown(emulator: Any, connect: Any) -> None:
    """An answer that came but cannot be read (a mistyped status code) says nothing of the
    tasks the vendor created: each spec is outcome unknown, like a lost answer, so that
    nothing reads it as a refusal and posts the batch again."""
    client = connect(emulator)
    emulator.server.faults.inject(Fault.WRONG_TYPES, match="task_post")
    results = client.submit([_spec(i) for i in range(150)])
    assert [len(b) for b in emulator.posted()] == [100, 50]  # the vendor created them all
    for r in results[:100]:
        assert r.task_id is None and r.error is not None and r.error.outcome_unknown
    assert all(r.ok for r in results[100:])


@pytest.mark.parametrize("fault", [Fault.HTTP_429, Fault.RATE_LIMIT_BODY])
def test_refusals_are_retried(emulator: Any, connect: Any, fault: Fault) -> None:
    client = connect(emulator)
    emulator.server.faults.inject(fault, match="task_post")
    results = client.submit([_spec(i) for i in range(3)])
    assert all(r.ok for r in results)
    assert _post_requests(emulator) == 2
    assert [len(b) for b in emulator.posted()] == [3]


def test_whole_batch_refusal(emulator: Any, connect: Any) -> None:
    client = connect(emulator)
    emulator.server.faults.inject(Fault.HTTP_503, match="task_post")
    results = client.submit([_spec(0)])
    assert isinstance(results[0].error, TransientError)


def test_emulator_creates_the_first_100_and_answers_each_task_beyond_with_40006(
    emulator: Any,
) -> None:
    import json

    import urllib3

    items = [{"keyword": f"k{n}", "location_code": 2840, "language_code": "en"} for n in range(103)]
    login, password = emulator.settings["login"], emulator.settings["password"]
    headers = urllib3.make_headers(basic_auth=f"{login}:{password}")
    answer = urllib3.request(
        "POST",
        emulator.url + "/v3/serp/google/organic/task_post",
        body=json.dumps(items),
        headers=headers,
    )
    body = json.loads(answer.data)
    assert body["status_code"] == 20000 and body["tasks_count"] == 103
    codes = [task["status_code"] for task in body["tasks"]]
    assert codes == [20100] * 100 + [40006] * 3
    assert body["tasks_error"] == 3
    assert [t["data"]["keyword"] for t in body["tasks"][100:]] == ["k100", "k101", "k102"]
    created = [t["id"] for t in body["tasks"][:100]]
    assert len(set(created)) == 100 and all(emulator.task(i)["id"] == i for i in created)


def test_submit_complete_list_collect(emulator: Any, connect: Any, clock: FakeClock) -> None:
    client = connect(emulator, families=["serp"])
    results = client.submit([_spec(i, tag=f"tag-{i}") for i in range(3)])
    ids = {r.task_id for r in results}
    assert not ids & {t.id for t in client.tasks()}
    clock.advance(301)  # the emulator's tasks take 5 minutes
    listed = {t.id: t for t in client.tasks()}
    assert ids <= set(listed)
    task = listed[results[0].task_id]  # type: ignore[index]
    assert task.status.value == "completed" and task.kind == "serp/google/organic"
    assert task.tag == "tag-0"
    body = client.collect(task)
    assert body["tasks"][0]["result"][0]["keyword"] == "kw 0"
    assert task.id not in emulator.ready_ids()
    assert task.id not in {t.id for t in client.tasks()}


def test_encode_keyword() -> None:
    assert wire.encode_keyword("a+b %20") == "a%2Bb %2520"
    assert wire.encode_keyword("plain words") == "plain words"


class _Swapping:
    """The emulator over HTTP, each task_post answer's first two tasks swapped: answers
    to another request (a proxy's cache, a mixed-up array) at each task's place."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator

    def handle(self, request: Any, fault: Any) -> Any:
        import json

        from seotasks.emulation import HttpResponse

        answer = self.emulator.app.handle(request, fault)
        if not request.path.endswith("/task_post"):
            return answer
        body = json.loads(answer.body)
        tasks = body["tasks"]
        tasks[0], tasks[1] = tasks[1], tasks[0]
        return HttpResponse(
            status=answer.status, body=json.dumps(body).encode(), headers=answer.headers
        )


def test_an_answer_echoing_another_task_is_outcome_unknown(emulator: Any, connect: Any) -> None:
    """Answers at two tasks' places swapped: each spec took the other's id, as posted,
    and collecting by it gave the other keyword's result. The answer's ``data`` echoes
    what was posted (the tag here): a mismatch is this task's answer to another."""
    from seotasks.emulation import EmulatorServer

    with EmulatorServer(_Swapping(emulator)) as server:
        client = connect(
            type("Swapped", (), {"settings": {**emulator.settings, "base_url": server.url}})
        )
        results = client.submit([_spec(i, tag=f"tag-{i}") for i in range(3)])
        untagged = client.submit([_spec(i) for i in range(2)])  # not told apart: documented
    for r in results[:2]:
        assert r.task_id is None and r.error is not None and r.error.outcome_unknown
        assert "echoes another tag" in str(r.error)
    assert results[2].ok and results[2].task_id in emulator.dataset.by_id
    assert all(r.ok for r in untagged)
