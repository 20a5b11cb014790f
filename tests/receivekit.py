"""What the receiver suites share: the secret, vendor envelopes, and ``seotasks receive``
run as a subprocess the way a user's shell (or systemd) runs it.

`test_receive` drives the WSGI app and the command's happy paths; `test_receive_hardening`
drives the command under hostile or broken conditions (idle floods, bombs, a full disk,
signals); `test_receive_start` what it refuses at start. They start the real command and
read its banner, so that code lives here once.
"""

from __future__ import annotations

import gzip
import json
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
import urllib3
from clirun import CLI, cli_env, popen
from seotasks_dataforseo.provider import DataForSEOProvider

from seotasks.cli.receive_server import ReceiverServer
from seotasks.receiver.app import ReceiverApp
from seotasks.store import ResultStore

SECRET = "rcv-secret-5f1e9a7c33d0"


def envelope(*ids: str, keyword: str = "kw") -> dict[str, Any]:
    """A DataForSEO results envelope (as a postback sends it) with one task per id."""
    tasks = [
        {
            "id": task_id,
            "status_code": 20000,
            "status_message": "Ok.",
            "cost": 0.0006,
            "path": ["v3", "serp", "google", "organic", "task_get", "advanced", task_id],
            "data": {"keyword": keyword, "tag": f"tag-{task_id}"},
            "result": [{"keyword": keyword, "items": []}],
        }
        for task_id in ids
    ]
    return {
        "version": "0.1",
        "status_code": 20000,
        "status_message": "Ok.",
        "tasks_count": len(tasks),
        "tasks_error": 0,
        "tasks": tasks,
    }


def gz(value: Any) -> bytes:
    return gzip.compress(json.dumps(value).encode())


def postback_head(body: bytes) -> bytes:
    """The request line and headers of a gzip postback of ``body``, for a test that
    sends the body itself (in parts, or not at all)."""
    return (
        f"POST /{SECRET}/postback HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()


def files(folder: Path) -> dict[str, Path]:
    """The result files in ``folder`` by task id (hidden temporary files left out)."""
    if not folder.exists():
        return {}
    return {
        p.name.removesuffix(".gz").removesuffix(".json"): p
        for p in folder.iterdir()
        if not p.name.startswith(".")
    }


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll ``condition`` until it holds; ``timeout`` only guards a hang (it fails the test)."""
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.02)


def receive_env(tmp_path: Path, settings: dict[str, Any] | None = None) -> dict[str, str]:
    """`cli_env` with the receiver's secret, and a provider's ``settings`` if given."""
    env = cli_env(tmp_path, {"dataforseo": settings} if settings else None)
    env["SEOTASKS_RECEIVE_SECRET"] = SECRET
    return env


def receiving_on(receiver: subprocess.Popen[str]) -> str:
    """The base URL a started ``seotasks receive`` announces on stderr (waits for it)."""
    assert receiver.stderr is not None
    banner = ""
    while "receiving on" not in banner:
        banner = receiver.stderr.readline()
        assert banner, "the receiver exited"
    found = re.search(r"receiving on (http://\S+)", banner)
    assert found
    return found.group(1)


class Receiver:
    """``seotasks receive --listen 127.0.0.1:0 --to DIR ARGS`` in a process of its own
    (`clirun.popen`: forked warm; a fresh interpreter where its peak memory is
    ``measured``, which a fork's would overstate).

    Both pipes are read by threads from the start (an unread pipe would fill and block
    the receiver's lines and logging), so `stdout` and `stderr` hold everything it said
    so far. A context manager: leaving it stops the receiver (SIGTERM) if it still runs,
    and kills it only if it does not stop by itself.
    """

    def __init__(
        self,
        to: Path,
        env: dict[str, str],
        *args: str,
        preexec_fn: Callable[[], None] | None = None,
        stdout: IO[str] | None = None,
        measured: bool = False,
    ) -> None:
        self.to = to
        self.process = popen(
            [*CLI, "receive", "--listen", "127.0.0.1:0", "--to", str(to), *args],
            env=env,
            stdout=subprocess.PIPE if stdout is None else stdout,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=preexec_fn,
            fork=not measured,  # a fork's peak counts the pages of the process it came from
        )
        self.pid = self.process.pid
        self._out: list[str] = []
        self._err: list[str] = []
        self._banner = threading.Event()
        self._readers = [threading.Thread(target=self._read, args=(self.process.stderr, self._err))]
        if stdout is None:  # else a file the test gave (``/dev/full``), not read here
            self._readers.append(
                threading.Thread(target=self._read, args=(self.process.stdout, self._out))
            )
        for reader in self._readers:
            reader.start()
        self._banner.wait(60)
        found = re.search(r"receiving on (http://\S+)", self.stderr)
        if not found:
            self.__exit__()
            raise AssertionError(f"the receiver did not start: {self.stderr}")
        self.url = found.group(1)

    def _read(self, stream: IO[str] | None, into: list[str]) -> None:
        assert stream is not None
        for text in stream:
            into.append(text)
            if "receiving on" in text:
                self._banner.set()
        self._banner.set()  # the receiver exited: nobody waits for a banner any more

    @property
    def stdout(self) -> str:
        return "".join(self._out)

    @property
    def stderr(self) -> str:
        return "".join(self._err)

    @property
    def address(self) -> tuple[str, int]:
        host, _, port = self.url.removeprefix("http://").rpartition(":")
        return host, int(port)

    def post(self, path: str, body: bytes) -> int:
        """POST ``body`` (gzip) to ``path`` under the receiver's URL; the status."""
        with urllib3.PoolManager(retries=False, timeout=30.0) as http:
            headers = {"Content-Encoding": "gzip"}
            return int(http.request("POST", self.url + path, body=body, headers=headers).status)

    def stop(self, signum: int | None = None) -> int:
        """Send ``signum`` (SIGTERM by default) and wait for the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM if signum is None else signum)
        code = self.process.wait(timeout=120)
        for reader in self._readers:
            reader.join(30)
        return code

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.process.poll() is None:
                self.stop()
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()


def peak_rss(pid: int) -> int:
    """The peak resident set size of a live process, in bytes (Linux ``VmHWM``)."""
    for text in Path(f"/proc/{pid}/status").read_text().splitlines():
        if text.startswith("VmHWM:"):
            return int(text.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for process {pid}")


#: The connections of the in-process receivers' tests.
_HTTP = urllib3.PoolManager(retries=False, timeout=10.0)


class Running:
    """A receiver app served in this process (`start_receiver`), and the lines it emitted."""

    def __init__(self, app: ReceiverApp, server: ReceiverServer) -> None:
        self.app = app
        self.server = server
        self.lines: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return self.server.url

    def post(self, path: str, body: bytes, **headers: str) -> urllib3.BaseHTTPResponse:
        return _HTTP.request("POST", self.url + path, body=body, headers=headers)

    def get(self, path: str) -> urllib3.BaseHTTPResponse:
        return _HTTP.request("GET", self.url + path)


@pytest.fixture
def start_receiver(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    started: list[tuple[Running, threading.Thread]] = []

    def start(**kwargs: Any) -> Running:
        lines: list[dict[str, Any]] = []
        store = ResultStore(tmp_path / "results", compress=kwargs.pop("compress", False))
        app = ReceiverApp(store, SECRET, DataForSEOProvider, emit=lines.append, **kwargs)
        server = ReceiverServer(app, "127.0.0.1", 0, threads=4)
        running = Running(app, server)
        running.lines = lines
        thread = threading.Thread(target=server.serve, daemon=True)
        thread.start()
        started.append((running, thread))
        return running

    yield start
    for running, thread in started:
        running.server.stop(grace=5.0)
        thread.join(10.0)


@pytest.fixture
def receiver(start_receiver: Callable[..., Running]) -> Running:
    """A receiver with the default settings (``start_receiver`` to choose them)."""
    return start_receiver()
