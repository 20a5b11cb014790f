"""The pingback/postback receiver: a WSGI app that turns vendor callbacks into result files.

DataForSEO calls a task's ``postback_url`` (POST of the results envelope, usually
gzip-compressed) or ``pingback_url`` (GET with the task ``id`` and ``tag`` filled in)
when the task completes. `ReceiverApp` answers both:

* postback: every task of the envelope is written to ``DIR/<provider>/<task id>.json``
  exactly as ``seotasks collect --to DIR`` writes it (the envelope with that one task),
  and the answer is 200 only after the files are durable;
* pingback: the task is put in a durable queue (`PingbackQueue`, one small file per
  task) and the answer is 200 at once; `PingbackWorker` collects it with the provider's
  ``collect`` (``task_get``) and writes the same file, so a slow vendor never makes the
  callback time out, and a restart loses nothing.

Only a request carrying the secret, as the first path segment (``/<secret>/postback``) or
as the ``secret`` query value, is served; it is compared in constant time. Everything
else is 404, logged without the path (a wrong secret may be a near miss of the right
one). Bodies are capped before and after decompression, so a gzip bomb is refused after
reading at most the cap; malformed deliveries are 400 and recorded under
``DIR/.rejected/`` for inspection. The app never raises: an unexpected error is a 500.

A task delivered twice (the vendor retries, two callbacks race) is written once: the
second delivery finds the file, or waits for the write in progress, and adds no line.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import secrets
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from .store import ResultStore, atomic_write, safe_name

if TYPE_CHECKING:
    from .client import Client
    from .model import Task

__all__ = ["DEFAULT_MAX_BODY", "DEFAULT_MAX_JSON", "PingbackQueue", "PingbackWorker", "ReceiverApp"]

log = logging.getLogger("seotasks.receive")

#: Largest request body accepted as sent (compressed), and once decompressed.
DEFAULT_MAX_BODY = 64 * 1024 * 1024
DEFAULT_MAX_JSON = 512 * 1024 * 1024
#: Malformed deliveries kept for inspection; beyond this they are only logged.
MAX_REJECTED = 1000
_REJECTED_HEAD = 64 * 1024
_CHUNK = 1024 * 1024
_KIND = re.compile(r"[a-z0-9_]{1,48}(?:/[a-z0-9_]{1,48}){0,4}\Z")
_TAG_MAX = 255

StartResponse = Callable[..., Any]
Emit = Callable[[dict[str, Any]], None]


class _Refused(Exception):
    """Answer with ``status`` and record the delivery when ``record`` is set."""

    def __init__(self, status: str, reason: str, *, record: bool = True) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.record = record


class _Writes:
    """Per-task write slots: a second delivery of a task waits for the first one's write."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy: dict[str, threading.Event] = {}

    def claim(self, key: str) -> threading.Event | None:
        """The event to wait on when ``key`` is being written, else None (claimed)."""
        with self._lock:
            event = self._busy.get(key)
            if event is None:
                self._busy[key] = threading.Event()
            return event

    def release(self, key: str) -> None:
        with self._lock:
            event = self._busy.pop(key)
        event.set()


class PingbackQueue:
    """Pending pingbacks, one JSON file each under ``folder`` (written like results)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.changed = threading.Condition()

    def put(self, task_id: str, tag: str | None, kind: str | None) -> None:
        """Queue a task durably (a repeated pingback replaces its own entry)."""
        entry = {"id": task_id, "tag": tag, "kind": kind, "at": time.time()}
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write(self.folder / f"{task_id}.json", json.dumps(entry).encode())
        with self.changed:
            self.changed.notify_all()

    def entries(self) -> list[dict[str, Any]]:
        """Every pending entry (oldest first); unreadable ones are skipped and logged."""
        found: list[tuple[float, dict[str, Any]]] = []
        try:
            names = [n for n in os.listdir(self.folder) if n.endswith(".json")]
        except FileNotFoundError:
            return []
        for name in names:
            path = self.folder / name
            try:
                entry = json.loads(path.read_bytes())
                stamp = path.stat().st_mtime
            except (OSError, ValueError):
                continue
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                found.append((stamp, entry))
        found.sort(key=lambda pair: pair[0])
        return [entry for _, entry in found]

    def done(self, task_id: str) -> None:
        (self.folder / f"{task_id}.json").unlink(missing_ok=True)

    def __len__(self) -> int:
        try:
            return sum(1 for n in os.listdir(self.folder) if n.endswith(".json"))
        except FileNotFoundError:
            return 0


class ReceiverApp:
    """The WSGI application (see the module docstring)."""

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
        self.writes = _Writes()
        self.rejected_dir = store.root / ".rejected"
        self._rejected = _count(self.rejected_dir)
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
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        )
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
                    raise _Refused("405 Method Not Allowed", "a postback is a POST", record=False)
                return self._postback(environ)
            if method not in ("GET", "HEAD"):
                raise _Refused("405 Method Not Allowed", "a pingback is a GET", record=False)
            return self._pingback(query)
        except _Refused as refused:
            log.warning("receiver: %s %s refused: %s", method, route, refused.reason)
            if refused.record:
                self._record(environ, route, refused.reason, refused.status)
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
        raw = self._read_body(environ)
        environ["seotasks.body"] = raw  # kept for `_record`
        encoding = str(environ.get("HTTP_CONTENT_ENCODING", "")).strip().lower()
        if encoding in ("gzip", "x-gzip") or (not encoding and raw[:2] == b"\x1f\x8b"):
            data = self._gunzip(raw)
        elif encoding in ("", "identity"):
            if len(raw) > self.max_json:
                raise _Refused("413 Content Too Large", "body over the JSON size cap")
            data = raw
        else:
            raise _Refused("415 Unsupported Media Type", f"content-encoding {encoding[:20]!r}")
        try:
            envelope = json.loads(data)
        except ValueError as exc:
            raise _Refused("400 Bad Request", f"not JSON: {str(exc)[:80]}") from None
        tasks = envelope.get("tasks") if isinstance(envelope, dict) else None
        if not isinstance(tasks, list) or not tasks:
            raise _Refused("400 Bad Request", "no tasks array in the envelope")
        for index, task in enumerate(tasks):
            if not isinstance(task, dict) or not isinstance(task.get("id"), str):
                raise _Refused("400 Bad Request", f"tasks[{index}] has no id")
            if not safe_name(task["id"]):
                raise _Refused("400 Bad Request", f"tasks[{index}].id is not a plain id")
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
                self.emit(
                    {
                        "provider": self.provider,
                        "id": task["id"],
                        "tag": _tag_of(task) if isinstance(_tag_of(task), str) else None,
                        "via": "postback",
                        "path": None,
                        "error": f"ProviderError: vendor error {code}: {message}",
                    }
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
        written = self.write_many(results, via="postback")
        answer = {"ok": True, "tasks": len(tasks), "written": written, "failed": failed}
        return "200 OK", answer

    def _read_body(self, environ: Mapping[str, Any]) -> bytes:
        length_text = str(environ.get("CONTENT_LENGTH") or "").strip()
        if length_text:
            if not length_text.isdigit():
                raise _Refused("400 Bad Request", "bad Content-Length")
            if int(length_text) > self.max_body:
                raise _Refused("413 Content Too Large", "body over the size cap", record=False)
        stream = environ.get("wsgi.input")
        if stream is None:
            return b""
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = stream.read(min(_CHUNK, self.max_body + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_body:
                raise _Refused("413 Content Too Large", "body over the size cap", record=False)
        body = b"".join(chunks)
        if length_text and len(body) < int(length_text):
            raise _Refused("400 Bad Request", "body shorter than its Content-Length")
        return body

    def _gunzip(self, raw: bytes) -> bytes:
        """Decompress at most ``max_json`` bytes; more is a bomb, a cut stream is truncated."""
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out: list[bytes] = []
        size = 0
        pending = raw
        try:
            while pending:
                piece = inflater.decompress(pending, min(_CHUNK, self.max_json + 1 - size))
                out.append(piece)
                size += len(piece)
                if size > self.max_json:
                    raise _Refused("413 Content Too Large", "decompressed body over the cap")
                pending = inflater.unconsumed_tail
                if inflater.eof:
                    break
                if not piece and not pending:
                    break
        except zlib.error as exc:
            raise _Refused("400 Bad Request", f"not valid gzip: {exc}") from None
        if not inflater.eof:
            raise _Refused("400 Bad Request", "gzip stream is truncated")
        return b"".join(out)

    # -- pingbacks ------------------------------------------------------------------------

    def _pingback(self, query: Mapping[str, list[str]]) -> tuple[str, dict[str, Any]]:
        ids = query.get("id", [])
        if len(ids) != 1 or not safe_name(ids[0]):
            raise _Refused("400 Bad Request", "a pingback needs one plain id")
        task_id = ids[0]
        tags = query.get("tag", [])
        tag = tags[0][:_TAG_MAX] if tags else None
        kinds = query.get("kind", [])
        kind = kinds[0] if kinds else None
        if kind is not None and not _KIND.match(kind):
            raise _Refused("400 Bad Request", "kind is not a path such as serp/google/organic")
        if self.store.existing(self.provider, task_id) is not None:
            return "200 OK", {"ok": True, "queued": False}
        self.pingbacks.put(task_id, tag, kind)
        return "200 OK", {"ok": True, "queued": True}

    # -- writing ----------------------------------------------------------------------------

    def write(self, task_id: str, result: Mapping[str, Any], *, via: str, tag: Any) -> int:
        """Write one task's file unless it exists; 1 when written, 0 when already there."""
        return self.write_many([(task_id, result, tag)], via=via)

    def write_many(self, results: list[tuple[str, Mapping[str, Any], Any]], *, via: str) -> int:
        """Write the files of tasks not written yet (durably); returns how many were written.

        Each task is claimed first, so a concurrent delivery of the same task waits for
        this write and then finds the file: one file, one line. Claims are taken in id
        order, so two envelopes sharing tasks cannot wait for each other in a circle.
        """
        claimed: list[str] = []
        try:
            fresh: list[tuple[str, Mapping[str, Any], Any]] = []
            seen: set[str] = set()
            for task_id, result, tag in sorted(results, key=lambda item: item[0]):
                if task_id in seen:
                    continue
                seen.add(task_id)
                while True:
                    wait = self.writes.claim(task_id)
                    if wait is None:
                        break
                    wait.wait(30.0)
                claimed.append(task_id)
                if self.store.existing(self.provider, task_id) is None:
                    fresh.append((task_id, result, tag))
            paths = self.store.write_many(self.provider, [(i, r) for i, r, _ in fresh])
        finally:
            for task_id in claimed:
                self.writes.release(task_id)
        for (task_id, _, tag), path in zip(fresh, paths, strict=True):
            self.emit(
                {
                    "provider": self.provider,
                    "id": task_id,
                    "tag": tag if isinstance(tag, str) else None,
                    "via": via,
                    "path": str(path),
                    "error": None,
                }
            )
        return len(paths)

    def _record(self, environ: Mapping[str, Any], route: str, reason: str, status: str) -> None:
        """Keep a malformed delivery for inspection (bounded in count and size)."""
        with self._lock:
            if self._rejected >= MAX_REJECTED:
                return
            self._rejected += 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"{stamp}-{secrets.token_hex(4)}"
        body = environ.get("seotasks.body", b"")
        meta = {
            "at": stamp,
            "route": route,
            "status": status,
            "reason": reason,
            "remote": environ.get("REMOTE_ADDR"),
            "content_type": environ.get("CONTENT_TYPE"),
            "content_encoding": environ.get("HTTP_CONTENT_ENCODING"),
            "content_length": environ.get("CONTENT_LENGTH"),
            "body_file": f"{name}.body" if body else None,
            "body_bytes_kept": min(len(body), _REJECTED_HEAD),
        }
        try:
            self.rejected_dir.mkdir(parents=True, exist_ok=True)
            if body:
                (self.rejected_dir / f"{name}.body").write_bytes(body[:_REJECTED_HEAD])
            (self.rejected_dir / f"{name}.json").write_text(json.dumps(meta, indent=1))
        except OSError:
            log.warning("receiver: cannot record a rejected delivery in %s", self.rejected_dir)


def _tag_of(task: Mapping[str, Any]) -> Any:
    data = task.get("data")
    return data.get("tag") if isinstance(data, dict) else None


def _count(folder: Path) -> int:
    try:
        return sum(1 for n in os.listdir(folder) if n.endswith(".json"))
    except FileNotFoundError:
        return 0


class PingbackWorker:
    """Collects queued pingbacks with ``client.collect_many`` until stopped.

    An entry leaves the queue once its file is written (or was there already). A task
    the vendor refuses (unknown, expired: a `ProviderError`) is moved to
    ``.pingbacks/failed/`` and logged; a transient failure stays queued and is tried
    again after ``retry_after`` seconds.
    """

    def __init__(
        self,
        app: ReceiverApp,
        client: Client,
        *,
        workers: int = 4,
        retry_after: float = 60.0,
    ) -> None:
        self.app = app
        self.client = client
        self.workers = workers
        self.retry_after = retry_after
        self.stop = threading.Event()
        self._tried: dict[str, float] = {}
        self._busy: set[str] = set()
        self.thread = threading.Thread(target=self._run, name="seotasks-pingbacks", daemon=True)

    def start(self) -> PingbackWorker:
        self.thread.start()
        return self

    def close(self, timeout: float = 60.0) -> None:
        self.stop.set()
        with self.app.pingbacks.changed:
            self.app.pingbacks.changed.notify_all()
        self.thread.join(timeout)

    def _due(self) -> Iterator[Task]:
        from .model import Task, TaskStatus

        queue = self.app.pingbacks
        while not self.stop.is_set():
            now = time.monotonic()
            fresh = False
            for entry in queue.entries():
                task_id = entry["id"]
                if (
                    task_id in self._busy
                    or now - self._tried.get(task_id, -1e18) < self.retry_after
                ):
                    continue
                if not safe_name(task_id):
                    queue.done(task_id)
                    continue
                kind = entry.get("kind") if isinstance(entry.get("kind"), str) else None
                tag = entry.get("tag") if isinstance(entry.get("tag"), str) else None
                self._busy.add(task_id)
                self._tried[task_id] = now
                fresh = True
                yield Task(
                    provider=self.client.name,
                    id=task_id,
                    status=TaskStatus.COMPLETED,
                    kind=kind,
                    tag=tag,
                )
                if self.stop.is_set():
                    return
            if not fresh:
                with queue.changed:
                    queue.changed.wait(0.5)

    def _run(self) -> None:
        from .errors import RetryableError

        queue = self.app.pingbacks
        for outcome in self.client.collect_many(self._due(), workers=self.workers, stop=self.stop):
            task_id = outcome.task.id
            try:
                if outcome.error is None and outcome.result is not None:
                    self.app.write(task_id, outcome.result, via="pingback", tag=outcome.task.tag)
                    queue.done(task_id)
                    self._tried.pop(task_id, None)
                elif isinstance(outcome.error, RetryableError):
                    log.warning(
                        "receiver: pingback %s not collected yet: %s", task_id, outcome.error
                    )
                else:
                    log.warning("receiver: pingback %s failed: %s", task_id, outcome.error)
                    self._fail(task_id, outcome.describe_error() or "")
            except OSError as exc:
                log.warning("receiver: cannot write pingback %s: %s", task_id, exc)
            finally:
                self._busy.discard(task_id)

    def _fail(self, task_id: str, error: str) -> None:
        queue = self.app.pingbacks
        failed = queue.folder / "failed"
        failed.mkdir(parents=True, exist_ok=True)
        source = queue.folder / f"{task_id}.json"
        try:
            os.replace(source, failed / f"{task_id}.json")
            (failed / f"{task_id}.error.txt").write_text(error + "\n")
        except OSError:
            queue.done(task_id)
        self._tried.pop(task_id, None)
        self.app.emit(
            {
                "provider": self.app.provider,
                "id": task_id,
                "tag": None,
                "via": "pingback",
                "path": None,
                "error": error,
            }
        )
