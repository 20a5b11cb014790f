"""Seeded vendor pages, byte for byte what the emulators serve.

Every benchmark reads its input from here so that seotasks and each baseline parse the
very same bytes: a 1000-task DataForSEO ``GET /v3/serp/tasks_ready`` envelope, a 1000-item
DataForSEO ``POST /v3/serp/id_list`` envelope and a 1000-row Serpstat ``tasks.getList``
answer. The pages come from the emulators' own handlers (no HTTP), so they carry exactly
the documented wire format the tests check.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_serpstat.emulator import SerpstatEmulator

from seotasks.clock import FakeClock
from seotasks.emulation import HttpRequest

#: The data's wall time, fixed so every run builds the same pages.
NOW = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
SEED = 2026
PAGE = 1000
SERP_KINDS = (
    "serp/google/organic",
    "serp/google/maps",
    "serp/bing/organic",
    "serp/youtube/organic",
)


def _request(method: str, path: str, body: bytes = b"", **headers: str) -> HttpRequest:
    return HttpRequest(method=method, path=path, query={}, headers=headers, body=body)


def dataforseo_emulator(size: int = 3000, **kwargs: Any) -> DataForSEOEmulator:
    kwargs.setdefault("clock", FakeClock())
    kwargs.setdefault("now", lambda: NOW)
    kwargs.setdefault("kinds", SERP_KINDS)
    kwargs.setdefault("recent", 1.0)
    return DataForSEOEmulator(seed=SEED, size=size, **kwargs)


def _auth(emu: DataForSEOEmulator) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{emu.login}:{emu.password}".encode()).decode()


def dataforseo_ready_page() -> bytes:
    """``GET /v3/serp/tasks_ready``: 1000 completed SERP tasks (the vendor's cap)."""
    emu = dataforseo_emulator()
    response = emu.app.handle(
        _request("GET", "/v3/serp/tasks_ready", authorization=_auth(emu)), None
    )
    body = response.body
    items = json.loads(body)["tasks"][0]["result"]
    assert len(items) == PAGE, len(items)
    return body


def dataforseo_history_page() -> bytes:
    """``POST /v3/serp/id_list``: 1000 history items, metadata included."""
    emu = dataforseo_emulator(size=3000, recent=0.2)
    request = [
        {
            "datetime_from": (NOW - timedelta(days=29)).strftime("%Y-%m-%d %H:%M:%S +00:00"),
            "datetime_to": NOW.strftime("%Y-%m-%d %H:%M:%S +00:00"),
            "limit": PAGE,
            "offset": 0,
            "sort": "asc",
            "include_metadata": True,
        }
    ]
    response = emu.app.handle(
        _request(
            "POST",
            "/v3/serp/id_list",
            json.dumps(request).encode(),
            authorization=_auth(emu),
        ),
        None,
    )
    items = json.loads(response.body)["tasks"][0]["result"]
    assert len(items) == PAGE, len(items)
    return response.body


def serpstat_page() -> bytes:
    """``tasks.getList`` page 1, ``pageSize`` 1000: every value a string, as documented."""
    emu = SerpstatEmulator(seed=SEED, size=5000, now=lambda: NOW, rps=None, token="bench-token")
    body = json.dumps(
        {"id": "1", "method": "tasks.getList", "params": {"page": 1, "pageSize": PAGE}}
    ).encode()
    request = HttpRequest(
        method="POST",
        path="/rt/api/v2/",
        query={"token": ["bench-token"]},
        headers={},
        body=body,
    )
    response = emu.app.handle(request, None)
    rows = json.loads(response.body)["result"]
    assert len(rows) == PAGE, len(rows)
    return response.body
