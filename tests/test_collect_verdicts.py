"""What may settle a journaled task without its result: only the vendor's word on the task
itself (`NoResult`: "Task Not Found.", "Results Expired."; `TaskNotDone`), or the
provider's refusal to collect it. A proxy's 403, an account blocked, an IP not on the
vendor's list say nothing of the task: settled on them, a task whose consuming read was
cut off (its result owed, gone from ``tasks_ready``) was forgotten, its result lost."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from clihere import run_here
from collectkit import KIND, emu, env, intents, rerun, result_files, task_gets
from seotasks_dataforseo.emulator import DataForSEOEmulator

import seotasks
from seotasks import NoResult, ProviderError, Task, TaskNotDone, TaskStatus
from seotasks.collect import Collected
from seotasks.emulation import EmulatorServer, Fault, HttpRequest, HttpResponse, json_response

__all__ = ["emu", "env"]  # the fixtures, found by pytest here

COLLECT = ["collect", "-p", "dataforseo", "--workers", "2"]


def test_a_proxys_refusal_keeps_the_journal_and_the_next_run_delivers_everything(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "o"
    truth = emu.ready_ids()
    # Run 1: every task_get is read by the vendor (consumed) and answered for another task.
    emu.server.faults.inject(Fault.MISMATCHED_ID, 10_000, match="/task_get/")
    cut = run_here([*COLLECT, "--to", str(out)], env)
    assert cut.returncode == 4, cut.stderr
    owed = _journaled(out)
    assert owed and not result_files(out / "dataforseo")
    assert not owed & emu.ready_ids(), "the cut reads consumed their tasks"
    # Run 2: a proxy (a new host, a firewall) answers every task_get with its 403 page.
    emu.server.faults.clear()
    emu.server.faults.inject(Fault.HTTP_403, 10_000, match="/task_get/")
    refused = run_here([*COLLECT, "--to", str(out)], env)
    assert refused.returncode == 4, refused.stderr
    lines = [json.loads(line) for line in refused.stdout.splitlines()]
    assert {line["id"] for line in lines} >= owed
    assert all("ProviderError: dataforseo: vendor error 403" in line["error"] for line in lines)
    assert _journaled(out) >= owed, "the refusal said nothing of the tasks: their entries stay"
    # Run 3: the path is healthy again.
    emu.server.faults.clear()
    assert rerun(env, out).keys() == truth


def test_a_task_the_vendor_does_not_know_settles_and_is_said(
    emu: DataForSEOEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    """40401 "Task Not Found." is the vendor's word on the task: settled, once, and the
    line says so; asking again would only repeat it."""
    unknown = "12011234-1535-0066-0000-0123456789ab"
    args = ["collect", "-p", "dataforseo", "--id", unknown, "--kind", KIND, "--to"]
    first = run_here([*args, str(tmp_path / "o")], env)
    assert first.returncode == 4, first.stderr
    [line] = [json.loads(text) for text in first.stdout.splitlines()]
    assert line["error"].startswith("NoResult: dataforseo: vendor error 40401: Task Not Found.")
    # The vendor answers so for a wrong --kind too: the line says which kind was asked.
    assert "(asked at " in line["error"] and f"/v3/{KIND}/task_get/" in line["error"]
    assert not intents(tmp_path / "o")
    asked = task_gets(emu)
    run_here([*args, str(tmp_path / "o")], env)
    assert task_gets(emu) == asked + 1  # asked again by name, as told: never by a journal


@pytest.mark.parametrize("streamed", [False, True])
def test_dataforseo_answers_not_found_and_expired_as_no_result(streamed: bool) -> None:
    """Both of the provider's read paths: `collect` (in memory) and `collect_to` (the
    answer streamed to a file)."""
    past = datetime.now(UTC) - timedelta(days=40)
    with DataForSEOEmulator(seed=3, size=0, kinds=(KIND,)) as vendor:
        [old] = vendor.add_tasks(1, posted=past, code=20000, delay=timedelta(minutes=1))
        gone = Task(provider="dataforseo", id=old, status=TaskStatus.COMPLETED, kind=KIND)
        unknown = Task(
            provider="dataforseo",
            id="12011234-1535-0066-0000-0123456789ab",
            status=TaskStatus.COMPLETED,
            kind=KIND,
        )
        with seotasks.connect("dataforseo", **vendor.settings) as client:
            for task, code in ((unknown, 40401), (gone, 40403)):
                with pytest.raises(NoResult) as info:
                    if streamed:
                        with tempfile.TemporaryFile() as sink:
                            client.collect_to(task, sink)
                    else:
                        client.collect(task)
                assert info.value.code == code


def test_settles_only_on_the_vendors_word_on_the_task() -> None:
    task = Task(provider="p", id="1", status=TaskStatus.COMPLETED)
    answers: list[tuple[Exception, bool]] = [
        (NoResult(40401, "Task Not Found.", provider="p"), True),
        (TaskNotDone(40602, "Task In Queue.", provider="p"), True),
        (seotasks.UnsupportedQuery("live-only: nothing to fetch"), True),
        (ProviderError(403, "unexpected HTTP 403", provider="p"), False),
        (ProviderError(40207, "IP not whitelisted", provider="p"), False),
        (seotasks.AuthError("refused"), False),
        (seotasks.TransientError("cut off"), False),
        (seotasks.ResponseFormatError("not JSON"), False),
        (TypeError("a plugin's bug"), False),
    ]
    for error, settles in answers:
        assert Collected(task=task, index=0, error=error).settles is settles, error
    assert not Collected(task=task, index=0, result={}).settles  # a result settles once stored


def _journaled(out: Path) -> set[str]:
    """The task ids of the journal entries of ``collect --to out``."""
    return {json.loads(path.read_bytes())["task"]["id"] for path in intents(out)}


class _Answering:
    """A DataForSEO stand-in answering every ``task_get`` with one task object of the
    given id and code (HTTP 200, top-level 20000): a misrouting proxy, or the vendor."""

    def __init__(self, task_id: str | None, code: int, path_id: str | None) -> None:
        self.task: dict[str, object] = {
            "id": task_id,
            "status_code": code,
            "status_message": "said",
        }
        if path_id is not None:  # the request path the vendor echoes in each task object
            self.task["path"] = ["v3", "serp", "google", "organic", "task_get", "advanced", path_id]

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        body = {"status_code": 20000, "status_message": "Ok.", "tasks": [self.task]}
        return json_response(200, json.dumps(body).encode())


ASKED = "12011234-1535-0066-0000-0123456789ab"


OTHER = "11111111-1111-1111-1111-111111111111"


@pytest.mark.parametrize(
    ("answered", "path", "code", "raised"),
    [
        (ASKED, ASKED, 40401, NoResult),  # the vendor's word on the task asked
        (ASKED, None, 40401, NoResult),
        (OTHER, ASKED, 40401, NoResult),  # an id of its own, the path naming the task asked
        (ASKED, ASKED, 40103, NoResult),  # "Task execution failed": failed for good
        (OTHER, OTHER, 40401, seotasks.ResponseFormatError),  # about another task
        (OTHER, None, 40401, seotasks.ResponseFormatError),
        (None, None, 40401, seotasks.ResponseFormatError),  # an answer naming no task
        (ASKED, ASKED, 40207, ProviderError),  # "IP not whitelisted": the account's
        (ASKED, ASKED, 40201, ProviderError),  # "account temporarily blocked"
        (ASKED, ASKED, 40203, ProviderError),  # "cost limit exceeded"
        (ASKED, ASKED, 40402, ProviderError),  # "Invalid Path.": a path we built wrong
    ],
)
@pytest.mark.parametrize("streamed", [False, True])
def test_only_an_answer_about_the_task_asked_is_no_result(
    answered: str | None, path: str | None, code: int, raised: type[Exception], streamed: bool
) -> None:
    """A 40401 for another task (a misrouting proxy) settled the task asked, and every
    error code in the task object did, an account's included: 35 of 35 lost in a pass."""
    task = Task(provider="dataforseo", id=ASKED, status=TaskStatus.COMPLETED, kind=KIND)
    with EmulatorServer(_Answering(answered, code, path)) as server:
        settings = {"base_url": server.url, "login": "me", "password": "pw-12345678"}
        with seotasks.connect("dataforseo", **settings) as client, pytest.raises(raised) as info:
            if streamed:
                with tempfile.TemporaryFile() as sink:
                    client.collect_to(task, sink)
            else:
                client.collect(task)
    assert type(info.value) is raised
    assert Collected(task=task, index=0, error=info.value).settles is (raised is NoResult)


def test_a_serpstat_http_404_is_no_json_rpc_no_data() -> None:
    """Serpstat's JSON-RPC "no data" codes are 32017 and 404 ("Empty result"); a proxy's
    or a wrong base URL's HTTP 404 took the same code and settled every task."""
    from seotasks_serpstat.emulator import SerpstatEmulator

    with SerpstatEmulator(seed=1, size=10) as vendor, EmulatorServer(_NotFound()) as proxy:
        done = vendor.task_ids("completed")[0]
        task = Task(provider="serpstat", id=done, status=TaskStatus.COMPLETED)
        settings = {**vendor.settings, "base_url": proxy.url + "/rt/api/v2/"}
        with (
            seotasks.connect("serpstat", **settings) as client,
            pytest.raises(ProviderError) as info,
        ):
            client.collect(task)
    assert type(info.value) is ProviderError and info.value.code == "HTTP 404"
    assert not Collected(task=task, index=0, error=info.value).settles


class _NotFound:
    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        return HttpResponse(status=404, body=b"<html>Not Found</html>")
