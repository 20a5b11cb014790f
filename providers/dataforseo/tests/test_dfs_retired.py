"""Google Events SERP, retired by the vendor on 2026-09-15: gone from the catalogue, the
emulator and the SERP table, and every way of still naming it fails clearly."""

from __future__ import annotations

from typing import Any

import pytest
from seotasks_dataforseo.endpoints import BY_NAME

import seotasks
from seotasks import ConfigError, CursorError
from seotasks import cursor as cursor_codec
from seotasks.model import TaskQuery
from seotasks.submit import SerpTaskSpec

from .conftest import Connect, MakeEmulator


def test_events_is_not_in_the_catalogue() -> None:
    assert "serp/google/events" not in BY_NAME


@pytest.mark.parametrize("source", ["ready", "history"])
def test_a_family_naming_events_is_a_config_error(source: str) -> None:
    with pytest.raises(ConfigError, match="retired the Google Events SERP API on 2026-09-15"):
        seotasks.connect(
            "dataforseo",
            login="l",
            password="p",
            families="serp/google/events",
            source=source,
            env={},
        )


def test_a_cursor_naming_events_is_refused(make_emulator: MakeEmulator, connect: Connect) -> None:
    emu = make_emulator(seed=1, size=10)
    client = connect(emu, families=["serp/google"])
    position: dict[str, Any] = {"ep": 4, "name": "serp/google/events", "round": 0, "digest": None}
    cursor = cursor_codec.encode(
        provider="dataforseo", listing=client.listing_options, query=TaskQuery(), position=position
    )
    with pytest.raises(CursorError, match="endpoint does not match"):
        client.page(cursor)
    assert emu.server.requests == []


def test_posting_events_is_refused_before_sending(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = make_emulator(seed=1, size=0)
    client = connect(emu)
    spec = SerpTaskSpec(keyword="concerts", location=2840, language="en", serp_type="events")
    [result] = client.submit([spec])
    assert not result.ok and "retired" in str(result.error)
    assert emu.server.requests == []


def test_the_emulator_no_longer_serves_events(make_emulator: MakeEmulator) -> None:
    emu = make_emulator(seed=1, size=0)
    import urllib3

    auth = urllib3.make_headers(basic_auth=f"{emu.login}:{emu.password}")
    http = urllib3.PoolManager()
    for method, path in (
        ("GET", "/v3/serp/google/events/tasks_ready"),
        ("POST", "/v3/serp/google/events/task_post"),
        ("GET", "/v3/serp/google/events/task_get/advanced/00000000-0000-0000-0000-000000000000"),
    ):
        answer = http.request(method, emu.url + path, headers=auth, body=b"[]")
        assert answer.status == 404, path
