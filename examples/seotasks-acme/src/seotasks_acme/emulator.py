"""A loopback AcmeRank, standard library only, for tests and ``--sandbox``.

The wire format it speaks is the one the provider is written against::

    GET /v1/jobs?page_size=100&page_token=...&state=SUCCEEDED
                &ended_after=2026-11-20T00:00:00Z&ended_before=2026-11-21T00:00:00Z
    Authorization: Bearer <key>

    200 {"jobs": [{"name": "jobs/3f2a...", "state": "SUCCEEDED", "percent_complete": 100,
                   "create_time": "2026-11-20T10:00:00Z", "start_time": "2026-11-20T10:00:12Z",
                   "end_time": "2026-11-20T10:04:31Z",
                   "type": "rank_check/google/desktop", "labels": {"tag": "brand"},
                   "cost_micros": 12000}],
         "next_page_token": "eyJrIjpb..." | null}
    GET /v1/jobs/<id>/result
    200 {"name": "jobs/3f2a...", "rankings": [{"keyword": "...", "position": 3, "url": "..."}]}
    400 FAILED_PRECONDITION (job not SUCCEEDED), 404 NOT_FOUND (no such job)

    4xx/5xx  {"error": {"code": "UNAUTHENTICATED", "message": "..."}}
    200      {"error": {"code": "RATE_LIMITED", "message": "..."}}   (+ Retry-After)

``ended_after`` / ``ended_before`` keep jobs whose ``end_time`` is at or after / before
the time (jobs without one are left out). ``start_time`` is set once a job runs.
The last line is the quirk worth emulating: AcmeRank reports its rate limit (5 list
calls and 20 result reads a second per key, `LIMITS`) inside an HTTP-200 body, so a
client that only looks at the status would read it as an empty page. Given a ``clock``,
the emulator enforces those limits on it, as the vendor would: share that clock with
the clients under test, and their pacing is checked against the vendor's rule in fake
time. Jobs are listed oldest first and a page token is a keyset position (the
last job's creation time and name), so jobs created during a listing appear only at its
end and never shift a page under the caller.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import json
import random
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import seotasks
from seotasks.clock import Clock
from seotasks.emulation import Fault, HttpRequest, HttpResponse, ServerRateLimit, json_response

__all__ = ["DEFAULT_SIZE", "LIMITS", "MAX_PAGE_SIZE", "RETRY_AFTER_SECONDS", "AcmeApp"]

DEFAULT_SIZE = 250
MAX_PAGE_SIZE = 1000
#: What AcmeRank puts in ``Retry-After`` when it rate-limits inside an HTTP-200 body.
RETRY_AFTER_SECONDS = 2
#: AcmeRank's documented limits per API key: ``(calls, seconds)`` for listing jobs and
#: for reading results (what `seotasks.emulation.ServerRateLimit` enforces).
LIMITS = {"jobs": (5, 1.0), "results": (20, 1.0)}

_STATES = ("PENDING", "RUNNING", "SUCCEEDED", "FAILED")
_STATE_WEIGHTS = (15, 15, 55, 15)
_TYPES = ("rank_check/google/desktop", "rank_check/google/mobile", "rank_check/bing/desktop")
_TAGS = ("brand", "competitors", "spring-campaign")
#: The ground truth is written from the vendor's documentation, not from the provider's
#: code: a mapping bug in the provider must not be copied into the expectation.
_DOCUMENTED_STATUS = {
    "PENDING": seotasks.TaskStatus.QUEUED,
    "RUNNING": seotasks.TaskStatus.RUNNING,
    "SUCCEEDED": seotasks.TaskStatus.COMPLETED,
    "FAILED": seotasks.TaskStatus.FAILED,
}


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _key(job: Mapping[str, Any]) -> tuple[str, str]:
    # RFC 3339 in UTC with "Z" sorts as text, so no parsing is needed to order jobs.
    return (job["create_time"], job["name"])


class _BadRequest(Exception):
    pass


class AcmeApp:
    """The AcmeRank side of an `seotasks.emulation.EmulatorServer`.

    ``seed`` makes the data reproducible; creation times are spread over the 20 days
    before ``now`` (default: the current minute), inside the vendor's 90-day retention.
    ``api_key`` defaults to a fresh random key, so tests can prove it never leaks.
    ``clock`` (optional) enforces the vendor's rate limits (`LIMITS`) on it: give the
    clients the same one (``seotasks_clients(..., clock=clock)``); ``limiter.refused``
    then counts the calls the vendor would have refused.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        size: int | None = None,
        api_key: str | None = None,
        now: datetime | None = None,
        clock: Clock | None = None,
    ) -> None:
        # One a seed, not random: `seotasks sandbox --port` prints the same lines each start.
        self.api_key = api_key or "acme-" + hashlib.sha256(b"acme %d" % seed).hexdigest()[:24]
        self.limiter = None if clock is None else ServerRateLimit(LIMITS, clock)
        self.now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        count = DEFAULT_SIZE if size is None else size
        self._step = timedelta(days=20) / max(count, 1)
        self._clock = self.now - timedelta(days=20)
        self.jobs: list[dict[str, Any]] = []
        self.result_reads: dict[str, int] = {}
        self.add(count)
        self._churn_rng = random.Random(seed + 1)
        self._tie_rng = random.Random(seed + 2)

    # -- data ------------------------------------------------------------------------------

    def add(self, count: int) -> list[str]:
        """Create ``count`` jobs after every existing one; returns their ids."""
        made = [self._make_job() for _ in range(count)]
        for job in made:
            self.put(job)
        return [job["name"].removeprefix("jobs/") for job in made]

    def put(self, job: dict[str, Any]) -> None:
        """Store a hand-written job (tests use this for exact field-mapping checks)."""
        with self._lock:
            bisect.insort(self.jobs, job, key=_key)

    def remove(self, job_ids: list[str]) -> None:
        """Delete jobs, as AcmeRank does when a user deletes one or retention ends."""
        names = {f"jobs/{job_id}" for job_id in job_ids}
        with self._lock:
            self.jobs = [j for j in self.jobs if j["name"] not in names]

    def churn(self) -> None:
        """Move the data the way AcmeRank's moves while someone pages through it.

        Three new jobs, two jobs deleted, two unfinished jobs finished: the conformance
        kit's ``churn`` hook, called between pages (``ConformanceEnv(churn=app.churn)``).
        """
        rng = self._churn_rng
        self.add(3)
        with self._lock:
            names = [j["name"].removeprefix("jobs/") for j in self.jobs]
            open_jobs = [j for j in self.jobs if j["state"] in ("PENDING", "RUNNING")]
            finishing = rng.sample(open_jobs, min(2, len(open_jobs)))
            for job in finishing:
                created = datetime.fromisoformat(job["create_time"])
                started = job["start_time"] or _rfc3339(created)
                job.update(
                    state="SUCCEEDED",
                    percent_complete=100,
                    start_time=started,
                    end_time=_rfc3339(
                        datetime.fromisoformat(started) + timedelta(seconds=rng.randint(20, 3600))
                    ),
                    cost_micros=rng.randint(1_000, 500_000),
                )
        self.remove(rng.sample(names, min(2, len(names))))

    def tie(self, job_id: str, count: int) -> list[str]:
        """Store ``count`` jobs exactly like job ``job_id`` (state, progress, every time,
        type, labels, cost) under new names; returns their ids.

        The conformance kit's ``tie`` hook (``ConformanceEnv(tie=app.tie)``): jobs share
        a creation second often enough at AcmeRank, and the kit puts such a tie at a page
        boundary, where a token that only remembered the time would lose some of them.
        """
        name = f"jobs/{job_id}"
        with self._lock:
            job = next(j for j in self.jobs if j["name"] == name)
        made = [{**job, "name": f"jobs/{self._tie_rng.getrandbits(64):016x}"} for _ in range(count)]
        for new in made:
            self.put(new)
        return [new["name"].removeprefix("jobs/") for new in made]

    def _make_job(self) -> dict[str, Any]:
        rng = self._rng
        self._clock += self._step * rng.uniform(0.2, 1.8)
        created = self._clock.replace(microsecond=0)
        state = rng.choices(_STATES, weights=_STATE_WEIGHTS)[0]
        job: dict[str, Any] = {
            "name": f"jobs/{rng.getrandbits(64):016x}",
            "state": state,
            "percent_complete": {"PENDING": 0, "SUCCEEDED": 100}.get(state, rng.randint(1, 99)),
            "create_time": _rfc3339(created),
            "start_time": None,
            "end_time": None,
            "type": rng.choice(_TYPES),
            "labels": {"tag": rng.choice(_TAGS)} if rng.random() < 0.7 else {},
        }
        started = created + timedelta(seconds=rng.randint(0, 20))
        if state != "PENDING":
            job["start_time"] = _rfc3339(started)
        if state in ("SUCCEEDED", "FAILED"):
            job["end_time"] = _rfc3339(started + timedelta(seconds=rng.randint(20, 3600)))
            job["cost_micros"] = rng.randint(1_000, 500_000)
        if state == "FAILED":
            job["error"] = {"code": "DEADLINE_EXCEEDED", "message": "search engine did not answer"}
        return job

    def expected_ids(self, query: seotasks.TaskQuery) -> set[str]:
        """The ids a correct listing of ``query`` yields: the conformance kit's ground truth."""
        with self._lock:
            jobs = list(self.jobs)
        ids = set()
        # since/until bound the documented creation time, or the end time on request.
        field = "end_time" if query.time_field == "completed_at" else "create_time"
        for job in jobs:
            if query.status is not None and _DOCUMENTED_STATUS[job["state"]] is not query.status:
                continue
            if query.since is not None or query.until is not None:
                if job[field] is None:
                    continue
                when = datetime.fromisoformat(job[field])
                if (query.since is not None and when < query.since) or (
                    query.until is not None and when >= query.until
                ):
                    continue
            ids.add(job["name"].removeprefix("jobs/"))
        return ids

    def expected_task(self, task_id: str) -> dict[str, object]:
        """The fields a correct listing gives job ``task_id``, from the documented job
        resource: the kit's ground truth for each task (``percent_complete`` 0..100 is a
        0.0..1.0 progress, ``cost_micros`` millionths, ``labels.tag`` the tag)."""
        with self._lock:
            job = next(j for j in self.jobs if j["name"] == f"jobs/{task_id}")

        def when(field: str) -> datetime | None:
            return None if job[field] is None else datetime.fromisoformat(job[field])

        micros = job.get("cost_micros")
        error = job.get("error")
        return {
            "status": _DOCUMENTED_STATUS[job["state"]],
            "progress": job["percent_complete"] / 100,
            "created_at": when("create_time"),
            "started_at": when("start_time"),
            "completed_at": when("end_time"),
            "kind": job["type"],
            "tag": job["labels"].get("tag"),
            "cost": None if micros is None else Decimal(micros) / 1_000_000,
            "message": None if error is None else error["message"],
        }

    # -- HTTP ------------------------------------------------------------------------------

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        result_of = _result_path(request.path)
        if request.path != "/v1/jobs" and result_of is None:
            return _error(404, "NOT_FOUND", f"no resource at {request.path}")
        if request.method != "GET":
            return _error(405, "METHOD_NOT_ALLOWED", "jobs are read with GET")
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "UNAUTHENTICATED", "missing or invalid bearer token")
        if fault is Fault.RATE_LIMIT_BODY:
            body = {"error": {"code": "RATE_LIMITED", "message": "quota exceeded, slow down"}}
            return json_response(
                200, json.dumps(body).encode(), **{"Retry-After": str(RETRY_AFTER_SECONDS)}
            )
        if self.limiter is not None:
            group = "jobs" if result_of is None else "results"
            if self.limiter.admit(group) is None:
                body = {"error": {"code": "RATE_LIMITED", "message": f"{group}: slow down"}}
                return json_response(200, json.dumps(body).encode(), **{"Retry-After": "1"})
        if result_of is not None:
            return self._result(result_of)
        try:
            size = _page_size(request.query)
            state = _state(request.query)
            ended = (_time(request.query, "ended_after"), _time(request.query, "ended_before"))
            issued_for = [state, *ended]
            after = _decode_token(_last(request.query, "page_token"), issued_for)
        except _BadRequest as exc:
            return _error(400, "INVALID_ARGUMENT", str(exc))

        def wanted(job: dict[str, Any]) -> bool:
            if state is not None and job["state"] != state:
                return False
            if ended == (None, None):
                return True
            end = job["end_time"]  # RFC 3339 "Z" strings compare as times
            return (
                end is not None
                and (ended[0] is None or end >= ended[0])
                and (ended[1] is None or end < ended[1])
            )

        with self._lock:
            start = 0 if after is None else bisect.bisect_right(self.jobs, after, key=_key)
            matching = (j for j in self.jobs[start:] if wanted(j))
            chunk = [dict(j) for _, j in zip(range(size + 1), matching, strict=False)]
        page, more = chunk[:size], len(chunk) > size
        if fault is Fault.WRONG_TYPES and page:
            page[0]["create_time"] = 1732000000  # epoch seconds where RFC 3339 is documented
        token = _encode_token(_key(page[-1]), issued_for) if more else None
        return json_response(200, json.dumps({"jobs": page, "next_page_token": token}).encode())

    def _result(self, job_id: str) -> HttpResponse:
        name = f"jobs/{job_id}"
        with self._lock:
            job = next((j for j in self.jobs if j["name"] == name), None)
            #: Result reads per job (tests check each was fetched once).
            self.result_reads[job_id] = self.result_reads.get(job_id, 0) + 1
        if job is None:
            return _error(404, "NOT_FOUND", f"no job {name}")
        if job["state"] != "SUCCEEDED":
            return _error(400, "FAILED_PRECONDITION", f"{name} is {job['state']}, not SUCCEEDED")
        rng = random.Random(job_id)
        rankings = [
            {
                "keyword": f"keyword {n}",
                "position": rng.randint(1, 100),
                "url": f"https://{n}.test/",
            }
            for n in range(3)
        ]
        return json_response(200, json.dumps({"name": name, "rankings": rankings}).encode())


def _result_path(path: str) -> str | None:
    """The job id of ``/v1/jobs/<id>/result``, else None."""
    parts = path.split("/")
    if len(parts) == 5 and parts[:3] == ["", "v1", "jobs"] and parts[4] == "result" and parts[3]:
        return parts[3]
    return None


def _error(status: int, code: str, message: str) -> HttpResponse:
    return json_response(status, json.dumps({"error": {"code": code, "message": message}}).encode())


def _last(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _page_size(query: Mapping[str, list[str]]) -> int:
    raw = _last(query, "page_size") or "50"
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise _BadRequest(f"page_size must be 1..{MAX_PAGE_SIZE}, got {raw!r}")
    return int(raw)


def _state(query: Mapping[str, list[str]]) -> str | None:
    state = _last(query, "state")
    if state is not None and state not in _STATES:
        raise _BadRequest(f"state must be one of {', '.join(_STATES)}, got {state!r}")
    return state


def _time(query: Mapping[str, list[str]], name: str) -> str | None:
    """An RFC 3339 UTC time parameter, normalized to the ``...Z`` form jobs use."""
    raw = _last(query, name)
    if raw is None:
        return None
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise _BadRequest(f"{name} must be an RFC 3339 time, got {raw!r}") from None
    if when.tzinfo is None:
        raise _BadRequest(f"{name} must carry a time zone, got {raw!r}")
    return _rfc3339(when)


def _encode_token(key: tuple[str, str], issued_for: list[str | None]) -> str:
    raw = json.dumps({"k": list(key), "s": issued_for}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode_token(token: str | None, state: list[str | None]) -> tuple[str, str] | None:
    """The keyset position in ``token``; like real APIs, a token only fits its own filters."""
    if not token:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        key = (str(data["k"][0]), str(data["k"][1]))
        issued_for = data["s"]
    except (binascii.Error, ValueError, TypeError, KeyError, IndexError):
        raise _BadRequest("invalid page_token") from None
    if issued_for != state:
        raise _BadRequest("page_token was issued for other filters")
    return key
