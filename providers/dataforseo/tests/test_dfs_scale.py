"""The emulator at 100 000 tasks: quick to build, quick to answer."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from .conftest import Connect, MakeEmulator


def test_hundred_thousand_tasks(make_emulator: MakeEmulator, connect: Connect) -> None:
    started = time.perf_counter()
    emu = make_emulator(seed=99, size=100_000)
    built = time.perf_counter() - started
    assert emu.size == 100_000
    assert built < 15
    started = time.perf_counter()
    pages = list(connect(emu).pages())
    listed = [t.id for p in pages for t in p.tasks]
    assert len(listed) == len(set(listed))
    assert any(p.capped for p in pages)  # /v3/serp alone holds far more than 1000
    assert set(listed) <= emu.ready_ids()
    client = connect(emu, source="history", families=["keywords_data"])
    page = client.page(status="any", since=datetime.now(UTC) - timedelta(days=60))
    assert len(page.tasks) == 1000
    assert time.perf_counter() - started < 30
