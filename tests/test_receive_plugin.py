"""The receiver with a provider of a plugin's own, not DataForSEO: its routes, and a
``collect`` that answers a JSON array (a vendor whose result is a list of items), which
the plugin guide allows. The fake vendor served over loopback; the receiver in this
process, called over real HTTP.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import urllib3
from fakevendor import SECRET as KEY
from fakevendor import FakeVendor, PluginOf
from receivekit import SECRET, wait_for

import seotasks
from seotasks.cli.receive_server import ReceiverServer
from seotasks.emulation import EmulatorServer
from seotasks.provider import CallbackEntry
from seotasks.receiver.app import ReceiverApp
from seotasks.receiver.pingbacks import PingbackWorker
from seotasks.store import ResultStore
from seotasks.transport import Request, decode_json_object


class ListingVendor(FakeVendor):
    """A vendor that pings ``GET /<secret>/ready?id=..&label=..`` and whose result for a
    task is a JSON array: the vendor's items for it (none for a task it does not know,
    which it refuses)."""

    name: ClassVar[str] = "listingvendor"
    callbacks: ClassVar[Mapping[str, str]] = {"ready": "GET"}

    def capabilities(self) -> seotasks.Capabilities:
        return seotasks.Capabilities(order="created_at", max_page_size=1000, collect=True)

    @classmethod
    def read_callback(
        cls, route: str, body: object, query: Mapping[str, Sequence[str]]
    ) -> list[CallbackEntry]:
        [task_id] = query.get("id") or [""]
        [label] = query.get("label") or [None]
        [kind] = query.get("kind") or [None]
        return [CallbackEntry(task_id=task_id, tag=label, kind=kind)]

    def collect(self, task: seotasks.Task) -> seotasks.JSONValue:
        request = Request(
            method="GET",
            url=f"{self.settings['base_url']}/tasks?offset=0&limit=1000",
            endpoint="tasks",
            headers={"X-Api-Key": self.settings["api_key"]},
        )
        items = self.transport.call(request, decode_json_object)["items"]
        found = [item for item in items if item["id"] == task.id]
        if not found:
            raise seotasks.NoResult(404, f"no task {task.id}", provider=self.name)
        return found


@contextmanager
def _receiving(tmp_path: Path, server: EmulatorServer) -> Iterator[tuple[ReceiverApp, list[Any]]]:
    seotasks.register_plugin(PluginOf(ListingVendor), "listingvendor")
    lines: list[dict[str, Any]] = []
    app = ReceiverApp(ResultStore(tmp_path / "results"), SECRET, ListingVendor, emit=lines.append)
    receiver = ReceiverServer(app, "127.0.0.1", 0, threads=2)
    serving = threading.Thread(target=receiver.serve)
    serving.start()
    client = seotasks.connect("listingvendor", base_url=server.url, api_key=KEY, env={})
    worker = PingbackWorker(app, client, retry_after=0.05).start()
    try:
        with urllib3.PoolManager(retries=False, timeout=30.0) as http:
            for query in ("id=t000001&label=brand", "id=gone-1&label=spring"):
                answer = http.request("GET", f"{receiver.url}/{SECRET}/ready?{query}")
                assert answer.status == 200, answer.data
        yield app, lines
    finally:
        worker.close()
        client.close()
        receiver.stop(grace=5.0)
        serving.join(30)


def test_a_pinged_task_whose_result_is_an_array_is_written_and_a_refusal_keeps_its_tag(
    fake_registry: None, server: EmulatorServer, tmp_path: Path
) -> None:
    """The worker wrote only a result that was a JSON object: an array, which ``collect``
    may return and ``collect --to`` writes, was set aside in ``.pingbacks/failed/`` with
    an empty error. And the line of a task the vendor refused dropped the tag the ping
    carried, which the line of a task written keeps."""
    with _receiving(tmp_path, server) as (app, lines):
        wait_for(lambda: len(lines) == 2)
    by_id = {line["id"]: line for line in lines}
    written = by_id["t000001"]
    assert written["error"] is None and written["tag"] == "brand", written
    assert isinstance(json.loads(Path(written["path"]).read_bytes()), list)
    refused = by_id["gone-1"]
    assert refused["path"] is None and "no task gone-1" in refused["error"], refused
    assert refused["tag"] == "spring", refused
    assert len(app.pingbacks) == 0


class TrustingVendor(ListingVendor):
    """A plugin whose reader trusts the body's shape: a bug, met on a stranger's body."""

    name: ClassVar[str] = "trustingvendor"
    callbacks: ClassVar[Mapping[str, str]] = {"jobs": "POST"}

    @classmethod
    def read_callback(
        cls, route: str, body: object, query: Mapping[str, Sequence[str]]
    ) -> list[CallbackEntry]:
        jobs: Any = body
        return [CallbackEntry(task_id=job["job_id"], result=job) for job in jobs["jobs"]]


def test_a_plugins_reader_failing_on_a_body_is_a_400_kept_not_a_500(tmp_path: Path) -> None:
    """A `TypeError` from the plugin's reader (a list item where an object was expected,
    a number where the id is text, which `CallbackEntry` now refuses) was a 500 with a
    traceback, the body not kept; it is a 400 and the body is in ``.rejected/``."""
    app = ReceiverApp(ResultStore(tmp_path / "results"), SECRET, TrustingVendor)
    receiver = ReceiverServer(app, "127.0.0.1", 0, threads=2)
    serving = threading.Thread(target=receiver.serve)
    serving.start()
    try:
        with urllib3.PoolManager(retries=False, timeout=30.0) as http:
            answers = [
                http.request("POST", f"{receiver.url}/{SECRET}/jobs", body=json.dumps(body))
                for body in ({"jobs": [1]}, {"jobs": [{"job_id": 5}]}, {"jobs": [{"job_id": "j1"}]})
            ]
    finally:
        receiver.stop(grace=5.0)
        serving.join(30)
    assert [a.status for a in answers] == [400, 400, 200]
    said = [json.loads(a.data)["error"] for a in answers[:2]]
    assert all("the provider could not read it (TypeError" in text for text in said), said
    assert len(list(app.rejected_dir.glob("*.json"))) == 2 and 500 not in app.answers


def test_a_kind_is_the_providers_to_judge_not_the_receivers(
    fake_registry: None, tmp_path: Path
) -> None:
    """The receiver refused every kind not shaped as a DataForSEO path (``serp/google/
    organic``), a rule of one vendor in the vendor-neutral core: another vendor's
    ``rank-check.Daily`` was a 400 for every notice, its tasks never collected, while
    the kit passed the reader. Any printable kind is queued now (the provider's reader
    refuses one its collect cannot use); one that is no printable text is a 400 from
    `CallbackEntry` itself, as the kit sees it."""
    app = ReceiverApp(ResultStore(tmp_path / "results"), SECRET, ListingVendor)
    receiver = ReceiverServer(app, "127.0.0.1", 0, threads=2)
    serving = threading.Thread(target=receiver.serve)
    serving.start()
    kinds = {
        "k-1": "rank-check.Daily",
        "k-2": "Jobs/Nightly Run",
        "k-3": "x\x1b[31m",
        "k-4": "y" * 201,
    }
    try:
        with urllib3.PoolManager(retries=False, timeout=30.0) as http:
            answers = {
                task_id: http.request(
                    "GET", f"{receiver.url}/{SECRET}/ready", fields={"id": task_id, "kind": kind}
                )
                for task_id, kind in kinds.items()
            }
    finally:
        receiver.stop(grace=5.0)
        serving.join(30)
    assert {task_id: a.status for task_id, a in answers.items()} == {
        "k-1": 200,
        "k-2": 200,
        "k-3": 400,
        "k-4": 400,
    }
    assert "kind is no printable text" in json.loads(answers["k-3"].data)["error"]
    queued = {entry["id"]: entry["kind"] for entry in app.pingbacks.entries()}
    assert queued == {"k-1": "rank-check.Daily", "k-2": "Jobs/Nightly Run"}
