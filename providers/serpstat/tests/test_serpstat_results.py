"""``tasks.getTaskResult`` answers the vendor does not document: no ``tops``, or none yet.

A fetched result is kept for good (``collect --to`` skips a task whose file exists), so
an answer without keywords must never be kept as a finished task's empty result: it is
malformed where no ``tops`` list came, and "not done yet" for a task the list showed
unfinished. The emulator's own answers are rewritten on the wire (`TopsRewritten`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from seotasks_serpstat.emulator import SerpstatEmulator

import seotasks
from seotasks.emulation import EmulatorApp, Fault, HttpRequest, HttpResponse, json_response
from seotasks.model import Task, TaskStatus

MakeEmulator = Callable[..., SerpstatEmulator]
Connect = Callable[..., seotasks.Client]
_ABSENT = object()


class TopsRewritten:
    """The emulator, but every getTaskResult answer's ``tops`` replaced by ``tops``
    (removed where it is `_ABSENT`)."""

    def __init__(self, app: EmulatorApp, tops: object) -> None:
        self.app, self.tops = app, tops

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        answer = self.app.handle(request, fault)
        body = json.loads(answer.body)
        if json.loads(request.body).get("method") != "tasks.getTaskResult":
            return answer
        body.pop("error", None)  # an unfinished task's "Data not found": an answer instead
        result = body.get("result") or {"task_meta": {}}
        body["result"] = {k: v for k, v in result.items() if k != "tops"}
        if self.tops is not _ABSENT:
            body["result"]["tops"] = self.tops
        return json_response(answer.status, json.dumps(body).encode())


def _listed(emulator: SerpstatEmulator, connect: Connect, status: str) -> Any:
    client = connect(emulator)
    return client, next(iter(client.tasks(status=status)))


@pytest.mark.parametrize("tops", [_ABSENT, None, {}, "[]"], ids=["absent", "null", "{}", "text"])
def test_a_completed_tasks_answer_without_a_tops_list_is_kept_nowhere(
    make_emulator: MakeEmulator, connect: Connect, tmp_path: Path, tops: object
) -> None:
    emulator = make_emulator(seed=7, size=300)
    client, task = _listed(emulator, connect, "completed")
    emulator.server.app = TopsRewritten(emulator.app, tops)
    with pytest.raises(seotasks.ResponseFormatError, match="holds no 'tops' list") as caught:
        client.collect(task)
    assert caught.value.field == "result.tops" and task.id in str(caught.value)
    [done] = client.collect_many([task], into=tmp_path)
    assert isinstance(done.error, seotasks.ResponseFormatError) and done.path is None
    assert list(tmp_path.iterdir()) == []
    emulator.server.app = emulator.app  # the vendor answers properly again: all of it
    assert client.collect(task)["tops"]


@pytest.mark.parametrize("status", ["queued", "running"])
@pytest.mark.parametrize("tops", [_ABSENT, None, []], ids=["absent", "null", "empty"])
def test_an_unfinished_tasks_answer_without_keywords_is_not_done_yet(
    make_emulator: MakeEmulator, connect: Connect, status: str, tops: object
) -> None:
    emulator = make_emulator(seed=7, size=2500)
    client, task = _listed(emulator, connect, status)
    assert task.status is TaskStatus(status)
    emulator.server.app = TopsRewritten(emulator.app, tops)
    with pytest.raises(seotasks.TaskNotDone, match=f"task {task.id} was listed {status}"):
        client.collect(task)


def test_no_keyword_is_a_result_only_for_a_task_counted_empty(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    """An empty ``tops`` for a task listed completed with keywords, or named by id (its
    count unknown: ``collect --id`` of a task still running was kept empty for good), is
    no result yet; for a task the listing counted empty, it is the vendor's answer."""
    emulator = make_emulator(seed=7, size=300)
    client, task = _listed(emulator, connect, "completed")
    assert task.keywords_count
    emulator.server.app = TopsRewritten(emulator.app, [])
    by_id = Task(provider="serpstat", id=task.id, status=TaskStatus.COMPLETED)
    for asked in (task, by_id):
        with pytest.raises(seotasks.TaskNotDone, match="the answer holds no keyword"):
            client.collect(asked)
    answer = client.collect(attrs.evolve(task, keywords_count=0))
    assert answer["tops"] == [] and "task_meta" in answer


def test_a_tops_entry_that_is_no_object_is_kept_nowhere(
    make_emulator: MakeEmulator, connect: Connect
) -> None:
    emulator = make_emulator(seed=7, size=300)
    client, task = _listed(emulator, connect, "completed")
    emulator.server.app = TopsRewritten(emulator.app, [None, 5, "x"])
    with pytest.raises(seotasks.ResponseFormatError, match="not an object"):
        client.collect(task)
