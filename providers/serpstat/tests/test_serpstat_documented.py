"""The provider against Serpstat's documented shapes, not against our emulator.

The answers in ``documented/`` were written from the reference's field lists: rows with
ids and counts as strings (the examples) and as integers (the schema tables), and
``blocked_keywords`` entries as strings and as objects. They are replayed as JSON-RPC
answers over loopback through the real provider code.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import seotasks
from seotasks.emulation import EmulatorServer, HttpRequest
from seotasks.submit import SerpTaskSpec
from seotasks.testing.clients import Clients
from seotasks.testing.replay import ReplayApp, render_times, request_json

from .conftest import FAST_RETRY

HERE = Path(__file__).parent / "documented"
PATH = "/rt/api/v2/"
TOKEN = "documented-token-0123456789"


def fixture(name: str) -> Any:
    return json.loads((HERE / name).read_text())


class JsonRpc:
    """Answers ``method`` calls with a fixture as ``result``, echoing the request id."""

    def __init__(self) -> None:
        self.results: dict[str, list[Any]] = {}
        self.calls: list[dict[str, Any]] = []

    def __call__(self, request: HttpRequest) -> Any:
        body = request_json(request)
        assert isinstance(body, dict)
        self.calls.append(body)
        queue = self.results[body["method"]]
        result = queue.pop(0) if len(queue) > 1 else queue[0]
        now = datetime.now(UTC)
        return {"id": str(body["id"]), "result": render_times(result, now, "%Y-%m-%d %H:%M:%S")}


@pytest.fixture
def rpc() -> Iterator[tuple[JsonRpc, EmulatorServer]]:
    answers = JsonRpc()
    app = ReplayApp().add("POST", PATH, answers)
    with app.server() as server:
        yield answers, server


@pytest.fixture
def connect(rpc: tuple[JsonRpc, EmulatorServer]) -> Iterator[Any]:
    settings = {"token": TOKEN, "base_url": rpc[1].url + PATH}
    with Clients("serpstat", settings, retry=FAST_RETRY) as clients:
        yield clients.connect


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("getList_strings.json", ["5484945", "5484946"]),
        ("getList_integers.json", ["5484947", "5484948"]),
    ],
)
def test_get_list_rows_typed_as_strings_or_as_integers(
    rpc: tuple[JsonRpc, EmulatorServer], connect: Any, name: str, ids: list[str]
) -> None:
    rpc[0].results["tasks.getList"] = [fixture(name), []]
    tasks = list(connect().tasks(status="any"))
    assert [t.id for t in tasks] == ids
    done, pending = tasks
    assert done.status is seotasks.TaskStatus.COMPLETED and done.progress == 1.0
    assert done.completed_at is not None and done.completed_at.tzinfo is not None
    assert done.location == "23/21176" and done.keywords_count == 3
    assert done.device == "desktop" and pending.device == "mobile"
    assert pending.location == "23"  # region "0" / 0: no region
    assert pending.completed_at is None
    assert pending.status is (
        seotasks.TaskStatus.QUEUED if pending.progress == 0 else seotasks.TaskStatus.RUNNING
    )


def test_blocked_keywords_as_objects_and_strings_keep_the_created_task(
    rpc: tuple[JsonRpc, EmulatorServer], connect: Any
) -> None:
    rpc[0].results["tasks.addKeywordList"] = [fixture("addKeywordList_blocked.json")]
    specs = [SerpTaskSpec(keyword=k, location=23) for k in ("coffee | tea", "beans^2", "espresso")]
    results = connect().submit(specs)
    assert [r.task_id for r in results] == [None, None, "5484949"]
    assert "special symbols" in str(results[0].error)
    assert all(isinstance(r.error, seotasks.ProviderError) for r in results[:2])
    assert len(rpc[0].calls) == 1  # posted once


def test_unreadable_blocked_keywords_never_lose_the_task_id(
    rpc: tuple[JsonRpc, EmulatorServer], connect: Any, caplog: pytest.LogCaptureFixture
) -> None:
    rpc[0].results["tasks.addKeywordList"] = [fixture("addKeywordList_blocked_unreadable.json")]
    caplog.set_level(logging.WARNING, logger="seotasks.serpstat")
    results = connect().submit([SerpTaskSpec(keyword="espresso", location=23)])
    assert [r.task_id for r in results] == ["5484950"]
    assert "5484950" in caplog.text and "blocked_keywords" in caplog.text


@pytest.mark.parametrize("task_id", ["\u00b2", "12\u00b2", "\uff15\uff14"])
def test_a_non_ascii_digit_task_id_is_a_format_error(task_id: str) -> None:
    from seotasks_serpstat.posting import added_task

    with pytest.raises(seotasks.ResponseFormatError, match="task_id"):
        added_task({"task_id": task_id, "blocked_keywords": []})


def test_collect_refuses_a_non_ascii_digit_id(connect: Any) -> None:
    task = seotasks.Task(provider="serpstat", id="\u00b2", status=seotasks.TaskStatus.COMPLETED)
    with pytest.raises(seotasks.UnsupportedQuery, match="not numeric"):
        connect().collect(task)
