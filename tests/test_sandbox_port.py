"""``seotasks sandbox --port``: the emulators on ports the user chose, and the same export
lines on every start (a Serpstat token drawn from the seed, not at random), so that a
service under test keeps one configuration across restarts of its sandbox."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from clihere import run_here
from clisandbox import clean_env
from fakevendor import FakeVendor
from kitenv import fake_sandbox

from seotasks import ConfigError
from seotasks.sandbox import SandboxRequest, start

SANDBOX = ["sandbox", "-p", "dataforseo", "-p", "serpstat", "--duration", "0.2"]


@contextmanager
def _free_ports(count: int) -> Iterator[int]:
    """The first of ``count`` consecutive loopback ports free now (held by nothing)."""
    for _ in range(50):
        with ExitStack() as held:
            first = held.enter_context(socket.create_server(("127.0.0.1", 0)))
            port = first.getsockname()[1]
            try:
                for step in range(1, count):
                    held.enter_context(socket.create_server(("127.0.0.1", port + step)))
            except OSError:
                continue
        yield port
        return
    pytest.fail("no run of free ports found")


def test_the_same_export_lines_on_every_start() -> None:
    with _free_ports(2) as port:
        runs = [run_here([*SANDBOX, "--port", str(port)], clean_env()) for _ in range(2)]
    with _free_ports(3) as first:  # every installed provider, the example plugin included
        every = ["sandbox", "--duration", "0.2", "--port", str(first)]
        both = [run_here(every, clean_env()) for _ in range(2)]
    assert both[0].returncode == 0 and both[0].stdout == both[1].stdout, both[0].stderr
    assert "export SEOTASKS_ACME_API_KEY=" in both[0].stdout
    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    urls = re.findall(r"_BASE_URL='?(http://[^'\n]+)", runs[0].stdout)
    assert urls == [f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}/rt/api/v2/"]
    assert "export SEOTASKS_SERPSTAT_TOKEN=emu-" in runs[0].stdout


def test_a_port_taken_is_said_and_nothing_is_exported() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        refused = run_here([*SANDBOX, "--port", str(port)], clean_env())
    assert refused.returncode == 2, refused.stderr
    assert refused.stdout == ""
    assert f"dataforseo: cannot listen on 127.0.0.1:{port}: " in refused.stderr
    assert "give --port another (free, and one this user may open" in refused.stderr


def test_ports_past_the_last_are_a_usage_error_before_anything_starts() -> None:
    """Two emulators from 65535: the second's 65536 was an OverflowError from the bind,
    reported as a bug of whichever plugin's sandbox met it."""
    refused = run_here([*SANDBOX, "--port", "65535"], clean_env())
    assert refused.returncode == 2 and refused.stdout == "", refused.stderr
    assert "port 65535 leaves no room for 2 emulators" in refused.stderr


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_a_port_that_is_none_is_a_usage_error(port: str) -> None:
    refused = run_here([*SANDBOX, "--port", port], clean_env())
    assert refused.returncode == 2 and "--port" in refused.stderr


def test_a_sandbox_that_takes_no_port_is_refused_not_silently_elsewhere(
    fake_registry: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plugin's sandbox written before ports were asked for listens where the system
    puts it: the user's service would be pointed at a port nothing serves."""
    monkeypatch.setattr(FakeVendor, "sandbox", classmethod(fake_sandbox))
    with (
        _free_ports(1) as port,
        pytest.raises(ConfigError, match=r"fakevendor: its sandbox takes no port"),
        start(["fakevendor"], SandboxRequest(port=port)),
    ):
        pass


def test_the_quickstarts_export_lines_are_what_the_sandbox_prints() -> None:
    """docs/quickstart.md shows the lines to paste; its Serpstat token had drifted from
    the one seed 0 draws. The same lines, ports aside."""
    page = (Path(__file__).parent.parent / "docs" / "quickstart.md").read_text()
    shown = re.search(r"```text\n(export SEOTASKS_DATAFORSEO_BASE_URL=.*?)```", page, re.S)
    assert shown is not None
    printed = run_here(SANDBOX, clean_env())
    assert printed.returncode == 0, printed.stderr
    ports = re.compile(r"127\.0\.0\.1:\d+")
    assert ports.sub("PORT", printed.stdout) == ports.sub("PORT", shown.group(1))
