"""Fixtures of the core suite: an isolated plugin registry, loopback servers, a fake clock."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import clisandbox
import kitenv
import pytest
from fakevendor import SECRET, FakeVendor, FakeVendorApp, PluginOf, connect_fake

import seotasks
from seotasks import plugins
from seotasks.clock import FakeClock
from seotasks.emulation import EmulatorApp, EmulatorServer
from seotasks.testing import ConformanceEnv


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike[str]) -> None:
    """No SEOTASKS_* variable of the developer's shell leaks into a test; no real profile."""
    for name in list(os.environ):
        if name.startswith("SEOTASKS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SEOTASKS_CONFIG", os.path.join(tmp_path, "absent.toml"))


@pytest.fixture
def real_providers(clean_env: None) -> None:
    """The installed dataforseo and serpstat plugins, even after a test that reset the registry."""
    if not {"serpstat", "dataforseo"} <= set(seotasks.providers()):
        plugins.reset()


@pytest.fixture
def fake_registry(clean_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A registry holding only the fake vendor (installed entry points are not loaded)."""
    monkeypatch.setenv("SEOTASKS_LOAD_PLUGINS", "")
    plugins.reset()
    seotasks.register_plugin(PluginOf(FakeVendor), "fakevendor")
    yield
    plugins.reset()


@pytest.fixture
def serve() -> Iterator[Callable[[EmulatorApp], EmulatorServer]]:
    """Start an emulator app on loopback; every server is stopped after the test."""
    with ExitStack() as started:

        def start(app: EmulatorApp) -> EmulatorServer:
            return started.enter_context(EmulatorServer(app))

        yield start


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app() -> FakeVendorApp:
    return FakeVendorApp(250)


@pytest.fixture
def server(serve: Callable[[EmulatorApp], EmulatorServer], app: FakeVendorApp) -> EmulatorServer:
    return serve(app)


@pytest.fixture
def client(
    fake_registry: None, server: EmulatorServer, clock: FakeClock
) -> Iterator[seotasks.Client]:
    c = connect_fake(server.url, clock=clock, api_key=SECRET)
    yield c
    c.close()


@pytest.fixture(scope="module")
def sandboxes() -> Iterator[dict[str, seotasks.Sandbox]]:
    """Both vendors' emulators for a command-line suite (`clisandbox.running`), one pair
    per module."""
    with clisandbox.running() as boxes:
        yield boxes


@pytest.fixture
def env(sandboxes: dict[str, seotasks.Sandbox]) -> dict[str, str]:
    """The environment that reaches ``sandboxes`` (`clisandbox.env_for`)."""
    return clisandbox.env_for(sandboxes)


@pytest.fixture
def kit_env(
    fake_registry: None, server: EmulatorServer, app: FakeVendorApp, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., ConformanceEnv]:
    """``make(**fields)``: the conformance kit's env for the fake vendor (`kitenv.kit_env`)."""
    return kitenv.kit_env(server, app, monkeypatch)
