"""The emulator's pingback/postback delivery: real calls, but only to this machine.

The vendor calls a task's ``pingback_url`` (GET) or ``postback_url`` (POST of the result,
gzip-compressed) when the task completes, and keeps such a task out of ``tasks_ready``
unless that call fails - the server does not answer within 10 seconds, or answers with an
error (docs/vendors/dataforseo.md, task_post). The emulator does the same for loopback
hosts (``127.0.0.1``, ``localhost``, ``::1``): a test can run a tiny HTTP server and see
the call arrive. Any other host is never contacted: that delivery counts as failed at
once, so the task shows up in ``tasks_ready`` as it would after a failed call.

Completion is lazy in the emulator (a task is "done" when the clock passes its time), so a
`Deliverer` runs one background thread, started by the first callback task, that promotes
due tasks every ``interval`` seconds and delivers them one by one, each bounded by
``timeout``. ``$id`` and ``$tag`` in the URL become the task id and the URL-encoded tag,
as the vendor does. URLs are never logged: they may carry the caller's tokens.

Standard library only.
"""

from __future__ import annotations

import gzip
import http.client
import threading
import time
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote, urlsplit

import attrs

from .dataset import Dataset, EmuTask
from .errors import ErrorLog

__all__ = ["LOOPBACK", "Deliverer", "Delivery", "target_url"]

#: Hosts the emulator calls for real; everything else fails without a packet sent.
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
#: How much of a receiver's answer an errors item keeps (``http_response``).
_RESPONSE_KEPT = 4096


@attrs.frozen(slots=True)
class Delivery:
    """One attempted callback: which task, ``pingback`` or ``postback``, and the outcome.

    ``detail`` is the HTTP status or the failure's class name, never the URL.
    """

    task_id: str
    how: str
    ok: bool
    detail: str


def target_url(url: str, task: EmuTask) -> str:
    """``url`` with the vendor's placeholders filled: ``$id`` verbatim, ``$tag`` URL-encoded."""
    return url.replace("$id", task.id).replace("$tag", quote(task.tag or "", safe=""))


@attrs.define(eq=False)
class Deliverer:
    """Delivers due callbacks on one background thread (started on first use).

    A service object, not a value: compared by identity (``eq=False``).
    """

    data: Dataset
    now: Callable[[], datetime]
    #: The postback body (JSON, before compression) for a task and a flavour.
    render: Callable[[EmuTask, str], bytes]
    timeout: float = attrs.field(default=10.0, kw_only=True)
    interval: float = attrs.field(default=0.05, kw_only=True)
    #: Where a failed delivery is recorded for ``/v3/<family>/errors`` (None: nowhere).
    errors: ErrorLog | None = attrs.field(default=None, kw_only=True)
    deliveries: list[Delivery] = attrs.field(init=False, factory=list)
    # Lock order: _cond, then data.lock (request handlers take data.lock alone).
    _cond: threading.Condition = attrs.field(init=False, factory=threading.Condition)
    _busy: bool = attrs.field(init=False, default=False)
    _stop: threading.Event = attrs.field(init=False, factory=threading.Event)
    _thread: threading.Thread | None = attrs.field(init=False, default=None)

    def start(self) -> None:
        """Start the thread unless it runs."""
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="dataforseo-emulator-callbacks", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        """Stop the thread (a delivery under way ends within ``timeout``); `start` may follow."""
        with self._cond:
            thread, self._thread = self._thread, None
            stop, self._stop = self._stop, threading.Event()
        stop.set()
        if thread is not None:
            thread.join(self.timeout + 1.0)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every callback due by now was attempted; False on timeout."""
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                with self.data.lock:
                    self.data.promote(self.now())
                    pending = self.data.has_due()
                if not pending and not self._busy:
                    return True
                remaining = end - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, self.interval))

    def _run(self) -> None:
        stop = self._stop  # this thread's own: a restart makes a new one
        while not stop.is_set():
            self._cycle()
            stop.wait(self.interval)

    def _cycle(self) -> None:
        with self._cond:
            with self.data.lock:
                self.data.promote(self.now())
                due = self.data.take_due()
            self._busy = bool(due)
        try:
            for task in due:
                began = time.monotonic()
                ok, detail, status, answered = self._deliver(task)
                with self.data.lock:
                    self.data.delivered(task, ok)
                how = task.callback.how if task.callback is not None else ""
                if not ok and self.errors is not None and task.callback is not None:
                    url = target_url(task.callback.url, task)
                    self.errors.add(
                        task.family,
                        task.id,
                        f"{how}_url",
                        0,
                        url,
                        url=url,
                        method="POST" if how == "postback" else "GET",
                        http_code=status,
                        http_time=time.monotonic() - began,
                        response=answered,
                    )
                with self._cond:
                    self.deliveries.append(Delivery(task.id, how, ok, detail))
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def _deliver(self, task: EmuTask) -> tuple[bool, str, int, str | None]:
        """(delivered, detail, the receiver's HTTP status or 0, its body or None)."""
        callback = task.callback
        if callback is None:
            return False, "no callback", 0, None
        split = urlsplit(target_url(callback.url, task))
        host = split.hostname or ""
        if host not in LOOPBACK:
            return False, "not delivered: the emulator calls loopback hosts only", 0, None
        body = None
        headers = {"User-Agent": "DataForSEO-emulator"}
        if callback.how == "postback":
            body = gzip.compress(self.render(task, callback.data or "advanced"))
            headers.update({"Content-Type": "application/json", "Content-Encoding": "gzip"})
        connect = "127.0.0.1" if host == "localhost" else host
        port = split.port or (443 if split.scheme == "https" else 80)
        connection: http.client.HTTPConnection
        if split.scheme == "https":
            connection = http.client.HTTPSConnection(connect, port, timeout=self.timeout)
        else:
            connection = http.client.HTTPConnection(connect, port, timeout=self.timeout)
        target = (split.path or "/") + (f"?{split.query}" if split.query else "")
        headers["Host"] = split.netloc.rpartition("@")[2]
        try:
            connection.request(
                "POST" if body is not None else "GET", target, body=body, headers=headers
            )
            response = connection.getresponse()
            answered = response.read(_RESPONSE_KEPT).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            return False, type(exc).__name__, 0, None
        finally:
            connection.close()
        ok = 200 <= response.status < 300
        return ok, f"HTTP {response.status}", response.status, answered
