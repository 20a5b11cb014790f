"""`SerpstatApp`: the emulator's JSON-RPC answers, one request at a time.

What `SerpstatEmulator` serves on loopback (see its module for the vendor facts it
keeps): the envelope, the token, the rate limit, scripted errors, and each method's
answer from the seeded `Dataset`.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any, Final

from seotasks.clock import Clock, SystemClock
from seotasks.emulation import Fault, HttpRequest, HttpResponse, ServerRateLimit, json_response

from . import serp_html
from .balance import FREE_METHODS, ParsingBalance
from .dataset import Dataset, keyword_data

__all__ = ["BLOCKED_SYMBOLS", "PATHS", "RESULT_PAGE", "SERP_TYPES", "SerpstatApp"]

PATHS: Final = frozenset({"/rt/api/v2/", "/rt/api/v2", "/v4/", "/v4"})
_TASKS: Final = ("getList", "addTask", "addKeywordList", "getTaskResult", "getKeywordSerp")
_METHODS: Final = FREE_METHODS | {f"tasks.{name}" for name in _TASKS}
#: Characters that get a keyword into ``blocked_keywords`` (the vendor: "special symbols";
#: which ones is undocumented, this set is the emulator's assumption).
BLOCKED_SYMBOLS: Final = frozenset("<>{}|\\^~`")
#: Keywords per tasks.getTaskResult page (larger tasks get ``next_page``).
RESULT_PAGE: Final = 50
#: tasks.addTask / addKeywordList ``type`` values (docs/vendors/serpstat.md).
SERP_TYPES: Final = frozenset({"regular", "local", "regular_aio"})


def _body(payload: dict[str, Any]) -> HttpResponse:
    return json_response(200, json.dumps(payload, separators=(",", ":")).encode())


def _error(request_id: str | None, code: int, message: str) -> HttpResponse:
    return _body({"id": request_id, "error": {"code": code, "message": message, "data": None}})


def _invalid(request_id: str | None, what: str) -> HttpResponse:
    """A request off the schema: 400 under the vendor error page's title for it."""
    return _error(request_id, 400, f"Json schema validation error: {what}")


def _not_done(request_id: str | None) -> HttpResponse:
    """A task still crawling (undocumented): the reference's generic no-data error."""
    return _error(request_id, 32017, "Data not found")


class SerpstatApp:
    """The vendor-specific half: an `EmulatorApp` for `seotasks.emulation.EmulatorServer`."""

    def __init__(
        self,
        dataset: Dataset,
        *,
        token: str,
        clock: Clock | None = None,
        rps: float | None = 1.0,
        descending: bool = False,
        post_delay: int = 30,
        post_duration: int = 240,
        typed_ids: bool = False,
    ) -> None:
        #: tasks.getList rows with the current schema's integer ids and counts, not the
        #: older pages' text (the reference: "read both").
        self.typed_ids = typed_ids
        #: Seconds a posted task stays queued, then runs, on the dataset's time.
        self.post_delay = post_delay
        self.post_duration = post_duration
        #: The crawling balance in USD, spent by every keyword a task accepts.
        self.balance = ParsingBalance()
        #: Every (method, params) of a task-adding call processed.
        self.posted: list[tuple[str, dict[str, Any]]] = []
        self.dataset = dataset
        self.token = token
        self.clock: Clock = clock or SystemClock()
        self.descending = descending
        self._lock = threading.Lock()
        # ``rps`` may be fractional: n calls in any n/rps seconds (at least one call).
        calls = 0 if rps is None else max(1, int(rps))
        self._limit = (
            None if rps is None else ServerRateLimit({"jsonrpc": (calls, calls / rps)}, self.clock)
        )
        self._scripted: deque[tuple[int, str]] = deque()
        #: Clock times of the requests the rate limit let through.
        self.accepted: list[float] = []
        #: How many requests were refused with error 429 by the rate limit.
        self.rate_limited = 0
        #: (settings, keywords) -> (day in the zone of the timestamps, task id) of every
        #: task created, for the documented same-day duplicate refusal.
        self._created: dict[tuple[Any, ...], tuple[str, str]] = {}

    def fail_next(self, code: int, message: str, count: int = 1) -> None:
        """Answer the next ``count`` authorized calls with this error object."""
        with self._lock:
            self._scripted.extend([(code, message)] * count)

    def _admit(self) -> bool:
        if self._limit is None:
            return True
        admitted = self._limit.admit("jsonrpc")
        with self._lock:
            if admitted is None:
                self.rate_limited += 1
            else:
                self.accepted.append(admitted)
        return admitted is not None

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        if request.path not in PATHS:
            return json_response(404, b'{"error":"not found"}')
        if request.method != "POST":
            return _error(None, 400, "Only POST requests are accepted")
        try:
            envelope = json.loads(request.body or b"null")
        except ValueError:
            return _invalid(None, "body is not JSON")
        if not isinstance(envelope, dict):
            return _invalid(None, "body is not an object")
        raw_id = envelope.get("id")
        if isinstance(raw_id, bool) or not isinstance(raw_id, str | int | float | None):
            return _invalid(None, "id must be a string or a number")  # JSON-RPC 2.0's rule
        request_id = None if raw_id is None else str(raw_id)  # echoed as a string
        token = (request.query.get("token") or [""])[0]
        if not token:
            return _error(request_id, 400, "Missing token")
        if token != self.token:
            return _error(request_id, 403, "Invalid token")
        if not self._admit() or fault is Fault.RATE_LIMIT_BODY:
            return _error(request_id, 429, "Query frequency exceeded")
        with self._lock:
            scripted = self._scripted.popleft() if self._scripted else None
        if scripted is not None:
            return _error(request_id, *scripted)
        if not isinstance(method := envelope.get("method"), str):
            return _invalid(request_id, "method must be a string")
        if method not in _METHODS:
            return _error(request_id, 403, f"Not access to functional: {method!r}")
        params = envelope.get("params", {})
        if not isinstance(params, dict):
            return _invalid(request_id, "params")
        answer_id = f"{request_id}0" if fault is Fault.MISMATCHED_ID else request_id
        if method in FREE_METHODS:
            return _body({"id": answer_id, "result": self.balance.answer(method)})
        if method in ("tasks.addTask", "tasks.addKeywordList"):
            return self._add(answer_id, request_id, method, params)
        if method == "tasks.getTaskResult":
            return self._result(answer_id, request_id, params)
        if method == "tasks.getKeywordSerp":
            return self._keyword_serp(answer_id, request_id, params)
        page, size = params.get("page", 1), params.get("pageSize", 100)
        if type(page) is not int or page < 1:
            return _invalid(request_id, "page must be an integer >= 1")
        if type(size) is not int or not 100 <= size <= 1000:
            return _invalid(request_id, "pageSize must be an integer 100..1000")
        rows: Any = self.dataset.page(page, size, descending=self.descending)
        if self.typed_ids:
            rows = [{k: _number(k, v) for k, v in row.items()} for row in rows]
        if fault is Fault.WRONG_TYPES:
            if rows:  # the last row: the first may be one the client re-reads and skips
                rows[-1]["created_at"] = self.dataset.now_epoch()  # a number, not a string
            else:
                rows = {"tasks": []}
        return _body({"id": answer_id, "result": rows})

    def _add(
        self, answer_id: str | None, request_id: str | None, method: str, params: dict[str, Any]
    ) -> HttpResponse:
        raw = params.get("keywords")
        if method == "tasks.addTask":
            words = [w.strip() for w in raw.split(",")] if isinstance(raw, str) else None
        else:
            words = raw if isinstance(raw, list) else None
        if not words or not all(isinstance(w, str) for w in words):
            return _error(request_id, 400, "Required parameter 'keywords' missed")
        for name in ("seId", "countryId"):
            if name not in params:
                return _error(request_id, 400, f"Required parameter '{name}' missed")
        checks = {
            "seId": (params.get("seId"), 1, 1, "No such se_id"),
            "countryId": (params.get("countryId"), 1, 247, "Invalid countryId value"),
            "regionId": (params.get("regionId", 1), 1, 10**9, "Invalid regionId value"),
            "langId": (params.get("langId", 1), 1, 48, "Invalid langId value"),
            "typeId": (params.get("typeId", 1), 1, 2, "device_type_id Invalid type id value"),
        }
        for name, (value, low, high, message) in checks.items():
            if type(value) is not int:  # "23" is no countryId the vendor's range holds
                return _invalid(request_id, f"{name} must be an integer")
            if not low <= value <= high:
                return _error(request_id, 400, message)
        if params.get("type", "regular") not in SERP_TYPES:
            return _invalid(request_id, "type")
        known = {"keywords", "seId", "countryId", "regionId", "langId", "typeId", "type"}
        if set(params) - known:
            return _invalid(request_id, "unknown parameter")
        blocked = [w for w in words if not w.strip() or set(w) & BLOCKED_SYMBOLS]
        kept = [w for w in words if w not in blocked]
        if not kept:
            listed = ", ".join(blocked)
            message = f"You have no keywords after filtrating, blocked keywords: {listed}"
            return _error(request_id, 400, message)
        # The vendor refuses a task identical to one created the same day (its documented
        # "task (id=x) with such parameters has already been created today"); the code of
        # that error is not documented: 400, like the other refusals of tasks.addTask.
        key = (
            tuple(kept),
            params["seId"],
            params["countryId"],
            params.get("regionId", 0),
            params.get("langId", 1),
            params.get("typeId", 1),
            params.get("type", "regular"),
        )
        day = self.dataset.day(datetime.fromtimestamp(self.dataset.now_epoch(), UTC))
        with self._lock:
            earlier = self._created.get(key)
            if earlier is not None and earlier[0] == day:
                return _error(
                    request_id,
                    400,
                    f"Task (id={earlier[1]}) with such parameters has already been created today",
                )
            self.posted.append((method, dict(params)))
        task_id = self.dataset.add_posted(
            kept,
            se_id=params["seId"],
            country_id=params["countryId"],
            lang_id=params.get("langId", 1),
            region_id=params.get("regionId", 0),
            device=params.get("typeId", 1),
            delay=self.post_delay,
            duration=self.post_duration,
        )
        self.balance.charge(len(kept))
        with self._lock:
            self._created[key] = (day, task_id)
        return _body({"id": answer_id, "result": {"task_id": task_id, "blocked_keywords": blocked}})

    def _result(
        self, answer_id: str | None, request_id: str | None, params: dict[str, Any]
    ) -> HttpResponse:
        task_id, page = params.get("taskId"), params.get("page", 1)
        if type(task_id) is not int:
            return _invalid(request_id, "taskId must be int")
        if type(page) is not int or page < 1:
            return _invalid(request_id, "page must be >= 1")
        found = self.dataset.result(task_id)
        if found is None:
            return _error(request_id, 32017, "Data not found")
        percent, meta, words = found
        if percent < 100:
            return _not_done(request_id)
        first = (page - 1) * RESULT_PAGE
        tops = [
            {
                "keyword_id": str(task_id * 1000 + first + n),
                "keyword": word,
                "keyword_data": keyword_data(task_id, word),
            }
            for n, word in enumerate(words[first : first + RESULT_PAGE])
        ]
        result: dict[str, Any] = {"task_meta": meta, "tops": tops}
        if first + RESULT_PAGE < len(words):
            result["next_page"] = page + 1
        return _body({"id": answer_id, "result": result})

    def _keyword_serp(
        self, answer_id: str | None, request_id: str | None, params: dict[str, Any]
    ) -> HttpResponse:
        """The raw SERP of one keyword of a parsed task (``keywordId``: a ``keyword_id`` of
        its getTaskResult). The codes of the documented refusals are undocumented: 32017."""
        task_id, keyword_id = params.get("taskId"), params.get("keywordId")
        if type(task_id) is not int or type(keyword_id) is not int:
            return _invalid(request_id, "taskId and keywordId must be int")
        found = self.dataset.result(task_id)
        if found is None:
            return _error(request_id, 32017, "Task is not found")
        percent, _, words = found
        done = self.dataset.truth(str(task_id)).completed_at
        if percent < 100 or done is None:
            return _not_done(request_id)
        index = keyword_id - task_id * 1000  # getTaskResult's keyword_id
        if not 0 <= index < len(words):
            return _error(request_id, 32017, "Keyword is not found")
        word = words[index]
        serp = serp_html.render(word, keyword_data(task_id, word))
        return _body({"id": answer_id, "result": {"date": self.dataset.day(done), "serp": serp}})


#: The tasks.getList fields the current schema types as integers.
_NUMBERS: Final = frozenset(
    {"task_id", "se_id", "country_id", "lang_id", "region_id", "device_type_id", "keywords_count"}
)


def _number(key: str, value: Any) -> Any:
    return int(value) if key in _NUMBERS and isinstance(value, str) and value.isdigit() else value
