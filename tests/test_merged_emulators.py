"""The migration view against the vendors' emulators: exact order, nothing lost or repeated.

DataForSEO's history lists one API family after another, each forward by posting time,
so two families whose tasks interleave in time come out in blocks that a bounded
reorder window cannot fix (a merged file once had tasks hours out of
order). Merged with Serpstat, the stream must have zero inversions, also when the
buffer is far smaller than the listing and the merge goes through disk.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import seotasks
from seotasks.clock import FakeClock
from seotasks.merge import merge_key

pytestmark = pytest.mark.usefixtures("real_providers")

FAMILIES = ["serp", "keywords_data"]
KINDS = ("serp/google/organic", "keywords_data/bing/search_volume_history")


@pytest.fixture(scope="module")
def emulators() -> Iterator[dict[str, Any]]:
    from seotasks_dataforseo.emulator import DataForSEOEmulator
    from seotasks_serpstat.emulator import SerpstatEmulator

    frozen = datetime.now(UTC).replace(microsecond=0)
    clock = FakeClock()
    with (
        DataForSEOEmulator(
            seed=19,
            size=3000,
            kinds=KINDS,
            span_days=6,
            recent=0.5,
            clock=clock,
            now=lambda: frozen,
        ) as dfs,
        SerpstatEmulator(seed=19, size=2500, now=lambda: frozen, rps=None) as serp,
    ):
        yield {"dataforseo": dfs, "serpstat": serp, "clock": clock}


def _clients(emulators: dict[str, Any]) -> list[seotasks.Client]:
    clock = emulators["clock"]
    return [
        seotasks.connect(
            "dataforseo",
            clock=clock,
            env={},
            **emulators["dataforseo"].settings,
            source="history",
            families=FAMILIES,
            page_size=500,
        ),
        seotasks.connect("serpstat", clock=clock, env={}, **emulators["serpstat"].settings),
    ]


def _inversions(tasks: list[seotasks.Task]) -> int:
    keys = [merge_key(t) for t in tasks]
    return sum(1 for a, b in itertools.pairwise(keys) if b < a)


def _everything(emulators: dict[str, Any]) -> list[seotasks.Task]:
    found = []
    for client in _clients(emulators):
        with client:
            found += list(client.tasks(status="any"))
    return found


@pytest.mark.parametrize("buffer", [100_000, 700])
def test_history_of_two_families_plus_serpstat_merges_with_zero_inversions(
    emulators: dict[str, Any], buffer: int, tmp_path: Path
) -> None:
    everything = _everything(emulators)
    dfs = [t for t in everything if t.provider == "dataforseo"]
    # The premise: the families interleave in time, so the listing itself is in blocks.
    assert {t.kind.split("/")[0] for t in dfs if t.kind} == set(FAMILIES)
    assert _inversions(dfs) > 0
    clients = _clients(emulators)
    try:
        out = list(seotasks.merged(clients, status="any", buffer=buffer, tmpdir=tmp_path))
    finally:
        for client in clients:
            client.close()
    assert _inversions(out) == 0
    assert len(out) == len(everything) == len({t.key for t in out})
    assert out == sorted(everything, key=merge_key)
    switches = sum(1 for a, b in itertools.pairwise(out) if a.provider != b.provider)
    assert switches > 100  # the two vendors' tasks interleave: a real merge
    assert list(tmp_path.iterdir()) == []


def test_arrival_order_is_the_opt_out_and_shows_the_blocks(emulators: dict[str, Any]) -> None:
    clients = _clients(emulators)
    try:
        out = list(seotasks.merged(clients, status="any", order="arrival"))
    finally:
        for client in clients:
            client.close()
    assert _inversions(out) > 0  # arrival order: the family blocks show through
    assert sorted(out, key=merge_key) == sorted(_everything(emulators), key=merge_key)


def test_a_second_vendors_refusal_comes_before_the_first_is_read_on(
    emulators: dict[str, Any],
) -> None:
    """A source read whole before its first task is due (DataForSEO's history, two
    families) kept Serpstat's refusal of a mistyped token until its listing was read:
    61 s of the vendor's pacing in the sandbox, minutes on a real account. Each source's
    first page is asked for first."""
    dfs, serpstat = _clients(emulators)
    wrong = {**emulators["serpstat"].settings, "token": "a-mistyped-token"}
    refused = seotasks.connect("serpstat", clock=emulators["clock"], env={}, **wrong)
    serpstat.close()
    before = len(emulators["dataforseo"].server.requests)
    try:
        with pytest.raises(seotasks.AuthError):
            next(seotasks.merged([dfs, refused], status="any"))
    finally:
        dfs.close()
        refused.close()
    assert len(emulators["dataforseo"].server.requests) - before == 1
