"""`ReplayApp`: serve fixed vendor answers on loopback, to test a provider against shapes
someone else defined.

An emulator written next to a provider shares its author's reading of the vendor's
documents, so a misreading passes both. Fixtures written from the vendor's documented
field lists (every form the documents show, including where they disagree) and replayed
through the *real* provider over real HTTP catch that: the provider must read what the
vendor says it sends, not what our emulator happens to send.

A route answers one ``(method, path)`` with a JSON value, or with a function of the
request (for answers that must echo something, such as a JSON-RPC ``id``). Unknown
routes answer HTTP 404 naming the route, so a provider calling somewhere unexpected
fails loudly. Every request is kept in ``requests`` for assertions on what was sent.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ..emulation import EmulatorServer, Fault, HttpRequest, HttpResponse, json_response

__all__ = ["ReplayApp", "render_times", "request_json"]

Answer = Any | Callable[[HttpRequest], Any]

_TIME = re.compile(
    r"\{now(?:(?P<sign>[+-])(?P<amount>\d+)(?P<unit>[smhd]))?(?:\|(?P<fmt>[^}]+))?\}\Z"
)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
#: Formats that render a time as a JSON integer, for vendors that send epoch times: the
#: unit each counts in.
_EPOCH_UNITS = {"epoch": timedelta(seconds=1), "epoch_ms": timedelta(milliseconds=1)}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def render_times(value: Any, now: datetime, default_format: str) -> Any:
    """``value`` with every ``"{now-3h}"`` string replaced by that time in ``default_format``.

    Fixtures hold times relative to the moment they are served, so that they stay inside
    the vendors' retention windows whenever the suite runs. ``"{now-2d|%Y-%m-%d}"`` picks
    another format for one value. ``epoch`` and ``epoch_ms`` (as either format) render an
    integer of seconds or milliseconds since 1970 UTC, for a vendor that sends numbers.
    Lists and objects are walked; other values kept.
    """
    if isinstance(value, str):
        match = _TIME.match(value)
        if match is None:
            return value
        when = now
        if match["amount"]:
            delta = timedelta(**{_UNITS[match["unit"]]: int(match["amount"])})
            when = now + delta if match["sign"] == "+" else now - delta
        fmt = match["fmt"] or default_format
        unit = _EPOCH_UNITS.get(fmt)
        return when.strftime(fmt) if unit is None else (when - _EPOCH) // unit
    if isinstance(value, list):
        return [render_times(item, now, default_format) for item in value]
    if isinstance(value, dict):
        return {key: render_times(item, now, default_format) for key, item in value.items()}
    return value


class ReplayApp:
    """An `EmulatorApp` answering fixed routes; start it with `server`."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], tuple[int, Answer]] = {}
        self._lock = threading.Lock()
        self.requests: list[HttpRequest] = []

    def add(self, method: str, path: str, answer: Answer, *, status: int = 200) -> ReplayApp:
        """Answer ``method path`` with ``answer`` (a JSON value, or a function of the request)."""
        self._routes[(method.upper(), path)] = (status, answer)
        return self

    def paths(self, method: str | None = None) -> list[str]:
        """The paths requested so far, in order (optionally of one method)."""
        with self._lock:
            return [r.path for r in self.requests if method is None or r.method == method]

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        with self._lock:
            self.requests.append(request)
        route = self._routes.get((request.method, request.path))
        if route is None:
            text = json.dumps({"error": f"no replay route for {request.method} {request.path}"})
            return json_response(404, text.encode())
        status, answer = route
        body = answer(request) if callable(answer) else answer
        return json_response(status, json.dumps(body).encode())

    def server(self) -> EmulatorServer:
        """A loopback server for this app (use as a context manager)."""
        return EmulatorServer(self)


def request_json(request: HttpRequest) -> Mapping[str, Any] | list[Any] | None:
    """The request's JSON body, or ``None`` when it has none (for answer functions)."""
    if not request.body:
        return None
    decoded: Mapping[str, Any] | list[Any] = json.loads(request.body)
    return decoded
