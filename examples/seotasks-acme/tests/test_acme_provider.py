"""AcmeRank specifics the conformance kit cannot know: field mapping, the HTTP-200
rate limit, Retry-After, wrong types, token handling and settings."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from seotasks_acme import AcmeProvider
from seotasks_acme.emulator import RETRY_AFTER_SECONDS, AcmeApp

import seotasks
from seotasks.clock import FakeClock
from seotasks.emulation import EmulatorServer, Fault, HttpRequest, HttpResponse, json_response

Connect = Callable[..., seotasks.Client]

# Hand-written in the documented wire format, so the mapping is checked against the
# vendor's words rather than against the emulator's generator.
DONE = {
    "name": "jobs/0000-done",
    "state": "SUCCEEDED",
    "percent_complete": 100,
    "create_time": "2000-01-01T10:00:00Z",
    "start_time": "2000-01-01T10:00:05Z",
    "end_time": "2000-01-01T10:04:31.250Z",
    "type": "rank_check/google/desktop",
    "labels": {"tag": "brand", "owner": "seo-team"},
    "cost_micros": 12_500,
    "some_future_field": {"ignored": True},
}
FAILED = {
    "name": "jobs/0000-failed",
    "state": "FAILED",
    "percent_complete": 40,
    "create_time": "2000-01-01T11:00:00Z",
    "end_time": "2000-01-01T11:00:30Z",
    "error": {"code": "DEADLINE_EXCEEDED", "message": "search engine did not answer"},
}
PENDING = {"name": "jobs/0000-pending", "state": "PENDING", "create_time": "2000-01-01T12:00:00Z"}


def _by_id(client: seotasks.Client) -> dict[str, seotasks.Task]:
    return {t.id: t for t in client.tasks(status="any")}


def test_fields_map_to_the_task_model(acme_app: AcmeApp, acme_connect: Connect) -> None:
    for job in (DONE, FAILED, PENDING):
        acme_app.put(dict(job))
    with acme_connect() as client:
        tasks = _by_id(client)

    done = tasks["0000-done"]
    assert done.key == "acme:0000-done"
    assert done.status is seotasks.TaskStatus.COMPLETED
    assert done.progress == 1.0
    assert done.created_at == datetime(2000, 1, 1, 10, 0, tzinfo=UTC)
    assert done.started_at == datetime(2000, 1, 1, 10, 0, 5, tzinfo=UTC)
    assert done.completed_at == datetime(2000, 1, 1, 10, 4, 31, 250_000, tzinfo=UTC)
    assert done.kind == "rank_check/google/desktop"
    assert done.tag == "brand"
    assert done.cost == Decimal("0.0125")  # micros, exactly
    assert done.raw == DONE  # everything, unknown fields included, stays reachable

    failed = tasks["0000-failed"]
    assert (failed.status, failed.progress) == (seotasks.TaskStatus.FAILED, 0.4)
    assert failed.message == "search engine did not answer"

    pending = tasks["0000-pending"]
    assert pending.status is seotasks.TaskStatus.QUEUED
    # Nothing documented was sent, so nothing is invented.
    assert [pending.progress, pending.completed_at, pending.tag, pending.cost] == [None] * 4
    assert pending.started_at is None and failed.started_at is None


def test_completion_bounds_are_sent_widened_to_whole_seconds(
    acme_server: EmulatorServer, acme_connect: Connect
) -> None:
    since = datetime(2026, 11, 20, 10, 0, 0, 500_000, tzinfo=UTC)
    until = datetime(2026, 11, 21, 10, 0, 0, 250_000, tzinfo=UTC)
    with acme_connect(page_size=10) as client:
        got = list(client.tasks(status="any", since=since, until=until, time_field="completed"))
        assert client.capabilities.server_filters >= {"completed_since", "completed_until"}
    sent = [r.query for r in acme_server.requests]
    # Rounded outward: the vendor's seconds may return more, never less; the core trims.
    assert all(q["ended_after"] == ["2026-11-20T10:00:00Z"] for q in sent)
    assert all(q["ended_before"] == ["2026-11-21T10:00:01Z"] for q in sent)
    assert all(t.completed_at is not None and since <= t.completed_at < until for t in got)


def test_status_filter_is_sent_to_the_vendor(
    acme_server: EmulatorServer, acme_connect: Connect
) -> None:
    with acme_connect(page_size=10) as client:
        assert list(client.tasks(status="failed"))
    sent = [r.query for r in acme_server.requests]
    assert len(sent) > 1 and all(q["state"] == ["FAILED"] for q in sent)
    assert all(r.headers["authorization"].startswith("Bearer ") for r in acme_server.requests)


def test_rate_limit_in_http_200_body_is_retried_after_its_hint(
    acme_app: AcmeApp, acme_server: EmulatorServer, acme_connect: Connect, acme_clock: FakeClock
) -> None:
    acme_server.faults.inject(Fault.RATE_LIMIT_BODY, 2)
    with acme_connect() as client:
        ids = {t.id for t in client.tasks(status="any")}
    assert ids == acme_app.expected_ids(seotasks.TaskQuery(status=None))
    assert acme_server.faults.injected == [Fault.RATE_LIMIT_BODY] * 2
    assert acme_clock.slept.count(RETRY_AFTER_SECONDS) == 2


def test_persistent_rate_limit_is_raised_typed_with_a_resume_cursor(
    acme_server: EmulatorServer, acme_connect: Connect
) -> None:
    acme_server.faults.inject(Fault.RATE_LIMIT_BODY, 10)
    with acme_connect() as client, pytest.raises(seotasks.RateLimited) as info:
        list(client.tasks(status="any"))
    assert info.value.retry_after == RETRY_AFTER_SECONDS
    assert info.value.resume_cursor is not None


def test_http_429_retry_after_is_honoured(
    acme_server: EmulatorServer, acme_connect: Connect, acme_clock: FakeClock
) -> None:
    acme_server.faults.inject(Fault.HTTP_429_RETRY_AFTER)
    with acme_connect() as client:
        assert client.page(status="any").tasks
    assert 1.0 in acme_clock.slept  # the emulator's "Retry-After: 1"


def test_paced_clients_meet_the_vendors_own_limit(
    acme_app: AcmeApp, acme_connect: Connect, acme_clock: FakeClock
) -> None:
    """The emulator enforces AcmeRank's 5 list calls a second on the clock the clients
    pace on: a paced listing is never refused, and the pacing took fake time, not real."""
    with acme_connect() as client:
        assert len(list(client.tasks(status="any"))) == 250
    assert acme_app.limiter is not None and acme_app.limiter.refused == 0
    assert acme_clock.monotonic() >= 1.0  # 7 pages at 5 a second: one wait


def test_an_unpaced_burst_is_refused_the_vendors_way(
    acme_app: AcmeApp, acme_server: EmulatorServer, acme_clock: FakeClock
) -> None:
    """Without pacing (a client that forgot its rate_limits), the sixth call in a second
    gets AcmeRank's HTTP-200 RATE_LIMITED, which the provider raises as RateLimited."""
    import urllib.request

    def call() -> dict[str, Any]:
        request = urllib.request.Request(
            f"{acme_server.url}/v1/jobs?page_size=1",
            headers={"Authorization": f"Bearer {acme_app.api_key}"},
        )
        with urllib.request.urlopen(request) as answer:  # the emulator is on loopback
            body: dict[str, Any] = json.loads(answer.read())
        return body

    answers = [call() for _ in range(6)]
    assert all("jobs" in a for a in answers[:5])
    assert answers[5]["error"]["code"] == "RATE_LIMITED"
    acme_clock.advance(1.0)  # the window slides on the shared clock, not on real time
    assert "jobs" in call()


def test_wrong_types_name_the_field(acme_server: EmulatorServer, acme_connect: Connect) -> None:
    acme_server.faults.inject(Fault.WRONG_TYPES)
    with acme_connect() as client, pytest.raises(seotasks.ResponseFormatError) as info:
        client.page(status="any")
    assert info.value.field == "$.jobs[0].create_time"
    assert "1732000000" in str(info.value)


def test_jobs_created_mid_listing_appear_once_at_the_end(
    acme_app: AcmeApp, acme_connect: Connect
) -> None:
    with acme_connect() as client:
        listing = client.tasks(status="any")
        first = [next(listing) for _ in range(5)]
        new = acme_app.add(3)  # keyset tokens: nothing shifts under the listing
        rest = list(listing)
    ids = [t.id for t in first + rest]
    assert len(ids) == len(set(ids))
    assert ids[-3:] == new


@pytest.mark.parametrize(
    "position",
    [
        {"page_token": "a b"},  # a space: outside the alphabet
        {"page_token": "x" * 1025},
        {"page_token": 3},
        {"page_token": "abc", "url": "https://elsewhere.example"},
        {},
    ],
)
def test_check_position_refuses_what_acme_never_issues(
    acme_connect: Connect, position: dict[str, Any]
) -> None:
    with acme_connect() as client, pytest.raises(seotasks.CursorError):
        client.provider.check_position(position)


def test_a_token_cannot_change_the_path_or_host(
    acme_server: EmulatorServer, acme_connect: Connect
) -> None:
    with acme_connect() as client:
        position = client.provider.check_position({"page_token": "../admin/x+y=="})
        with pytest.raises(seotasks.ProviderError) as info:
            client.provider.fetch(seotasks.TaskQuery(status=None), position)
    assert info.value.code == "INVALID_ARGUMENT"
    request = acme_server.requests[-1]
    assert request.path == "/v1/jobs"
    assert request.query["page_token"] == ["../admin/x+y=="]


class _OddTokenApp(AcmeApp):
    """A vendor whose next-page token we would refuse if a cursor brought it back."""

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        body = json.loads(super().handle(request, fault).body)
        body["next_page_token"] = "not a token\r\nHost: elsewhere"
        return json_response(200, json.dumps(body).encode())


def test_a_token_we_could_not_resume_from_is_refused_at_once() -> None:
    app = _OddTokenApp(seed=1)
    with (
        EmulatorServer(app) as server,
        seotasks.connect("acme", base_url=server.url, api_key=app.api_key, env={}) as client,
        pytest.raises(seotasks.ResponseFormatError) as info,
    ):
        client.page(status="any")
    assert info.value.field == "$.next_page_token"


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 1001}, "page_size"),
        ({"base_url": "ftp://api.acme.example"}, "base_url"),
        ({"base_url": "https://api.acme.example/?token=x"}, "base_url"),
    ],
)
def test_bad_settings_fail_at_connect(
    acme_connect: Connect, options: dict[str, object], needle: str
) -> None:
    with pytest.raises(seotasks.ConfigError, match=needle):
        acme_connect(**options)


def test_api_key_is_required() -> None:
    with pytest.raises(seotasks.ConfigError, match="SEOTASKS_ACME_API_KEY"):
        seotasks.connect("acme", env={})


def test_sandbox_serves_seeded_jobs() -> None:
    manager = AcmeProvider.sandbox(seotasks.SandboxRequest(seed=3, size=30))
    assert manager is not None
    with manager as sandbox:
        settings: dict[str, Any] = dict(sandbox.settings)
        with seotasks.connect("acme", env={}, **settings) as client:
            assert len(list(client.tasks(status="any"))) == 30
        assert "30 jobs" in sandbox.description


def test_declared_creation_order_holds_and_lets_a_merge_start_early(
    acme_server: EmulatorServer, acme_connect: Connect
) -> None:
    """AcmeRank lists jobs by (create_time, name), so the provider declares
    ``order="created_at"``: true against the emulator, and what lets `seotasks.merged`
    deliver its first task after the first page instead of after the whole listing."""
    from seotasks.merge import merge_key

    with acme_connect() as client:
        assert client.capabilities.order == "created_at"
        jobs = list(client.tasks(status="any"))
    created = [t.created_at for t in jobs if t.created_at is not None]
    assert len(created) == len(jobs)  # every AcmeRank job has a create_time
    assert created == sorted(created)
    for task in jobs:
        assert task.created_at is not None
        assert task.completed_at is None or task.completed_at >= task.created_at
    assert [merge_key(t) for t in jobs] != sorted(merge_key(t) for t in jobs)  # ends differ
    acme_server.requests.clear()
    with acme_connect() as client:
        stream = seotasks.merged([client], status="any")
        first = next(stream)
        assert len(acme_server.requests) == 1  # one page of 40, not all 250 jobs
        rest = list(stream)
    assert [first, *rest] == sorted(jobs, key=merge_key)
