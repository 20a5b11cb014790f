"""Errors: every JSON-RPC error object and fault class, config checks, pacing, secrecy, cursors."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable

import pytest
from seotasks_serpstat.emulator import SerpstatEmulator

import seotasks
from seotasks import cursor as cursor_codec
from seotasks.clock import FakeClock
from seotasks.emulation import Fault
from seotasks.testing.faults import RETRIED_FAULTS
from seotasks.transport import Timeouts

Connect = Callable[..., seotasks.Client]
MakeEmulator = Callable[..., SerpstatEmulator]


def finish(connect: Connect, emulator: SerpstatEmulator, got: list[str], cursor: str) -> None:
    """Resume ``cursor`` in a fresh client; the whole listing must be exact."""
    got.extend(t.id for t in connect(emulator).tasks(cursor))
    assert got == emulator.task_ids()


def first_page(client: seotasks.Client) -> tuple[list[str], str]:
    page = client.page(status="any")
    assert page.next_cursor is not None
    return [t.id for t in page.tasks], page.next_cursor


@pytest.mark.parametrize(
    ("code", "message", "kind"),
    [
        (403, "Invalid token", seotasks.AuthError),
        (400, "Missing token", seotasks.AuthError),
        (400, "JSON schema validation error", seotasks.ProviderError),
        (402, "Plan credits exceeded", seotasks.ProviderError),
        (404, "Empty result", seotasks.ProviderError),
        (32012, "Credits exceeded", seotasks.ProviderError),
        (32017, "Data not found", seotasks.ProviderError),
        (32116, "Method not supported by provider", seotasks.ProviderError),
        (32117, "Not allowed field", seotasks.ProviderError),
        (429, "Query frequency exceeded", seotasks.RateLimited),
        (500, "Undefined server error", seotasks.TransientError),
    ],
)
def test_error_objects_mid_listing_are_typed_and_resumable(
    emulator: SerpstatEmulator, connect: Connect, code: int, message: str, kind: type
) -> None:
    client = connect(emulator)
    got, cursor = first_page(client)
    emulator.fail_next(code, message, count=10)  # more than the retries
    before = emulator.requests
    with pytest.raises(seotasks.SeotasksError) as info:
        client.page(cursor)
    error = info.value
    assert type(error) is kind
    assert message in str(error)
    retried = kind in (seotasks.RateLimited, seotasks.TransientError)
    assert emulator.requests - before == (4 if retried else 1)
    if isinstance(error, seotasks.ProviderError):
        assert error.code == code and error.provider == "serpstat"
    assert error.resume_cursor == cursor
    emulator.app._scripted.clear()
    finish(connect, emulator, got, error.resume_cursor)


@pytest.mark.parametrize(("code", "message"), [(429, "Query frequency exceeded"), (500, "Oops")])
def test_retryable_error_objects_recover(
    emulator: SerpstatEmulator, connect: Connect, code: int, message: str
) -> None:
    emulator.fail_next(code, message, count=2)
    assert [t.id for t in connect(emulator).tasks(status="any")] == emulator.task_ids()
    assert not emulator.app._scripted


def test_wrong_token_is_an_auth_error_without_retries(
    emulator: SerpstatEmulator, connect: Connect
) -> None:
    client = connect(emulator, token="wrong-token-123")
    with pytest.raises(seotasks.AuthError) as info:
        client.page(status="any")
    assert emulator.requests == 1
    assert "wrong-token-123" not in str(info.value) + repr(info.value)


# Including a cut-off or empty HTTP-200 body: the connection failing mid-answer, which the
# core retries for every provider (the same rule as for DataForSEO).
@pytest.mark.parametrize("fault", RETRIED_FAULTS)
def test_passing_faults_are_retried(
    emulator: SerpstatEmulator, connect: Connect, clock: FakeClock, fault: Fault
) -> None:
    client = connect(emulator)
    got, cursor = first_page(client)
    emulator.server.faults.inject(fault, 2)
    got.extend(t.id for t in client.tasks(cursor))
    assert got == emulator.task_ids()
    assert emulator.server.faults.injected == [fault, fault]
    if fault is Fault.HTTP_429_RETRY_AFTER:
        assert 1.0 in clock.slept  # Retry-After honoured, on the fake clock


def test_slow_answers_time_out_and_are_retried(
    emulator: SerpstatEmulator, connect: Connect
) -> None:
    emulator.server.faults.slow_seconds = 0.6
    emulator.server.faults.inject(Fault.SLOW)
    client = connect(emulator, timeouts=Timeouts(connect=2.0, read=0.2))
    assert [t.id for t in client.tasks(status="any")] == emulator.task_ids()
    assert emulator.server.faults.injected == [Fault.SLOW]


@pytest.mark.parametrize(
    ("fault", "field"),
    [
        (Fault.WRONG_TYPES, "created_at"),
        (Fault.MISMATCHED_ID, "id"),
    ],
)
def test_malformed_answers_are_format_errors_and_resumable(
    emulator: SerpstatEmulator, connect: Connect, fault: Fault, field: str | None
) -> None:
    client = connect(emulator)
    got, cursor = first_page(client)
    emulator.server.faults.inject(fault)
    with pytest.raises(seotasks.ResponseFormatError) as info:
        list(client.tasks(cursor))
    error = info.value
    assert error.field == field or (error.field or "").endswith(f"].{field}")
    if fault is Fault.WRONG_TYPES:
        assert error.item_id is not None and error.item_id in emulator.task_ids()
    assert error.resume_cursor == cursor
    finish(connect, emulator, got, error.resume_cursor)


@pytest.mark.parametrize("fault", [Fault.HTTP_503, Fault.TRUNCATED])
def test_persistent_server_errors_end_in_transient_error(
    emulator: SerpstatEmulator, connect: Connect, fault: Fault
) -> None:
    emulator.server.faults.inject(fault, 100)
    with pytest.raises(seotasks.TransientError) as info:
        list(connect(emulator).tasks(status="any"))
    assert info.value.resume_cursor is not None
    emulator.server.faults.clear()
    finish(connect, emulator, [], info.value.resume_cursor)


@pytest.mark.parametrize(
    "options",
    [
        {"page_size": 99},
        {"page_size": 1001},
        {"page_size": 0},
        {"rps": 0},
        {"rps": -1},
        {"timezone": "Mars/Olympus"},
        {"base_url": "ftp://example.com/"},
        {"base_url": "https://serpstat.com/rt/api/v2/?token=abc"},
        {"token": "   "},
    ],
)
def test_bad_options_fail_before_any_request(
    emulator: SerpstatEmulator, connect: Connect, options: dict[str, object]
) -> None:
    with pytest.raises(seotasks.ConfigError, match=r"^serpstat: "):  # whose value it is
        connect(emulator, **options)
    assert emulator.requests == 0


def test_page_size_from_env_is_checked(emulator: SerpstatEmulator, clock: FakeClock) -> None:
    env = {
        "SEOTASKS_SERPSTAT_TOKEN": emulator.token,
        "SEOTASKS_SERPSTAT_PAGE_SIZE": "5000",
        "SEOTASKS_SERPSTAT_BASE_URL": emulator.url,
    }
    with pytest.raises(seotasks.ConfigError, match="page_size"):
        seotasks.connect("serpstat", clock=clock, env=env)
    env["SEOTASKS_SERPSTAT_PAGE_SIZE"] = "250"
    client = seotasks.connect("serpstat", clock=clock, env=env)
    assert client.provider.settings["page_size"] == 250
    assert client.provider.settings["base_url"] == emulator.url
    assert emulator.requests == 0


@pytest.mark.parametrize("rps", [1.0, 3.0, 0.5])
def test_pacing_never_exceeds_rps(
    make_emulator: MakeEmulator, connect: Connect, clock: FakeClock, rps: float
) -> None:
    emulator = make_emulator(seed=3, size=6_000, rps=rps)
    got = [t.id for t in connect(emulator, rps=emulator.rps, page_size=500).tasks(status="any")]
    assert got == emulator.task_ids()
    stamps = emulator.app.accepted
    assert len(stamps) >= 12 and emulator.app.rate_limited == 0
    calls = max(1, int(rps))
    period = calls / rps
    for index in range(calls, len(stamps)):
        assert stamps[index] - stamps[index - calls] >= period


def test_vendor_limit_below_client_pacing_is_survived(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emulator = make_emulator(seed=4, size=4_000, rps=1.0)
    got = [t.id for t in connect(emulator, rps=5.0, page_size=300).tasks(status="any")]
    assert got == emulator.task_ids()
    assert emulator.app.rate_limited > 0  # the vendor said 429 in the body; we slowed down


def test_token_never_leaks(
    emulator: SerpstatEmulator, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    token = emulator.token
    caplog.set_level(logging.DEBUG)
    client = connect(emulator)
    texts = [repr(client), str(client), repr(client.provider), repr(client.transport)]
    emulator.server.faults.inject(Fault.RESET)
    emulator.server.faults.inject(Fault.HTTP_500)
    _, cursor = first_page(client)
    payload = base64.urlsafe_b64decode(cursor.split(".")[1] + "==").decode()
    texts += [cursor, payload]
    for fault, times in ((Fault.TRUNCATED, 10), (Fault.MISMATCHED_ID, 1)):
        emulator.server.faults.inject(fault, times)
        with pytest.raises(seotasks.SeotasksError) as info:
            client.page(cursor)
        emulator.server.faults.clear()
        texts += [str(info.value), repr(info.value), info.value.resume_cursor or ""]
    emulator.fail_next(402, f"no credits for token {token}")
    with pytest.raises(seotasks.ProviderError) as failed:
        client.page(cursor)
    texts += [str(failed.value), repr(failed.value), failed.value.message]
    emulator.server.faults.inject(Fault.HTTP_503, 10)
    with pytest.raises(seotasks.TransientError) as transient:
        client.page(cursor)
    texts += [str(transient.value), repr(transient.value)]
    assert "127.0.0.1" in caplog.text and "token=***" in caplog.text  # URLs were logged
    for text in [*texts, caplog.text]:
        assert token not in text


def test_edited_positions_are_refused_without_a_request(
    emulator: SerpstatEmulator, connect: Connect
) -> None:
    client = connect(emulator)
    _, cursor = first_page(client)
    state = cursor_codec.decode(cursor)
    before = emulator.requests
    for edit in (
        {"offset": -5},
        {"offset": 10**9},
        {"anchor": "../../admin"},
        {"order": "random"},
        {"misses": 999},
        {"page": 2},
        {"base_url": "http://evil.example/"},
    ):
        forged = cursor_codec.encode(
            provider=state.provider,
            listing=state.listing,
            query=state.query,
            position={**state.position, **edit},
        )
        with pytest.raises(seotasks.CursorError):
            client.page(forged)
    middle = len(cursor) // 2
    edited = cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1 :]
    with pytest.raises(seotasks.CursorError):
        client.page(edited)
    assert emulator.requests == before


def test_since_older_than_the_window_is_unsupported(
    emulator: SerpstatEmulator, connect: Connect
) -> None:
    with pytest.raises(seotasks.UnsupportedQuery, match=r"(7|8) days"):
        connect(emulator).page(status="any", since="2020-01-01")
    assert emulator.requests == 0


def test_a_proxys_http_status_is_the_code_as_text(
    emulator: SerpstatEmulator, connect: Connect
) -> None:
    """A base URL whose path the server does not serve: HTTP 404, not the vendor's own
    error object 404 ("Empty result", a task without data), so the code is ``"HTTP 404"``."""
    client = connect(emulator, base_url=emulator.server.url + "/api/v9/")
    with pytest.raises(seotasks.ProviderError) as info:
        client.page(status="any")
    assert type(info.value) is seotasks.ProviderError
    assert info.value.code == "HTTP 404" and "/api/v9/" in str(info.value)


def test_an_http_refusal_names_the_host_as_well_as_the_token(
    emulator: SerpstatEmulator, connect: Connect
) -> None:
    """Serpstat refuses a token in an HTTP-200 body: an HTTP 401 comes from something
    else at that address (another vendor's API given as base_url), which "refused the
    token" alone sent the user to the wrong fix."""
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    with DataForSEOEmulator(seed=1, size=0) as other:
        client = connect(emulator, base_url=other.url + "/v3/")
        with pytest.raises(seotasks.AuthError) as info:
            client.page(status="any")
    said = str(info.value)
    assert said.startswith(f"serpstat: HTTP 401 from {other.url}/v3/")
    assert "base_url is not Serpstat's" in said and emulator.token not in said
