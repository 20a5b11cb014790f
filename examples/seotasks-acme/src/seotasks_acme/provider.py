"""The ``acme`` provider: AcmeRank jobs, listed page by page with an opaque token.

AcmeRank pages the way many cloud APIs do: every answer carries ``next_page_token``
and the next request sends it back. The token is all the vendor needs to continue, so
it is all this provider needs too: the *position* it hands to the core (which keeps it
in the caller's cursor) is ``{"page_token": "..."}``, the empty token meaning "first
page". The core owns the rest: the paging loop, retries, pacing, de-duplication,
client-side filters and the cursors themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, TypeGuard
from urllib.parse import urlencode, urlsplit

import seotasks
from seotasks.convert import Progress, Timestamp, converter, structure
from seotasks.emulation import EmulatorServer
from seotasks.ratelimit import RateLimit
from seotasks.transport import Request, Response, decode_json_object, parse_retry_after

__all__ = ["AcmeProvider"]

_Status = seotasks.TaskStatus
_STATUS = {
    "PENDING": _Status.QUEUED,
    "RUNNING": _Status.RUNNING,
    "SUCCEEDED": _Status.COMPLETED,
    "FAILED": _Status.FAILED,
}
_STATE = {status: state for state, status in _STATUS.items()}

MAX_PAGE_SIZE = 1000
#: AcmeRank deletes jobs after 90 days: a listing from further back cannot be complete.
RETENTION = timedelta(days=90)

#: The token is opaque to us, yet it comes back from a caller-held cursor, so it is
#: checked before use. It is URL-encoded anyway (so even "/" cannot leave the query
#: string); this whitelist also keeps control characters and megabyte strings out of
#: requests. It admits both base64 alphabets, which is what vendors' tokens are.
_TOKEN = re.compile(r"[A-Za-z0-9+/=_.~-]{0,1024}")

# Auth-like codes are not worth retrying; these two are the vendor's "try again".
_AUTH_CODES = {"UNAUTHENTICATED", "PERMISSION_DENIED"}
_TRANSIENT_CODES = {"UNAVAILABLE", "INTERNAL"}


_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _rfc3339(when: datetime, *, up: bool) -> str:
    """``when`` in whole UTC seconds, rounded down (or ``up``), as ``...Z``."""
    second = when.astimezone(UTC).replace(microsecond=0)
    if up and second < when:
        second += timedelta(seconds=1)
    return second.strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_token(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


# -- the wire format --------------------------------------------------------------------
# Plain dataclasses structured by the core's converter: its hooks read RFC 3339 times
# (`Timestamp`) and 0..100 percentages (`Progress`), and `structure` turns any mismatch
# into a ResponseFormatError naming the path, e.g. ``$.jobs[3].create_time``. Unknown
# keys are ignored, so the vendor may add fields without breaking us.


@dataclass(frozen=True, slots=True)
class _JobError:
    code: str = ""
    message: str = ""


@dataclass(frozen=True, slots=True)
class _Job:
    #: ``jobs/<id>``: the task id is the part after the slash.
    name: str
    #: PENDING, RUNNING, SUCCEEDED or FAILED (`_STATUS`); any other is an error.
    state: str
    #: 0..100, read by the `Progress` hook into 0.0..1.0.
    percent_complete: Progress | None = None
    #: RFC 3339 times, read by the `Timestamp` hook into UTC datetimes.
    create_time: Timestamp | None = None
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    #: The job's kind (``rank_check/google/desktop``), passed through as ``Task.kind``.
    type: str | None = None
    #: Free labels; ``tag`` is the caller's tag.
    labels: dict[str, str] = field(default_factory=dict)
    #: Millionths of the account's currency: integers on the wire, never floats.
    cost_micros: int | None = None
    error: _JobError | None = None


@dataclass(frozen=True, slots=True)
class _JobsPage:
    jobs: list[_Job]
    next_page_token: str | None = None


# A copy, never the shared converter itself: hooks added here stay in this plugin.
_converter = converter.copy()


class AcmeProvider(seotasks.Provider):
    """AcmeRank rank-check jobs (``GET /v1/jobs``)."""

    name: ClassVar[str] = "acme"
    description: ClassVar[str] = "AcmeRank rank-check jobs (example plugin, next-page tokens)"
    options: ClassVar[tuple[seotasks.Option, ...]] = (
        seotasks.Option(
            name="base_url",
            help="AcmeRank API root; point it at the emulator to test",
            default="https://api.acme.example",
        ),
        seotasks.Option(
            name="api_key", help="AcmeRank API key (a bearer token)", required=True, secret=True
        ),
        seotasks.Option(
            name="page_size", help=f"jobs per request, 1..{MAX_PAGE_SIZE}", kind="int", default=100
        ),
    )
    # AcmeRank documents 5 list calls and 20 result reads a second per key; pacing
    # keeps us under both, however many threads share the client (collect_many).
    # ClassVar: shared by the class, and what ruff's RUF012 asks of a mutable class attribute.
    rate_limits: ClassVar[Mapping[str, RateLimit]] = {
        "jobs": RateLimit.per_second(5),
        "results": RateLimit.per_second(20),
    }

    @classmethod
    def configure(cls, settings: Mapping[str, Any]) -> Mapping[str, Any]:
        # Fail at connect(), not on the first request, and with our words, not the vendor's.
        size = settings["page_size"]
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise seotasks.ConfigError(f"acme: page_size must be 1..{MAX_PAGE_SIZE}, got {size}")
        url = urlsplit(settings["base_url"])
        if url.scheme not in ("http", "https") or not url.netloc or url.query or url.fragment:
            raise seotasks.ConfigError(
                f"acme: base_url must be an http(s) URL without a query, got {url.geturl()!r}"
            )
        return {**settings, "base_url": url.geturl().rstrip("/")}

    def capabilities(self) -> seotasks.Capabilities:
        return seotasks.Capabilities(
            # ?state= and ?ended_after=/ended_before= (completion bounds); creation bounds
            # are filtered by the core.
            server_filters=frozenset({"status", "completed_since", "completed_until"}),
            window=RETENTION,
            order="created_at",
            max_page_size=MAX_PAGE_SIZE,
            collect=True,
            # Every job has its create_time, every one that ran its start_time, every
            # finished one its end_time: the kit holds the listing to this.
            times=frozenset({"created_at", "started_at", "completed_at"}),
        )

    def start(self, query: seotasks.TaskQuery) -> dict[str, Any]:
        if query.since is not None and query.since < self.transport.now() - RETENTION:
            raise seotasks.UnsupportedQuery(
                f"AcmeRank keeps jobs for {RETENTION.days} days; "
                f"since={query.since.isoformat()} is further back, so the listing would be partial"
            )
        return {"page_token": ""}

    def check_position(self, position: dict[str, Any]) -> dict[str, Any]:
        # Rebuild the position rather than pass it through: nothing but a checked token
        # survives from a cursor.
        if set(position) != {"page_token"}:  # a dict of JSON values: the core checked
            raise seotasks.CursorError("acme cursor position must hold exactly a page_token")
        token = position["page_token"]
        if not _is_token(token):
            raise seotasks.CursorError("acme cursor holds a malformed page_token")
        return {"page_token": token}

    def fetch(self, query: seotasks.TaskQuery, position: dict[str, Any]) -> seotasks.Batch:
        params: dict[str, str | int] = {"page_size": self.settings["page_size"]}
        if position["page_token"]:
            params["page_token"] = position["page_token"]
        if query.status is not None:
            params["state"] = _STATE[query.status]
        if query.time_field == "completed_at":
            # The vendor reads whole seconds: widen to them (the core filters exactly).
            if query.since is not None:
                params["ended_after"] = _rfc3339(query.since, up=False)
            if query.until is not None:
                params["ended_before"] = _rfc3339(query.until, up=True)
        request = Request(
            method="GET",
            # urlencode: whatever the token holds, it stays a query value.
            url=f"{self.settings['base_url']}/v1/jobs?{urlencode(params)}",
            endpoint="jobs",  # the pacing bucket of `rate_limits`
            headers={"Authorization": f"Bearer {self.settings['api_key']}"},
        )
        page, raw_jobs = self.transport.call(request, self._parse)
        tasks = [
            self._task(index, job, raw)
            for index, (job, raw) in enumerate(zip(page.jobs, raw_jobs, strict=True))
        ]
        token = page.next_page_token
        if not token:  # null, or "" as some token APIs say it
            return seotasks.Batch(tasks=tasks, next=None)
        if not _is_token(token):
            # Refuse now: a token we would refuse in check_position must not reach a cursor.
            raise seotasks.ResponseFormatError(
                "AcmeRank sent a page token outside the expected alphabet or length",
                field="$.next_page_token",
            )
        return seotasks.Batch(tasks=tasks, next={"page_token": token})

    def collect(self, task: seotasks.Task) -> seotasks.JSONValue:
        """``GET /v1/jobs/<id>/result``: a finished job's rankings, as the vendor sends them.

        One call per task and no state of its own, so the core's ``collect_many`` can run
        it on many threads at once: the transport's pool, pacing and retries are shared.
        Only the id is used: ``seotasks collect --id`` hands over a task rebuilt from the
        id alone (status completed, empty ``raw``). Any JSON value may be returned (an
        object here; an array for a vendor whose results are a list of items).
        """
        if not _JOB_ID.fullmatch(task.id):
            # The id goes into a path: refuse anything that could leave its segment.
            raise seotasks.UnsupportedQuery(f"acme: job id {task.id!r} is not a plain id")
        request = Request(
            method="GET",
            url=f"{self.settings['base_url']}/v1/jobs/{task.id}/result",
            endpoint="results",
            headers={"Authorization": f"Bearer {self.settings['api_key']}"},
        )
        return self.transport.call(request, self._parse_result)

    # -- parsing ---------------------------------------------------------------------------

    def _parse_result(self, response: Response) -> dict[str, Any]:
        try:
            body = decode_json_object(response)
        except seotasks.ResponseFormatError:
            if response.status < 400:
                raise
            body = {}
        if response.status != 200 or body.get("error") is not None:
            raise self._error(response, body.get("error"))
        if not isinstance(body.get("rankings"), list):
            raise seotasks.ResponseFormatError(
                "acme: the result has no rankings list", field="$.rankings"
            )
        return body

    def _parse(self, response: Response) -> tuple[_JobsPage, list[Any]]:
        """Body -> page, or the typed error. Runs inside the transport's retry loop.

        The transport has already turned HTTP 429 and 5xx into retried errors; the rest
        arrives here. An error in an HTTP-200 body must be raised from here (not after
        `Transport.call` returns) for a `RateLimited` to be retried like an HTTP 429.
        """
        try:
            body = decode_json_object(response)
        except seotasks.ResponseFormatError:
            if response.status < 400:
                raise
            body = {}  # an HTML error page from a proxy: the status says enough
        if response.status != 200 or body.get("error") is not None:
            raise self._error(response, body.get("error"))
        raw_jobs = body.get("jobs")
        if not isinstance(raw_jobs, list):
            raise seotasks.ResponseFormatError("acme: the answer has no jobs list", field="$.jobs")
        return structure(_converter, body, _JobsPage, where="acme jobs page"), raw_jobs

    def _error(self, response: Response, error: object) -> seotasks.SeotasksError:
        details = error if isinstance(error, dict) else {}
        code = str(details.get("code") or "")
        # The vendor may echo what we sent; scrub before the text reaches a message.
        scrub = self.transport.redactor.scrub
        message = scrub(str(details.get("message") or "")) or scrub(response.snippet(80))
        if code == "RATE_LIMITED":
            # A hint in the header is honoured for the body-level limit as for HTTP 429.
            return seotasks.RateLimited(
                f"acme: rate limited: {message}",
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        if code in _AUTH_CODES or response.status in (401, 403):
            return seotasks.AuthError(f"acme refused the API key: {code or response.status}")
        if code in _TRANSIENT_CODES:
            return seotasks.TransientError(f"acme: {code}: {message}")
        return seotasks.ProviderError(code or response.status, message, provider=self.name)

    def _task(self, index: int, job: _Job, raw: Mapping[str, Any]) -> seotasks.Task:
        job_id = job.name.removeprefix("jobs/")
        if job_id == job.name or not job_id:
            raise seotasks.ResponseFormatError(
                f"job name {job.name!r} is not 'jobs/<id>'", field=f"$.jobs[{index}].name"
            )
        status = _STATUS.get(job.state)
        if status is None:
            raise seotasks.ResponseFormatError(
                f"unknown job state {job.state!r}",
                field=f"$.jobs[{index}].state",
                item_id=job_id,
            )
        return seotasks.Task(
            provider=self.name,
            id=job_id,
            status=status,
            # Done is done, whatever percentage the vendor last reported.
            progress=1.0 if status is _Status.COMPLETED else job.percent_complete,
            created_at=job.create_time,
            started_at=job.start_time,
            completed_at=job.end_time,
            kind=job.type,
            tag=job.labels.get("tag"),
            cost=None if job.cost_micros is None else Decimal(job.cost_micros).scaleb(-6),
            message=job.error.message if job.error and job.error.message else None,
            raw=raw,
        )

    # -- sandbox ---------------------------------------------------------------------------

    @classmethod
    @contextmanager
    def sandbox(cls, request: seotasks.SandboxRequest) -> Iterator[seotasks.Sandbox]:
        """Serve seeded AcmeRank jobs on loopback (``seotasks tasks -p acme --sandbox``).

        ``request.clock`` (the one the CLI's clients pace on) makes the emulator enforce
        AcmeRank's rate limits on it, as the vendor would. ``request.now`` is the data's wall
        clock (``--sandbox-day`` passes a fixed day): the jobs are drawn over the 20 days
        before it, so the same seed and ``now`` give the same jobs, timestamps included
        (the conformance kit's ``test_sandbox_honours_now`` checks both). ``request.port``
        is the port to listen on (``seotasks sandbox --port``), else the system picks one.
        """
        from .emulator import AcmeApp  # only sandboxes and tests need the emulator

        now = None if request.now is None else request.now()
        app = AcmeApp(seed=request.seed, size=request.size, now=now, clock=request.clock)
        with EmulatorServer(app, port=request.port or 0) as server:
            yield seotasks.Sandbox(
                settings={"base_url": server.url, "api_key": app.api_key},
                stop=server.stop,
                description=(
                    f"AcmeRank emulator at {server.url} ({len(app.jobs)} jobs, seed {request.seed})"
                ),
            )
