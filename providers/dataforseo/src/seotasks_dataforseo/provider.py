"""`DataForSEOProvider`: tasks_ready (what is done and not yet collected) and id_list history.

Two sources behind one option because the vendor has two very different answers to
"which tasks are done":

* ``ready`` walks the ``tasks_ready`` endpoints of the catalogue, one call each. A call
  shows at most 1000 tasks and hides the rest until those are collected, so a capped
  endpoint is asked again (a new *round*) after its page: when the caller collected
  while iterating, the next 1000 appear; when nothing changed (same ids), the listing
  moves on and says the list was capped.
* ``history`` pages ``POST /v3/<family>/id_list`` forward in time by keyset (the last
  ``datetime_posted`` and the ids already delivered at that instant), in windows the
  vendor accepts, so tasks added while paging shift nothing.

Positions are small JSON dicts of indexes, timestamps and ids, checked field by field
when they come back from a cursor: the host and every path come from settings and the
catalogue, never from a position.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar, cast
from urllib.parse import parse_qsl, urlsplit

from seotasks.convert import parse_timestamp
from seotasks.errors import (
    ConfigError,
    CursorError,
    ProviderError,
    ResponseFormatError,
    UnsupportedQuery,
)
from seotasks.jsoncodec import dumps
from seotasks.model import Task, TaskQuery, TaskStatus
from seotasks.provider import (
    Batch,
    Capabilities,
    Option,
    Position,
    Provider,
    Sandbox,
    require_window,
)
from seotasks.ratelimit import RateLimit
from seotasks.redact import Redactor
from seotasks.transport import Request, Response

from . import serp_types, wire
from .endpoints import (
    CATALOGUE,
    UNDOCUMENTED_ID_LIST,
    HistoryFamily,
    default_families,
    resolve_history,
    resolve_ready,
    task_get_path,
    valid_collect_path,
)

if TYPE_CHECKING:
    from seotasks.clock import Clock
    from seotasks.submit import SerpTaskSpec, SubmitResult
    from seotasks.transport import Transport

__all__ = ["DataForSEOProvider"]

#: tasks_ready lists tasks completed within the last 3 days.
READY_WINDOW = timedelta(days=3)
#: id_list accepts datetime_from within six months; 181 days is the shortest six months.
HISTORY_WINDOW = timedelta(days=181)
#: ... and within one month when metadata is asked for.
METADATA_WINDOW = timedelta(days=30)
#: The vendor's hard cap per tasks_ready call and per id_list page.
CAP = 1000
#: Ids delivered at one instant kept in a position; beyond this, paging at that instant
#: switches to an offset (keeps cursors small).
SEEN_MAX = 50
_MAX_ROUNDS = 100_000
_MAX_OFFSET = 100_000_000
_DIGEST = re.compile(r"[0-9a-f]{16}\Z")
_ID = re.compile(r"[A-Za-z0-9-]{1,64}\Z")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+00:00\Z")
_COLLECT_KEYS = ("endpoint_advanced", "endpoint_regular", "endpoint", "endpoint_json")
#: The vendor's placeholders in callback URLs: not secrets, and too common to scrub.
_PLACEHOLDERS = frozenset({"$id", "$tag"})


def _digest(ids: Sequence[str]) -> str:
    return hashlib.blake2b("\n".join(sorted(ids)).encode(), digest_size=8).hexdigest()


def _int(position: Position, key: str, low: int, high: int) -> int:
    value = position.get(key)
    if type(value) is not int or not low <= value <= high:
        raise CursorError(f"dataforseo cursor: {key!r} must be an integer in {low}..{high}")
    return value


def _time(position: Position, key: str) -> datetime:
    value = position.get(key)
    if not isinstance(value, str) or not _TIME.match(value):
        raise CursorError(f"dataforseo cursor: {key!r} must be a 'YYYY-MM-DD HH:MM:SS +00:00' time")
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        raise CursorError(f"dataforseo cursor: {key!r} is not a valid time") from None


#: "Not found" as the vendor says it: 40400 Not Found, 40402 Invalid Path, a bare HTTP 404.
_NOT_FOUND = frozenset({40400, 40402, 404})
#: ``(datetime_posted of each item, id of each item)`` of one id_list page.
_Instants = tuple[list[datetime | None], list[str]]
_posted_of = attrgetter("created_at")
_id_of = attrgetter("id")


def _ids_at(instants: _Instants, when: datetime) -> list[str]:
    """The ids of the page's items posted at ``when``, in page order.

    The vendor sorts by time, so they are the page's tail when ``when`` is its last
    instant: counted and checked by C loops; any other layout is scanned.
    """
    posted, ids = instants
    count = posted.count(when)
    if count and posted[-1] == when and posted[-count:].count(when) == count:
        return ids[-count:]
    return [i for p, i in zip(posted, ids, strict=True) if p == when]


class DataForSEOProvider(Provider):
    """DataForSEO v3: ``tasks_ready`` over a catalogue of API families, or ``id_list`` history."""

    name: ClassVar[str] = "dataforseo"
    description: ClassVar[str] = (
        "DataForSEO v3: completed tasks from tasks_ready, or task history from id_list"
    )
    options: ClassVar[tuple[Option, ...]] = (
        Option(name="base_url", help="API host", default="https://api.dataforseo.com"),
        Option(name="login", help="API login (dashboard, API access)", required=True),
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
    rate_limits: ClassVar[Mapping[str, RateLimit]] = {
        # The vendor states 20/min for tasks_ready; counted across all tasks_ready
        # endpoints here, which is never wrong whichever way the vendor counts.
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
        #: Whether the families are the default ones (no family was asked for by name).
        self._default_families = families == list(default_families(self._source))
        self._ready = resolve_ready(families) if self._source == "ready" else ()
        self._history = resolve_history(families) if self._source == "history" else ()
        self._metadata = bool(settings["include_metadata"])
        self._page_size = int(settings["page_size"])
        limit = METADATA_WINDOW if self._metadata else HISTORY_WINDOW
        self._keeps = limit
        self._window = min(timedelta(days=int(settings["window_days"])), limit)
        self._reader = wire.HistoryReader(transport.redactor.scrub)

    # -- configuration ---------------------------------------------------------------

    @classmethod
    def configure(cls, settings: Mapping[str, Any]) -> Mapping[str, Any]:
        values = dict(settings)
        split = urlsplit(str(values["base_url"]))
        if split.scheme not in ("http", "https") or not split.hostname:
            raise ConfigError(
                "dataforseo: base_url must be an http(s) URL such as https://api.dataforseo.com"
            )
        if split.query or split.fragment or split.username or split.password:
            raise ConfigError(
                "dataforseo: base_url must not carry a query, fragment or credentials"
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
            raise ConfigError(f"dataforseo: {exc}") from None
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
                notes=(
                    "one tasks_ready call per endpoint; at most 1000 shown per call, "
                    "the rest appear once those are collected",
                ),
            )
        return Capabilities(
            server_filters=frozenset({"since", "until"}),
            window=self._keeps,
            order="created_at",
            max_page_size=self._page_size,
            collect=True,
            notes=(
                "id_list per API family, forward by datetime_posted",
                "completion bounds (time_field=completed_at): until narrows the request, "
                "since does not (a task posted earlier may finish later), so such a "
                "listing reads from the oldest task kept",
            ),
        )

    # -- helpers ------------------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.now(UTC)

    def _parse(self, response: Response) -> dict[str, Any]:
        return wire.parse_envelope(response, self.transport.redactor.scrub)

    def _call(
        self,
        method: str,
        path: str,
        endpoint: str,
        body: object = None,
        *,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        headers = dict(self._headers)
        payload = None
        if body is not None:
            payload = dumps(body)
            headers["Content-Type"] = "application/json"
        request = Request(
            method=method,
            url=self._base + path,
            endpoint=endpoint,
            headers=headers,
            body=payload,
            idempotent=idempotent,
        )
        return self.transport.call(request, self._parse)

    # -- listing ------------------------------------------------------------------------

    def start(self, query: TaskQuery) -> Position:
        now = self._now()
        if self._source == "ready":
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
            require_window(query, window=READY_WINDOW, now=now, what="DataForSEO tasks_ready")
            return self._ready_position(0, 0, None)
        what = "DataForSEO id_list" + (" with metadata" if self._metadata else "")
        require_window(query, window=self._keeps, now=now, what=what)
        # id_list bounds datetime_posted. A task completes after it is posted, so a
        # completion ``until`` still bounds posting, but a completion ``since`` does not:
        # a task posted earlier may finish after it. Those listings start at the oldest
        # task the vendor keeps, and the core keeps exactly the completions asked for.
        since = None if query.by_completion else query.since
        since = since or (now - self._keeps + timedelta(minutes=5))
        end = min(query.until or now, now)
        if since >= end:
            raise UnsupportedQuery(
                f"dataforseo id_list: nothing can exist between {since.isoformat()} and "
                f"{end.isoformat()} (until lies in the future or before since)"
            )
        since = since.replace(microsecond=0)
        return self._history_position(0, since, since, end, [], 0)

    def check_position(self, position: Position) -> Position:
        if not isinstance(position, dict):
            raise CursorError("dataforseo cursor: position is not an object")
        if self._source == "ready":
            return self._check_ready(position)
        return self._check_history(position)

    def fetch(self, query: TaskQuery, position: Position) -> Batch:
        if self._source == "ready":
            return self._fetch_ready(position)
        return self._fetch_history(position)

    # -- ready --------------------------------------------------------------------------

    def _ready_position(self, index: int, round_: int, digest: str | None) -> Position:
        return {
            "ep": index,
            "name": CATALOGUE[self._ready[index]].name,
            "round": round_,
            "digest": digest,
        }

    def _check_ready(self, position: Position) -> Position:
        if set(position) != {"ep", "name", "round", "digest"}:
            raise CursorError("dataforseo cursor: not a tasks_ready position")
        index = _int(position, "ep", 0, len(self._ready) - 1)
        if position["name"] != CATALOGUE[self._ready[index]].name:
            raise CursorError("dataforseo cursor: endpoint does not match this client's families")
        round_ = _int(position, "round", 0, _MAX_ROUNDS)
        digest = position["digest"]
        if digest is not None and not (isinstance(digest, str) and _DIGEST.match(digest)):
            raise CursorError("dataforseo cursor: bad digest")
        if (round_ == 0) != (digest is None):
            raise CursorError("dataforseo cursor: round and digest disagree")
        return self._ready_position(index, round_, digest)

    def _fetch_ready(self, position: Position) -> Batch:
        index = int(position["ep"])  # type: ignore[arg-type]
        round_ = int(position["round"])  # type: ignore[arg-type]
        endpoint = CATALOGUE[self._ready[index]]
        body = self._call("GET", endpoint.path, "tasks_ready")
        task = wire.first_task(body, endpoint.path, self.transport.redactor.scrub)
        items = wire.result_items(task)
        tasks = wire.ready_tasks(endpoint, items)
        count = task.get("result_count")
        capped = len(items) >= CAP or (type(count) is int and count >= CAP)
        following = (
            self._ready_position(index + 1, 0, None) if index + 1 < len(self._ready) else None
        )
        notes: tuple[str, ...] = ()
        if capped:
            notes = (
                f"{endpoint.path}: capped at {CAP}; more tasks appear once these are "
                "collected (client.collect)",
            )
        digest = _digest([t.id for t in tasks])
        if round_ > 0 and digest == position["digest"]:
            # Nothing was collected since the last round: the same 1000 again.
            return Batch(tasks=(), next=following, capped=True, notes=notes)
        if capped:
            return Batch(
                tasks=tasks,
                next=self._ready_position(index, round_ + 1, digest),
                capped=True,
                notes=notes,
            )
        return Batch(tasks=tasks, next=following)

    # -- history ------------------------------------------------------------------------

    def _history_position(
        self,
        index: int,
        since: datetime,
        after: datetime,
        end: datetime,
        seen: list[str],
        skip: int,
    ) -> Position:
        return {
            "fam": index,
            "name": self._history[index].family,
            "since": wire.format_time(since),
            "after": wire.format_time(after),
            "end": wire.format_time(end),
            "seen": list(seen),
            "skip": skip,
        }

    def _check_history(self, position: Position) -> Position:
        if set(position) != {"fam", "name", "since", "after", "end", "seen", "skip"}:
            raise CursorError("dataforseo cursor: not an id_list position")
        index = _int(position, "fam", 0, len(self._history) - 1)
        if position["name"] != self._history[index].family:
            raise CursorError("dataforseo cursor: family does not match this client's families")
        since = _time(position, "since")
        after = _time(position, "after")
        end = _time(position, "end")
        if not since <= after <= end:
            raise CursorError("dataforseo cursor: times out of order (since <= after <= end)")
        if end > self._now() + timedelta(minutes=5):
            raise CursorError("dataforseo cursor: 'end' lies in the future")
        if since < self._now() - timedelta(days=366):
            raise CursorError("dataforseo cursor: 'since' is older than id_list keeps tasks")
        seen = position["seen"]
        if not isinstance(seen, list) or len(seen) > SEEN_MAX:
            raise CursorError(f"dataforseo cursor: 'seen' must be a list of at most {SEEN_MAX} ids")
        if not all(isinstance(s, str) and _ID.match(s) for s in seen):
            raise CursorError("dataforseo cursor: 'seen' holds something that is not a task id")
        skip = _int(position, "skip", 0, _MAX_OFFSET)
        if skip and seen:
            raise CursorError("dataforseo cursor: 'seen' and 'skip' are exclusive")
        return self._history_position(index, since, after, end, [str(s) for s in seen], skip)

    def _fetch_history(self, position: Position) -> Batch:
        index = int(position["fam"])  # type: ignore[arg-type]
        family = self._history[index]
        since = datetime.fromisoformat(str(position["since"]))
        after = datetime.fromisoformat(str(position["after"]))
        end = datetime.fromisoformat(str(position["end"]))
        seen_list = [str(s) for s in position["seen"]]  # type: ignore[union-attr]
        skip = int(position["skip"])  # type: ignore[arg-type]
        now = self._now()
        notes: tuple[str, ...] = ()
        floor = (now - self._keeps + timedelta(minutes=1)).replace(microsecond=0)
        if after < floor:
            # The vendor no longer keeps this part: restart at what it accepts.
            notes = (f"{family.path}: tasks before {wire.format_time(floor)} are no longer kept",)
            after, seen_list, skip = floor, [], 0
        to = min(after + self._window, end, now.replace(microsecond=0))
        if to <= after:
            return Batch(tasks=(), next=self._next_family(index, since, end), notes=notes)
        request = {
            "datetime_from": wire.format_time(after),
            "datetime_to": wire.format_time(to),
            "limit": self._page_size,
            "offset": skip,
            "sort": "asc",
            "include_metadata": self._metadata,
        }
        try:
            body = self._call("POST", family.path, "id_list", [request])
        except ProviderError as exc:
            if not self._skippable(family, exc):
                raise
            skipped = f"{family.path}: skipped, the vendor answered {exc.code} {exc.message}"
            return Batch(
                tasks=(), next=self._next_family(index, since, end), notes=(*notes, skipped)
            )
        task = wire.first_task(body, family.path, self.transport.redactor.scrub)
        items = wire.result_items(task)
        seen = set(seen_list)
        tasks, instants = self._read_page(items, family, after, seen)
        if len(items) < self._page_size:
            # This window is exhausted: continue at its end (inclusive on both sides,
            # so the ids at exactly `to` are remembered).
            if to >= end:
                return Batch(tasks=tasks, next=self._next_family(index, since, end), notes=notes)
            at_end = _ids_at(instants, to)
            return Batch(
                tasks=tasks, next=self._keyset(index, since, to, end, at_end, 0), notes=notes
            )
        last = instants[0][-1]
        if last is None:
            raise ResponseFormatError(
                "dataforseo: id_list item without datetime_posted",
                field=f"tasks[0].result[{len(items) - 1}].datetime_posted",
            )
        at_last = _ids_at(instants, last)
        if last == after:
            if skip:
                return Batch(
                    tasks=tasks,
                    next=self._keyset(index, since, after, end, [], skip + len(items)),
                    notes=notes,
                )
            at_last = sorted(seen | set(at_last))
        return Batch(
            tasks=tasks, next=self._keyset(index, since, last, end, at_last, 0), notes=notes
        )

    def _skippable(self, family: HistoryFamily, error: ProviderError) -> bool:
        """Whether a "not found" for ``family``'s id_list may be skipped: only for a family
        the vendor does not document, in a listing that did not ask for it by name."""
        return (
            self._default_families
            and family.family in UNDOCUMENTED_ID_LIST
            and error.code in _NOT_FOUND
        )

    def _read_page(
        self, items: list[Any], family: HistoryFamily, after: datetime, seen: set[str]
    ) -> tuple[list[Task], _Instants]:
        """The page's tasks (less those already listed at ``after``) and its paging landmarks.

        The landmarks are every item's ``(datetime_posted, id)``, kept as two parallel
        lists so the usual page (a family that skips no kind) is read by C loops.
        """
        reads = self._reader.page(items, family)
        if not family.prefixes:  # no kind is skipped: every read is a Task
            tasks = cast(list[Task], reads)
            posted = list(map(_posted_of, tasks))
            ids = list(map(_id_of, tasks))
        else:
            tasks, posted, ids = [], [], []
            for raw, read in zip(items, reads, strict=True):
                if read is None:  # a kind this family skips: still a paging landmark
                    posted.append(parse_timestamp(raw.get("datetime_posted")))
                    ids.append(str(raw["id"]))
                    continue
                posted.append(read.created_at)
                ids.append(read.id)
                tasks.append(read)
        if seen and after in posted:
            tasks = [t for t in tasks if not (t.created_at == after and t.id in seen)]
        return tasks, (posted, ids)

    def _keyset(
        self,
        index: int,
        since: datetime,
        after: datetime,
        end: datetime,
        at_instant: list[str],
        skip: int,
    ) -> Position:
        if skip or len(at_instant) > SEEN_MAX or len(at_instant) >= self._page_size:
            # Too many at one instant to remember by id: page that instant by offset
            # (the vendor orders by time then id, so the first ones are those seen).
            return self._history_position(index, since, after, end, [], skip or len(at_instant))
        return self._history_position(index, since, after, end, at_instant, 0)

    def _next_family(self, index: int, since: datetime, end: datetime) -> Position | None:
        if index + 1 >= len(self._history):
            return None
        return self._history_position(index + 1, since, since, end, [], 0)

    # -- collection -----------------------------------------------------------------------

    def advice(self, topic: str, detail: str = "") -> str | None:
        if topic == "capped":
            return (
                "collect the listed tasks (seotasks collect -p dataforseo) and list again, "
                "or list -o source=history"
            )
        if topic == "wait" and detail == "tasks_ready":
            return (
                f"each of the {len(self._ready)} tasks_ready lists of these families is one "
                "call; name fewer with -o families=... (e.g. -o families=serp)"
            )
        if topic == "wait" and detail == "id_list":
            return "each family is one id_list call a page; name fewer with -o families=..."
        return None

    def collect(self, task: Task) -> Mapping[str, Any]:
        """GET the task's result (``task_get``); the vendor then drops it from tasks_ready."""
        path = None
        raw = task.raw
        for key in _COLLECT_KEYS:
            if valid_collect_path(raw.get(key), task.id):
                path = str(raw[key])
                break
        if path is None and task.kind:
            path = task_get_path(task.kind, task.id)
        if path is None and task.kind is None:
            raise UnsupportedQuery(
                f"dataforseo: cannot build a task_get path for task {task.id} without its kind; "
                "give the kind (seotasks collect --kind, e.g. --kind serp/google/organic)"
            )
        if path is None:
            raise UnsupportedQuery(
                f"dataforseo: cannot build a task_get path for task {task.id} of kind {task.kind!r}"
            )
        body = self._call("GET", path, "task_get")
        wire.first_task(body, path, self.transport.redactor.scrub)
        return body

    # -- submission -----------------------------------------------------------------------

    def submit(self, specs: Sequence[SerpTaskSpec]) -> list[SubmitResult]:
        """POST ``/v3/serp/<engine>/<serp_type>/task_post`` in arrays of at most 100 tasks.

        Specs are grouped by endpoint (one path each) and posted in order; each answer's
        per-task codes become per-spec results (20100: the task id). A batch is never
        sent twice: the transport does not resend a non-idempotent call whose answer was
        lost, and such a failure becomes a `TransientError` on each spec of the batch.
        Callback URLs' query values are registered as secrets before anything is sent.
        """
        from seotasks.errors import SeotasksError
        from seotasks.submit import SubmitResult

        results: list[SubmitResult | None] = [None] * len(specs)
        by_path: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for index, spec in enumerate(specs):
            try:
                path, item = _post_item(spec)
            except UnsupportedQuery as exc:
                results[index] = SubmitResult(spec=spec, error=exc)
                continue
            _register_callback_secrets(self.transport.redactor, spec)
            by_path.setdefault(path, []).append((index, item))
        scrub = self.transport.redactor.scrub
        for path, entries in by_path.items():
            for start in range(0, len(entries), wire.POST_MAX):
                batch = entries[start : start + wire.POST_MAX]
                try:
                    body = self._call(
                        "POST", path, "task_post", [item for _, item in batch], idempotent=False
                    )
                except SeotasksError as exc:
                    for index, _ in batch:
                        results[index] = SubmitResult(spec=specs[index], error=exc)
                    continue
                for (index, _), (task_id, error) in zip(
                    batch, wire.post_results(body, len(batch), scrub), strict=True
                ):
                    results[index] = SubmitResult(spec=specs[index], task_id=task_id, error=error)
        assert all(r is not None for r in results)
        return [r for r in results if r is not None]

    # -- sandbox ---------------------------------------------------------------------------

    @classmethod
    def sandbox(
        cls,
        *,
        seed: int = 0,
        size: int | None = None,
        clock: Clock | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> contextlib.AbstractContextManager[Sandbox]:
        return _sandbox(seed=seed, size=size, clock=clock, now=now)


def _post_item(spec: SerpTaskSpec) -> tuple[str, dict[str, Any]]:
    """The task_post path and array item for ``spec``; `UnsupportedQuery` if it cannot be.

    What the endpoint takes (devices, depth limits and field, postback flavours) comes
    from `serp_types.SERP_TYPES`, the table the emulator checks against too.
    """
    serp = serp_types.find(spec.engine, spec.serp_type)
    if serp is None:
        raise UnsupportedQuery(f"dataforseo: {serp_types.why_unknown(spec.engine, spec.serp_type)}")
    keyword = wire.encode_keyword(spec.keyword)
    if len(keyword) > wire.KEYWORD_MAX:
        raise UnsupportedQuery(
            f"dataforseo: keyword is {len(keyword)} characters once '%' and '+' are encoded; "
            f"the vendor accepts at most {wire.KEYWORD_MAX}"
        )
    item: dict[str, Any] = {"keyword": keyword}
    if isinstance(spec.location, int):
        item["location_code"] = spec.location
    else:
        item["location_name"] = spec.location
    kind_of_language = spec.language_kind
    if kind_of_language == "id":
        raise UnsupportedQuery(
            f"dataforseo: language {spec.language!r} is a numeric id; DataForSEO takes an ISO "
            "code such as 'en' or a name such as 'English'"
        )
    if kind_of_language is not None:
        item["language_code" if kind_of_language == "code" else "language_name"] = spec.language
    elif serp.language_required:
        raise UnsupportedQuery(
            f"dataforseo: {serp.kind} task_post needs a language (a name or an ISO code)"
        )
    problem = serp_types.device_problem(serp, spec.device)
    if problem is not None:
        raise UnsupportedQuery(f"dataforseo: {problem}")
    if serp.device_field:
        item["device"] = spec.device
    if spec.depth is not None:
        problem = serp_types.depth_problem(serp, spec.device, spec.depth)
        if problem is not None or serp.depth_field is None:
            raise UnsupportedQuery(f"dataforseo: {problem}")
        item[serp.depth_field] = spec.depth
    if spec.priority is not None:
        item["priority"] = 2 if spec.priority == "high" else 1
    if spec.tag is not None:
        if len(spec.tag) > wire.TAG_MAX:
            raise UnsupportedQuery(f"dataforseo: tag is longer than {wire.TAG_MAX} characters")
        item["tag"] = spec.tag
    if spec.pingback_url is not None:
        item["pingback_url"] = spec.pingback_url
    if spec.postback_url is not None:
        data = spec.postback_data or serp.default_postback_data
        if data not in serp.postback_data:
            raise UnsupportedQuery(
                f"dataforseo: postback_data {data!r} is not offered by {serp.kind} "
                f"(it offers {', '.join(serp.postback_data)})"
            )
        item["postback_url"] = spec.postback_url
        item["postback_data"] = data
    return f"/v3/{serp.kind}/task_post", item


def _register_callback_secrets(redactor: Redactor, spec: SerpTaskSpec) -> None:
    """Scrub the tokens a callback URL may carry (query values, a userinfo password)."""
    for url in (spec.pingback_url, spec.postback_url):
        if url is None:
            continue
        split = urlsplit(url)
        if split.password:
            redactor.add(split.password)
        for _, value in parse_qsl(split.query, keep_blank_values=True):
            if value not in _PLACEHOLDERS:
                redactor.add(value)
        if split.query:
            redactor.add(split.query)


@contextlib.contextmanager
def _sandbox(
    *, seed: int, size: int | None, clock: Clock | None, now: Callable[[], datetime] | None
) -> Iterator[Sandbox]:
    from .emulator import DEFAULT_SIZE, DataForSEOEmulator

    emulator = DataForSEOEmulator(
        seed=seed, size=DEFAULT_SIZE if size is None else size, clock=clock, now=now
    )
    with emulator:
        yield Sandbox(
            settings=emulator.settings,
            stop=emulator.stop,
            description=f"DataForSEO emulator at {emulator.url} ({emulator.size} tasks)",
        )
