"""What order tasks.getList delivers in, against the emulator: why Serpstat declares none.

The vendor documents no order; its examples are ascending by ``task_id`` (so by
creation), and this provider reads a descending list just as well. A declared
``created_at`` would make `seotasks.merged` refuse a newest-first vendor, so the
provider declares ``None`` and the merge sorts the listing whole.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

import seotasks
from seotasks.merge import merge_key


def _inversions(values: list[Any]) -> int:
    return sum(1 for a, b in itertools.pairwise(values) if b < a)


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_getlist_order_is_the_vendors_and_the_declaration_promises_none(
    make_emulator: Any, connect: Any, order: str
) -> None:
    emulator = make_emulator(size=900, rps=None, order=order)
    client = connect(emulator, page_size=200)
    assert client.capabilities.order is None
    tasks = list(client.tasks(status="any"))
    created = [t.created_at for t in tasks]
    if order == "asc":
        assert _inversions(created) == 0  # by creation, as in the vendor's examples
    else:
        assert created == sorted(created, reverse=True) and _inversions(created) > 0
    # Completion does not follow creation (crawls take minutes): not by merge order.
    assert _inversions([merge_key(t) for t in tasks]) > 0
    out = list(seotasks.merged([client], status="any", buffer=150))
    assert out == sorted(tasks, key=merge_key)
