"""What order each source delivers in, against the emulator: why both declare none.

`Capabilities.order` is a promise `seotasks.merged` relies on to deliver before the
listing ends. DataForSEO can make none: ``history`` goes family after family (each
forward by ``datetime_posted``, so a later family starts again at ``since``), and
``ready`` endpoint after endpoint. Declared ``None``, merged sorts them whole.
"""

from __future__ import annotations

import itertools

import seotasks
from seotasks.merge import merge_key

from .conftest import Connect, MakeEmulator

KINDS = ("serp/google/organic", "keywords_data/bing/search_volume_history")


def _inversions(values: list[object]) -> int:
    return sum(1 for a, b in itertools.pairwise(values) if b < a)  # type: ignore[operator]


def test_history_is_family_after_family_and_declares_no_order(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=31, size=2000, kinds=KINDS, span_days=10, recent=0.4)
    client = connect(emu, source="history", families=["serp", "keywords_data"], page_size=300)
    assert client.capabilities.order is None
    tasks = list(client.tasks(status="any"))
    assert {t.kind.split("/")[0] for t in tasks if t.kind} == {"serp", "keywords_data"}
    # Not by creation: the second family starts over in time ...
    assert _inversions([t.created_at for t in tasks]) > 0
    # ... though each family is forward by posting time, which is what the keyset pages on;
    # and not by completion even within one family (tasks take 5 s to 15 min).
    for family in ("serp", "keywords_data"):
        block = [t for t in tasks if t.kind and t.kind.startswith(family)]
        assert _inversions([t.created_at for t in block]) == 0
        assert _inversions([merge_key(t) for t in block]) > 0
    out = list(seotasks.merged([client], status="any", buffer=250))
    assert out == sorted(tasks, key=merge_key)


def test_ready_is_endpoint_after_endpoint_and_declares_no_order(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=32, size=3000)
    client = connect(emu, families=["serp", "keywords_data"])
    assert client.capabilities.order is None
    tasks = list(client.tasks())
    assert len({t.kind for t in tasks}) > 1
    assert _inversions([merge_key(t) for t in tasks]) > 0
    assert _inversions([t.created_at for t in tasks]) > 0
    out = list(seotasks.merged([client], buffer=200))
    assert out == sorted(tasks, key=merge_key)
