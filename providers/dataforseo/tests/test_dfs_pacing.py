"""Client-side pacing keeps runs under the vendor's per-minute limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_dataforseo.endpoints import DEFAULT_FAMILIES, READY_FAMILIES, resolve_ready

import seotasks
from seotasks import RateLimited
from seotasks.clock import FakeClock, ScaledClock

from .conftest import RETRY, Connect, MakeEmulator


def test_long_ready_run_stays_under_20_a_minute(
    make_emulator: MakeEmulator, connect: Connect, clock: FakeClock
) -> None:
    emu = make_emulator(seed=1, size=500, recent=1.0)
    endpoints = len(resolve_ready(READY_FAMILIES))
    assert endpoints > 20
    # One client: one pacer for all its listings.
    client = connect(emu, families=list(READY_FAMILIES))
    for _ in range(3):  # 3 full listings: over 60 calls
        ids = {t.id for t in client.tasks()}
        assert ids == emu.ready_ids(READY_FAMILIES)
    assert emu.calls["tasks_ready"] == 3 * endpoints
    assert emu.rate_limited == 0
    # 66 calls at 20 a minute need at least three full windows of (fake) time.
    assert clock.monotonic() >= 3 * 60


def test_a_default_ready_pass_fits_one_window(
    make_emulator: MakeEmulator, connect: Connect, clock: FakeClock
) -> None:
    # 16 calls against the vendor's 20 a minute: a default listing never waits for the
    # window, and the 4 left over absorb the extra rounds of capped lists.
    assert len(resolve_ready(DEFAULT_FAMILIES)) == 16
    emu = make_emulator(seed=1, size=500, recent=1.0)
    assert {t.id for t in connect(emu).tasks()} == emu.ready_ids()
    assert emu.calls["tasks_ready"] == 16
    assert clock.slept == []


def test_two_clients_on_one_account_recover_from_the_vendor_limit(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=1, size=300, recent=1.0)
    for _ in range(2):  # separate pacers: the second client meets the vendor's 40202
        assert {t.id for t in connect(emu).tasks()} == emu.ready_ids()
    assert emu.rate_limited >= 1


def test_history_run_stays_under_10_a_minute(
    make_emulator: MakeEmulator, connect: Connect, clock: FakeClock
) -> None:
    emu = make_emulator(seed=2, size=1200, span_days=30)
    client = connect(emu, source="history", page_size=100, window_days=10)
    ids = {t.id for t in client.tasks(status="any", until=datetime.now(UTC) - timedelta(minutes=1))}
    assert len(ids) > 500
    assert emu.calls["id_list"] > 25
    assert emu.rate_limited == 0
    assert clock.monotonic() >= 60 * (emu.calls["id_list"] // 10 - 1)


def test_scaled_clock_run_has_no_rate_limit_answers() -> None:
    # A minute passes in 1.5 s: the pacer's 2 % margin is then 30 ms of real time, more
    # than loopback latency on a loaded machine (at 200x it was 6 ms and flaked).
    clock = ScaledClock(40.0)
    with DataForSEOEmulator(seed=3, size=300, recent=1.0, clock=clock) as emu:
        every = list(READY_FAMILIES)
        client = seotasks.connect(
            "dataforseo", clock=clock, retry=RETRY, env={}, families=every, **emu.settings
        )
        with client:
            for _ in range(2):
                assert {t.id for t in client.tasks()} == emu.ready_ids(every)
        assert emu.calls["tasks_ready"] > 40
        assert emu.rate_limited == 0
        assert client.transport.pacer.waited > 0


def test_unpaced_client_meets_the_vendor_limit(make_emulator: MakeEmulator) -> None:
    clock = FakeClock()
    emu = make_emulator(seed=4, size=100, recent=1.0, clock=clock)
    client = seotasks.connect("dataforseo", clock=clock, retry=RETRY, env={}, **emu.settings)
    client.transport.set_rate_limits({})  # what a client without pacing would do
    with client, pytest.raises(RateLimited):
        for _ in range(3):
            list(client.tasks())
    assert emu.rate_limited >= 1
    assert emu.calls["tasks_ready"] == 20


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"families": "serp", "page_size": "100"}, "raise -o page_size (now 100; up to 1000"),
        ({"families": "serp,keywords_data", "page_size": "100"}, "raise -o page_size"),
        ({"families": "serp,keywords_data"}, "name fewer with -o families="),
        ({"families": "serp"}, "a narrower window"),
    ],
)
def test_the_advice_on_an_id_list_wait_names_what_would_shorten_it(
    emu: DataForSEOEmulator, connect: Connect, options: dict[str, str], said: str
) -> None:
    """It always said to name fewer families, also to a listing of one family whose
    small page size was what made it wait."""
    client = connect(emu, source="history", **options)
    advice = client.provider.advice("wait", "id_list")
    assert advice is not None and said in advice, advice
    if "," not in options["families"]:
        assert "families=" not in advice
