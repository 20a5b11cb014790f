"""Round trips through the official client, with the emulator's rate limits on.

For every endpoint the official client can post to, a task's whole life (`roundtrip`):
posted through the official ``*_task_post`` method, listed by ``tasks_ready`` (and the
family's ``id_list``), fetched with every ``task_get`` flavour the client offers, parsed
by the official models in every element, and valued against the vendor's documented
rules (`value_checks`). The Labs live endpoints among them the same way, minus
the waiting. Every call is paced on the clock the emulator counts its limits on, and no
call may be refused: a well-behaved caller never meets ``40202``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import catalog
import official
import pytest
import report
import roundtrip
import value_checks
from dataforseo_client.api_client import ApiClient
from dataforseo_client.configuration import Configuration
from pacing import LIMITS, paced_api_client
from seotasks_dataforseo.emulator import DataForSEOEmulator

from conftest import Now
from seotasks.clock import FakeClock

POSTS = roundtrip.postable()


@pytest.fixture(scope="module")
def ctx(api_client: ApiClient, emulator: DataForSEOEmulator, now: Now) -> roundtrip.Context:
    return roundtrip.Context(
        api_client=api_client,
        now=now,
        advance=now.advance,
        wait_callbacks=emulator.wait_callbacks,
    )


def _explain(trip: roundtrip.Trip) -> list[str]:
    return [*trip.problems, *trip.failed_checks()]


@pytest.mark.parametrize("call", POSTS, ids=[c.kind for c in POSTS])
def test_round_trip(
    call: catalog.Call, ctx: roundtrip.Context, emulator: DataForSEOEmulator
) -> None:
    trip = roundtrip.round_trip(call, ctx)
    report.trip(trip)
    assert emulator.rate_limited == 0, "a paced call was refused with 40202"
    assert trip.fetched, "no flavour was fetched"
    assert trip.ok, _explain(trip)


@pytest.mark.parametrize("kind", value_checks.LABS_LIVE)
def test_labs_live_round_trip(
    kind: str, ctx: roundtrip.Context, emulator: DataForSEOEmulator
) -> None:
    trip = roundtrip.live_trip(kind, ctx)
    report.trip(trip)
    assert emulator.rate_limited == 0, "a paced call was refused with 40202"
    assert trip.ok, _explain(trip)


def test_every_postable_endpoint_has_a_round_trip() -> None:
    """The round trips cover what the client can post to (69 endpoints with 2.1.10), and
    every task_get flavour the client offers belongs to one of them."""
    kinds = {c.kind for c in POSTS}
    assert len(kinds) == len(POSTS) >= 69
    flavours = [c for c in catalog.calls() if c.function in ("task_get", "summary")]
    assert {c.kind for c in flavours if catalog.served(c)} <= kinds


def test_item5_families_are_posted() -> None:
    """Every family whose content is checked is among the round trips."""
    kinds = {c.kind for c in POSTS}
    assert kinds >= value_checks.VALUE_KINDS


def test_the_client_still_cannot_read_amazon_sellers() -> None:
    """The one flavour whose items are not required (`CLIENT_CANNOT_READ_ITEMS`): the
    official client raises on any Amazon Sellers element, documented or not. When a
    client upgrade reads them, this fails and the exception has to go."""
    from dataforseo_client.models import BaseMerchantAmazonSellersElementItem
    from pydantic import PydanticUserError

    assert set(roundtrip.CLIENT_CANNOT_READ_ITEMS) == {"merchant/amazon/sellers advanced"}
    element = {"type": "amazon_seller_main_item", "rank_group": 1, "rank_absolute": 1}
    with pytest.raises(PydanticUserError, match="AmazonApplicableVouchersItem"):
        BaseMerchantAmazonSellersElementItem.from_dict(element)


# -- the limits are on --------------------------------------------------------------------


@pytest.fixture
def fresh() -> Iterator[tuple[DataForSEOEmulator, FakeClock, Configuration]]:
    """An emulator of its own (limits on, its own clock): bursts here leave the shared
    emulator's windows alone."""
    clock = FakeClock()
    with DataForSEOEmulator(seed=3, size=20, clock=clock) as emu:
        config = Configuration(host=emu.url, username=emu.login, password=emu.password)
        yield emu, clock, config


def _ready_codes(client: ApiClient, count: int) -> list[Any]:
    codes = []
    for _ in range(count):
        answer = official.invoke(client, "SerpApi", "google_organic_tasks_ready")
        codes.append(answer.raw.get("status_code"))
    return codes


def test_an_unpaced_client_meets_the_limit(
    fresh: tuple[DataForSEOEmulator, FakeClock, Configuration],
) -> None:
    """The limits are really on: the official client on its own (no pacing) is refused
    the 21st tasks_ready of a minute with the vendor's 40202 in an HTTP-200 body."""
    emu, _, config = fresh
    with ApiClient(config) as client:
        codes = _ready_codes(client, 21)
    assert codes[:20] == [20000] * 20
    assert codes[20] == 40202
    assert emu.rate_limited == 1


def test_the_paced_client_waits_instead(
    fresh: tuple[DataForSEOEmulator, FakeClock, Configuration],
) -> None:
    """Paced on the emulator's clock, the 21st call waits out the minute and is answered."""
    emu, clock, config = fresh
    with paced_api_client(config, clock) as client:
        codes = _ready_codes(client, 21)
        waited = client.rest_client.pacer.waited
    assert codes == [20000] * 21
    assert emu.rate_limited == 0
    limit = LIMITS["tasks_ready"]
    assert limit.period <= waited <= limit.period * 1.1
    assert clock.monotonic() >= limit.period


def test_round_trip_checks_can_fail() -> None:
    """The value checks are not vacuous: an answer that drops a posted field, ranks from 0,
    holds a domain with a comma or a competition of "competition-29" fails them."""
    posted = {"keyword": "a b", "depth": 3, "device": "mobile", "location_code": 2840}
    task = {
        "data": {"function": "task_post", "keyword": "a b", "device": "desktop"},
        "result": [
            {
                "keyword": "a b",
                "location_code": 2840,
                "check_url": "https://www.google.com/search?q=a b",
                "items_count": 2,
                "items": [
                    {"type": "organic", "rank_group": 0, "rank_absolute": 0, "domain": "a,b.com"},
                    {"type": "organic", "rank_group": 1, "rank_absolute": 1, "url": "x"},
                ],
            }
        ],
    }
    failed = {
        c.name
        for c in value_checks.echo_checks(task, posted, "task_get")
        + value_checks.result_checks("serp/google/organic", "advanced", task, posted)
        if not c.ok
    }
    assert failed == {
        "data.function is task_get",
        "posted fields echoed as posted",
        "device and os echoed",
        "ranks 1..N",
        "urls and domains parse",
    }
    volume = {
        "result": [
            {"keyword": "a b", "competition": "competition-29", "competition_index": 419},
        ]
    }
    failed = {
        c.name
        for c in value_checks.result_checks(
            "keywords_data/google_ads/search_volume", "", volume, {"keywords": ["a b", "c"]}
        )
        if not c.ok
    }
    assert "one result per keyword posted" in failed
    assert "competition in its documented values, competition_index 0..100" in failed
