"""A loopback DataForSEO v3 for tests, the ``--sandbox`` demo, benchmarks and the conformance kit.

It speaks the wire format of ``shared/reference/dataforseo.md`` field for field: the
envelope (``version``, ``status_code``, ``status_message``, ``time``, ``cost``,
``tasks_count``, ``tasks_error``, ``tasks[]`` with ``id``, ``path``, ``data``,
``result_count``, ``result``), HTTP Basic auth (401 + 40100 + ``WWW-Authenticate``),
``tasks_ready`` with its 1000 cap and hidden remainder, ``task_get`` removing a task
from the ready list, the 3-day ready window, ``id_list`` validation with the vendor's
codes inside HTTP-200 bodies, and the per-minute limits (20 tasks_ready, 10 id_list,
2000 others) counted on an injectable `seotasks.clock.Clock`. Request fields, result
shapes, tasks_ready item fields and the task_get flavours per endpoint are the official
client's (`seotasks_dataforseo.vendor_shapes`, checked against its models by the contract
suite), so the vendor's generated client parses every answer and every request it sends
is accepted (``null`` meaning "not set"). ``task_post`` also checks each SERP task against
`seotasks_dataforseo.serp_types` (devices, depth limits, postback flavours), the table
the provider maps specs with; a task posted with a pingback or postback URL
completes into that callback (`seotasks_dataforseo.callbacks`: real calls to loopback
hosts only) and reaches tasks_ready only when the call fails.

Vendor-level faults come from `seotasks.emulation.FaultPlan`: ``RATE_LIMIT_BODY`` is a
top-level 40202 in an HTTP-200 body, ``WRONG_TYPES`` a number where the vendor sends a
date string. The generic faults (5xx, 429, reset, slow, truncated, empty) are the
shared server's.

    with DataForSEOEmulator(seed=1, size=5000) as emu:
        client = seotasks.connect("dataforseo", **emu.settings)
        assert {t.id for t in client.tasks()} <= emu.ready_ids()

Assumptions where the vendor's docs are silent (kept explicit, tested against): id_list
filters and orders by ``datetime_posted`` (then id), both window ends inclusive; a
family-level tasks_ready lists every engine endpoint of its family; On-Page results are
collected with ``/v3/on_page/summary/<id>``.

Standard library only (plus attrs via seotasks.emulation).
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus, urlsplit

from seotasks.clock import Clock, SystemClock
from seotasks.emulation import (
    EmulatorServer,
    Fault,
    HttpRequest,
    HttpResponse,
    ServerRateLimit,
    json_response,
)
from seotasks.model import TaskStatus

from . import results, serp_types, vendor_shapes
from .callbacks import Deliverer, Delivery
from .dataset import (
    HISTORY_KEEP,
    MESSAGES,
    METADATA_KEEP,
    READY_KEEP,
    RESULTS_KEEP,
    Callback,
    Dataset,
    EmuTask,
)
from .dataset import format_time as _format_time
from .endpoints import (
    BY_NAME,
    CATALOGUE,
    DEFAULT_FAMILIES,
    HISTORY_DEFAULT_FAMILIES,
    ID_LIST_FAMILIES,
    SHAPES,
    resolve_history,
    resolve_ready,
)

__all__ = ["DEFAULT_SIZE", "DataForSEOApp", "DataForSEOEmulator"]

DEFAULT_SIZE = 2500
VERSION = "0.1.20250114"
REALM = 'Basic realm="DataForSEO REST API"'
#: Calls per minute, by pacing group (the vendor's documented limits).
LIMITS = {"tasks_ready": 20, "id_list": 10, "other": 2000}
CAP = 1000
_ID_LIST_FIELDS = frozenset(
    {"datetime_from", "datetime_to", "limit", "offset", "sort", "include_metadata"}
)
_FUTURE_SLACK = timedelta(seconds=60)
#: task_post: most tasks per call, keyword length, accepted fields, known names.
POST_MAX = 100
#: Fields every SERP task_post takes; a `serp_types.SerpType` adds its device and depth field.
_POST_COMMON = frozenset(
    {
        "keyword",
        "location_code",
        "location_name",
        "location_coordinate",
        "language_code",
        "language_name",
        "priority",
        "tag",
        "postback_url",
        "postback_data",
        "pingback_url",
        "se_domain",
    }
)
#: ... and for an endpoint outside the table (search_by_image, naver ...): the organic set.
_POST_FIELDS = _POST_COMMON | {"device", "os", "depth"}
_URL_MAX = 2048
#: Location and language names the emulator knows, and the codes the vendor answers with
#: (a task posted with a name comes back with the code, as the official models type it).
LOCATION_CODES = {
    "United States": 2840,
    "Germany": 2276,
    "France": 2250,
    "Spain": 2724,
    "Ukraine": 2804,
    "London,England,United Kingdom": 1006886,
}
LANGUAGE_CODES = {
    "English": "en",
    "German": "de",
    "French": "fr",
    "Spanish": "es",
    "Ukrainian": "uk",
}
LOCATION_NAMES = frozenset(LOCATION_CODES)
LANGUAGE_NAMES = frozenset(LANGUAGE_CODES)


class _Reply(Exception):
    """Raised inside a handler to answer at once with an envelope."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__()
        self.response = response


class DataForSEOApp:
    """The vendor half of the emulator (an `seotasks.emulation.EmulatorApp`)."""

    def __init__(
        self,
        dataset: Dataset,
        *,
        login: str,
        password: str,
        clock: Clock,
        now: Callable[[], datetime],
        enforce_limits: bool = True,
        post_delay: timedelta = timedelta(minutes=5),
        callback_timeout: float = 10.0,
    ) -> None:
        self.data = dataset
        self.now = now
        self.enforce_limits = enforce_limits
        #: How long a posted task takes to complete (on ``now``'s time).
        self.post_delay = post_delay
        #: Every task_post array the emulator processed, as received (after auth/limits).
        self.posted: list[list[Any]] = []
        self._auth = "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()
        self._limiter = ServerRateLimit({g: (n, 60.0) for g, n in LIMITS.items()}, clock)
        self._task_ids = itertools.count(1)
        self._count_lock = threading.Lock()
        #: The families whose id_list exists here (a test may take one away: 40400).
        self.id_list_families: frozenset[str] = frozenset(ID_LIST_FAMILIES)
        #: Calls answered per pacing group (authorized ones).
        self.calls: dict[str, int] = {g: 0 for g in LIMITS}
        #: 40202 answers given because a real limit was exceeded (not injected faults).
        self.rate_limited = 0
        #: Pingback/postback delivery (its thread starts with the first callback task).
        self.callbacks = Deliverer(dataset, now, self._postback_body, timeout=callback_timeout)

    # -- envelope ------------------------------------------------------------------------

    def _task_id(self) -> str:
        n = next(self._task_ids)
        stamp = time.strftime("%m%d%H%M", time.gmtime())
        return f"{stamp}-1535-0{n % 1000:03d}-0000-{n:012x}"

    def _envelope(
        self,
        started: float,
        *,
        code: int = 20000,
        message: str = "Ok.",
        tasks: list[dict[str, Any]] | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        tasks = tasks or []
        body = {
            "version": VERSION,
            "status_code": code,
            "status_message": message,
            "time": f"{time.perf_counter() - started:.4f} sec.",
            "cost": round(sum(float(t.get("cost") or 0) for t in tasks), 4),
            "tasks_count": len(tasks),
            "tasks_error": sum(1 for t in tasks if t["status_code"] >= 40000),
            "tasks": tasks,
        }
        data = json.dumps(body, separators=(",", ":")).encode()
        return json_response(status, data, **dict(headers or {}))

    def _task(
        self,
        started: float,
        path: str,
        data: Mapping[str, Any],
        result: list[Any] | None,
        *,
        code: int = 20000,
        message: str = "Ok.",
        cost: float = 0,
    ) -> dict[str, Any]:
        return {
            "id": self._task_id(),
            "status_code": code,
            "status_message": message,
            "time": f"{time.perf_counter() - started:.4f} sec.",
            "cost": cost,
            "result_count": len(result) if result else 0,
            "path": path.strip("/").split("/"),
            "data": dict(data),
            "result": result,
        }

    def _error(self, started: float, code: int, message: str, status: int = 200) -> _Reply:
        headers = {"WWW-Authenticate": REALM} if status == 401 else None
        return _Reply(
            self._envelope(started, code=code, message=message, status=status, headers=headers)
        )

    # -- routing -------------------------------------------------------------------------

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        started = time.perf_counter()
        try:
            if request.headers.get("authorization") != self._auth:
                raise self._error(
                    started, 40100, "You are not authorized to access this resource.", 401
                )
            if fault is Fault.RATE_LIMIT_BODY:
                raise self._error(started, 40202, "The rate-limit per minute has been exceeded.")
            route, group = self._route(request, started)
            self._admit(group, started)
            response = route()
            if fault is Fault.WRONG_TYPES:
                response = _wrong_types(response)
            return response
        except _Reply as reply:
            return reply.response

    def _route(
        self, request: HttpRequest, started: float
    ) -> tuple[Callable[[], HttpResponse], str]:
        parts = request.path.strip("/").split("/")
        if len(parts) >= 3 and parts[0] == "v3":
            if parts[-1] == "tasks_ready" and request.method == "GET":
                index = BY_NAME.get("/".join(parts[1:-1]))
                if index is not None:
                    return (lambda: self._tasks_ready(request.path, index, started)), "tasks_ready"
            if (
                len(parts) == 3
                and parts[2] == "id_list"
                and parts[1] in self.id_list_families
                and request.method == "POST"
            ):
                return (lambda: self._id_list(request, parts[1], started)), "id_list"
            if request.method == "POST" and parts[-1] == "task_post" and _posts(parts[1:-1]):
                return (lambda: self._task_post(request, parts, started)), "other"
            if request.method == "GET":
                found = _collect_route(parts)
                if found is not None:
                    kind, flavour = found
                    return (
                        lambda: self._task_get(request.path, kind, flavour, parts[-1], started)
                    ), "other"
        raise self._error(started, 40400, "Not Found.", 404)

    def _admit(self, group: str, started: float) -> None:
        if self.enforce_limits and self._limiter.admit(group) is None:
            with self._count_lock:
                self.rate_limited += 1
            raise self._error(started, 40202, "The rate-limit per minute has been exceeded.")
        with self._count_lock:
            self.calls[group] += 1

    # -- tasks_ready ---------------------------------------------------------------------

    def _tasks_ready(self, path: str, index: int, started: float) -> HttpResponse:
        endpoint = CATALOGUE[index]
        fields = vendor_shapes.ready_fields(endpoint.name) or SHAPES[endpoint.shape]
        now = self.now()
        with self.data.lock:
            items = [
                _ready_item(task, fields)
                for task in itertools.islice(self.data.ready_for(endpoint, now), CAP)
            ]
        parts = endpoint.name.split("/")
        data: dict[str, Any] = {"api": parts[0], "function": "tasks_ready"}
        if len(parts) > 1:
            data["se"] = parts[1]
        if len(parts) > 2:
            data["se_type"] = parts[2]
        task = self._task(started, path, data, items)
        return self._envelope(started, tasks=[task])

    # -- id_list -------------------------------------------------------------------------

    def _id_list(self, request: HttpRequest, family: str, started: float) -> HttpResponse:
        if not request.body.strip():
            raise self._error(started, 40502, "POST Data Is Empty.")
        try:
            payload = json.loads(request.body)
        except ValueError:
            raise self._error(started, 40503, "POST Data Is Invalid.") from None
        if not isinstance(payload, list) or not payload or not isinstance(payload[0], dict):
            raise self._error(started, 40503, "POST Data Is Invalid.")
        # The official client sends null for every field it was not given: unset, not a value.
        params: dict[str, Any] = {k: v for k, v in payload[0].items() if v is not None}
        data = {"api": family, "function": "id_list", **params}
        problem = self._check_id_list(params)
        if problem is not None:
            code, message = problem
            task = self._task(started, request.path, data, None, code=code, message=message)
            return self._envelope(started, tasks=[task])
        start = _when(params["datetime_from"])
        end = _when(params["datetime_to"])
        assert start is not None and end is not None
        metadata = bool(params.get("include_metadata", False))
        now = self.now()
        with self.data.lock:
            picked = self.data.history_slice(
                family,
                start,
                end,
                offset=int(params.get("offset", 0)),
                limit=int(params.get("limit", CAP)),
                desc=params.get("sort", "asc") == "desc",
            )
            items = [_history_item(t, now, metadata) for t in picked]
        task = self._task(started, request.path, data, items)
        return self._envelope(started, tasks=[task])

    def _check_id_list(self, params: Mapping[str, Any]) -> tuple[int, str] | None:
        unknown = sorted(set(params) - _ID_LIST_FIELDS)
        if unknown:
            return 40506, f"Unknown Fields in POST Data: {', '.join(unknown)}."
        now = self.now()
        metadata = params.get("include_metadata", False)
        if not isinstance(metadata, bool):
            return 40501, "Invalid Field: 'include_metadata'."
        start = _when(params.get("datetime_from"))
        if start is None:
            return 40501, "Invalid Field: 'datetime_from'."
        end = _when(params.get("datetime_to"))
        if end is None:
            return 40501, "Invalid Field: 'datetime_to'."
        keep = METADATA_KEEP if metadata else HISTORY_KEEP
        if start < now - keep or start > now + _FUTURE_SLACK:
            return 40501, "Invalid Field: 'datetime_from'. Out of the allowed date range."
        if end > now + _FUTURE_SLACK:
            return 40501, "Invalid Field: 'datetime_to'. Out of the allowed date range."
        if end <= start:
            return 40501, "Invalid Field: 'datetime_to'. Must be greater than 'datetime_from'."
        limit = params.get("limit", CAP)
        if type(limit) is not int or not 1 <= limit <= CAP:
            return 40501, "Invalid Field: 'limit'."
        offset = params.get("offset", 0)
        if type(offset) is not int or not 0 <= offset <= 100_000_000:
            return 40501, "Invalid Field: 'offset'."
        if params.get("sort", "asc") not in ("asc", "desc"):
            return 40501, "Invalid Field: 'sort'."
        return None

    # -- task_post -----------------------------------------------------------------------

    def _task_post(self, request: HttpRequest, parts: list[str], started: float) -> HttpResponse:
        if not request.body.strip():
            raise self._error(started, 40502, "POST Data Is Empty.")
        try:
            payload = json.loads(request.body)
        except ValueError:
            raise self._error(started, 40503, "POST Data Is Invalid.") from None
        if not isinstance(payload, list):
            raise self._error(started, 40503, "POST Data Is Invalid.")
        if not payload:
            raise self._error(started, 40502, "POST Data Is Empty.")
        if len(payload) > POST_MAX:
            raise self._error(started, 40006, "You can set no more than 100 tasks at a time.")
        kind = "/".join(parts[1:-1])
        serp = serp_types.find(parts[2], parts[3]) if parts[1] == "serp" else None
        documented = vendor_shapes.post_fields(kind)
        now = self.now()
        replies: list[dict[str, Any]] = []
        callbacks = False
        with self.data.lock:
            self.posted.append(payload)
            for item in payload:
                data: dict[str, Any] = {"api": parts[1], "function": "task_post"}
                if len(parts) > 4:
                    data.update(se=parts[2], se_type=parts[3])
                if isinstance(item, dict):
                    # null is the official client's "not set": neither a value nor echoed.
                    item = {k: v for k, v in item.items() if v is not None}
                    data.update(item)
                problem = _check_post(item, serp, documented)
                if problem is not None:
                    code, message = problem
                    replies.append(
                        self._task(started, request.path, data, None, code=code, message=message)
                    )
                    continue
                task = self._create(kind, item, now)
                callbacks = callbacks or task.callback is not None
                reply = self._task(
                    started,
                    request.path,
                    data,
                    None,
                    code=20100,
                    message="Task Created.",
                    cost=task.cost,
                )
                reply["id"] = task.id
                replies.append(reply)
        if callbacks:
            self.callbacks.start()
        return self._envelope(started, tasks=replies)

    def _create(self, kind: str, item: Mapping[str, Any], now: datetime) -> EmuTask:
        rng = self.data._rng
        posted = now.replace(microsecond=0)
        task = EmuTask(
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            kind,
            posted,
            posted + self.post_delay,
            20000,
            rng,
        )
        task.keyword = _keyword_of(item)
        task.device = str(item.get("device", "desktop"))
        task.language = _language_of(item)
        task.location = _location_of(item)
        task.tag = item.get("tag")
        task.cost = 0.0006 if item.get("priority", 1) == 1 else 0.0012
        task.done_s = _format_time(task.done)
        if item.get("postback_url") is not None:
            task.callback = Callback("postback", item["postback_url"], item.get("postback_data"))
        elif item.get("pingback_url") is not None:
            task.callback = Callback("pingback", item["pingback_url"])
        task.awaiting = task.callback is not None
        self.data._insert(task, now)
        return task

    def _postback_body(self, task: EmuTask, flavour: str) -> bytes:
        """What a postback carries: the task_get answer of ``flavour`` for ``task``."""
        started = time.perf_counter()
        if "" in offered_flavours(task.kind):  # one result, no flavour (Keywords Data ...)
            flavour = ""
        path = f"/v3/{task.kind}/task_get/{flavour + '/' if flavour else ''}{task.id}"
        data: dict[str, Any] = {"api": task.family, "function": "task_get", **_metadata(task)}
        with self.data.lock:
            reply = self._task(started, path, data, results.build(task, flavour), cost=task.cost)
        reply["id"] = task.id
        return self._envelope(started, tasks=[reply]).body

    # -- task_get ------------------------------------------------------------------------

    def _task_get(
        self, path: str, kind: str, flavour: str, task_id: str, started: float
    ) -> HttpResponse:
        now = self.now()
        data: dict[str, Any] = {"api": kind.split("/")[0], "function": "task_get"}
        with self.data.lock:
            self.data.promote(now)
            task = self.data.by_id.get(task_id)
            if task is None or task.kind != kind:
                reply = self._task(started, path, data, None, code=40401, message="Task Not Found.")
                return self._envelope(started, tasks=[reply])
            data.update(_metadata(task))
            code = task.code_at(now)
            if code == 20000 and task.done < now - RESULTS_KEEP:
                code = 40403
            if code != 20000:
                message = "Results Expired." if code == 40403 else MESSAGES.get(code, "Error.")
                reply = self._task(
                    started, path, data, None, code=code, message=message, cost=task.cost
                )
                reply["id"] = task.id
                return self._envelope(started, tasks=[reply])
            self.data.collect(task)
            result = results.build(task, flavour)
        reply = self._task(started, path, data, result, cost=task.cost)
        reply["id"] = task.id
        return self._envelope(started, tasks=[reply])


def _posts(kind_parts: list[str]) -> bool:
    """Whether ``POST /v3/<kind>/task_post`` exists: an endpoint of the catalogue with a
    documented task_post (or a SERP endpoint the official client does not know)."""
    kind = "/".join(kind_parts)
    index = BY_NAME.get(kind)
    if index is None or CATALOGUE[index].aggregate:
        return False
    return vendor_shapes.post_fields(kind) is not None or kind_parts[0] == "serp"


#: Result flavours of an endpoint the official client does not know (the SERP three).
_LEGACY_FLAVOURS = frozenset({"regular", "advanced", "html"})


def offered_flavours(kind: str) -> frozenset[str]:
    """The task_get flavours ``kind`` has: those the official client offers for it."""
    known = vendor_shapes.flavours(kind)
    if known is not None:
        return known
    return _LEGACY_FLAVOURS if kind.startswith("serp/") else frozenset({""})


def _collect_route(parts: list[str]) -> tuple[str, str] | None:
    """``(kind, flavour)`` of a task_get (or On-Page summary) path, or None: not found.

    Only the flavours the vendor offers for the endpoint exist (``""`` is a plain
    ``task_get/<id>``); any other flavour is the vendor's 404.
    """
    if parts[1:3] == ["on_page", "summary"] and len(parts) == 4:
        return "on_page", "summary"
    if "task_get" not in parts:
        return None
    at = parts.index("task_get")
    kind = "/".join(parts[1:at])
    rest = parts[at + 1 :]
    if kind not in BY_NAME or len(rest) not in (1, 2):
        return None
    flavour = rest[0] if len(rest) == 2 else ""
    return (kind, flavour) if flavour in offered_flavours(kind) else None


def _keyword_of(item: Mapping[str, Any]) -> str:
    """What the task is about, decoded as the vendor decodes ``keyword`` (%## and '+')."""
    keyword = item.get("keyword")
    if isinstance(keyword, str):
        return unquote_plus(keyword)
    for name in ("keywords", "targets"):
        value = item.get(name)
        if isinstance(value, list) and value and isinstance(value[0], str):
            return value[0]
    for name in ("target", "url", "app_id", "asin", "product_id", "video_id", "dataset_id"):
        value = item.get(name)
        if isinstance(value, str):
            return value
    return "task"


def _location_of(item: Mapping[str, Any]) -> int | None:
    """The location *code* of a posted task (a name is answered with its code)."""
    code = _code(item.get("location_code"))
    if code is not None:
        return code
    name = item.get("location_name")
    if isinstance(name, str):
        return LOCATION_CODES.get(name)
    return None


def _code(value: object) -> int | None:
    """A location code: an integer, or (Google Trends' request model types it as a
    string) a string of ASCII digits; None for anything else."""
    if type(value) is int:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 10:
        return int(value)
    return None


def _language_of(item: Mapping[str, Any]) -> str | None:
    """The language *code* of a posted task (a name is answered with its ISO code)."""
    code = item.get("language_code")
    if isinstance(code, str):
        return code
    name = item.get("language_name")
    if isinstance(name, str):
        return LANGUAGE_CODES.get(name)
    return None


def _check_post(
    item: object,
    serp: serp_types.SerpType | None,
    documented: Mapping[str, tuple[str, bool]] | None,
) -> tuple[int, str] | None:
    """The vendor's per-task validation of one task_post item (None: accepted).

    ``documented`` is the endpoint's row of `vendor_shapes` (every documented field, its
    type, whether it is required); ``serp`` the endpoint's row of
    `serp_types.SERP_TYPES` (devices, depth limits and field, postback flavours) where the
    provider can post to it. Without a documented row (an endpoint the official client
    does not know) the organic set of fields is allowed. null values were dropped before:
    null is "not set".
    """
    if not isinstance(item, dict):
        return 40503, "POST Data Is Invalid."
    if documented is not None:
        allowed: frozenset[str] | set[str] = set(documented)
    elif serp is not None:
        allowed = _POST_COMMON | ({"device", "os"} if serp.device_field else set())
        if serp.depth_field is not None:
            allowed = allowed | {serp.depth_field}
    else:
        allowed = _POST_FIELDS
    unknown = sorted(set(item) - allowed)
    if unknown:
        return 40506, f"Unknown Fields in POST Data: {', '.join(unknown)}."
    for name, (json_type, required) in (documented or {}).items():
        if name in item and not vendor_shapes.matches(item[name], json_type):
            return 40501, f"Invalid Field: '{name}'."
        if required and name not in item:
            return 40501, f"Invalid Field: '{name}'."
    fields = set(documented) if documented is not None else set(allowed)
    if "keyword" in item or (documented is None and "keyword" in fields):
        keyword = item.get("keyword")
        if not isinstance(keyword, str) or not keyword.strip() or len(keyword) > 700:
            return 40501, "Invalid Field: 'keyword'."
    problem = _check_place(item, serp, fields)
    if problem is not None:
        return problem
    if serp is not None or documented is None:
        device = item.get("device", "desktop")
        devices = serp.devices if serp is not None else ("desktop", "mobile", "tablet")
        if device not in devices:
            return 40501, "Invalid Field: 'device'."
        depth_field = serp.depth_field if serp is not None else "depth"
        if depth_field is not None and depth_field in item:
            depth = item[depth_field]
            most = serp.depths[device].most if serp is not None else 700
            if type(depth) is not int or not 1 <= depth <= most:
                return 40501, f"Invalid Field: '{depth_field}'."
    if item.get("priority", 1) not in (1, 2) or type(item.get("priority", 1)) is not int:
        return 40501, "Invalid Field: 'priority'."
    tag = item.get("tag")
    if tag is not None and (not isinstance(tag, str) or len(tag) > 255):
        return 40501, "Invalid Field: 'tag'."
    for field in ("pingback_url", "postback_url"):
        if field in item and not _callback_url(item[field]):
            return 40501, f"Invalid Field: '{field}'."
    # postback_data names the flavour a postback carries, where the endpoint has flavours
    # (Keywords Data, Business Data, LLM responses document no such field: one result).
    if "postback_url" in item and (documented is None or "postback_data" in documented):
        flavours = serp.postback_data if serp is not None else serp_types.ALL_FLAVOURS
        if item.get("postback_data") not in flavours:
            return 40501, "Invalid Field: 'postback_data'."
    return None


def _check_place(
    item: Mapping[str, Any], serp: serp_types.SerpType | None, fields: set[str]
) -> tuple[int, str] | None:
    """Location and language, where the endpoint has them.

    One of ``location_code`` / ``location_name`` / ``location_coordinate`` is needed
    ("required field if you don't specify" the others); the vendor's pages say a caller
    "doesn't need to" send more than one, not that more is refused, so when several are
    sent the code wins, then the name, then the coordinate. The same for the language.
    """
    ways = [f for f in ("location_code", "location_name", "location_coordinate") if f in fields]
    if ways and not any(f in item for f in ways) and serp is not None:
        return 40501, "Invalid Field: 'location_name'."
    code, name = _code(item.get("location_code")), item.get("location_name")
    if "location_code" in item and (code is None or code < 1):
        return 40501, "Invalid Field: 'location_code'."
    if name is not None and name not in LOCATION_NAMES:
        return 40501, "Invalid Field: 'location_name'."
    coordinate = item.get("location_coordinate")
    if coordinate is not None and not _coordinate(coordinate):
        return 40501, "Invalid Field: 'location_coordinate'."
    code, name = item.get("language_code"), item.get("language_name")
    languages = [f for f in ("language_code", "language_name") if f in fields]
    required = serp is not None and serp.language_required
    if languages and required and code is None and name is None:
        return 40501, "Invalid Field: 'language_name'."
    if code is not None and (not isinstance(code, str) or not 2 <= len(code) <= 7):
        return 40501, "Invalid Field: 'language_code'."
    if name is not None and name not in LANGUAGE_NAMES:
        return 40501, "Invalid Field: 'language_name'."
    return None


def _coordinate(value: object) -> bool:
    """``latitude,longitude[,radius|zoom]`` as the vendor documents it."""
    if not isinstance(value, str):
        return False
    parts = value.split(",")
    if len(parts) not in (2, 3):
        return False
    try:
        lat, lon = float(parts[0]), float(parts[1])
        if len(parts) == 3:
            float(parts[2].rstrip("mz"))
    except ValueError:
        return False
    return -90 <= lat <= 90 and -180 <= lon <= 180


def _callback_url(value: object) -> bool:
    """An absolute http(s) URL of sane length (what the vendor can call)."""
    if not isinstance(value, str) or not 0 < len(value) <= _URL_MAX:
        return False
    try:
        split = urlsplit(value)
    except ValueError:
        return False
    return split.scheme in ("http", "https") and bool(split.hostname)


def _when(value: object) -> datetime | None:
    """A request datetime (``yyyy-mm-dd hh:mm:ss +00:00``), or None when malformed."""
    if not isinstance(value, str) or len(value) < 19 or value[10] != " ":
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def _endpoints(task: EmuTask) -> dict[str, str | None]:
    """The collect links of a tasks_ready item: null for a flavour the endpoint lacks
    (the vendor: "if SERP Regular is not supported ... the value will be null"); a plain
    ``endpoint`` names the endpoint's one flavour (Hotel Info: ``task_get/advanced``)."""
    base = f"/v3/{task.kind}/task_get"
    offered = offered_flavours(task.kind)
    links: dict[str, str | None] = {
        f"endpoint_{f}": f"{base}/{f}/{task.id}" if f in offered else None
        for f in ("regular", "advanced", "html", "json")
    }
    if "" in offered:
        links["endpoint"] = f"{base}/{task.id}"
    else:
        first = next((f for f in ("advanced", "json", "regular", "html") if f in offered), None)
        links["endpoint"] = None if first is None else f"{base}/{first}/{task.id}"
    return links


def _ready_item(task: EmuTask, fields: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": task.id,
        "se": task.se,
        "se_type": task.se_type,
        "date_posted": task.posted_s,
        "tag": task.tag,
        "function": task.se_type,
        "target": f"{task.keyword}-{task.id[:4]}.example.com",
    }
    item: dict[str, Any] = {}
    links: dict[str, str | None] | None = None
    for name in fields:
        if name.startswith("endpoint"):
            if links is None:
                links = _endpoints(task)
            item[name] = links[name]
        else:
            item[name] = values[name]
    return item


def _metadata(task: EmuTask) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "api": task.family,
        "function": "live" if task.family in _LIVE_FAMILIES else "task_post",
        "keyword": task.keyword,
        "location_code": task.location,
        "language_code": task.language,
        "device": task.device,
    }
    if task.se:
        meta["se"] = task.se
    if task.se_type:
        meta["se_type"] = task.se_type
    if task.tag is not None:
        meta["tag"] = task.tag
    return meta


_LIVE_FAMILIES = frozenset({"dataforseo_labs", "backlinks", "domain_analytics", "content_analysis"})


def _history_item(task: EmuTask, now: datetime, metadata: bool) -> dict[str, Any]:
    code = task.code_at(now)
    done = task.done_s if task.done <= now else None
    function = "live" if task.family in _LIVE_FAMILIES else "task_post"
    return {
        "id": task.id,
        "url": f"https://api.dataforseo.com/v3/{task.kind}/{function}",
        "datetime_posted": task.posted_s,
        "datetime_done": done,
        "status": MESSAGES.get(code, "Error."),
        "cost": task.cost if done else 0,
        "metadata": _metadata(task) if metadata else None,
    }


def _wrong_types(response: HttpResponse) -> HttpResponse:
    """The answer with one value of the wrong type (a number where a string belongs)."""
    try:
        body = json.loads(response.body)
        result = body["tasks"][0]["result"]
    except (ValueError, KeyError, IndexError, TypeError):
        return response
    if result:
        first = result[0]
        key = "datetime_posted" if "datetime_posted" in first else "date_posted"
        if key not in first:
            key = "id"
        first[key] = 12345
    else:
        body["status_code"] = "20000"
    return HttpResponse(
        status=response.status,
        body=json.dumps(body, separators=(",", ":")).encode(),
        headers=response.headers,
    )


def _status_of(task: EmuTask, now: datetime) -> TaskStatus:
    code = task.code_at(now)
    if code in (20000, 40102):
        return TaskStatus.COMPLETED
    if code == 40602:
        return TaskStatus.QUEUED
    if code == 40601:
        return TaskStatus.RUNNING
    return TaskStatus.FAILED


class DataForSEOEmulator:
    """A running DataForSEO emulator with seeded data, plus ground truth for tests.

    ``clock`` counts the per-minute limits (share a `FakeClock` / `ScaledClock` with the
    client to run them instantly); ``now`` is the wall clock of the data (posting and
    completion times, the 3-day and 6-month windows), real UTC time by default.
    """

    def __init__(
        self,
        seed: int = 0,
        size: int = DEFAULT_SIZE,
        *,
        clock: Clock | None = None,
        now: Callable[[], datetime] | None = None,
        login: str = "emulator-login",
        password: str | None = None,
        span_days: float = 120,
        recent: float = 0.5,
        kinds: Iterable[str] | None = None,
        enforce_limits: bool = True,
        post_delay: timedelta = timedelta(minutes=5),
        callback_timeout: float = 10.0,
    ) -> None:
        self.now: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        self.clock: Clock = clock or SystemClock()
        self.login = login
        self.password = password or f"emu-s3cret-{seed:04d}-dfs"
        self.dataset = Dataset(
            seed=seed,
            size=size,
            now=self.now,
            span=timedelta(days=span_days),
            recent=recent,
            kinds=kinds,
        )
        self.app = DataForSEOApp(
            self.dataset,
            login=self.login,
            password=self.password,
            clock=self.clock,
            now=self.now,
            enforce_limits=enforce_limits,
            post_delay=post_delay,
            callback_timeout=callback_timeout,
        )
        self.server = EmulatorServer(self.app)
        self._started = False
        self._churn_rng = random.Random(seed + 1)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> DataForSEOEmulator:
        if not self._started:
            self.server.start()
            self._started = True
        return self

    def stop(self) -> None:
        self.app.callbacks.stop()
        if self._started:
            self.server.stop()
            self._started = False

    def __enter__(self) -> DataForSEOEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<DataForSEOEmulator {self.url} {self.size} tasks>"

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def settings(self) -> dict[str, str]:
        """Keyword arguments for ``seotasks.connect("dataforseo", **settings)``."""
        return {"base_url": self.url, "login": self.login, "password": self.password}

    @property
    def size(self) -> int:
        with self.dataset.lock:
            return len(self.dataset.by_id)

    @property
    def rate_limited(self) -> int:
        """How many calls were refused with 40202 for exceeding a real limit."""
        return self.app.rate_limited

    @property
    def calls(self) -> dict[str, int]:
        """Authorized calls answered, per group (``tasks_ready``, ``id_list``, ``other``)."""
        return dict(self.app.calls)

    # -- changing the data -----------------------------------------------------------------

    def add_tasks(
        self,
        count: int,
        *,
        kinds: Iterable[str] | None = None,
        posted: datetime | tuple[datetime, datetime] | None = None,
        code: int | None = None,
        delay: timedelta | None = None,
    ) -> list[str]:
        """Insert ``count`` tasks now (mid-run is fine); returns their ids.

        ``posted`` is an instant or a (start, end) range (default: the seeded spread);
        ``code`` the final status code (default: mostly 20000); ``delay`` the time
        from posting to completion (a completion in the future keeps a task pending).
        """
        return self.dataset.add_random(count, kinds=kinds, posted=posted, code=code, delay=delay)

    def churn(self) -> None:
        """Move the account the way DataForSEO's moves under a reader: the kit's hook.

        Four tasks posted at seeded times (some land behind the reader, some ahead),
        two posted now that complete later, two pending tasks completed now (a status
        change; in tasks_ready they appear), two ready tasks collected (they leave
        tasks_ready) and one task forgotten (it leaves id_list and tasks_ready, as
        retention does).
        """
        rng = self._churn_rng
        now = self.now()
        self.add_tasks(4)
        self.add_tasks(2, posted=now, delay=timedelta(hours=1))
        data = self.dataset
        with data.lock:
            pending = data.pending(now)
            for task in rng.sample(pending, min(2, len(pending))):
                data.finish_now(task, now)
            ready = sorted(t.id for d in data.ready.values() for t in d.values())
            for task_id in rng.sample(ready, min(2, len(ready))):
                data.collect(data.by_id[task_id])
            every = sorted(data.by_id)
            if every:
                data.forget(data.by_id[rng.choice(every)])

    # -- ground truth --------------------------------------------------------------------

    def ready_ids(self, families: Iterable[str] | None = None) -> set[str]:
        """Every id a full drain of ``families`` would list now (beyond the 1000 cap)."""
        chosen = resolve_ready(list(families or DEFAULT_FAMILIES))
        with self.dataset.lock:
            return self.dataset.ready_ids(chosen, self.now())

    def history_ids(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        status: TaskStatus | str | None = None,
        families: Iterable[str] | None = None,
        *,
        time_field: str = "created_at",
    ) -> set[str]:
        """Ids with ``since <= posted < until`` in ``families``, optionally of one status.

        ``time_field="completed_at"`` bounds the completion time instead (tasks not done
        by now have none and are left out of a bounded query).
        """
        by_done = time_field == "completed_at"
        wanted = resolve_history(list(families or HISTORY_DEFAULT_FAMILIES))
        want_status = None if status is None else TaskStatus(status)
        now = self.now()
        ids: set[str] = set()
        with self.dataset.lock:
            for family in wanted:
                for key in self.dataset.history[family.family]:
                    task = self.dataset.by_id[key[1]]
                    when: datetime | None = task.posted
                    if by_done:
                        when = task.done if task.done <= now else None
                    if (since is not None or until is not None) and when is None:
                        continue
                    if since is not None and when is not None and when < since:
                        continue
                    if until is not None and when is not None and when >= until:
                        continue
                    if not family.wants(task.kind):
                        continue
                    if want_status is not None and _status_of(task, now) is not want_status:
                        continue
                    ids.add(task.id)
        return ids

    def posted(self) -> list[list[Any]]:
        """Every task_post array processed so far (a lost answer still counts once)."""
        with self.dataset.lock:
            return [list(batch) for batch in self.app.posted]

    def deliveries(self) -> list[Delivery]:
        """Every pingback/postback attempted so far (task id, how, outcome; no URL)."""
        with self.app.callbacks._cond:
            return list(self.app.callbacks.deliveries)

    def wait_callbacks(self, timeout: float = 15.0) -> bool:
        """Wait until every callback due by ``now`` was attempted; False on timeout."""
        return self.app.callbacks.wait_idle(timeout)

    def collected_ids(self) -> set[str]:
        """Ids fetched with task_get at least once."""
        with self.dataset.lock:
            return {t.id for t in self.dataset.by_id.values() if t.collected}

    def task(self, task_id: str) -> dict[str, Any]:
        """One task as plain data: kind, times, status code now, collected flag."""
        with self.dataset.lock:
            t = self.dataset.by_id[task_id]
            now = self.now()
            return {
                "id": t.id,
                "kind": t.kind,
                "posted": t.posted,
                "done": t.done if t.done <= now else None,
                "code": t.code_at(now),
                "status": _status_of(t, now).value,
                "tag": t.tag,
                "cost": t.cost,
                "collected": t.collected,
                "ready": t.listable and not t.collected and now - READY_KEEP <= t.done <= now,
                "callback": None if t.callback is None else t.callback.how,
                "awaiting": t.awaiting,
                "delivered": t.delivered,
            }
