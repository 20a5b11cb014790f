"""The emulator and the provider at 100 000 tasks: what a run costs, counted, not timed.

Wall-clock limits fail on a busy machine and pass on a fast one whatever the code does;
the work a listing does is counted instead: vendor calls per page and the tasks each
call brings. How fast it is lives in ``benchmarks/``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from seotasks_dataforseo.endpoints import default_families, resolve_ready

from .conftest import Connect, MakeEmulator


def test_hundred_thousand_tasks(make_emulator: MakeEmulator, connect: Connect) -> None:
    emu = make_emulator(seed=99, size=100_000)
    assert emu.size == 100_000
    pages = list(connect(emu).pages())
    listed = [t.id for p in pages for t in p.tasks]
    assert len(listed) == len(set(listed))
    assert any(p.capped for p in pages)  # /v3/serp alone holds far more than 1000
    assert set(listed) <= emu.ready_ids()
    # One call per endpoint, plus one repeat per capped endpoint (a second round that
    # finds the same 1000 and moves on): never more, however large the account.
    endpoints = len(resolve_ready(default_families("ready")))
    capped = sum(1 for p in pages if p.capped and not p.tasks)
    assert emu.calls["tasks_ready"] == endpoints + capped
    assert emu.calls["tasks_ready"] <= 2 * endpoints
    assert len(pages) == emu.calls["tasks_ready"]
    client = connect(emu, source="history", families=["keywords_data"])
    before = emu.calls["id_list"]
    page = client.page(status="any", since=datetime.now(UTC) - timedelta(days=60))
    assert len(page.tasks) == 1000
    assert emu.calls["id_list"] == before + 1  # a full page from one call
