"""A small vendor, defined inside the test suite, served over real loopback HTTP.

It pages by an offset in the query string and answers in its own tiny JSON shape, so
the core is tested against a provider that is neither of the real vendors.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import attrs

import seotasks
from seotasks.convert import Progress, Timestamp, converter, structure
from seotasks.emulation import Fault, HttpRequest, HttpResponse, json_response
from seotasks.model import Task, TaskQuery, TaskStatus
from seotasks.provider import Batch, Capabilities, Option, Position, Provider
from seotasks.ratelimit import RateLimit
from seotasks.transport import Request, Response, decode_json_object

BASE = datetime(2026, 11, 1, tzinfo=UTC)
SECRET = "s3cr3t-fake-vendor-key"


class FakeVendorApp:
    """Tasks numbered 1..n; ``GET /tasks?offset=&limit=`` returns them oldest first.

    Knobs for tests: ``origin`` shifts every timestamp (two apps that interleave in
    time); `insert_front` puts new tasks before the others (an offset listing then
    shifts under the client); `respond_with` queues verbatim answers; the key is
    accepted in the ``X-Api-Key`` header or in a ``key`` query parameter.
    """

    def __init__(self, n: int, *, key: str = SECRET, origin: datetime = BASE) -> None:
        self.key = key
        self.origin = origin
        self.lock = threading.Lock()
        self.items = [self._item(i, origin) for i in range(1, n + 1)]
        self.next_number = n + 1
        self.canned: list[HttpResponse] = []

    @staticmethod
    def _item(i: int, origin: datetime = BASE) -> dict[str, Any]:
        created = origin + timedelta(minutes=i)
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
            self.items.extend(self._item(i, self.origin) for i in range(start, start + count))
            self.next_number = max(self.next_number, start + count)

    def insert_front(self, count: int) -> list[str]:
        """Put ``count`` new tasks before all others; returns their ids."""
        with self.lock:
            start = self.next_number
            self.next_number += count
            new = [self._item(i, self.origin) for i in range(start, start + count)]
            self.items[:0] = new
        return [item["id"] for item in new]

    def respond_with(self, body: bytes, status: int = 200, count: int = 1, **headers: str) -> None:
        """Answer the next ``count`` authorized requests with ``body`` verbatim."""
        with self.lock:
            self.canned.extend([json_response(status, body, **headers)] * count)

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        given = request.headers.get("x-api-key") or request.query.get("key", [None])[0]
        if given != self.key:
            return json_response(401, b'{"error": "bad key"}')
        with self.lock:
            if self.canned:
                return self.canned.pop(0)
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


@attrs.frozen
class _WireItem:
    """One item as the fake vendor sends it; extra keys are ignored."""

    id: str
    state: str
    pct: Progress | None = None
    created: Timestamp | None = None
    finished: Timestamp | None = None


class FakeVendor(Provider):
    name: ClassVar[str] = "fakevendor"
    description: ClassVar[str] = "a test vendor paging by offset"
    options = (
        Option(name="base_url", help="where the vendor lives", required=True),
        Option(name="api_key", help="the key", required=True, secret=True),
        Option(name="page_size", help="items per page", kind="int", default=100),
        Option(
            name="auth",
            help="send the key as a header or as the `key` query parameter",
            default="header",
            choices=("header", "query"),
        ),
        Option(
            name="source",
            help="which list to read (recorded in cursors)",
            default="live",
            listing=True,
            choices=("live", "archive"),
        ),
    )
    rate_limits = {"tasks": RateLimit(5, 1.0)}
    secret_params = ("key",)

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
        url = f"{self.settings['base_url']}/tasks?offset={offset}&limit={size}"
        headers = {}
        if self.settings["auth"] == "query":
            url += f"&key={self.settings['api_key']}"
        else:
            headers["X-Api-Key"] = self.settings["api_key"]
        request = Request(method="GET", url=url, endpoint="tasks", headers=headers)
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

    def _task(self, item: Any) -> Task:
        wire = structure(converter, item, _WireItem, where="fakevendor item")
        status = _STATES.get(wire.state)
        if status is None:
            raise seotasks.ResponseFormatError(
                f"unknown state {wire.state!r}", field="state", item_id=wire.id
            )
        return Task(
            provider=self.name,
            id=wire.id,
            status=status,
            progress=wire.pct,
            created_at=wire.created,
            completed_at=wire.finished,
            raw=item,
        )


class PluginOf:
    """A plugin registering the given provider classes: what a test needs to add a
    provider of its own to the registry (``seotasks.register_plugin(PluginOf(P), "p")``)."""

    def __init__(self, *providers: type[Provider]) -> None:
        self.providers = providers

    @seotasks.hookimpl
    def register_providers(self, register: Any) -> None:
        for provider in self.providers:
            register(provider)


class OtherVendor(FakeVendor):
    """The fake vendor under a second name: a second provider, for merged streams and for
    cursors that one provider must refuse from another."""

    name = "othervendor"


def connect_fake(url: str, *, name: str = "fakevendor", **options: Any) -> Any:
    """A client of the fake vendor at ``url`` (a `FakeClock` unless ``clock=`` is given)."""
    from seotasks.clock import FakeClock

    options.setdefault("clock", FakeClock())
    options.setdefault("api_key", SECRET)
    return seotasks.connect(name, base_url=url, **options)
