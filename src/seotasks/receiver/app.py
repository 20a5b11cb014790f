"""`ReceiverApp`: the WSGI application that answers DataForSEO's postbacks and pingbacks.

This module is the front door: it finds the route behind the secret, checks the method
and the request, and turns each delivery into work for the modules beside it (the body
within its caps, the files written once, the pingback queue), then into an HTTP answer.
It never raises: a refused request gets its 4xx (and is recorded when malformed), a
delivery that cannot be stored a 503 (logged once per burst by a `WriteAlarm`), an
unexpected error a 500, and none logs the request line, which may hold the secret.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs

from ..store import ResultStore, safe_name
from .alarm import WriteAlarm
from .body import DEFAULT_MAX_BODY, DEFAULT_MAX_JSON, decoded, parse_json, read_body
from .pingbacks import PingbackQueue
from .rejected import Refused, RejectedLog
from .writes import Emit, ResultWriter, line

__all__ = ["ReceiverApp"]

log = logging.getLogger("seotasks.receive")

_KIND = re.compile(r"[a-z0-9_]{1,48}(?:/[a-z0-9_]{1,48}){0,4}\Z")
_TAG_MAX = 255
#: A sender that retries (a proxy, a script; DataForSEO itself does not) waits this long
#: after a 503: a full disk is not freed in a second.
_RETRY_AFTER = "60"

StartResponse = Callable[..., Any]


class ReceiverApp:
    """The WSGI application (see `seotasks.receiver`)."""

    def __init__(
        self,
        store: ResultStore,
        secret: str,
        *,
        provider: str = "dataforseo",
        pingbacks: PingbackQueue | None = None,
        emit: Emit | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        max_json: int = DEFAULT_MAX_JSON,
    ) -> None:
        if len(secret) < 16:
            raise ValueError("the receiver's secret must be at least 16 characters")
        self.store = store
        self._secret = secret.encode()
        self.provider = provider
        self.pingbacks = pingbacks or PingbackQueue(store.root / ".pingbacks")
        self.emit = emit or (lambda line: None)
        self.max_body = max_body
        self.max_json = max_json
        self.writer = ResultWriter(store, provider, self.emit)
        self.rejected_dir = store.root / ".rejected"
        self.rejected = RejectedLog(self.rejected_dir)
        #: Write failures, logged once per burst (see `seotasks.receiver.alarm`).
        self.stored = WriteAlarm(
            f"results in {store.root}", "answering postbacks 503 (pingbacks stay queued)"
        )
        self.queueing = WriteAlarm(
            f"the pingback queue in {self.pingbacks.folder}", "answering pingbacks 503"
        )
        self._lock = threading.Lock()
        #: Answers given, by status code (for logs, tests and benchmarks).
        self.answers: dict[int, int] = {}
        self.in_flight = 0

    def __repr__(self) -> str:
        return f"<ReceiverApp {self.store.root} provider={self.provider}>"

    # -- WSGI -------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        with self._lock:
            self.in_flight += 1
        try:
            status, body = self._answer(environ)
        except Exception:  # never crash the server; never log the request line (secret)
            log.exception("receiver: unexpected error")
            status, body = "500 Internal Server Error", {"error": "internal error"}
        finally:
            with self._lock:
                self.in_flight -= 1
        code = int(status.split(" ", 1)[0])
        with self._lock:
            self.answers[code] = self.answers.get(code, 0) + 1
        data = json.dumps(body).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        if code == 503:
            headers.append(("Retry-After", _RETRY_AFTER))
        start_response(status, headers)
        return [data]

    def _answer(self, environ: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        method = str(environ.get("REQUEST_METHOD", ""))
        query = parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)
        route = self._route(str(environ.get("PATH_INFO", "")), query)
        if route is None:
            log.warning("receiver: 404 for a %s without a valid secret", method or "request")
            return "404 Not Found", {"error": "not found"}
        try:
            if route == "postback":
                if method != "POST":
                    raise Refused("405 Method Not Allowed", "a postback is a POST", record=False)
                return self._postback(environ)
            if method not in ("GET", "HEAD"):
                raise Refused("405 Method Not Allowed", "a pingback is a GET", record=False)
            return self._pingback(query)
        except Refused as refused:
            if refused.logged:
                log.warning("receiver: %s %s refused: %s", method, route, refused.reason)
            if refused.record:
                self.rejected.record(environ, route, refused.reason, refused.status)
            return refused.status, {"error": refused.reason}

    def _route(self, path: str, query: Mapping[str, list[str]]) -> str | None:
        """``postback`` or ``pingback`` when the secret is there, else None."""
        parts = [p for p in path.split("/") if p]
        given = query.get("secret", [])
        if len(parts) == 2 and self._matches(parts[0]):
            name = parts[1]
        elif len(parts) == 1 and len(given) == 1 and self._matches(given[0]):
            name = parts[0]
        else:
            return None
        return name if name in ("postback", "pingback") else None

    def _matches(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode("utf-8", "replace"), self._secret)

    # -- postbacks ------------------------------------------------------------------------

    def _postback(self, environ: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        raw = read_body(environ, self.max_body)
        environ["seotasks.body"] = raw  # kept for the rejected record
        encoding = str(environ.get("HTTP_CONTENT_ENCODING", "")).strip().lower()
        envelope = parse_json(decoded(raw, encoding, self.max_json))
        tasks = envelope.get("tasks") if isinstance(envelope, dict) else None
        if not isinstance(tasks, list) or not tasks:
            raise Refused("400 Bad Request", "no tasks array in the envelope")
        for index, task in enumerate(tasks):
            if not isinstance(task, dict) or not isinstance(task.get("id"), str):
                raise Refused("400 Bad Request", f"tasks[{index}] has no id")
            if not safe_name(task["id"]):
                raise Refused("400 Bad Request", f"tasks[{index}].id is not a plain id")
        assert isinstance(envelope, dict)
        head = {k: v for k, v in envelope.items() if k != "tasks"}
        results: list[tuple[str, Mapping[str, Any], Any]] = []
        failed = 0
        for task in tasks:
            code = task.get("status_code")
            if code != 20000:
                # A task that failed at the vendor has no result: like `collect`, write no
                # file (a file means "collected") and report it on its line.
                failed += 1
                message = str(task.get("status_message") or "")[:200]
                error = f"ProviderError: vendor error {code}: {message}"
                self.emit(
                    line(self.provider, task["id"], tag=_tag_of(task), via="postback", error=error)
                )
                continue
            if len(tasks) == 1:
                one = envelope
            else:
                one = {
                    **head,
                    "cost": task.get("cost", head.get("cost")),
                    "tasks_count": 1,
                    "tasks_error": 0,
                    "tasks": [task],
                }
            results.append((task["id"], one, _tag_of(task)))
        try:
            written = self.write_many(results, via="postback")
        except OSError:  # logged by self.stored, once per burst
            raise _unavailable() from None
        except RecursionError:  # parsed at the very edge of the limit, too deep to write
            raise Refused("400 Bad Request", "not JSON: nested too deeply") from None
        answer = {"ok": True, "tasks": len(tasks), "written": written, "failed": failed}
        return "200 OK", answer

    # -- pingbacks ------------------------------------------------------------------------

    def _pingback(self, query: Mapping[str, list[str]]) -> tuple[str, dict[str, Any]]:
        ids = query.get("id", [])
        if len(ids) != 1 or not safe_name(ids[0]):
            raise Refused("400 Bad Request", "a pingback needs one plain id")
        task_id = ids[0]
        tags = query.get("tag", [])
        tag = tags[0][:_TAG_MAX] if tags else None
        kinds = query.get("kind", [])
        kind = kinds[0] if kinds else None
        if kind is not None and not _KIND.match(kind):
            raise Refused("400 Bad Request", "kind is not a path such as serp/google/organic")
        if self.store.existing(self.provider, task_id) is not None:
            return "200 OK", {"ok": True, "queued": False}
        try:
            self.pingbacks.put(task_id, tag, kind)
        except OSError as exc:
            self.queueing.failed(exc)
            raise _unavailable() from None
        self.queueing.succeeded()
        return "200 OK", {"ok": True, "queued": True}

    # -- writing ----------------------------------------------------------------------------

    def write(self, task_id: str, result: Mapping[str, Any], *, via: str, tag: Any) -> int:
        """Write one task's file unless it exists; 1 when written, 0 when already there."""
        return self.write_many([(task_id, result, tag)], via=via)

    def write_many(self, results: list[tuple[str, Mapping[str, Any], Any]], *, via: str) -> int:
        """Write the files of tasks not written yet (see `ResultWriter.write_many`).

        An `OSError` (full disk, quota, read-only folder) is counted by `stored`, which
        logs one line per burst of them, and raised for the caller to answer.
        """
        try:
            written = self.writer.write_many(results, via=via)
        except OSError as exc:
            self.stored.failed(exc)
            raise
        self.stored.succeeded()
        return written


def _unavailable() -> Refused:
    """The answer while a delivery cannot be stored: the sender may retry, and a
    DataForSEO task whose callback failed goes to tasks_ready, where a poll collects it.
    Not logged here: the `WriteAlarm` that saw the failure logs it once per burst."""
    return Refused("503 Service Unavailable", "cannot store it now", record=False, logged=False)


def _tag_of(task: Mapping[str, Any]) -> Any:
    data = task.get("data")
    return data.get("tag") if isinstance(data, dict) else None
