"""What a plugin's hooks return is checked where it comes back, the hook named: a wrong
type otherwise fails later, inside the plugin or the core, as a riddle ("argument of
type 'NoneType' is not iterable" raised in the plugin's own fetch, or "asked for the
result of task 1076, the vendor answered with task 1076")."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from fakevendor import FakeVendor, PluginOf, connect_fake

import seotasks
from seotasks import Capabilities, JSONValue, Task, TaskStatus, plugins
from seotasks.call import Request
from seotasks.emulation import EmulatorServer
from seotasks.provider import Position
from seotasks.transport import Transport


class ForgetfulVendor(FakeVendor):
    """Checks a cursor's position and hands back nothing."""

    name = "forgetful"

    def check_position(self, position: Position) -> Position:
        super().check_position(position)
        nothing: Any = None  # what a plugin typed loosely returns
        return nothing


class DictVendor(FakeVendor):
    """Declares its capabilities as a plain dict."""

    name = "dictvendor"
    #: Each instance made, to see what a failed `connect` left open.
    made: list[DictVendor] = []

    def __init__(self, settings: Any, transport: Transport) -> None:
        super().__init__(settings, transport)
        self.closed = False
        DictVendor.made.append(self)

    def capabilities(self) -> Capabilities:
        declared: Any = {"order": "created_at"}
        return declared

    def close(self) -> None:
        self.closed = True


class NumberVendor(FakeVendor):
    """Reads the task id of a result as the vendor's JSON number."""

    name = "numbervendor"

    def collect(self, task: Task) -> JSONValue:
        return {"job_id": int(task.id), "rows": []}

    def result_task_id(self, result: Mapping[str, Any]) -> str | None:
        answered: str | None = result.get("job_id")
        return answered


@pytest.fixture
def registered(fake_registry: None) -> Iterator[None]:
    seotasks.register_plugin(PluginOf(ForgetfulVendor, DictVendor, NumberVendor), "wrong-returns")
    yield
    plugins.reset()


def test_a_check_position_returning_no_position_is_named(
    registered: None, server: EmulatorServer
) -> None:
    with connect_fake(server.url, name="forgetful") as client:
        cursor = client.page(status="any").next_cursor
        assert cursor is not None
        with pytest.raises(ValueError, match=r"^forgetful: check_position returned .*NoneType"):
            client.page(cursor)


def test_capabilities_that_are_no_capabilities_are_named(
    registered: None, server: EmulatorServer
) -> None:
    said = r"^dictvendor: capabilities\(\) returned a dict, not seotasks.Capabilities"
    with pytest.raises(TypeError, match=said):
        seotasks.capabilities_of("dictvendor")
    DictVendor.made.clear()
    with pytest.raises(TypeError, match=said):  # at connect, before any listing
        connect_fake(server.url, name="dictvendor")
    # Nothing of the failed connection is left open: the provider and its transport.
    [provider] = DictVendor.made
    assert provider.closed
    with pytest.raises(ValueError, match="client is closed"):
        provider.transport.send(Request(method="GET", url=server.url, endpoint="list"))


def test_a_result_task_id_that_is_no_text_is_named(
    registered: None, server: EmulatorServer
) -> None:
    task = Task(
        provider="numbervendor",
        id="1076",
        status=TaskStatus.COMPLETED,
        completed_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    said = r"^numbervendor: result_task_id returned int 1076"
    with (
        connect_fake(server.url, name="numbervendor") as client,
        pytest.raises(TypeError, match=said),
    ):
        client.collect(task)
