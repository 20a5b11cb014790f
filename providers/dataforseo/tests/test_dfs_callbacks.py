"""Pingback and postback URLs: the client's mapping and validation, the emulator's real
delivery to a receiver on loopback (and never elsewhere), tasks_ready leaving a task out
unless its delivery failed, and the URLs' tokens kept out of logs and errors.

Every receiver here is a `http.server` on 127.0.0.1 that the test stops; every wait is
bounded."""

from __future__ import annotations

import gzip
import json
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import urllib3

from seotasks import SerpTaskSpec, TransientError, UnsupportedQuery
from seotasks.clock import FakeClock
from seotasks.emulation import Fault

BASE = datetime.now(UTC).replace(microsecond=0)
TOKEN = "cb-token-7f3a9e"


class Receiver:
    """A loopback HTTP server that records what it is sent and answers ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[dict[str, Any]] = []
        self.arrived = threading.Event()
        #: While clear, the handler holds the answer (bounded) to play a slow server.
        self.release = threading.Event()
        self.release.set()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                owner.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": self.rfile.read(length) if length else b"",
                    }
                )
                owner.arrived.set()
                owner.release.wait(5.0)
                self.send_response(owner.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5.0)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def emulator(make_emulator: Any, clock: FakeClock) -> Any:
    return make_emulator(
        size=0, now=lambda: BASE + timedelta(seconds=clock.monotonic()), callback_timeout=1.0
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _spec(n: int = 0, **kw: Any) -> SerpTaskSpec:
    kw.setdefault("location", 2840)
    kw.setdefault("language", "en")
    return SerpTaskSpec(keyword=f"kw {n}", **kw)


def _listed(client: Any) -> set[str]:
    return {t.id for t in client.tasks()}


# -- mapping and validation ------------------------------------------------------------------------


def test_callback_fields_mapped(emulator: Any, connect: Any) -> None:
    client = connect(emulator)
    ping = f"https://hooks.example.com/ping?id=$id&tag=$tag&key={TOKEN}"
    specs = [
        _spec(0, pingback_url=ping),
        _spec(1, postback_url="https://hooks.example.com/post?id=$id"),
        _spec(2, postback_url="https://hooks.example.com/post", postback_data="html"),
        _spec(3, engine="baidu", postback_url="https://h.example.com/p"),
    ]
    assert all(r.ok for r in client.submit(specs))
    posted = [item for batch in emulator.posted() for item in batch]
    assert posted[0]["pingback_url"] == ping  # verbatim: placeholders not encoded
    assert "postback_url" not in posted[0] and "postback_data" not in posted[0]
    assert posted[1]["postback_url"] == "https://hooks.example.com/post?id=$id"
    assert posted[1]["postback_data"] == "advanced"  # the default where offered
    assert posted[2]["postback_data"] == "html"
    assert posted[3]["postback_data"] == "regular"  # Baidu offers regular and html only


def test_postback_flavour_must_be_offered(emulator: Any, connect: Any) -> None:
    client = connect(emulator)
    spec = _spec(serp_type="maps", postback_url="https://h.example.com/p", postback_data="html")
    [result] = client.submit([spec])
    assert isinstance(result.error, UnsupportedQuery)
    assert "'html'" in str(result.error) and "advanced" in str(result.error)
    assert emulator.posted() == []


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"postback_url": "https://h.example.com/p"}, "postback_data"),
        ({"postback_url": "https://h.example.com/p", "postback_data": "json"}, "postback_data"),
        ({"pingback_url": "ftp://h.example.com/p"}, "pingback_url"),
        ({"pingback_url": "/relative"}, "pingback_url"),
        ({"postback_url": 7, "postback_data": "advanced"}, "postback_url"),
    ],
)
def test_emulator_validates_callback_fields(
    emulator: Any, extra: dict[str, Any], field: str
) -> None:
    item = {"keyword": "pizza", "location_code": 2840, "language_code": "en", **extra}
    headers = urllib3.make_headers(basic_auth=f"{emulator.login}:{emulator.password}")
    answer = urllib3.request(
        "POST",
        emulator.url + "/v3/serp/google/maps/task_post",
        body=json.dumps([item]),
        headers=headers,
    )
    [task] = json.loads(answer.data)["tasks"]
    assert task["status_code"] == 40501
    assert task["status_message"] == f"Invalid Field: '{field}'."


def test_emulator_checks_postback_flavour_per_type(emulator: Any) -> None:
    item = {"keyword": "pizza", "location_code": 2840, "language_code": "en"}
    item |= {"postback_url": "https://h.example.com/p", "postback_data": "regular"}
    headers = urllib3.make_headers(basic_auth=f"{emulator.login}:{emulator.password}")
    codes = []
    for kind in ("google/maps", "google/organic"):
        answer = urllib3.request(
            "POST",
            emulator.url + f"/v3/serp/{kind}/task_post",
            body=json.dumps([item]),
            headers=headers,
        )
        codes.append(json.loads(answer.data)["tasks"][0]["status_code"])
    assert codes == [40501, 20100]  # maps has no regular flavour; organic has


# -- delivery --------------------------------------------------------------------------------------


#: The vendor's help centre, "How do I know when a task is completed?"
#: (https://dataforseo.com/help-center/completed-tasks).
PINGBACK_SENTENCE = (
    "If you used a pingback option, but haven't made a GET request to our API to collect "
    "the results, its ID will appear on the list of completed tasks."
)
POSTBACK_SENTENCE = (
    "The ID of such tasks may only appear on the list in one exceptional case when you "
    "requested the list of completed tasks within a small gap of time when the task is "
    "completed, but our system hasn't delivered the results to your server yet."
)


def test_a_pingback_task_stays_in_tasks_ready_until_collected(
    emulator: Any, connect: Any, clock: FakeClock, receiver: Receiver
) -> None:
    """PINGBACK_SENTENCE: a pinged task is listed until a task_get collects it."""
    client = connect(emulator, families=["serp"])
    url = receiver.url + f"/cb?id=$id&tag=$tag&key={TOKEN}"
    [pinged, plain] = client.submit([_spec(0, tag="a b/c", pingback_url=url), _spec(1)])
    assert pinged.ok and plain.ok
    assert emulator.wait_callbacks(5.0)
    assert receiver.requests == []  # not done yet: nothing sent
    clock.advance(301)
    assert receiver.arrived.wait(5.0)
    assert emulator.wait_callbacks(5.0)
    [request] = receiver.requests
    assert request["method"] == "GET"
    assert request["path"] == f"/cb?id={pinged.task_id}&tag=a%20b%2Fc&key={TOKEN}"
    [delivery] = emulator.deliveries()
    assert (delivery.task_id, delivery.how, delivery.ok) == (pinged.task_id, "pingback", True)
    listed = _listed(client)
    assert plain.task_id in listed and pinged.task_id in listed
    state = emulator.task(pinged.task_id)
    assert not state["delivered"] and not state["awaiting"] and state["status"] == "completed"
    [task] = [t for t in client.tasks() if t.id == pinged.task_id]
    assert client.collect(task)["tasks"][0]["id"] == pinged.task_id
    assert pinged.task_id not in _listed(client) and pinged.task_id not in emulator.ready_ids()


def test_postback_sends_the_gzipped_result(
    emulator: Any, connect: Any, clock: FakeClock, receiver: Receiver
) -> None:
    """A postback delivered takes the task off tasks_ready (POSTBACK_SENTENCE)."""
    client = connect(emulator, families=["serp"])
    url = receiver.url + "/post?id=$id"
    [result] = client.submit(
        [_spec(7, serp_type="local_finder", postback_url=url, postback_data="html")]
    )
    clock.advance(301)
    assert receiver.arrived.wait(5.0) and emulator.wait_callbacks(5.0)
    [request] = receiver.requests
    assert request["method"] == "POST" and request["path"] == f"/post?id={result.task_id}"
    assert request["headers"]["content-encoding"] == "gzip"
    body = json.loads(gzip.decompress(request["body"]))
    [task] = body["tasks"]
    assert task["id"] == result.task_id and task["status_code"] == 20000
    assert task["path"] == ["v3", "serp", "google", "local_finder", "task_get", "html", task["id"]]
    assert task["result"][0]["keyword"] == "kw 7"
    assert result.task_id not in _listed(client)


@pytest.mark.parametrize("failure", ["refused", "http_500", "timeout"])
def test_failed_delivery_moves_task_to_tasks_ready(
    emulator: Any, connect: Any, clock: FakeClock, receiver: Receiver, failure: str
) -> None:
    client = connect(emulator, families=["serp"])
    url = receiver.url + "/cb?id=$id"
    if failure == "refused":
        url = f"http://127.0.0.1:{_closed_port()}/cb?id=$id"
    elif failure == "http_500":
        receiver.status = 500
    else:
        receiver.release.clear()  # answers after 5 s; the emulator gives up after 1 s
    [result] = client.submit([_spec(postback_url=url, postback_data="advanced")])
    clock.advance(301)
    if failure == "timeout":  # the documented gap: completed, not yet delivered, listed
        assert receiver.arrived.wait(5.0)
        assert result.task_id in _listed(client)
    assert emulator.wait_callbacks(10.0)
    [delivery] = emulator.deliveries()
    assert not delivery.ok
    expected = {"refused": "ConnectionRefusedError", "http_500": "HTTP 500", "timeout": "Timeout"}
    assert expected[failure] in delivery.detail
    assert result.task_id in _listed(client)
    assert emulator.task(result.task_id)["delivered"] is False


def test_only_loopback_hosts_are_called(emulator: Any, connect: Any, clock: FakeClock) -> None:
    client = connect(emulator, families=["serp"])
    # TEST-NET-1 is unroutable: a real attempt would hang until the timeout.
    [result] = client.submit([_spec(pingback_url="http://192.0.2.1/cb?id=$id")])
    clock.advance(301)
    assert emulator.wait_callbacks(10.0)
    [delivery] = emulator.deliveries()
    # Refused before any connection: the detail says why, not a connection timeout.
    assert not delivery.ok and "loopback" in delivery.detail and "Timeout" not in delivery.detail
    assert result.task_id in _listed(client)  # counts as a failed delivery


def test_localhost_is_loopback(
    emulator: Any, connect: Any, clock: FakeClock, receiver: Receiver
) -> None:
    client = connect(emulator)
    port = receiver.server.server_port
    [result] = client.submit([_spec(pingback_url=f"http://localhost:{port}/x?id=$id")])
    clock.advance(301)
    assert receiver.arrived.wait(5.0) and emulator.wait_callbacks(5.0)
    assert receiver.requests[0]["headers"]["host"] == f"localhost:{port}"
    assert receiver.requests[0]["path"] == f"/x?id={result.task_id}"
    assert emulator.deliveries()[0].ok


def test_collect_still_works_after_a_pingback(
    emulator: Any, connect: Any, clock: FakeClock, receiver: Receiver
) -> None:
    """The pingback tells you the id; task_get then fetches the result (free, 30 days)."""
    from seotasks import Task, TaskStatus

    client = connect(emulator)
    [result] = client.submit([_spec(serp_type="news", pingback_url=receiver.url + "/?id=$id")])
    clock.advance(301)
    assert receiver.arrived.wait(5.0)
    assert result.task_id is not None
    task = Task(
        provider="dataforseo",
        id=result.task_id,
        status=TaskStatus.COMPLETED,
        kind="serp/google/news",
    )
    body = client.collect(task)
    assert body["tasks"][0]["result"][0]["keyword"] == "kw 0"
    assert emulator.server.requests[-1].path.startswith("/v3/serp/google/news/task_get/")


# -- secrets ---------------------------------------------------------------------------------------


def test_callback_tokens_stay_out_of_logs_and_errors(
    emulator: Any, connect: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = connect(emulator)
    spec = _spec(
        pingback_url=f"https://user:pw-{TOKEN}@hooks.example.com/cb?id=$id&tag=$tag&k={TOKEN}"
    )
    emulator.server.faults.inject(Fault.HTTP_500, match="task_post")
    [result] = client.submit([spec])
    assert isinstance(result.error, TransientError)
    texts = [repr(spec), str(spec), str(result.error), repr(result), caplog.text]
    assert "task_post" in caplog.text  # the failure was logged
    scrub = client.provider.transport.redactor.scrub
    texts.append(scrub(f"echo: {spec.pingback_url}"))
    for text in texts:
        assert TOKEN not in text
    # The vendor's placeholders are not secrets: they survive scrubbing.
    assert scrub("?id=$id&tag=$tag") == "?id=$id&tag=$tag"


def test_webhook_resend_delivers_a_failed_postback_again(
    emulator: Any, connect: Any, clock: FakeClock, receiver: Receiver
) -> None:
    """The vendor's recovery for a failed callback (``appendix/webhook_resend``, free,
    20100 per task): the postback comes again, and once delivered the task leaves
    ``tasks_ready``; an id the account never posted is 40401."""
    client = connect(emulator, families=["serp"])
    receiver.status = 500
    [result] = client.submit([_spec(postback_url=receiver.url + "/cb?id=$id")])
    clock.advance(301)
    assert emulator.wait_callbacks(10.0)
    assert result.task_id in _listed(client)
    receiver.status = 200
    http = urllib3.PoolManager()
    answer = http.request(
        "POST",
        emulator.url + "/v3/appendix/webhook_resend",
        body=json.dumps([{"id": result.task_id}, {"id": "no-such-task"}]),
        headers={
            **urllib3.make_headers(basic_auth=f"{emulator.login}:{emulator.password}"),
            "Content-Type": "application/json",
        },
    )
    body = json.loads(answer.data)
    assert [(t["id"], t["status_code"], t["cost"]) for t in body["tasks"][:1]] == [
        (result.task_id, 20100, 0)
    ]
    assert body["tasks"][1]["status_code"] == 40401 and body["cost"] == 0
    assert emulator.wait_callbacks(10.0)
    assert [d.ok for d in emulator.deliveries()] == [False, True]
    assert len(receiver.requests) == 2 and result.task_id not in _listed(client)
