"""The vendor half of the DataForSEO emulator: `DataForSEOApp` routes each request, checks
auth and the per-minute limits, and answers in the vendor's envelope.

`emulator.DataForSEOEmulator` wraps it in a loopback server with its data set; the request
checks live in `checks`, the item shapes in `answers`, the envelope in `envelope`.
"""

from __future__ import annotations

import base64
import functools
import itertools
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from seotasks.clock import Clock
from seotasks.emulation import Fault, HttpRequest, HttpResponse, ServerRateLimit

from .. import serp_types
from ..endpoints import BY_NAME, CATALOGUE, ID_LIST_FAMILIES, SHAPES
from . import errors, labs_live, results, vendor_shapes
from .answers import FIXED_KINDS, fixed_data, history_item, mismatched_id, ready_item, wrong_types
from .billing import Wallet, task_cost, user_data_item
from .callbacks import Deliverer
from .checks import (
    CAP,
    POST_MAX,
    check_id_list,
    check_post,
    collect_route,
    language_of,
    location_of,
    offered_flavours,
    parse_when,
    posts,
)
from .dataset import HTML_KEEP, MESSAGES, RESULTS_KEEP, Callback, Dataset, EmuTask
from .envelope import PostRefused, envelope, new_task_id, post_array, task_entry
from .posted import posted_task, queue_share
from .simultaneous import Simultaneous
from .task_echo import echo

__all__ = ["DataForSEOApp"]

REALM = 'Basic realm="DataForSEO REST API"'
#: Calls per minute, by pacing group (the vendor's documented limits).
LIMITS = {"tasks_ready": 20, "id_list": 10, "other": 2000}


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
        self.login = login
        #: The account's money: charged per task posted, reported by ``appendix/user_data``.
        self.wallet = Wallet()
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
        #: The calls in progress at once, at most 30 (40209 beyond).
        self.simultaneous = Simultaneous()
        #: Pads each task_get result with items to about this many bytes (0: none).
        self.result_padding = 0
        #: The errors ``/v3/<family>/errors`` lists (failed webhooks, refused tasks).
        self.errors = errors.ErrorLog(now)
        #: Pingback/postback delivery (its thread starts with the first callback task).
        self.callbacks = Deliverer(
            dataset, now, self._postback_body, timeout=callback_timeout, errors=self.errors
        )

    # -- envelope ------------------------------------------------------------------------

    def _task_id(self) -> str:
        return new_task_id(next(self._task_ids), self.now())

    def _task(
        self,
        started: float,
        path: str,
        data: Mapping[str, Any],
        result: list[Any] | None,
        *,
        task: EmuTask | None = None,
        code: int = 20000,
        message: str = "Ok.",
        cost: float = 0,
    ) -> dict[str, Any]:
        """A task entry; ``task``: the emulated task it answers for (its id, else a new one)."""
        task_id = task.id if task is not None else self._task_id()
        return task_entry(
            task_id, started, path, data, result, code=code, message=message, cost=cost
        )

    def _error(self, started: float, code: int, message: str, status: int = 200) -> _Reply:
        headers = {"WWW-Authenticate": REALM} if status == 401 else None
        return _Reply(envelope(started, code=code, message=message, status=status, headers=headers))

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
            with self.simultaneous.slot() as admitted:
                if not admitted and self.enforce_limits:
                    raise self._error(started, 40209, "Too many simultaneous queries.")
                route, group = self._route(request, started)
                self._admit(group, started)
                response = route()
            if fault is Fault.WRONG_TYPES:
                response = wrong_types(response)
            if fault is Fault.MISMATCHED_ID:
                response = mismatched_id(response)
            return response
        except _Reply as reply:
            return reply.response

    def _route(
        self, request: HttpRequest, started: float
    ) -> tuple[Callable[[], HttpResponse], str]:
        parts = request.path.strip("/").split("/")
        if len(parts) >= 3 and parts[0] == "v3":
            if parts[-1] == "tasks_ready" and request.method in ("GET", "POST"):
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
            if request.method == "POST" and parts[-1] == "live":
                live = "/".join(parts[1:-1])
                if live in labs_live.KINDS:
                    return (lambda: self._live(request, live, started)), "other"
            if parts == ["v3", "appendix", "user_data"] and request.method == "GET":
                data = {"api": "appendix", "function": "user_data"}
                user = user_data_item(self.login, self.wallet, LIMITS["other"], self.now())
                return (lambda: self._answer(started, request.path, data, [user])), "other"
            if parts == ["v3", "appendix", "webhook_resend"] and request.method == "POST":
                return (lambda: self._resend(request, started)), "other"
            if parts == ["v3", "appendix", "errors"] and request.method == "GET":
                data = {"api": "appendix", "function": "errors"}
                table = errors.code_table()
                return (lambda: self._answer(started, request.path, data, table)), "other"
            family_errors = len(parts) == 3 and parts[2] == "errors"
            if family_errors and parts[1] in errors.ERRORS_FAMILIES and request.method == "POST":
                return (lambda: self._errors(request, parts[1], started)), "other"
            if request.method == "POST" and parts[-1] == "task_post" and posts(parts[1:-1]):
                return (lambda: self._task_post(request, parts, started)), "other"
            if request.method == "GET":
                if parts[-1] == "tasks_fixed" and "/".join(parts[1:-1]) in FIXED_KINDS:
                    fixed = fixed_data(parts)
                    return (lambda: self._answer(started, request.path, fixed, [])), "other"
                found = collect_route(parts)
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
                ready_item(task, fields)
                for task in itertools.islice(self.data.ready_for(endpoint, now), CAP)
            ]
        parts = endpoint.name.split("/")
        data: dict[str, Any] = {"api": parts[0], "function": "tasks_ready"}
        data.update(zip(("se", "se_type"), parts[1:3], strict=False))  # those the path has
        task = self._task(started, path, data, items)
        return envelope(started, tasks=[task])

    # -- appendix/user_data, appendix/errors, <family>/errors ----------------------------

    def _answer(
        self, started: float, path: str, data: dict[str, Any], result: list[Any]
    ) -> HttpResponse:
        return envelope(started, tasks=[self._task(started, path, data, result)])

    def _errors(self, request: HttpRequest, family: str, started: float) -> HttpResponse:
        data, result, code, message = errors.answer(
            self.errors, family, self._post_array(request, started)
        )
        task = self._task(started, request.path, data, result, code=code, message=message)
        return envelope(started, tasks=[task])

    # -- id_list -------------------------------------------------------------------------

    def _post_array(self, request: HttpRequest, started: float, *, one: bool = False) -> list[Any]:
        try:
            return post_array(request.body, one=one)
        except PostRefused as refused:
            raise self._error(started, refused.code, refused.message) from None

    def _resend(self, request: HttpRequest, started: float) -> HttpResponse:
        """``appendix/webhook_resend``: each task's callback made again, free."""
        asked, now = self._post_array(request, started)[:POST_MAX], self.now()
        with self.data.lock:
            answers = [self.data.resend(item, now) for item in asked]
        self.callbacks.start()
        path, data = request.path, {"api": "appendix", "function": "webhook_resend"}
        replies = [
            self._task(started, path, data, None, task=t, code=c, message=m) for t, c, m in answers
        ]
        return envelope(started, tasks=replies)

    def _id_list(self, request: HttpRequest, family: str, started: float) -> HttpResponse:
        payload = self._post_array(request, started, one=True)
        if not payload or not isinstance(payload[0], dict):
            raise self._error(started, 40503, "POST Data Is Invalid.")
        # The official client sends null for every field it was not given: unset, not a value.
        params: dict[str, Any] = {k: v for k, v in payload[0].items() if v is not None}
        data = {"api": family, "function": "id_list", **params}
        problem = check_id_list(params, self.now())
        if problem is not None:
            code, message = problem
            task = self._task(started, request.path, data, None, code=code, message=message)
            return envelope(started, tasks=[task])
        start = parse_when(params["datetime_from"])
        end = parse_when(params["datetime_to"])
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
            items = [history_item(t, now, metadata) for t in picked]
        task = self._task(started, request.path, data, items)
        return envelope(started, tasks=[task])

    # -- task_post -----------------------------------------------------------------------

    def _task_post(self, request: HttpRequest, parts: list[str], started: float) -> HttpResponse:
        payload = self._post_array(request, started)
        if not payload:
            raise self._error(started, 40502, "POST Data Is Empty.")
        # Over 100 tasks: the vendor creates the first 100 and answers each task beyond
        # them with its own 40006 entry (the call itself succeeds).
        payload, beyond = payload[:POST_MAX], payload[POST_MAX:]
        kind = "/".join(parts[1:-1])
        serp = serp_types.find(parts[2], parts[3]) if parts[1] == "serp" else None
        documented = vendor_shapes.post_fields(kind)
        now = self.now()
        replies: list[dict[str, Any]] = []
        # Every entry answers for this call: its start, its path, no result.
        entry = functools.partial(self._task, started, request.path, result=None)
        callbacks = False
        checked: list[tuple[Any, dict[str, Any], tuple[int, str] | None]] = []
        for item in payload:
            data: dict[str, Any] = {"api": parts[1], "function": "task_post"}
            if len(parts) > 4:
                data.update(se=parts[2], se_type=parts[3])
            if isinstance(item, dict):
                # null is the official client's "not set": neither a value nor echoed.
                item = {k: v for k, v in item.items() if v is not None}
                data.update(item)
            checked.append((item, data, check_post(item, serp, documented, kind=kind)))
        # The whole call is paid for, or refused before anything is created (`billing`).
        price = sum(task_cost(item, kind) for item, _, problem in checked if problem is None)
        if not self.wallet.charge(price, now):
            raise self._error(started, 40210, "Insufficient Funds.", 402)
        with self.data.lock:
            self.posted.append(payload)
            for item, data, problem in checked:
                if problem is not None:
                    code, message = problem
                    replies.append(entry(data, code=code, message=message))
                    continue
                task = self._create(kind, item, now)
                callbacks = callbacks or task.callback is not None
                replies.append(
                    entry(data, task=task, code=20100, message="Task Created.", cost=task.cost)
                )
            for item in beyond:
                data = {"api": parts[1], "function": "task_post"}
                if isinstance(item, dict):
                    data.update({k: v for k, v in item.items() if v is not None})
                message = "You can set no more than 100 tasks at a time."
                replies.append(entry(data, code=40006, message=message))
        if callbacks:
            self.callbacks.start()
        self.errors.add_answers(parts[1], f"{parts[1]}/task_post", request.path, "POST", replies)
        return envelope(started, tasks=replies)

    def _create(self, kind: str, item: Mapping[str, Any], now: datetime) -> EmuTask:
        posted = now.replace(microsecond=0)
        done = posted + self.post_delay * queue_share(item, self.data._rng)
        task = posted_task(self.data, kind, item, posted, done.replace(microsecond=0))
        task.device, task.cost = str(item.get("device", "desktop")), task_cost(item, kind)
        if item.get("postback_url") is not None:
            task.callback = Callback("postback", item["postback_url"], item.get("postback_data"))
        elif item.get("pingback_url") is not None:
            task.callback = Callback("pingback", item["pingback_url"])
        task.awaiting = task.callback is not None
        self.data._insert(task, now)
        return task

    def _live(self, request: HttpRequest, kind: str, started: float) -> HttpResponse:
        """A Labs live call: one task, answered at once with its result, then listed in
        the Labs id_list with its posted fields (`labs_live`)."""
        payload = self._post_array(request, started, one=True)
        if not payload:
            raise self._error(started, 40502, "POST Data Is Empty.")
        item = payload[0]
        if isinstance(item, dict):
            item = {k: v for k, v in item.items() if v is not None}
        problem = labs_live.check(kind, item)
        if problem is None and isinstance(item, dict):
            if "location_name" in item and location_of(item) is None:
                problem = 40501, "Invalid Field: 'location_name'."
            elif "language_name" in item and language_of(item) is None:
                problem = 40501, "Invalid Field: 'language_name'."
        data: dict[str, Any] = {"api": "dataforseo_labs", "function": "live"}
        if problem is not None or not isinstance(item, dict):
            code, message = problem or (40503, "POST Data Is Invalid.")
            if isinstance(item, dict):
                data.update((k, v) for k, v in item.items() if k not in data)
            reply = self._task(started, request.path, data, None, code=code, message=message)
            function = f"dataforseo_labs/{kind.split('/')[-1]}/live"
            self.errors.add_answers("dataforseo_labs", function, request.path, "POST", [reply])
            return envelope(started, tasks=[reply])
        now = self.now().replace(microsecond=0)
        if not self.wallet.charge(labs_live.COST, now):
            raise self._error(started, 40210, "Insufficient Funds.", 402)
        with self.data.lock:
            task = posted_task(self.data, kind, item, now, now)
            task.cost = labs_live.COST
            task.collected = True
            self.data._insert(task, now)
            data = echo(task, "live")
            result = labs_live.result(task)
        reply = self._task(started, request.path, data, result, task=task, cost=task.cost)
        return envelope(started, tasks=[reply])

    def _postback_body(self, task: EmuTask, flavour: str) -> bytes:
        """What a postback carries: the task_get answer of ``flavour`` for ``task``."""
        started = time.perf_counter()
        if "" in offered_flavours(task.kind):  # one result, no flavour (Keywords Data ...)
            flavour = ""
        path = f"/v3/{task.kind}/task_get/{flavour + '/' if flavour else ''}{task.id}"
        data = echo(task, "task_get")
        with self.data.lock:
            result = results.build(task, flavour)
            reply = self._task(started, path, data, result, task=task, cost=task.cost)
        return envelope(started, tasks=[reply]).body

    # -- task_get ------------------------------------------------------------------------

    def _task_get(
        self, path: str, kind: str, flavour: str, task_id: str, started: float
    ) -> HttpResponse:
        now = self.now()
        data: dict[str, Any] = {"api": kind.split("/")[0], "function": "task_get"}
        with self.data.lock:
            self.data.promote(now)
            task = self.data.by_id.get(task_id)
            function = errors.get_function(kind, flavour)
            if task is None or task.kind != kind:
                reply = self._task(started, path, data, None, code=40401, message="Task Not Found.")
                self.errors.add_answers(data["api"], function, path, "GET", [reply])
                return envelope(started, tasks=[reply])
            # The vendor's echo: the call plus every field as posted (names kept).
            data = echo(task, "task_get")
            code = task.code_at(now)
            keep = HTML_KEEP if flavour == "html" else RESULTS_KEEP
            if code == 20000 and task.done < now - keep:
                code = 40403
            if code == 40102:
                # "No Search Results.": a finished task; answering it consumes it as a
                # result does (it leaves tasks_ready).
                self.data.collect(task)
            if code != 20000:
                message = "Results Expired." if code == 40403 else MESSAGES.get(code, "Error.")
                reply = self._task(started, path, data, None, task=task, code=code, message=message)
                self.errors.add_answers(task.family, function, path, "GET", [reply])
                return envelope(started, tasks=[reply])
            self.data.collect(task)
            result = results.build(task, flavour)
        if self.result_padding:
            results.pad(result, self.result_padding)
        # Free in every state: the vendor charges "only for posting a task" (cost 0 at
        # both levels), so a caller summing costs counts each task once, at task_post.
        reply = self._task(started, path, data, result, task=task)
        return envelope(started, tasks=[reply])
