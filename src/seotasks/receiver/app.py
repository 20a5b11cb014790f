"""`ReceiverApp`: the WSGI application that answers a vendor's callbacks.

This module is the front door: it finds the route behind the secret, checks the method
and the request, reads the body within its caps, and hands the delivery to the
provider's `Provider.read_callback` (the only part that knows the vendor's format); each
entry it returns becomes work for the modules beside it (the files written once, the
pingback queue), then the whole an HTTP answer.
It never raises: a refused request gets its 4xx (and is recorded when malformed), a
delivery that cannot be stored a 503 (logged once per burst by a `WriteAlarm`), an
unexpected error a 500, and none logs the request line, which may hold the secret.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from ..provider import CallbackEntry, JSONValue, Provider
from ..redact import MIN_URL_SECRET, URL_SECRET
from ..store import ResultStore, safe_name, sweep_temporary
from .alarm import Throttle, WriteAlarm
from .body import DEFAULT_MAX_BODY, DEFAULT_MAX_JSON, decoded, parse_json, read_body
from .owed import OwedLines
from .pingbacks import PingbackQueue
from .rejected import Refused, RejectedLog
from .writes import Emit, LineNotPrinted, ResultWriter, line

__all__ = ["ReceiverApp", "secret_problem"]

log = logging.getLogger("seotasks.receive")

#: A sender that retries (a proxy, a script; DataForSEO is not documented to) waits this long
#: after a 503: a full disk is not freed in a second.
_RETRY_AFTER = "60"

StartResponse = Callable[..., Any]


#: A connection, as its peer's address and port (``REMOTE_ADDR``, ``REMOTE_PORT``).
Peer = tuple[str, str]


def peer_of(environ: Mapping[str, Any]) -> Peer:
    """The connection a WSGI request came on."""
    return str(environ.get("REMOTE_ADDR", "")), str(environ.get("REMOTE_PORT", ""))


def secret_problem(secret: str) -> str | None:
    """Why ``secret`` cannot be the receiver's, else None; never quoting it.

    The vendor calls the URL verbatim and the server decodes it: a '/' splits the path
    segment, '%41' arrives as 'A', '+' is a space in a query. A secret holding such a
    character could never match, and every callback would be a 404 (a base64 secret,
    ``openssl rand -base64``, has '/' and '+'), so it is refused where it is set."""
    if len(secret) < MIN_URL_SECRET:
        return (
            f"is {len(secret)} characters long: the receiver's secret must be at least "
            f"{MIN_URL_SECRET} characters"
        )
    if not URL_SECRET.match(secret):
        return (
            "holds characters a URL does not carry unchanged: the receiver's secret may "
            "hold letters, digits, '-', '_', '.' and '~' only"
        )
    return None


class ReceiverApp:
    """The WSGI application (see `seotasks.receiver`), for one provider's callbacks."""

    def __init__(
        self,
        store: ResultStore,
        secret: str,
        provider: type[Provider],
        *,
        pingbacks: PingbackQueue | None = None,
        emit: Emit | None = None,
        once_read: Callable[[Callable[[], None]], None] | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        max_json: int = DEFAULT_MAX_JSON,
    ) -> None:
        problem = secret_problem(secret)
        if problem is not None:
            raise ValueError(f"the secret {problem}")
        if not provider.callbacks:
            raise ValueError(f"provider {provider.name!r} declares no callbacks to receive")
        self.store = store
        self._secret = secret.encode()
        self.reader = provider
        self.provider = provider.name
        self.routes = dict(provider.callbacks)
        places = receiver_places(store.root, provider.name)
        self.pingbacks = pingbacks or PingbackQueue(places["pingback queue"])
        self.emit = emit or (lambda line: None)
        self.max_body = max_body
        self.max_json = max_json
        owed = OwedLines(places["lines owed"], defer=once_read)
        self.writer = ResultWriter(store, self.provider, self.emit, owed)
        self.rejected_dir = places["rejected deliveries"]
        self.rejected = RejectedLog(self.rejected_dir)
        #: Write failures, logged once per burst (see `seotasks.receiver.alarm`).
        self.stored = WriteAlarm(
            f"results in {store.root}", "answering postbacks 503 (pingbacks stay queued)"
        )
        self.queueing = WriteAlarm(
            f"the pingback queue in {self.pingbacks.folder}", "answering pingbacks 503"
        )
        #: 404s and refused deliveries, logged a line a minute at most, by kind.
        self._kinds: dict[str, Throttle] = {}
        self._lock = threading.Lock()
        #: Answers given, by status code (for logs, tests and benchmarks).
        self.answers: dict[int, int] = {}
        self.in_flight = 0
        #: Once stopping (`stop_taking`): the connections whose request was in progress
        #: at the stop, each answered once more; every other request is answered 503.
        self.awaited: set[Peer] | None = None

    def __repr__(self) -> str:
        return f"<ReceiverApp {self.store.root} provider={self.provider}>"

    def print_owed(self) -> int:
        """Print the lines an earlier run owed (see `seotasks.receiver.owed`): before
        serving, so they come first. Returns how many; `LineNotPrinted` if stdout fails."""
        for folder in (self.writer.owed.folder, self.pingbacks.folder):
            sweep_temporary(folder)  # what a kill left of a record being written
        self.store.folder(self.provider)  # ... and of a result file (swept once a run)
        count = 0
        for owed in self.writer.owed.replay(self.store.existing):
            self.emit(owed)
            count += 1
        return count

    def announce(self, entry: dict[str, Any], then: Callable[[], None] | None = None) -> None:
        """Print the line of a task with no file (the vendor's error), owed until printed
        as a file's line is (`OwedLines`): a kill or a failed stdout leaves it for the next
        start, not lost. ``then`` runs once it is owed, before it is printed (the pingback
        set aside). `OSError` when the record cannot be written."""
        record = self.writer.owed.record([entry])
        if then is not None:
            then()
        self.emit(entry)
        self.writer.owed.settle(record)

    # -- WSGI -------------------------------------------------------------------------------

    def stop_taking(self, in_progress: Iterable[Peer]) -> None:
        """Stop: answer the requests of the connections ``in_progress`` (a body still
        arriving, or being answered), and 503 to every other request.

        A sender keeping its connection open went on delivering after the stop: eight of
        them held it its whole 30 s of grace, and about 21 000 deliveries were taken
        after the signal. A delivery answered 503 is not lost: the vendor delivers it
        again, or lists its task for a poll."""
        with self._lock:
            self.awaited = set(in_progress)

    def refused_by_server(self, code: int, reason: str) -> None:
        """The HTTP server answered a request itself, before the app could read it:
        counted and said as the app's own refusals are (a line a minute by kind)."""
        with self._lock:
            self.answers[code] = self.answers.get(code, 0) + 1
        what = f"a body over --max-body ({self.max_body} bytes)" if code == 413 else "a request"
        self._say(f"server {code}", f"{what} refused {code} {reason} before it was read")

    def _admit(self, peer: Peer) -> bool:
        """Whether to answer the request of connection ``peer``: any before the stop, after
        it only the one in progress at the stop."""
        with self._lock:
            # A connection's requests come one at a time (waitress answers them in
            # order), so the one awaited is answered once: `_done` forgets it.
            admitted = self.awaited is None or peer in self.awaited
            if admitted:
                self.in_flight += 1
            return admitted

    def _done(self, peer: Peer) -> None:
        with self._lock:
            self.in_flight -= 1
            if self.awaited is not None:
                self.awaited.discard(peer)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        peer = peer_of(environ)
        if not self._admit(peer):
            self._say("stopping", "a request that came while stopping was answered 503")
            status, body = "503 Service Unavailable", {"error": "stopping: deliver it again"}
        else:
            try:
                status, body = self._answer(environ)
            except Exception:  # never crash the server; never log the request line (secret)
                log.exception("receiver: unexpected error")
                status, body = "500 Internal Server Error", {"error": "internal error"}
            finally:
                self._done(peer)
        code = int(status.split(" ", 1)[0])
        with self._lock:
            self.answers[code] = self.answers.get(code, 0) + 1
        data = json.dumps(body).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        if code == 503:
            headers.append(("Retry-After", _RETRY_AFTER))
        if code == 405:  # RFC 9110: a 405 names the methods the resource takes
            headers.append(("Allow", str(environ.get("seotasks.allow", ""))))
        start_response(status, headers)
        if environ.get("REQUEST_METHOD") == "HEAD":
            # Headers only (RFC 9110), Content-Length as a GET would have it: waitress
            # sends whatever the app returns, and a body after a HEAD answer is read as
            # the start of the next answer on the same keep-alive connection.
            return []
        return [data]

    def _answer(self, environ: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        method = str(environ.get("REQUEST_METHOD", ""))
        query = parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)
        route = self._route(str(environ.get("PATH_INFO", "")), query)
        if route is None:
            said = f"404 for a {method or 'request'} to no route (a wrong secret or path)"
            self._say("404", said)
            return "404 Not Found", {"error": "not found"}
        query.pop("secret", None)
        try:
            expected = self.routes[route]
            if method != expected and not (expected == "GET" and method == "HEAD"):
                environ["seotasks.allow"] = "GET, HEAD" if expected == "GET" else expected
                raise Refused("405 Method Not Allowed", f"a {route} is a {expected}", record=False)
            return self._delivery(route, environ, query)
        except LineNotPrinted:  # stdout failed: the command stops; the lines stay owed
            refused = _unavailable()
            return refused.status, {"error": refused.reason}
        except Refused as refused:
            if refused.logged:
                # By route and status: a stranger's invented methods make no new kinds.
                kind = f"{route} {refused.status}"
                self._say(kind, f"{method} {route} refused: {refused.reason}")
            if refused.record:
                self.rejected.record(environ, route, refused.reason, refused.status)
            return refused.status, {"error": refused.reason}

    def _say(self, kind: str, said: str) -> None:
        """Log ``said``, a line a minute at most for its ``kind`` (never the request line,
        which may hold the secret), with how many of that kind came since its last line."""
        with self._lock:
            throttle = self._kinds.setdefault(kind, Throttle())
        count = throttle.due()
        if count is not None:
            log.warning("receiver: %s (%d of its kind since its last line)", said, count)

    def log_held(self) -> None:
        """At the stop: say how many of each kind came after its last line."""
        with self._lock:
            kinds = list(self._kinds.items())
        for kind, throttle in kinds:
            held = throttle.held()
            if held:
                log.warning("receiver: %d more of %s since its last line", held, kind)

    def _route(self, path: str, query: Mapping[str, list[str]]) -> str | None:
        """The provider's route behind the secret, else None."""
        parts = [p for p in path.split("/") if p]
        given = query.get("secret", [])
        if len(parts) == 2 and self._matches(parts[0]):
            name = parts[1]
        elif len(parts) == 1 and len(given) == 1 and self._matches(given[0]):
            name = parts[0]
        else:
            return None
        return name if name in self.routes else None

    def _matches(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode("utf-8", "replace"), self._secret)

    # -- deliveries -----------------------------------------------------------------------

    def _delivery(
        self, route: str, environ: dict[str, Any], query: Mapping[str, list[str]]
    ) -> tuple[str, dict[str, Any]]:
        body: object = None
        if self.routes[route] != "GET":
            raw = read_body(environ, self.max_body)
            environ["seotasks.body"] = raw  # kept for the rejected record
            encoding = str(environ.get("HTTP_CONTENT_ENCODING", "")).strip().lower()
            body = parse_json(decoded(raw, encoding, self.max_json))
        try:
            entries = list(self.reader.read_callback(route, body, query))
        except ValueError as exc:
            raise Refused("400 Bad Request", str(exc)[:200]) from None
        except Exception as exc:  # the plugin's bug met on a stranger's body: no 500 for it
            said = f"the provider could not read it ({type(exc).__name__}: {exc})"
            raise Refused("400 Bad Request", said[:200]) from None
        if not all(isinstance(entry, CallbackEntry) for entry in entries):
            raise Refused("400 Bad Request", "the provider read it into no CallbackEntry")
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            if not safe_name(entry.task_id):
                raise Refused("400 Bad Request", f"task {index}'s id is not a plain id")
            if entry.task_id in seen:  # which of the two would be the task's result?
                raise Refused("400 Bad Request", f"task {index}'s id is given twice")
            seen.add(entry.task_id)
        if environ.get("REQUEST_METHOD") == "HEAD":
            # A probe (a monitor, a proxy, a link checker) checks the URL answers; only
            # the vendor's GET is a pingback: a HEAD queued the task to be fetched.
            return "200 OK", {"ok": True, "tasks": len(entries), "written": 0, "queued": False}
        results: list[tuple[str, JSONValue, Any]] = []
        failed = queued = 0
        for entry in entries:
            if entry.error is not None:
                if self._stored(entry.task_id):
                    # A result is stored: it stands, and no error line contradicts it for
                    # a reader keeping the last line of a task (a vendor's late retry).
                    log.info(
                        "receiver: %s %s failed, but its result is stored", route, entry.task_id
                    )
                    continue
                # A task that failed at the vendor has no result: like `collect`, write no
                # file (a file means "collected") and report it on its line.
                failed += 1
                error_line = line(
                    self.provider, entry.task_id, tag=entry.tag, via=route, error=entry.error
                )
                try:
                    self.announce(error_line)
                except OSError as exc:
                    self.stored.failed(exc)
                    raise _unavailable() from None
            elif entry.result is not None:
                results.append((entry.task_id, entry.result, entry.tag))
            elif not self._stored(entry.task_id):
                queued += self._queue(entry)
        try:
            written = self.write_many(results, via=route) if results else 0
        except OSError:  # logged by self.stored, once per burst
            raise _unavailable() from None
        except RecursionError:  # parsed at the very edge of the limit, too deep to write
            raise Refused("400 Bad Request", "not JSON: nested too deeply") from None
        answer: dict[str, Any] = {"ok": True, "tasks": len(entries), "written": written}
        answer.update(failed=failed, queued=queued > 0)
        return "200 OK", answer

    def _stored(self, task_id: str) -> bool:
        """Whether the task's file is written; 503 when something else is in its way (a
        folder of its name): answered "written", the delivery left nothing on disk."""
        try:
            return self.store.existing(self.provider, task_id) is not None
        except OSError as exc:
            self.stored.failed(exc)
            raise _unavailable() from None

    def _queue(self, entry: CallbackEntry) -> int:
        """A notice (a pingback): queue the task for the worker to collect; 1 when queued."""
        try:
            self.pingbacks.put(entry.task_id, entry.tag, entry.kind)
        except OSError as exc:
            self.queueing.failed(exc)
            raise _unavailable() from None
        self.queueing.succeeded()
        return 1

    # -- writing ----------------------------------------------------------------------------

    def write(self, task_id: str, result: JSONValue, *, via: str, tag: Any) -> int:
        """Write one task's file unless it exists; 1 when written, 0 when already there."""
        return self.write_many([(task_id, result, tag)], via=via)

    def write_many(self, results: list[tuple[str, JSONValue, Any]], *, via: str) -> int:
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


def receiver_places(root: Path, provider: str) -> dict[str, Path]:
    """The folders a receiver writes under ``root`` (its ``--to``), by what each holds:
    proved writable at the start (`seotasks.store.check_writable`), since a file in the
    way of one was an internal error, or a 503 for every pingback, once serving."""
    return {
        "results": root / provider,
        "pingback queue": root / ".pingbacks",
        "pingbacks set aside": root / ".pingbacks" / "failed",
        "lines owed": root / ".owed",
        "rejected deliveries": root / ".rejected",
    }


def _unavailable() -> Refused:
    """The answer while a delivery cannot be stored: the sender may retry, and a
    DataForSEO task whose callback failed goes to tasks_ready, where a poll collects it.
    Not logged here: the `WriteAlarm` that saw the failure logs it once per burst."""
    return Refused("503 Service Unavailable", "cannot store it now", record=False, logged=False)
