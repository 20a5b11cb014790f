"""A retryable code inside the one task of an answer is retried like the same code at the
top: the vendor's envelope says 20000 while its task says 50000 "Internal Error" (or a
rate limit), and the documented meaning of those codes is "try again", whichever level
carries them. Each answer below is the real emulator's, but for the first ones of a
path, which carry the code in their task."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from seotasks_dataforseo.emulator import DataForSEOEmulator

from seotasks import RateLimited, TransientError
from seotasks.emulation import EmulatorApp, Fault, HttpRequest, HttpResponse, json_response

from .conftest import Connect, MakeEmulator

KIND = "serp/google/organic"


class TaskCodes:
    """The emulator's app, but the first ``count`` requests whose path holds ``part`` are
    answered HTTP 200, top-level 20000, with ``code`` in the envelope's one task."""

    def __init__(self, app: EmulatorApp, part: str, code: int, count: int) -> None:
        self.app, self.part, self.code, self.left = app, part, code, count

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        if self.part in request.path and self.left > 0:
            self.left -= 1
            task = {"id": "x", "status_code": self.code, "status_message": "Try again."}
            body = {"status_code": 20000, "status_message": "Ok.", "tasks": [task]}
            return json_response(200, json.dumps(body).encode())
        return self.app.handle(request, fault)


def _emulator(make_emulator: MakeEmulator, part: str, code: int, count: int) -> Any:
    emu: DataForSEOEmulator = make_emulator(seed=2, size=40, kinds=(KIND,), recent=1.0)
    emu.server.app = TaskCodes(emu.server.app, part, code, count)
    return emu


def _hits(emu: DataForSEOEmulator, part: str) -> int:
    return sum(part in request.path for request in emu.server.requests)


@pytest.mark.parametrize("code", [50000, 50301, 40202, 40209])
def test_a_listing_retries_a_retryable_task_code(
    make_emulator: MakeEmulator, connect: Connect, code: int
) -> None:
    emu = _emulator(make_emulator, "/tasks_ready", code, 2)
    ids = [task.id for task in connect(emu, families=["serp"]).tasks()]
    assert sorted(ids) == sorted(emu.ready_ids(["serp"])) and ids
    assert _hits(emu, "/tasks_ready") >= 3


def test_history_retries_a_retryable_task_code(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = _emulator(make_emulator, "/id_list", 50000, 2)
    client = connect(emu, families=["serp"], source="history")
    ids = {task.id for task in client.tasks(status="completed")}
    assert ids == emu.history_ids(status="completed", families=["serp"]) and ids


@pytest.mark.parametrize("streamed", [False, True])
def test_collecting_retries_a_retryable_task_code(
    make_emulator: MakeEmulator, connect: Connect, streamed: bool
) -> None:
    emu = _emulator(make_emulator, "/task_get/", 50000, 0)
    client = connect(emu, families=["serp"])
    task = next(iter(client.tasks()))
    emu.server.app.left = 2
    if streamed:
        sink = io.BytesIO()
        client.collect_to(task, sink)
        answer = json.loads(sink.getvalue())
    else:
        answer = client.collect(task)
    assert answer["tasks"][0]["id"] == task.id
    assert _hits(emu, "/task_get/") == 3


def test_a_task_code_that_persists_is_the_typed_error_after_the_retries(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emu = _emulator(make_emulator, "/tasks_ready", 40202, 99)
    with pytest.raises(RateLimited):
        connect(emu, families=["serp"]).page()
    assert _hits(emu, "/tasks_ready") == 4  # the tests' RetryPolicy: 4 attempts
    emu = _emulator(make_emulator, "/tasks_ready", 50000, 99)
    with pytest.raises(TransientError):
        connect(emu, families=["serp"]).page()
    assert _hits(emu, "/tasks_ready") == 4
