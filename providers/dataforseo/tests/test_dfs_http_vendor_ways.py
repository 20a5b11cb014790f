"""The ways the vendor's own examples and clients call it, over raw HTTP: whatever the
vendor accepts, the sandbox must accept too, or code grown from the vendor's samples
is refused in the sandbox and "fixed" where it works.

- The vendor's Python samples build the body as a dict keyed 0, 1, ...
  (``post_data[len(post_data)] = dict(...)``), sent as ``{"0": {...}, "1": {...}}``.
- HTTP's auth scheme is case-insensitive (RFC 9110, 11.1): ``basic`` is ``Basic``.
- A ``tasks_ready`` page's cURL example is ``--request POST`` with an empty body.
- gzip both ways ("Data encoding" in the docs' introduction): an answer is compressed
  for a client that accepts it, and a compressed body is read.
- Task ids have the vendor's shape, ``MMDDHHMM-1535-0066-0000-<12 hex>``, a posted
  task's first part its posting time.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import urllib3
from seotasks_dataforseo.emulator import DataForSEOEmulator

from .contentkit import Vendor

ITEM = {"keyword": "tea", "location_code": 2840, "language_code": "en"}
VENDOR_ID = re.compile(r"^(\d{8})-1535-0066-0000-[0-9a-f]{12}$")


def _request(
    emu: DataForSEOEmulator, method: str, path: str, body: bytes | None = None, **headers: str
) -> urllib3.BaseHTTPResponse:
    token = base64.b64encode(f"{emu.login}:{emu.password}".encode()).decode()
    sent = {"Authorization": f"Basic {token}", "Content-Type": "application/json", **headers}
    return urllib3.request(
        method, emu.url + path, body=body, headers=sent, retries=False, decode_content=False
    )


def _body(answer: urllib3.BaseHTTPResponse) -> dict[str, Any]:
    data = answer.data
    if answer.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    parsed: dict[str, Any] = json.loads(data)
    return parsed


def test_the_python_samples_dict_body_posts_each_task_in_key_order(
    emu: DataForSEOEmulator,
) -> None:
    sample = {"0": ITEM, "1": {**ITEM, "keyword": "coffee", "tag": "second"}}
    answer = _request(emu, "POST", "/v3/serp/google/organic/task_post", json.dumps(sample).encode())
    body = _body(answer)
    assert body["status_code"] == 20000 and body["tasks_count"] == 2
    assert [t["status_code"] for t in body["tasks"]] == [20100, 20100]
    assert [t["data"]["keyword"] for t in body["tasks"]] == ["tea", "coffee"]
    assert body["tasks"][1]["data"]["tag"] == "second"


@pytest.mark.parametrize("body", [json.dumps(ITEM), json.dumps({"0": ITEM, "x": ITEM}), "{}"])
def test_an_object_not_keyed_by_numbers_is_still_invalid(
    emu: DataForSEOEmulator, body: str
) -> None:
    answer = _request(emu, "POST", "/v3/serp/google/organic/task_post", body.encode())
    assert _body(answer)["status_code"] == 40503


@pytest.mark.parametrize("scheme", ["basic", "BASIC", "Basic  "])
def test_the_auth_scheme_is_case_insensitive(emu: DataForSEOEmulator, scheme: str) -> None:
    token = base64.b64encode(f"{emu.login}:{emu.password}".encode()).decode()
    headers = {"Authorization": f"{scheme} {token}"}
    answer = urllib3.request("GET", emu.url + "/v3/appendix/user_data", headers=headers)
    assert answer.status == 200 and json.loads(answer.data)["status_code"] == 20000
    wrong = base64.b64encode(f"{emu.login}:nope".encode()).decode()
    refused = urllib3.request(
        "GET", emu.url + "/v3/appendix/user_data", headers={"Authorization": f"{scheme} {wrong}"}
    )
    assert refused.status == 401


def test_tasks_ready_answers_a_post_as_its_curl_example_sends_it(vendor: Vendor) -> None:
    [task_id] = vendor.post("serp/google/organic", ITEM)
    vendor.done()
    answer = _request(vendor.emu, "POST", "/v3/serp/google/organic/tasks_ready", b"")
    [task] = _body(answer)["tasks"]
    assert task["status_code"] == 20000 and [r["id"] for r in task["result"]] == [task_id]


@pytest.mark.parametrize(
    ("accepted", "compressed"),
    [("gzip", True), ("gzip, deflate, br", True), ("identity", False), ("gzip;q=0", False)],
)
def test_an_answer_is_gzipped_for_a_client_that_accepts_it(
    emu: DataForSEOEmulator, accepted: str, compressed: bool
) -> None:
    answer = _request(emu, "GET", "/v3/appendix/errors", **{"Accept-Encoding": accepted})
    assert (answer.headers.get("Content-Encoding") == "gzip") is compressed
    assert (answer.headers.get("Vary") == "Accept-Encoding") is compressed  # for caches
    assert answer.data[:2] == b"\x1f\x8b" if compressed else answer.data.startswith(b"{")
    assert _body(answer)["status_code"] == 20000


@pytest.mark.parametrize("packed", [True, False], ids=["gzip-body", "plain-body-labelled"])
def test_a_body_sent_with_content_encoding_gzip_is_read(
    emu: DataForSEOEmulator, packed: bool
) -> None:
    """Compressed as labelled, or plain though labelled gzip (the vendor's own Python
    RestClient sends that header with a plain body)."""
    data = json.dumps([ITEM]).encode()
    answer = _request(
        emu,
        "POST",
        "/v3/serp/google/organic/task_post",
        gzip.compress(data) if packed else data,
        **{"Content-Encoding": "gzip"},
    )
    [task] = _body(answer)["tasks"]
    assert task["status_code"] == 20100 and task["data"]["keyword"] == "tea"


def test_task_ids_have_the_vendors_shape_and_posting_time(vendor: Vendor) -> None:
    [posted] = vendor.post("serp/google/organic", ITEM)
    found = VENDOR_ID.match(posted)
    assert found, posted
    now = vendor.emu.app.now()
    assert found.group(1) == f"{now:%m%d%H%M}"
    vendor.done()
    [ready] = vendor.call("GET", "/v3/serp/google/organic/tasks_ready")["tasks"][0]["result"]
    assert ready["id"] == posted


def test_a_seeded_accounts_ids_have_the_vendors_shape_and_stay_put(
    make_emulator: Any, clock: Any
) -> None:
    """The same seed gives the same ids on every start, though its tasks' times follow
    the sandbox's moving ``now``: ids made from those times changed whenever one crossed
    a minute, and a second ``load --sandbox`` saw tasks "new" that were not."""
    starts = [
        datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 12, 7, 31, tzinfo=UTC),
    ]
    made = []
    for now in starts:
        emu = make_emulator(size=300, seed=7, now=lambda now=now: now)
        with emu.dataset.lock:
            made.append(sorted(t.id for t in emu.dataset.by_id.values()))
    assert made[0] == made[1] and len(set(made[0])) == 300
    assert all(VENDOR_ID.match(task_id) for task_id in made[0]), made[0][:3]
