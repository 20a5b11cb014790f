"""Cursors resume in a fresh client; edited positions are refused before any request."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from seotasks import CursorError
from seotasks import cursor as cursor_codec
from seotasks.model import TaskQuery, TaskStatus

from .conftest import Connect, MakeEmulator

FAMILIES = ["serp", "keywords_data"]


def _forge(client: Any, position: dict[str, Any], query: TaskQuery) -> str:
    return cursor_codec.encode(
        provider="dataforseo", listing=client.listing_options, query=query, position=position
    )


def _words(cursor: str) -> list[str]:
    payload = cursor.split(".")[1]
    text = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    return re.findall(r"[\w.:-]+", text)


def test_ready_cursor_resumes_in_a_fresh_client(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=1, size=400, recent=1.0)
    first = connect(emu).page()
    assert first.next_cursor
    rest = [t.id for t in connect(emu).tasks(first.next_cursor)]
    ids = [t.id for t in first.tasks] + rest
    assert len(ids) == len(set(ids)) and set(ids) == emu.ready_ids()


def test_history_cursor_resumes_in_a_fresh_client(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=2, size=800, span_days=20)
    until = datetime.now(UTC) - timedelta(minutes=1)
    opts: dict[str, Any] = {"source": "history", "families": FAMILIES, "page_size": 100}
    pages = connect(emu, **opts).pages(status="any", until=until)
    ids = [t.id for _ in range(3) for t in next(pages).tasks]
    cursor = next(pages).next_cursor
    assert cursor and len(cursor) < 2000  # small: ids at one instant, not all ids seen
    ids = [t.id for p in connect(emu, **opts).pages(status="any", until=until) for t in p.tasks]
    resumed = list(connect(emu, **opts).tasks(cursor))
    assert resumed and {t.id for t in resumed} < set(ids)
    assert set(ids) == emu.history_ids(until=until, families=FAMILIES)


READY_TAMPERS: list[dict[str, Any]] = [
    {"ep": 99, "name": "serp", "round": 0, "digest": None},
    {"ep": "0", "name": "serp", "round": 0, "digest": None},
    {"ep": 0, "name": "serp/google/organic", "round": 0, "digest": None},
    {"ep": 0, "name": "serp", "round": -1, "digest": None},
    {"ep": 0, "name": "serp", "round": 1, "digest": "../../etc/passwd"},
    {"ep": 0, "name": "serp", "round": 0, "digest": None, "base_url": "http://evil.example"},
    {"ep": True, "name": "serp", "round": 0, "digest": None},
]


@pytest.mark.parametrize("position", READY_TAMPERS)
def test_edited_ready_positions_are_refused(
    make_emulator: MakeEmulator, connect: Connect, position: dict[str, Any]
) -> None:
    emu = make_emulator(seed=1, size=10)
    client = connect(emu, families=FAMILIES)
    with pytest.raises(CursorError):
        client.page(_forge(client, position, TaskQuery()))
    assert emu.server.requests == []


def _history(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC) - timedelta(hours=1)
    fmt = "%Y-%m-%d %H:%M:%S +00:00"
    base: dict[str, Any] = {
        "fam": 0,
        "name": "serp",
        "since": (now - timedelta(days=5)).strftime(fmt),
        "after": (now - timedelta(days=4)).strftime(fmt),
        "end": now.strftime(fmt),
        "seen": [],
        "skip": 0,
    }
    base.update(changes)
    return base


HISTORY_TAMPERS = [
    _history(fam=5),
    _history(name="../../v3/serp/task_post"),
    _history(name="keywords_data"),
    _history(after="2026-01-01T00:00:00Z"),
    _history(after="not a time"),
    _history(end=(datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S +00:00")),
    _history(since=_history()["end"]),
    _history(seen=["ok-id", "has/slash"]),
    _history(seen="abc"),
    _history(seen=[f"id-{i}" for i in range(60)]),
    _history(skip=-5),
    _history(skip=3, seen=["abc"]),
    {**_history(), "url": "http://evil.example/v3/serp/id_list"},
]


@pytest.mark.parametrize("position", HISTORY_TAMPERS)
def test_edited_history_positions_are_refused(
    make_emulator: MakeEmulator, connect: Connect, position: dict[str, Any]
) -> None:
    emu = make_emulator(seed=1, size=10)
    client = connect(emu, source="history", families=FAMILIES)
    with pytest.raises(CursorError):
        client.page(_forge(client, position, TaskQuery(status=None)))
    assert emu.server.requests == []


def test_untampered_forged_history_position_is_accepted(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=1, size=200, span_days=10)
    client = connect(emu, source="history", families=FAMILIES)
    page = client.page(_forge(client, _history(), TaskQuery(status=None)))
    assert page.tasks is not None and emu.server.requests


def test_cursor_of_other_source_is_refused(make_emulator: MakeEmulator, connect: Connect) -> None:
    emu = make_emulator(seed=1, size=300, recent=1.0)
    cursor = connect(emu).page().next_cursor
    assert cursor
    with pytest.raises(CursorError):
        connect(emu, source="history").page(cursor)
    assert TaskStatus.COMPLETED  # the ready cursor names its listing options


def test_an_edited_cursor_asking_a_status_the_listing_never_reports_is_refused(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    """The checksum's key is public, so an edited cursor can be signed again: one that
    asks ``tasks_ready`` for queued tasks listed nothing, silently, where the same query
    without a cursor is refused (the listing reports completed tasks only)."""
    emu = make_emulator(seed=1, size=400, recent=1.0)
    client = connect(emu)
    first = client.page()
    assert first.next_cursor
    position = cursor_codec.decode(first.next_cursor).position
    edited = _forge(client, dict(position), TaskQuery(status=TaskStatus.QUEUED))
    calls = emu.calls["tasks_ready"]
    with pytest.raises(CursorError, match=r"lists a status dataforseo reports no queued tasks"):
        client.page(edited)
    assert emu.calls["tasks_ready"] == calls


def test_a_cursor_of_another_account_is_refused_before_any_request(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=1, size=300, recent=1.0)
    cursor = connect(emu).page().next_cursor
    assert cursor
    calls = sum(emu.calls.values())
    for other in ({"login": "another-login"}, {"base_url": "https://sandbox.dataforseo.com"}):
        with pytest.raises(
            CursorError, match=r"another dataforseo account \(another base_url or login\)"
        ):
            connect(emu, **other).page(cursor)
    assert sum(emu.calls.values()) == calls
    assert cursor_codec.decode(cursor).account  # a digest: no login, no host
    assert not {"emulator-login", "127.0.0.1", emu.password} & set(_words(cursor))
    # The password is no account option: a new one (rotated) resumes the same listing.
    assert connect(emu, password=emu.password + "-new").check_cursor(cursor).status


def test_a_sandbox_cursor_resumes_on_another_loopback_port(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    first, second = (
        make_emulator(seed=3, size=300, recent=1.0),
        make_emulator(seed=3, size=300, recent=1.0),
    )
    assert first.url != second.url
    page = connect(first).page()
    assert page.next_cursor
    rest = [t.id for t in connect(second).tasks(page.next_cursor)]
    assert rest and set(rest).isdisjoint(t.id for t in page.tasks)
    assert {t.id for t in page.tasks} | set(rest) == second.ready_ids()


def test_a_cursor_resumes_on_this_machine_under_another_loopback_name(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    """A cursor made through ``http://127.0.0.1:P`` was "another dataforseo account"
    through ``http://localhost:P``, the same server: this machine's server is one
    account on any port and by any of its loopback names."""
    emu = make_emulator(seed=3, size=300, recent=1.0)
    page = connect(emu).page()
    assert page.next_cursor and "127.0.0.1" in emu.url
    named = connect(emu, base_url=emu.url.replace("127.0.0.1", "localhost"))
    rest = [t.id for t in named.tasks(page.next_cursor)]
    assert {t.id for t in page.tasks} | set(rest) == emu.ready_ids()
    assert set(rest).isdisjoint(t.id for t in page.tasks)
