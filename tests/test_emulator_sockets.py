"""An emulator holds a listening socket only while it needs one.

Tests and the benchmarks make emulators for their app or their data alone
(``emulator.app.handle(...)``, ``rows()``): such an emulator opens no socket, and
``stop()`` closes one that ``url`` bound even when the server never started. An open
socket left for the garbage collector surfaces as an unraisable ``ResourceWarning``
in whichever later test happens to collect it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_serpstat.emulator import SerpstatEmulator

MAKERS: list[Callable[[], Any]] = [
    lambda: DataForSEOEmulator(seed=1, size=10),
    lambda: SerpstatEmulator(seed=1, size=10),
]


def _sockets() -> set[str]:
    """This process's open sockets, by inode (``socket:[1234]``)."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed between the listing and the read
            continue
        if target.startswith("socket:"):
            found.add(target)
    return found


@pytest.mark.parametrize("make", MAKERS, ids=["dataforseo", "serpstat"])
def test_an_emulator_made_for_its_data_opens_no_socket(make: Callable[[], Any]) -> None:
    # What the emulator opens is what appears: the process may close sockets meanwhile
    # (an earlier test's server thread finishing its last connection, the garbage
    # collector), which says nothing about the emulator.
    before = _sockets()
    emulator = make()
    assert not _sockets() - before
    emulator.url  # noqa: B018 - the address is bound when first asked for
    assert len(_sockets() - before) == 1
    emulator.stop()  # never started: the bound socket is closed all the same
    assert not _sockets() - before


@pytest.mark.parametrize("make", MAKERS, ids=["dataforseo", "serpstat"])
def test_a_started_emulator_serves_at_the_url_it_gave_before_and_closes(
    make: Callable[[], Any],
) -> None:
    import socket
    from urllib.parse import urlsplit

    import urllib3

    emulator = make()
    url = emulator.url
    with emulator, urllib3.PoolManager() as pool:
        assert emulator.url == url
        answer = pool.request("GET", url + "/nowhere", retries=False, timeout=5)
        assert answer.status in {401, 404, 405}  # the emulator answered, not a reset
    address = urlsplit(url)
    with pytest.raises(ConnectionRefusedError):  # the listening socket is closed
        socket.create_connection((address.hostname, address.port), timeout=5).close()


def test_a_client_resetting_its_connection_prints_nothing(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A stopped listing drops its kept-alive connection with a reset: under ``--sandbox``
    socketserver printed the handler's ``ConnectionResetError`` traceback (it waited for
    the next request) into the command's stderr, spliced into its "interrupted" line."""
    import socket
    import struct
    import time

    from seotasks.emulation import EmulatorServer, HttpRequest, HttpResponse, json_response

    class Small:
        def handle(self, request: HttpRequest, fault: object) -> HttpResponse:
            return json_response(200, b"{}")

    with EmulatorServer(Small()) as server:
        host, port = server.url.removeprefix("http://").split(":")
        for _ in range(3):
            conn = socket.create_connection((host, int(port)))
            conn.sendall(b"GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while not answer.endswith(b"{}"):  # the whole answer: the handler waits for more
                answer += conn.recv(1024)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()  # a reset
        time.sleep(0.5)  # the handlers meet the reset
    assert len(server.requests) == 3
    captured = capfd.readouterr()
    assert "Exception occurred" not in captured.err and "Traceback" not in captured.err
