"""A third-party provider gets `Client.collect_many` from its ``collect`` alone.

The plugin implements one call per task (``GET /v1/jobs/<id>/result``); concurrency,
pacing, retries and per-task failure reporting come from the core."""

from __future__ import annotations

from collections.abc import Callable

from seotasks_acme.emulator import AcmeApp

import seotasks
from seotasks.clock import FakeClock
from seotasks.emulation import EmulatorServer, Fault

Connect = Callable[..., seotasks.Client]


def test_collect_many_collects_every_finished_job_once(
    acme_app: AcmeApp, acme_server: EmulatorServer, acme_connect: Connect, acme_clock: FakeClock
) -> None:
    clock = acme_clock
    client = acme_connect()
    done = list(client.tasks(status="completed"))
    assert len(done) > 100
    acme_server.faults.inject(Fault.HTTP_503, 1, match="/result")  # 2 faults < 3 attempts
    acme_server.faults.inject(Fault.RATE_LIMIT_BODY, 1, match="/result")
    results = list(client.collect_many(done, workers=6))
    assert sorted(r.task.id for r in results) == sorted(t.id for t in done)
    assert all(r.ok and r.result is not None for r in results)
    assert all(r.result["name"] == f"jobs/{r.task.id}" for r in results if r.result)
    assert acme_app.result_reads.keys() == {t.id for t in done}
    # 20 reads a second, the plugin's declared limit: the calls took at least that long,
    # and the emulator, counting on the same clock, refused none of them.
    assert clock.monotonic() >= (len(done) - 20) / 20
    assert acme_app.limiter is not None and acme_app.limiter.refused == 0


def test_an_unfinished_job_is_reported_and_the_rest_go_on(
    acme_app: AcmeApp, acme_connect: Connect
) -> None:
    client = acme_connect()
    every = list(client.tasks(status="any"))
    results = {r.task.id: r for r in client.collect_many(every, workers=4)}
    assert results.keys() == {t.id for t in every}
    for task in every:
        outcome = results[task.id]
        if task.status is seotasks.TaskStatus.COMPLETED:
            assert outcome.ok, outcome.describe_error()
        else:
            assert isinstance(outcome.error, seotasks.ProviderError)
            assert outcome.error.code == "FAILED_PRECONDITION"
    gone = seotasks.Task(provider="acme", id="does-not-exist", status=every[0].status)
    bad = seotasks.Task(provider="acme", id="../v1/jobs", status=every[0].status)
    [missing, refused] = list(client.collect_many([gone, bad], workers=2, ordered=True))
    assert isinstance(missing.error, seotasks.ProviderError) and missing.error.code == "NOT_FOUND"
    assert isinstance(refused.error, seotasks.UnsupportedQuery)
