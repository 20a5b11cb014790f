"""Every fault class: recovered by retries, or turned into the right typed error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from seotasks_dataforseo import readers, wire

from seotasks import (
    AuthError,
    ProviderError,
    RateLimited,
    ResponseFormatError,
    TransientError,
)
from seotasks.convert import ConversionError
from seotasks.emulation import Fault
from seotasks.testing.faults import PERSISTENT_ERRORS, RETRIED_FAULTS
from seotasks.transport import Response, Timeouts

from .conftest import Connect, MakeEmulator

KINDS = ("serp/google/organic", "keywords_data/google_ads/search_volume")


@pytest.mark.parametrize("fault", RETRIED_FAULTS, ids=lambda f: f.value)
def test_single_faults_are_retried(
    make_emulator: MakeEmulator, connect: Connect, fault: Fault
) -> None:
    emu = make_emulator(seed=1, size=300, kinds=KINDS, recent=1.0)
    emu.server.faults.inject(fault, 2)
    ids = [t.id for t in connect(emu, families=["serp", "keywords_data"]).tasks()]
    assert emu.server.faults.pending() == 0 and emu.server.faults.injected == [fault, fault]
    assert len(ids) == len(set(ids)) and set(ids) == emu.ready_ids(["serp", "keywords_data"])


def test_slow_answer_times_out_then_recovers(make_emulator: MakeEmulator, clock: object) -> None:
    import seotasks
    from seotasks.transport import RetryPolicy

    emu = make_emulator(seed=1, size=50, kinds=KINDS, recent=1.0)
    emu.server.faults.slow_seconds = 0.6
    emu.server.faults.inject(Fault.SLOW)
    client = seotasks.connect(
        "dataforseo",
        clock=clock,  # type: ignore[arg-type]
        retry=RetryPolicy(attempts=3, base=0.01),
        timeouts=Timeouts(connect=1.0, read=0.2),
        env={},
        families=["serp"],
        **emu.settings,
    )
    with client:
        ids = {t.id for t in client.tasks()}
    assert ids == emu.ready_ids(["serp"])
    assert emu.server.faults.injected == [Fault.SLOW]


@pytest.mark.parametrize(
    "fault",
    [Fault.HTTP_503, Fault.RESET, Fault.TRUNCATED, Fault.RATE_LIMIT_BODY, Fault.HTTP_429],
    ids=lambda f: f.value,
)
def test_persistent_faults_become_typed_errors_and_resume(
    make_emulator: MakeEmulator, connect: Connect, fault: Fault
) -> None:
    error = PERSISTENT_ERRORS[fault]
    emu = make_emulator(seed=2, size=1500, kinds=KINDS, span_days=30)
    until = datetime.now(UTC) - timedelta(minutes=1)
    families = ["serp", "keywords_data"]
    expected = emu.history_ids(until=until, families=families)
    client = connect(emu, source="history", families=families, page_size=200)
    listed: list[str] = []
    emu.server.faults.inject(fault, 4, match="/v3/keywords_data/id_list")  # > 3 retries
    with pytest.raises(error) as info:
        for task in client.tasks(status="any", until=until):
            listed.append(task.id)
    cursor = info.value.resume_cursor  # type: ignore[attr-defined]
    assert cursor and listed and len(listed) < len(expected)
    fresh = connect(emu, source="history", families=families, page_size=200)
    listed.extend(t.id for t in fresh.tasks(cursor))
    assert len(listed) == len(set(listed))
    assert set(listed) == expected


def test_wrong_types_name_the_field(make_emulator: MakeEmulator, connect: Connect) -> None:
    emu = make_emulator(seed=3, size=100, kinds=KINDS, recent=1.0)
    emu.server.faults.inject(Fault.WRONG_TYPES)
    with pytest.raises(ResponseFormatError) as info:
        list(connect(emu, families=["serp"]).tasks())
    assert info.value.field == "tasks[0].result[0].date_posted"
    assert info.value.item_id
    # A value that does not convert is the documented ConversionError, with what it is
    # and what was expected, whichever way the item reader came to it.
    assert isinstance(info.value, ConversionError)
    assert (info.value.value, info.value.expected) == ("12345", "a date-time string")
    assert str(info.value).startswith("dataforseo: cannot read 12345 as a date-time string")
    emu.server.faults.inject(Fault.WRONG_TYPES)
    with pytest.raises(ResponseFormatError) as hist:
        list(connect(emu, source="history", families=["serp"]).tasks(status="any"))
    assert hist.value.field == "tasks[0].result[0].datetime_posted"


def test_bad_credentials_are_auth_errors_without_retry(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=1, size=10)
    client = connect(emu, password="not-the-password")
    with pytest.raises(AuthError):
        client.page()
    assert len(emu.server.requests) == 1
    assert emu.calls["tasks_ready"] == 0


def _response(status: int, body: bytes) -> Response:
    return Response(status=status, headers={}, body=body, url="https://api.example/v3/x")


def _envelope(code: int, task_code: int = 20000) -> bytes:
    import json

    return json.dumps(
        {
            "status_code": code,
            "status_message": "message text that must not matter",
            "tasks": [{"status_code": task_code, "status_message": "x", "result": []}],
        }
    ).encode()


@pytest.mark.parametrize(
    ("http", "code", "error", "vendor_code"),
    [
        (401, 40100, AuthError, None),
        (200, 40100, AuthError, None),
        (402, 40200, ProviderError, 40200),
        (200, 40210, ProviderError, 40210),
        (200, 40202, RateLimited, None),
        (200, 40209, RateLimited, None),
        (200, 50000, TransientError, None),
        (200, 50301, TransientError, None),
        (200, 50303, TransientError, None),
        (200, 50304, TransientError, None),
        (200, 40501, ProviderError, 40501),
        (404, 40400, ProviderError, 40400),
    ],
)
def test_envelope_codes_are_classified(
    http: int, code: int, error: type[Exception], vendor_code: int | None
) -> None:
    with pytest.raises(error) as info:
        wire.parse_envelope(_response(http, _envelope(code)), str)
    if vendor_code is not None:
        assert info.value.code == vendor_code  # type: ignore[attr-defined]
        assert info.value.provider == "dataforseo"  # type: ignore[attr-defined]
    if code == 40209:
        assert info.value.retry_after == 1.0  # type: ignore[attr-defined]


def test_task_level_codes_are_checked() -> None:
    body = wire.parse_envelope(_response(200, _envelope(20000, 40204)), str)
    with pytest.raises(ProviderError) as info:
        wire.first_task(body, "/v3/x", str)
    assert info.value.code == 40204
    pending = wire.parse_envelope(_response(200, _envelope(20000, 40602)), str)
    assert wire.first_task(pending, "/v3/x", str)["status_code"] == 40602


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"status_code": "20000", "tasks": []}', "status_code"),
        (b'{"status_code": 20000, "tasks": null}', "tasks"),
        (b"[1, 2]", None),
    ],
)
def test_malformed_envelopes(body: bytes, field: str | None) -> None:
    with pytest.raises(ResponseFormatError) as info:
        wire.parse_envelope(_response(200, body), str)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ("not an object", "tasks[0].result[0]"),
        ({"id": 7}, "tasks[0].result[0].id"),
        ({"id": "a", "date_posted": "yesterday"}, "tasks[0].result[0].date_posted"),
        ({"id": "a", "tag": ["x"]}, "tasks[0].result[0].tag"),
    ],
)
def test_malformed_items_name_the_field(item: object, field: str) -> None:
    from seotasks_dataforseo.endpoints import CATALOGUE

    with pytest.raises(ResponseFormatError) as info:
        readers.ready_tasks(CATALOGUE[0], [item])
    assert info.value.field == field
