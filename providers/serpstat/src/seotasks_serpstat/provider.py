"""`SerpstatProvider`: Serpstat's ``tasks.getList`` behind the seotasks provider contract.

The provider builds one JSON-RPC request per page, lets the core's transport send it
(pacing at the plan's requests/second, retries, redaction), reads the envelope with
`wire.read_result` and decides what the page means with `paging.advance` -- the part
that keeps a page-numbered list that shifts under new and expiring tasks from losing or
repeating tasks. Filtering by status and time is left to the core: the API has none.
"""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeVar
from urllib.parse import urlencode, urlsplit, urlunsplit

from seotasks.convert import is_ascii_digits, zone
from seotasks.errors import (
    AuthError,
    ConfigError,
    ProviderError,
    ResponseFormatError,
    SeotasksError,
    UnsupportedQuery,
)
from seotasks.model import Task, TaskQuery, TaskStatus
from seotasks.provider import (
    Batch,
    Capabilities,
    Option,
    Position,
    Provider,
    Sandbox,
    Settings,
    require_window,
)
from seotasks.ratelimit import RateLimit
from seotasks.transport import Request, Response, Transport, decode_json_object

from . import paging, posting, results, wire
from .posting import SERP_TYPES

if TYPE_CHECKING:
    from seotasks.account import Account
    from seotasks.sandbox import SandboxRequest
    from seotasks.submit import SerpTaskSpec, SubmitResult

log = logging.getLogger("seotasks.serpstat")
_T = TypeVar("_T")

__all__ = ["ALTERNATIVE_BASE_URL", "DEFAULT_BASE_URL", "SERP_TYPES", "WINDOW", "SerpstatProvider"]

#: Every per-method page of the vendor's reference (tasks.getList, addTask, getTaskResult ...)
#: and its curl examples use this endpoint, so it is the default for the ``tasks.*`` methods.
DEFAULT_BASE_URL: Final = "https://serpstat.com/rt/api/v2/"
#: The section intro of the same reference names the v4 API base instead; the reference is
#: inconsistent and it is unverified which one production accepts, so it stays an option
#: (``SEOTASKS_SERPSTAT_BASE_URL=https://api.serpstat.com/v4/``).
ALTERNATIVE_BASE_URL: Final = "https://api.serpstat.com/v4/"
#: tasks.getList returns the tasks of the last 7 days only.
WINDOW: Final = timedelta(days=7)
#: The window's edge is not exact and the vendor's clock zone is undocumented: a ``since``
#: this much older than the window is still accepted (the core filters client-side).
_WINDOW_GRACE: Final = timedelta(days=1)
_ENDPOINT: Final = "jsonrpc"
#: Pages of one tasks.getTaskResult read before giving up (a loop guard).
_MAX_RESULT_PAGES: Final = 10_000


class SerpstatProvider(Provider):
    """Serpstat SERP-crawling tasks (JSON-RPC ``tasks.getList``), last 7 days.

    Normalization: ``id`` is ``task_id`` verbatim; ``status`` and ``progress`` come from
    the ``"N%"`` progress (0 % queued, 100 % with ``parsed_at`` completed, otherwise
    running); ``created_at`` / ``completed_at`` are ``created_at`` / ``parsed_at`` read in
    the ``timezone`` option and converted to UTC; ``engine`` from ``se_id`` (1 = google,
    other ids kept as given), ``device`` from ``device_type_id``, ``location`` is
    ``"<country_id>"`` or ``"<country_id>/<region_id>"``, ``language`` is ``lang_id``;
    ``kind`` is ``"serp/google"``. Serpstat has no failed state, cost or tag in the list.
    """

    name: ClassVar[str] = "serpstat"
    description: ClassVar[str] = "Serpstat SERP crawling tasks (JSON-RPC tasks.getList, 7 days)"
    options: ClassVar[tuple[Option, ...]] = (
        Option(
            name="token",
            help="Serpstat API token (sent as the token query parameter)",
            required=True,
            secret=True,
        ),
        Option(
            name="base_url",
            help=f"JSON-RPC endpoint; the v4 base {ALTERNATIVE_BASE_URL} is the documented "
            "alternative",
            default=DEFAULT_BASE_URL,
        ),
        Option(
            name="page_size",
            help="rows per request, 100..1000; requests vary a little below it so that "
            "pages overlap and shifts are detected",
            kind="int",
            default=1000,
        ),
        Option(
            name="timezone",
            help="IANA zone of Serpstat's naive timestamps (undocumented; UTC by default)",
            default="UTC",
        ),
        Option(
            name="rps",
            help="requests per second allowed by your plan (most plans: 1; top plans: 10)",
            kind="float",
            default=1.0,
        ),
    )
    rate_limits: ClassVar[Mapping[str, RateLimit]] = {_ENDPOINT: RateLimit.per_second(1)}
    spec_maps: ClassVar[frozenset[str]] = frozenset(
        {"keyword", "location", "language", "engine", "serp_type", "device"}
    )
    spec_refuses: ClassVar[frozenset[str]] = frozenset(posting.UNEXPRESSIBLE)
    submit_batch: ClassVar[int] = posting.KEYWORDS_MAX
    secret_params: ClassVar[tuple[str, ...]] = ("token",)

    def __init__(self, settings: Settings, transport: Transport) -> None:
        super().__init__(settings, transport)
        self._tz = zone(str(settings["timezone"]))
        self._page_size = int(settings["page_size"])
        base = str(settings["base_url"])
        joiner = "&" if urlsplit(base).query else "?"
        self._url = f"{base}{joiner}{urlencode({'token': settings['token']})}"
        # Distinct ids per request (the vendor may refuse reused ids); a random prefix
        # keeps two clients on one account apart.
        self._id_prefix = f"st-{secrets.token_hex(4)}"
        self._ids = itertools.count(1)

    # -- configuration ----------------------------------------------------------------------

    @classmethod
    def configure(cls, settings: Mapping[str, Any]) -> Mapping[str, Any]:
        """Reject what the vendor would refuse, before any request is made."""
        values = dict(settings)
        size = values.get("page_size")
        if type(size) is not int or not paging.MIN_PAGE_SIZE <= size <= paging.MAX_PAGE_SIZE:
            raise ConfigError(
                f"serpstat: page_size must be {paging.MIN_PAGE_SIZE}..{paging.MAX_PAGE_SIZE} "
                f"(tasks.getList pageSize), got {size!r}"
            )
        check_rps(values.get("rps"))
        try:
            zone(str(values.get("timezone") or ""))
        except ConfigError as unknown:  # named as the provider's other refusals are
            raise ConfigError(f"serpstat: {unknown}") from None
        values["base_url"] = _check_base_url(values.get("base_url"))
        token = values.get("token")
        if not isinstance(token, str) or not token.strip():
            raise ConfigError("serpstat: token is empty; set SEOTASKS_SERPSTAT_TOKEN")
        return values

    def rate_limits_for(self) -> Mapping[str, RateLimit]:
        """One bucket for every JSON-RPC call, at the plan's requests/second."""
        return {_ENDPOINT: RateLimit.per_second(float(self.settings["rps"]))}

    def capabilities(self) -> Capabilities:
        return Capabilities(
            statuses=frozenset({TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.COMPLETED}),
            server_filters=frozenset(),
            window=WINDOW,
            # order=None: tasks.getList's order is undocumented (ascending by task_id in
            # the vendor's examples) and this provider reads a descending list as well;
            # a declared order would make merged refuse a newest-first vendor.
            max_page_size=paging.MAX_PAGE_SIZE,
            cap=paging.MAX_ROWS,
            collect=True,
            notes=(
                "tasks.getList lists the last 7 days only",
                "unordered: the vendor documents no order (ascending by id in its examples)",
                "status, since and until are filtered client-side",
                "pages overlap by a few rows so that shifts under new or expiring tasks "
                "neither lose nor repeat a task",
            ),
        )

    # -- listing ----------------------------------------------------------------------------

    def start(self, query: TaskQuery) -> Position:
        require_window(
            query, window=WINDOW, now=self.transport.now(), what="serpstat", grace=_WINDOW_GRACE
        )
        return paging.State().to_position()

    def check_position(self, position: Position) -> Position:
        """Every field checked (see `paging.State.from_position`); a fresh copy returned."""
        return paging.State.from_position(position).to_position()

    def fetch(self, query: TaskQuery, position: Position) -> Batch:
        state = paging.State.from_position(position)
        window = paging.plan(state, self._page_size)
        rows = self._call(window)
        ids = wire.row_ids(rows)
        step = paging.advance(state, window, ids)
        tasks = wire.normalize_rows(rows, tz=self._tz, ids=ids, start=step.emit_from)
        notes = () if step.note is None else (step.note,)
        # An end at the vendor's row cap is no proof that the list ends there.
        capped = step.next is None and window.start + len(ids) >= paging.MAX_ROWS
        if capped:
            notes = (f"tasks.getList: the vendor shows at most {paging.MAX_ROWS:,} rows",)
        return Batch(
            tasks=tasks,
            next=None if step.next is None else step.next.to_position(),
            capped=capped,
            notes=notes,
        )

    def advice(self, topic: str, detail: str = "") -> str | None:
        if topic == "capped":
            return (
                f"tasks.getList shows at most {paging.MAX_ROWS:,} of the last 7 days' tasks; "
                "the others cannot be listed while the list is longer than that"
            )
        return None

    def _call(self, window: paging.Window) -> list[Any]:
        return self._post(
            lambda request_id: wire.request_body(request_id, window.page, window.size),
            self._parse,
        )

    def _post(
        self,
        body: Callable[[str], bytes],
        parse: Callable[[str, Response], _T],
        *,
        idempotent: bool = True,
    ) -> _T:
        """One JSON-RPC call: a fresh request id, the ``body`` built around it, and the
        answer read by ``parse`` against that id (the vendor echoes it; another id is the
        answer to some other request)."""
        request_id = f"{self._id_prefix}-{next(self._ids)}"
        request = Request(
            method="POST",
            url=self._url,
            endpoint=_ENDPOINT,
            headers={"Content-Type": "application/json"},
            body=body(request_id),
            idempotent=idempotent,
        )
        return self.transport.call(request, partial(parse, request_id))

    # -- submission and results ---------------------------------------------------------------

    def _rpc(
        self, method: str, params: Mapping[str, Any], *, idempotent: bool
    ) -> Mapping[str, Any]:
        return self._post(
            lambda request_id: posting.rpc_body(request_id, method, params),
            self._parse_object,
            idempotent=idempotent,
        )

    def _check_http(self, response: Response) -> None:
        """The vendor answers HTTP 200 even for errors; any other status is the proxy's."""
        if response.status in (401, 403):
            raise AuthError(  # Serpstat says its own refusals in an HTTP-200 body
                f"serpstat: HTTP {response.status} from {response.url}: the token was "
                "refused, or base_url is not Serpstat's"
            )
        if response.status != 200:
            scrub = self.transport.redactor.scrub
            raise ProviderError(  # no JSON-RPC code: its 404 "Empty result" is no HTTP 404
                f"HTTP {response.status}",
                f"from {response.url}: {scrub(response.snippet(80))!r}",
                provider=self.name,
            )

    def _parse_object(self, request_id: str, response: Response) -> Mapping[str, Any]:
        self._check_http(response)
        scrub = self.transport.redactor.scrub
        return posting.read_answer(
            decode_json_object(response), expected_id=request_id, scrub=scrub
        )

    def account(self) -> Account:
        """``tasks.getParsingBalance`` (free): the crawling balance and prices, in USD."""
        answer = self._rpc("tasks.getParsingBalance", {}, idempotent=True)
        return posting.parsing_balance(answer)

    @classmethod
    def check_spec(cls, spec: SerpTaskSpec) -> None:
        posting.task_params(spec)  # the parameters submit would send, refused as it does

    def submit(self, specs: Sequence[SerpTaskSpec]) -> list[SubmitResult]:
        """``tasks.addKeywordList``: specs with the same settings share one call and task.

        Every spec of a group gets the group's ``task_id`` (one Serpstat task crawls many
        keywords) and the ``kind`` its listing gives (``serp/google``); a keyword the vendor lists in ``blocked_keywords`` gets a
        `ProviderError` instead. ``depth``, ``priority``, ``tag``, callback URLs, a location
        or language *name*, engines other than Google and SERP types other than those in
        `posting.SERP_TYPES` cannot be expressed: `UnsupportedQuery`.
        """
        from seotasks.submit import SubmitResult

        results: list[SubmitResult | None] = [None] * len(specs)
        groups: dict[tuple[tuple[str, int | str], ...], list[int]] = {}
        for index, spec in enumerate(specs):
            try:
                params = posting.task_params(spec)
            except UnsupportedQuery as exc:
                results[index] = SubmitResult(spec=spec, error=exc)
                continue
            groups.setdefault(tuple(sorted(params.items())), []).append(index)
        refused: AuthError | None = None  # after it, no call: each would be refused too
        for key, members in groups.items():
            params = dict(key)
            kind = wire.task_kind(str(params["seId"]))  # as the listing will read it
            by_keyword: dict[str, list[int]] = {}  # a keyword given twice is sent once
            for i in members:
                by_keyword.setdefault(specs[i].keyword, []).append(i)
            words = list(by_keyword)
            for start in range(0, len(words), posting.KEYWORDS_MAX):
                keywords = words[start : start + posting.KEYWORDS_MAX]
                chunk = [i for word in keywords for i in by_keyword[word]]
                if refused is not None:
                    for i in chunk:
                        results[i] = SubmitResult(spec=specs[i], error=_not_sent(refused))
                    continue
                try:
                    answer = self._rpc(
                        "tasks.addKeywordList",
                        {"keywords": keywords, **params},
                        idempotent=False,
                    )
                    task_id, blocked, readable = posting.added_task(answer)
                except SeotasksError as exc:
                    if isinstance(exc, AuthError):
                        refused = exc
                    for i in chunk:
                        results[i] = SubmitResult(spec=specs[i], error=exc)
                    continue
                if not readable:
                    log.warning(
                        "serpstat: task %s was created, but its blocked_keywords could not "
                        "all be read; every keyword of it is reported as submitted",
                        task_id,
                    )
                for i in chunk:
                    if specs[i].keyword in blocked:
                        reason = blocked[specs[i].keyword] or "special symbols"
                        error = ProviderError(
                            None,
                            f"keyword blocked ({reason}); not crawled, not charged",
                            provider=self.name,
                        )
                        results[i] = SubmitResult(spec=specs[i], error=error)
                    else:
                        results[i] = SubmitResult(spec=specs[i], task_id=task_id, kind=kind)
        return [r for r in results if r is not None]

    def collect(self, task: Task) -> Mapping[str, Any]:
        """``tasks.getTaskResult`` for every page: ``task_meta`` and all ``tops`` in one object.

        What the vendor answers for a task still crawling is undocumented: see `results`
        for how a "no data" error and an answer without keywords are read.
        """
        if not is_ascii_digits(task.id):
            raise UnsupportedQuery(f"serpstat: task id {task.id!r} is not numeric")
        page = 1
        merged: dict[str, Any] = {}
        tops: list[Any] = []
        for _ in range(_MAX_RESULT_PAGES):
            params: dict[str, Any] = {"taskId": int(task.id)}
            if page > 1:
                params["page"] = page
            try:
                answer = self._rpc("tasks.getTaskResult", params, idempotent=True)
            except ProviderError as exc:
                meant = results.when_no_data(exc, task)
                if meant is None:
                    raise
                raise meant from exc
            tops.extend(results.page_tops(answer, task, page))
            if not merged:
                merged = {k: v for k, v in answer.items() if k not in ("tops", "next_page")}
            following = answer.get("next_page")
            if following is None:
                merged["tops"] = tops
                return merged
            if isinstance(following, str) and is_ascii_digits(following):
                following = int(following)  # undocumented type; its other numbers are text
            if type(following) is not int or following <= page:
                raise ResponseFormatError(
                    f"serpstat: next_page {following!r} does not move forward from {page}",
                    field="result.next_page",
                )
            page = following
        raise ResponseFormatError(f"serpstat: more than {_MAX_RESULT_PAGES} result pages")

    def _parse(self, request_id: str, response: Response) -> list[Any]:
        self._check_http(response)
        scrub = self.transport.redactor.scrub
        return wire.read_result(decode_json_object(response), expected_id=request_id, scrub=scrub)

    # -- sandbox ----------------------------------------------------------------------------

    @classmethod
    def sandbox(cls, request: SandboxRequest) -> AbstractContextManager[Sandbox]:
        """The emulator on loopback with ``request.size`` seeded tasks (1500 by default).

        ``request.now`` is the data's clock (the seeded tasks' times are drawn around it)."""
        from .emulator.sandbox import sandbox

        return sandbox(request)


def _check_base_url(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("serpstat: base_url is empty")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"serpstat: base_url must be an http(s) URL, got {value!r}")
    if "token=" in parts.query:
        raise ConfigError("serpstat: put the token in the token option, not in base_url")
    # The docs write the method as a fragment (#tasks.getList); it is never sent anyway.
    return urlunsplit(parts._replace(fragment=""))


def check_rps(rps: object) -> None:
    """The plan's requests a second, as the vendor's plans go (1 for most, 10 for the top
    ones): refused past 100 or at 0, from settings and from a sandbox's ``-o``."""
    if not isinstance(rps, int | float) or isinstance(rps, bool) or not 0 < rps <= 100:
        raise ConfigError(f"serpstat: rps must be > 0 and <= 100, got {rps!r}")


def _not_sent(refused: AuthError) -> AuthError:
    """The error of a spec not sent because an earlier call of its batch was refused."""
    return AuthError(f"not sent: {refused}")
