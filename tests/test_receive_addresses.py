"""``seotasks receive --listen NAME:PORT`` where NAME resolves to several addresses.

``localhost`` on a dual-stack machine resolves to ``::1`` and ``127.0.0.1``; waitress
then listens on both and returns a server with no address of its own, which the
receiver used to ask for its port (an internal error at start). This machine resolves
``localhost`` to one address only, so the resolver is made to answer two loopback
addresses for a name of the test's own; the HTTP is real, on both.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import urllib3
from receivekit import SECRET
from seotasks_dataforseo.provider import DataForSEOProvider

from seotasks.cli.receive_server import ReceiverServer
from seotasks.receiver.app import ReceiverApp
from seotasks.store import ResultStore

NAME = "two-addresses.seotasks.test"
ADDRESSES = ("127.0.0.1", "127.0.0.2")


@pytest.fixture
def two_addresses(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``NAME`` resolves to both `ADDRESSES` (every other name as usual)."""
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host != NAME:
            return real(host, port, *args, **kwargs)
        found: list[Any] = []
        for address in ADDRESSES:
            found += real(address, port, *args, **kwargs)
        return found

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    yield


def _refused(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_a_name_with_two_addresses_is_served_on_both_and_stops_on_both(
    two_addresses: None, tmp_path: Path
) -> None:
    app = ReceiverApp(ResultStore(tmp_path), SECRET, DataForSEOProvider)
    server = ReceiverServer(app, NAME, 0, threads=2)
    first = urlsplit(server.url)  # what the start line and the tests read
    assert (first.hostname, first.port) == (ADDRESSES[0], server.port)
    assert [urlsplit(u).hostname for u in server.urls] == list(ADDRESSES)
    serving = threading.Thread(target=server.serve, daemon=True)
    serving.start()
    try:
        with urllib3.PoolManager() as pool:
            for url in server.urls:  # a wrong secret: 404, from the receiver itself
                answer = pool.request("POST", f"{url}/wrong/x", body=b"{}", timeout=5)
                assert answer.status == 404, (url, answer.status)
    finally:
        server.stop(grace=5)
        serving.join(timeout=30)
    assert not serving.is_alive()
    assert all(_refused(url) for url in server.urls)
