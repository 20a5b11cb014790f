"""`DataForSEOProvider`: tasks_ready (what is done and not yet collected) and id_list history.

Two sources behind one option because the vendor has two very different answers to
"which tasks are done":

* ``ready`` walks the ``tasks_ready`` endpoints of the catalogue, one call each
  (`ready.ReadyListing`);
* ``history`` pages ``POST /v3/<family>/id_list`` forward in time by keyset
  (`history.HistoryListing`).

This module holds what both share: options, configuration, the authenticated call,
capabilities, the dispatch to the chosen listing, collection and submission. Each
listing has a typed position (`ReadyPosition`, `HistoryPosition`) that travels in
cursors as a small JSON dict and is checked field by field when it comes back: the host
and every path come from settings and the catalogue, never from a position.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from seotasks.errors import (
    ConfigError,
    CursorError,
    TaskNotDone,
    UnsupportedQuery,
)
from seotasks.jsoncodec import dumps
from seotasks.model import Task, TaskQuery, TaskStatus
from seotasks.provider import (
    Batch,
    CallbackEntry,
    Capabilities,
    Option,
    Position,
    Provider,
    ResultDownload,
    Sandbox,
    require_window,
)
from seotasks.ratelimit import RateLimit
from seotasks.redact import Redactor
from seotasks.submit import SPEC_FIELDS
from seotasks.transport import Request, Response

from . import receiving, wire
from .account import USER_DATA, read_user_data
from .endpoints import (
    default_families,
    resolve_history,
    resolve_ready,
)
from .history import FEWER_FAMILIES, HistoryListing, id_list_advice, stoppable_pause
from .posting import post_item, post_specs
from .ready import ReadyListing
from .result_paths import collect_path

if TYPE_CHECKING:
    from seotasks.account import Account
    from seotasks.sandbox import SandboxRequest
    from seotasks.submit import SerpTaskSpec, SubmitResult
    from seotasks.transport import Transport

__all__ = ["DataForSEOProvider"]

#: tasks_ready lists tasks completed within the last 3 days.
READY_WINDOW = timedelta(days=3)
#: id_list accepts datetime_from within six months; 181 days is the shortest six months.
HISTORY_WINDOW = timedelta(days=181)
#: ... and within one month when metadata is asked for.
METADATA_WINDOW = timedelta(days=30)
#: task_get answers a task's result for 30 days, then 40403 "Results Expired.".
RESULTS_KEPT = timedelta(days=30)
#: The vendor's hard cap per tasks_ready call and per id_list page.
CAP = 1000
#: How the envelope of an answer is read: `wire.parse_one` or `wire.parse_envelope`.
Reader = Callable[[Response, Callable[[str], str]], dict[str, Any]]


class DataForSEOProvider(Provider):
    """DataForSEO v3: ``tasks_ready`` over a catalogue of API families, or ``id_list`` history."""

    name: ClassVar[str] = "dataforseo"
    description: ClassVar[str] = (
        "DataForSEO v3: completed tasks from tasks_ready, or task history from id_list"
    )
    options: ClassVar[tuple[Option, ...]] = (
        Option(
            name="base_url", help="API host", default="https://api.dataforseo.com", account=True
        ),
        Option(name="login", help="API login (dashboard, API access)", required=True, account=True),
        Option(name="password", help="API password", required=True, secret=True),
        Option(
            name="source",
            help="ready: tasks_ready (done, not yet collected); history: id_list",
            default="ready",
            listing=True,
            choices=("ready", "history"),
        ),
        Option(
            name="families",
            help=(
                "API families or endpoints to list, e.g. serp,keywords_data/bing "
                "(default: ready: every tasks_ready family but ai_optimization, 16 calls, "
                "one minute's allowance; history: all 11 id_list families)"
            ),
            kind="list",
            default=None,
            listing=True,
        ),
        Option(
            name="include_metadata",
            help="history: ask id_list for each task's metadata (last month only)",
            kind="bool",
            default=False,
            listing=True,
        ),
        Option(
            name="window_days",
            help="history: days per id_list request window (clamped to what the vendor accepts)",
            kind="int",
            default=181,
        ),
        Option(
            name="page_size",
            help="history: id_list limit per call (1..1000)",
            kind="int",
            default=CAP,
        ),
    )
    #: Every spec field has a task_post field (see `posting.post_item`).
    spec_maps: ClassVar[frozenset[str]] = frozenset(SPEC_FIELDS)
    callbacks: ClassVar[Mapping[str, str]] = receiving.ROUTES
    max_in_flight: ClassVar[int | None] = wire.SIMULTANEOUS
    rate_limits: ClassVar[Mapping[str, RateLimit]] = {
        # 20/min for tasks_ready, counted across its endpoints: right whichever way it counts.
        "tasks_ready": RateLimit.per_minute(20),
        "id_list": RateLimit.per_minute(10),
        "task_get": RateLimit.per_minute(2000),
        "task_post": RateLimit.per_minute(2000),
    }

    def __init__(self, settings: Any, transport: Transport) -> None:
        super().__init__(settings, transport)
        self._base = str(settings["base_url"]).rstrip("/")
        token = base64.b64encode(f"{settings['login']}:{settings['password']}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}"}
        self._source = str(settings["source"])
        families = list(settings["families"])
        self._metadata = bool(settings["include_metadata"])
        self._page_size = int(settings["page_size"])
        self._keeps = METADATA_WINDOW if self._metadata else HISTORY_WINDOW
        scrub = transport.redactor.scrub
        #: Exactly one of the two listings exists, the one ``source`` names.
        self._listing_ready: ReadyListing | None = None
        self._listing_history: HistoryListing | None = None
        if self._source == "ready":
            self._listing_ready = ReadyListing(
                resolve_ready(families), lambda m, p, e: self._call(self._request(m, p, e)), scrub
            )
        else:
            self._listing_history = HistoryListing(
                resolve_history(families),
                lambda m, p, e, body: self._call(self._request(m, p, e, body)),
                scrub,
                now=self._now,
                keeps=self._keeps,
                window=min(timedelta(days=int(settings["window_days"])), self._keeps),
                page_size=self._page_size,
                metadata=self._metadata,
                # No family named by the caller: an undocumented family may be skipped.
                default_families=families == list(default_families(self._source)),
                pause=stoppable_pause(transport),
            )

    # -- configuration ---------------------------------------------------------------

    @classmethod
    def configure(cls, settings: Mapping[str, Any]) -> Mapping[str, Any]:
        values = dict(settings)
        split = urlsplit(str(values["base_url"]))
        extra = split.query or split.fragment or split.username or split.password
        if split.scheme not in ("http", "https") or not split.hostname or extra:
            raise ConfigError(
                "dataforseo: base_url must be an http(s) URL without query, fragment or "
                "credentials, such as https://api.dataforseo.com"
            )
        if split.path.rstrip("/").endswith("/v3"):  # copied from an endpoint in the docs
            raise ConfigError(
                "dataforseo: base_url is the API host, without /v3 (seotasks adds the "
                "/v3/... paths): such as https://api.dataforseo.com"
            )
        families = values["families"]
        if families is None:
            families = list(default_families(str(values["source"])))
        if isinstance(families, str):
            families = [f.strip() for f in families.split(",") if f.strip()]
        families = [str(f).strip().strip("/") for f in families]
        if not families:
            raise ConfigError("dataforseo: families must name at least one API family")
        try:
            if values["source"] == "history":
                resolve_history(families)
            else:
                resolve_ready(families)
        except ValueError as exc:
            raise ConfigError(f"dataforseo: families: {exc}") from None
        values["families"] = families
        if not 1 <= int(values["page_size"]) <= CAP:
            raise ConfigError(f"dataforseo: page_size must be within 1..{CAP}")
        if int(values["window_days"]) < 1:
            raise ConfigError("dataforseo: window_days must be at least 1")
        return values

    def register_secrets(self, redactor: Redactor) -> None:
        super().register_secrets(redactor)
        redactor.add_basic_auth(str(self.settings["login"]), str(self.settings["password"]))

    def capabilities(self) -> Capabilities:
        if self._source == "ready":
            return Capabilities(
                statuses=frozenset({TaskStatus.COMPLETED}),
                window=READY_WINDOW,
                max_page_size=CAP,
                drains=True,
                cap=CAP,
                collect=True,
                results_kept=RESULTS_KEPT,
                times=frozenset({"created_at"}),  # a ready item's only time: no completion bounds
                # order=None: one endpoint after another, and the vendor states no order
                # within a tasks_ready list; merged sorts the listing whole.
                notes=(
                    "one tasks_ready call per endpoint; at most 1000 shown per call, "
                    "the rest appear once those are collected",
                    "unordered: endpoint after endpoint",
                ),
            )
        # order=None: family after family, each forward by datetime_posted (a later one
        # starts again at `since`); the vendor's "sort by execution time" says no more.
        return Capabilities(
            server_filters=frozenset({"since", "until"}),
            times=frozenset({"created_at", "completed_at"}),  # datetime_posted, _done
            window=self._keeps,
            max_page_size=self._page_size,
            collect=True,
            results_kept=RESULTS_KEPT,
            notes=(
                "id_list per API family, forward by datetime_posted",
                "completion bounds (time_field=completed_at): until narrows the request, "
                "since does not (a task posted earlier may finish later), so such a "
                "listing reads from the oldest task kept",
                "unordered: family after family",
            ),
        )

    # -- helpers ------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.transport.now()

    def _call(self, request: Request, read: Reader = wire.parse_one) -> dict[str, Any]:
        """Send a request `_request` built (paced, retried) and ``read`` its envelope (by
        default one task's, a code in it asking to try again retried too)."""
        scrub = self.transport.redactor.scrub
        return self.transport.call(request, lambda response: read(response, scrub))

    def _request(
        self,
        method: str,
        path: str,
        endpoint: str,
        body: object = None,
        *,
        idempotent: bool = True,
    ) -> Request:
        headers = dict(self._headers)
        payload = None
        if body is not None:
            payload = dumps(body)
            headers["Content-Type"] = "application/json"
        return Request(
            method=method,
            url=self._base + path,
            endpoint=endpoint,
            headers=headers,
            body=payload,
            idempotent=idempotent,
        )

    # -- listing ------------------------------------------------------------------------

    def start(self, query: TaskQuery) -> Position:
        now = self._now()
        if self._listing_ready is not None:
            if query.status not in (None, TaskStatus.COMPLETED):
                raise UnsupportedQuery(
                    "dataforseo tasks_ready lists only completed tasks; "
                    "use source=history for queued, running or failed ones"
                )
            if query.by_completion and (query.since or query.until):
                raise UnsupportedQuery(
                    "dataforseo tasks_ready items carry no completion time, so since/until "
                    "cannot bound completed_at; use source=history (datetime_done)"
                )
            older = f"use source=history ({HISTORY_WINDOW.days} days, every status)"
            require_window(
                query, window=READY_WINDOW, now=now, what="DataForSEO tasks_ready", hint=older
            )
            return self._listing_ready.start().to_json()
        what = "DataForSEO id_list" + (" with metadata" if self._metadata else "")
        wider = f"without include_metadata, id_list keeps {HISTORY_WINDOW.days} days"
        require_window(
            query, window=self._keeps, now=now, what=what, hint=wider if self._metadata else ""
        )
        # id_list bounds datetime_posted. A task completes after it is posted, so a
        # completion ``until`` still bounds posting, but a completion ``since`` does not:
        # a task posted earlier may finish after it. Those listings start at the oldest
        # task the vendor keeps, and the core keeps exactly the completions asked for.
        since = None if query.by_completion else query.since
        since = since or (now - self._keeps + timedelta(minutes=5))
        end = min(query.until or now, now)
        if since >= end:  # the core refused since >= until: so one of these two
            why = "since is not before now" if since >= now else "until is older than it keeps"
            span = f"{since.isoformat()} and {end.isoformat()}"
            raise UnsupportedQuery(f"dataforseo id_list: nothing can exist between {span} ({why})")
        return self._history_listing().start(since.replace(microsecond=0), end).to_json()

    def check_position(self, position: Position) -> Position:
        if not isinstance(position, dict):
            raise CursorError("dataforseo cursor: position is not an object")
        if self._listing_ready is not None:
            return self._listing_ready.check(position).to_json()
        return self._history_listing().check(position).to_json()

    def fetch(self, query: TaskQuery, position: Position) -> Batch:
        if self._listing_ready is not None:
            return self._listing_ready.fetch(self._listing_ready.load(position))
        history = self._history_listing()
        return history.fetch(history.load(position))

    def _ready_endpoints(self) -> tuple[int, ...]:
        return () if self._listing_ready is None else self._listing_ready.selected

    def _history_listing(self) -> HistoryListing:
        assert self._listing_history is not None  # source=history: built in __init__
        return self._listing_history

    # -- collection -----------------------------------------------------------------------

    def advice(self, topic: str, detail: str = "") -> str | None:
        if topic == "capped":
            return (
                "collect the listed tasks (seotasks collect -p dataforseo) and list again, "
                "or list -o source=history"
            )
        if topic == "wait" and detail == "tasks_ready":
            count = len(self._ready_endpoints())
            return f"each of the {count} tasks_ready lists of these families is one call; {FEWER_FAMILIES}"
        if topic == "wait" and detail == "id_list":
            return id_list_advice(self._page_size, len(self._history_listing().families), CAP)
        return None

    def collect(self, task: Task) -> Mapping[str, Any]:
        """GET the task's result (``task_get``); the vendor then drops it from tasks_ready.

        A task that is not finished yet (40601 handed, 40602 in queue) has no result: that
        is a `TaskNotDone` (a `ProviderError`) with the vendor's code, so that no caller
        (``seotasks collect --to DIR`` above all) takes the pending answer for the result.
        """
        path = collect_path(task)
        body = self._call(self._request("GET", path, "task_get"))
        self._finished(task, wire.fetched_task(body, path, self.transport.redactor.scrub, task.id))
        return body

    def _finished(self, task: Task, first: Mapping[str, Any]) -> None:
        """A pending answer (40601 handed, 40602 in queue) is no result: `TaskNotDone`."""
        code = first.get("status_code")
        if code in wire.PENDING:
            message = self.transport.redactor.scrub(str(first.get("status_message") or ""))
            raise TaskNotDone(
                code,
                f"{message or 'Task not finished'} (task {task.id} has no result yet)",
                provider=self.name,
            )

    @classmethod
    def read_callback(
        cls, route: str, body: object, query: Mapping[str, Sequence[str]]
    ) -> list[CallbackEntry]:
        """A postback's tasks (each its result, or its vendor error) or a pingback's one
        (see `receiving`)."""
        return receiving.read_callback(route, body, query)

    def result_download(self, task: Task) -> ResultDownload:
        """The same ``task_get`` as `collect`, its answer streamed to disk and judged on
        its envelope's status codes and the answering task's id."""
        scrub = self.transport.redactor.scrub

        def check(response: Response, head: Mapping[str, Any]) -> str | None:
            first = wire.check_streamed(response, head, scrub, task.id)
            self._finished(task, first)
            answered = first.get("id")
            return answered if isinstance(answered, str) else None

        request = self._request("GET", collect_path(task), "task_get")
        return ResultDownload(request=request, fields=wire.STREAMED_FIELDS, check=check)

    def result_task_id(self, result: Mapping[str, Any]) -> str | None:
        """``tasks[0].id`` of a ``task_get`` answer (the vendor names the task it answers)."""
        tasks = result.get("tasks")
        if isinstance(tasks, list) and tasks and isinstance(tasks[0], dict):
            answered = tasks[0].get("id")
            return answered if isinstance(answered, str) else None
        return None

    def account(self) -> Account:
        """``GET /v3/appendix/user_data`` (free): balance, spending and call limits."""
        body = self._call(self._request("GET", USER_DATA, "user_data"))
        return read_user_data(body, self._base + USER_DATA, self.transport.redactor.scrub)

    # -- submission -----------------------------------------------------------------------

    def submit(self, specs: Sequence[SerpTaskSpec]) -> list[SubmitResult]:
        """POST ``/v3/serp/<engine>/<serp_type>/task_post`` in arrays of at most 100 tasks.

        Specs are grouped by endpoint (one path each) and posted in order; each answer's
        per-task codes become per-spec results (20100: the task id). A batch whose answer
        was lost is never sent again (a `TransientError` on each spec of it). Callback
        URLs' query values are registered as secrets before anything is sent."""

        def post(path: str, items: list[dict[str, Any]]) -> dict[str, Any]:
            request = self._request("POST", path, "task_post", items, idempotent=False)
            return self._call(request, wire.parse_envelope)  # a task each: never resent

        return post_specs(specs, post, self.transport.redactor)

    @classmethod
    def check_spec(cls, spec: SerpTaskSpec) -> None:
        post_item(spec)  # the task_post item submit would send, refused as it refuses it

    @classmethod
    def sandbox(cls, request: SandboxRequest) -> contextlib.AbstractContextManager[Sandbox]:
        from .emulator import sandbox

        return sandbox(request)
