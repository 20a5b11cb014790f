"""Judging emulated results by the vendor's documented rules, over raw HTTP: the caller
(`Vendor`) and the rules every content test shares (urls, hosts, ranks, the echo).

The rules are the documented value rules, not a comparison with what the emulator
happens to produce: ranks 1..N without gaps, N within the posted depth, urls that parse
with a host, ``items_count == len(items)``, ``data.function == "task_get"`` and every
posted field echoed as posted (names stay names, lists stay lists).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import urllib3

from seotasks.clock import FakeClock

BASE = datetime.now(UTC).replace(microsecond=0)
LEVELS = {"HIGH", "MEDIUM", "LOW"}


class Vendor:
    """Raw HTTP to the emulator, as a caller without seotasks would talk to it; its
    ``clock`` moves the emulator's time past a posted task's completion."""

    def __init__(self, emu: Any, clock: FakeClock | None = None) -> None:
        self.emu = emu
        self.clock = clock
        self.http = urllib3.PoolManager()
        self.headers = {
            **urllib3.make_headers(basic_auth=f"{emu.login}:{emu.password}"),
            "Content-Type": "application/json",
        }

    def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        answer = self.http.request(
            method,
            self.emu.url + path,
            body=None if body is None else json.dumps(body),
            headers=self.headers,
        )
        assert answer.status == 200, answer.data[:300]
        parsed: dict[str, Any] = json.loads(answer.data)
        return parsed

    def post(self, kind: str, *items: dict[str, Any]) -> list[str]:
        """Post tasks; their ids (each must be created)."""
        body = self.call("POST", f"/v3/{kind}/task_post", list(items))
        ids = []
        for task in body["tasks"]:
            assert task["status_code"] == 20100, task["status_message"]
            ids.append(task["id"])
        return ids

    def get(self, kind: str, task_id: str, flavour: str = "") -> dict[str, Any]:
        """The one task entry of a task_get answer (it must be a success)."""
        path = f"/v3/{kind}/task_get/{flavour + '/' if flavour else ''}{task_id}"
        if flavour == "summary":
            path = f"/v3/on_page/summary/{task_id}"
        body = self.call("GET", path)
        task: dict[str, Any] = body["tasks"][0]
        assert task["status_code"] == 20000, task["status_message"]
        assert task["id"] == task_id
        return task

    def done(self) -> None:
        """Past the emulator's 5-minute completion delay."""
        assert self.clock is not None, "a Vendor without a clock cannot wait"
        self.clock.advance(600)

    def echoed(self, kind: str, posted: dict[str, Any], flavour: str = "") -> dict[str, Any]:
        """Post one task, let it complete and fetch it (``flavour``): its task entry,
        whose ``data`` must echo every posted field as posted."""
        [task_id] = self.post(kind, posted)
        self.done()
        task = self.get(kind, task_id, flavour)
        assert_echo(task["data"], posted)
        return task


def assert_url(url: Any) -> str:
    """An absolute http(s) URL with a host; returns the host."""
    assert isinstance(url, str) and " " not in url, url
    split = urlsplit(url)
    assert split.scheme in ("http", "https") and split.hostname, url
    assert_host(split.hostname)
    return split.hostname


def assert_host(host: Any) -> None:
    assert isinstance(host, str) and host, host
    labels = host.split(".")
    assert len(labels) >= 2, host
    for label in labels:
        assert label and label.replace("-", "").isalnum() and label.isascii(), host


def assert_ranked(items: list[dict[str, Any]], most: int) -> None:
    """rank_absolute 1..N without gaps or repeats, N within ``most``."""
    assert items, "no items"
    assert len(items) <= most
    assert [i["rank_absolute"] for i in items] == list(range(1, len(items) + 1))
    assert all(1 <= i["rank_group"] <= i["rank_absolute"] for i in items)


def assert_echo(data: dict[str, Any], posted: dict[str, Any]) -> None:
    """``data`` is a task_get echo holding every posted field exactly as posted."""
    assert data["function"] == "task_get"
    for name, value in posted.items():
        assert name in data, f"{name} not echoed"
        assert data[name] == value and type(data[name]) is type(value), (name, data[name])


def assert_counted(result: dict[str, Any]) -> None:
    assert result["items_count"] == len(result["items"])


def assert_sites(items: list[dict[str, Any]], kind: str, most: int) -> None:
    """Ranked items of element type ``kind``, each at a url on its own ``domain``."""
    assert_ranked(items, most)
    for item in items:
        assert item["type"] == kind
        assert assert_url(item["url"]) == item["domain"]
