"""A small vendor, defined inside the test suite, served over real loopback HTTP.

It pages by an offset in the query string and answers in its own tiny JSON shape, so
the core is tested against a provider that is neither of the real vendors.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import seotasks
from seotasks.emulation import Fault, HttpRequest, HttpResponse, json_response
from seotasks.model import Task, TaskQuery, TaskStatus
from seotasks.provider import Batch, Capabilities, Option, Position, Provider
from seotasks.ratelimit import RateLimit
from seotasks.transport import Request, Response, decode_json_object

BASE = datetime(2026, 11, 1, tzinfo=UTC)
SECRET = "s3cr3t-fake-vendor-key"


class FakeVendorApp:
    """Tasks numbered 1..n; ``GET /tasks?offset=&limit=`` returns them oldest first."""

    def __init__(self, n: int, *, key: str = SECRET) -> None:
        self.key = key
        self.lock = threading.Lock()
        self.items = [self._item(i) for i in range(1, n + 1)]

    @staticmethod
    def _item(i: int) -> dict[str, Any]:
        created = BASE + timedelta(minutes=i)
        return {
            "id": f"t{i:06d}",
            "state": ["done", "done", "running", "failed"][i % 4],
            "pct": "100%" if i % 4 in (0, 1, 3) else "40%",
            "created": created.strftime("%Y-%m-%d %H:%M:%S +00:00"),
            "finished": (created + timedelta(seconds=30)).strftime("%Y-%m-%d %H:%M:%S +00:00")
            if i % 4 in (0, 1)
            else "",
        }

    def add(self, count: int) -> None:
        with self.lock:
            start = len(self.items) + 1
            self.items.extend(self._item(i) for i in range(start, start + count))

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        if request.headers.get("x-api-key") != self.key:
            return json_response(401, b'{"error": "bad key"}')
        if fault is Fault.RATE_LIMIT_BODY:
            return json_response(200, b'{"error": "slow down", "code": 429}')
        offset = int(request.query.get("offset", ["0"])[0])
        limit = int(request.query.get("limit", ["100"])[0])
        with self.lock:
            chunk = self.items[offset : offset + limit]
        if fault is Fault.WRONG_TYPES and chunk:
            chunk = [dict(chunk[0], created=12345), *chunk[1:]]
        body = {"items": chunk, "more": offset + limit < len(self.items)}
        return json_response(200, json.dumps(body).encode())


_STATES = {"done": TaskStatus.COMPLETED, "running": TaskStatus.RUNNING, "failed": TaskStatus.FAILED}


class FakeVendor(Provider):
    name: ClassVar[str] = "fakevendor"
    description: ClassVar[str] = "a test vendor paging by offset"
    options = (
        Option(name="base_url", help="where the vendor lives", required=True),
        Option(name="api_key", help="the key", required=True, secret=True),
        Option(name="page_size", help="items per page", kind="int", default=100),
    )
    rate_limits = {"tasks": RateLimit(5, 1.0)}

    def capabilities(self) -> Capabilities:
        return Capabilities(order="created_at", max_page_size=1000)

    def start(self, query: TaskQuery) -> Position:
        return {"offset": 0}

    def check_position(self, position: Position) -> Position:
        offset = position.get("offset")
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise seotasks.CursorError("fakevendor cursor offset must be a non-negative int")
        return {"offset": offset}

    def fetch(self, query: TaskQuery, position: Position) -> Batch:
        offset = position["offset"]
        assert isinstance(offset, int)
        size = int(self.settings["page_size"])
        request = Request(
            method="GET",
            url=f"{self.settings['base_url']}/tasks?offset={offset}&limit={size}",
            endpoint="tasks",
            headers={"X-Api-Key": self.settings["api_key"]},
        )
        body = self.transport.call(request, self._parse)
        items = body["items"]
        assert isinstance(items, list)
        tasks = [self._task(item) for item in items]
        more = bool(body.get("more"))
        return Batch(tasks=tasks, next={"offset": offset + len(items)} if more else None)

    def _parse(self, response: Response) -> dict[str, object]:
        if response.status == 401:
            raise seotasks.AuthError("fakevendor refused the API key")
        body = decode_json_object(response)
        if body.get("code") == 429:
            raise seotasks.RateLimited("fakevendor: slow down")
        if not isinstance(body.get("items"), list):
            raise seotasks.ResponseFormatError("fakevendor: no items list", field="items")
        return body

    def _task(self, item: dict[str, Any]) -> Task:
        from seotasks.convert import parse_progress, parse_timestamp

        status = _STATES.get(item.get("state", ""))
        if status is None:
            raise seotasks.ResponseFormatError(
                f"unknown state {item.get('state')!r}", field="state", item_id=item.get("id")
            )
        return Task(
            provider=self.name,
            id=str(item["id"]),
            status=status,
            progress=parse_progress(item.get("pct"), field="pct"),
            created_at=parse_timestamp(item.get("created"), field="created"),
            completed_at=parse_timestamp(item.get("finished"), field="finished"),
            raw=item,
        )


class FakeVendorPlugin:
    @seotasks.hookimpl
    def register_providers(self, register: Any) -> None:
        register(FakeVendor)
