"""The reference's own examples of the crawling methods, replayed through our emulator.

`test_serpstat_documented` proves the *provider* reads the documented shapes; this proves
the *emulator* answers in them, so a sandbox user never learns a shape Serpstat does not
send. Each file of ``documented/examples/`` holds a method's request and response as the
reference's example shows them (written by hand from it: same keys, JSON types and value
forms, our own values; sources in the file). The request is sent to the emulator as
documented, over HTTP, and its answer is compared field by field with the example:

* the same keys at every level, and for every list element of ours an element of the
  example's list with the same keys (``parsed_at`` is a string in a finished row and
  null in a running one, as the two example rows show);
* the same JSON type for every value (a string stays a string: ids, counts, ``progress``,
  ``task_meta``; ``position`` and the lengths stay integers; ``right_spell`` is ``""``,
  not null);
* values in the documented form: ``"100%"``/``"0%"``, ``YYYY-MM-DD HH:MM:SS``, digit-only
  ids, decimal USD strings, ``target_fields`` the string ``"[]"``, ads by block
  ``"1"``/``"2"``/``"3"``, positions 1..N, lengths that are the lengths of their texts,
  urls whose host is the ``subdomain`` under the ``domain``;
* the values a caller posted come back: the example's addKeywordList settings in the
  getList row and the getTaskResult ``task_meta``, one ``tops`` entry per keyword.
"""

from __future__ import annotations

import html
import json
import re
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from seotasks_serpstat.emulator import SerpstatEmulator

from seotasks.clock import FakeClock

EXAMPLES = Path(__file__).parent / "documented" / "examples"
_DIGITS = re.compile(r"^[0-9]+$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_PERCENT = re.compile(r"^(100|[1-9]?[0-9])%$")
_USD = re.compile(r"^[0-9]+(\.[0-9]+)?$")


def example(method: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / f"{method}.json").read_text())
    return loaded


# -- comparing with an example --------------------------------------------------------------


def _kind(value: object) -> str:
    """The JSON type of ``value`` (bool apart from number, int apart from float)."""
    if value is None:
        return "null"
    return {bool: "bool", int: "int", float: "float", str: "str", list: "array", dict: "object"}[
        type(value)
    ]


def differences(documented: Any, ours: Any, where: str = "$") -> list[str]:
    """How ``ours`` differs from ``documented`` in keys and JSON types (empty: none).

    Each element of a list of ours must match some element of the example's list (the
    example's rows are the forms a row may take); an empty example list says nothing of
    its elements.
    """
    if _kind(documented) != _kind(ours):
        return [f"{where}: {_kind(ours)} {ours!r:.60}, documented {_kind(documented)}"]
    if isinstance(documented, dict):
        found = [f"{where}: key {k!r} not documented" for k in sorted(set(ours) - set(documented))]
        found += [
            f"{where}: documented key {k!r} missing" for k in sorted(set(documented) - set(ours))
        ]
        for key in sorted(set(ours) & set(documented)):
            found += differences(documented[key], ours[key], f"{where}.{key}")
        return found
    if isinstance(documented, list) and documented:
        found = []
        for index, item in enumerate(ours):
            options = [differences(d, item, f"{where}[{index}]") for d in documented]
            if all(options):
                found += min(options, key=len)
        return found
    return []


def test_differences_can_fail() -> None:
    """The comparison is not vacuous: a null where the example has a string, a key too
    many, a number as a string and a row that matches no example row are all found."""
    documented = {"a": "x", "b": [{"c": 1, "d": None}, {"c": 1, "d": "t"}]}
    assert differences(documented, {"a": "x", "b": [{"c": 2, "d": None}, {"c": 3, "d": "u"}]}) == []
    assert differences(documented, {"a": None, "b": []}) == ["$.a: null None, documented str"]
    found = differences(documented, {"a": "x", "e": 1, "b": [{"c": "1", "d": None}]})
    assert found == ["$: key 'e' not documented", "$.b[0].c: str '1', documented int"]


# -- the emulator, called as documented -----------------------------------------------------


class Rpc:
    """JSON-RPC to the emulator as the reference's cURL examples send it, one call per
    clock second (the documented 1 request/second, which the emulator enforces)."""

    def __init__(self, emulator: SerpstatEmulator, clock: FakeClock) -> None:
        self.url = f"{emulator.url}?token={emulator.token}"
        self.clock = clock

    def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        self.clock.advance(1.0)
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body).encode(),
            headers={"Accept": "application/json", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            answer: dict[str, Any] = json.loads(response.read())
        return answer


@pytest.fixture
def rpc(make_emulator: Callable[..., SerpstatEmulator], clock: FakeClock, now: datetime) -> Rpc:
    """The emulator (limits on, its data's wall clock moving with the shared clock)."""
    emulator = make_emulator(
        seed=11, size=40, now=lambda: now + timedelta(seconds=clock.monotonic())
    )
    return Rpc(emulator, clock)


def _posted(rpc: Rpc) -> tuple[dict[str, Any], str]:
    """The documented addKeywordList example sent to the emulator: its answer and task id."""
    answer = rpc(example("tasks.addKeywordList")["request"])
    assert "error" not in answer, answer
    return answer, answer["result"]["task_id"]


def test_get_parsing_balance_as_documented(rpc: Rpc) -> None:
    documented = example("tasks.getParsingBalance")
    answer = rpc(documented["request"])  # no params, as the example sends it
    assert differences(documented["response"], answer) == []
    assert answer["id"] == documented["request"]["id"]
    assert all(_USD.match(v) for v in answer["result"].values()), answer


def test_a_numeric_id_comes_back_as_a_string(rpc: Rpc) -> None:
    """The older page's example: ``"id": 1`` is answered with ``"id": "1"``."""
    answer = rpc({"id": 1, "method": "tasks.getParsingBalance", "params": {}})
    assert answer["id"] == "1"


def test_add_keyword_list_as_documented(rpc: Rpc) -> None:
    documented = example("tasks.addKeywordList")
    answer, task_id = _posted(rpc)
    assert differences(documented["response"], answer) == []
    assert answer["id"] == documented["request"]["id"]
    assert _DIGITS.match(task_id) and answer["result"]["blocked_keywords"] == []


def _row_forms(row: dict[str, Any]) -> list[str]:
    """What in a getList row is not in the documented form."""
    problems = [
        f"{k} {row[k]!r}"
        for k in ("task_id", "se_id", "country_id", "lang_id", "region_id", "device_type_id")
        if not _DIGITS.match(row[k])
    ]
    if not _DIGITS.match(row["keywords_count"]):
        problems.append(f"keywords_count {row['keywords_count']!r}")
    if not _PERCENT.match(row["progress"]):
        problems.append(f"progress {row['progress']!r}")
    if not _TIME.match(row["created_at"]):
        problems.append(f"created_at {row['created_at']!r}")
    done = row["progress"] == "100%"
    if done != (row["parsed_at"] is not None) or (done and not _TIME.match(row["parsed_at"])):
        problems.append(f"parsed_at {row['parsed_at']!r} at {row['progress']}")
    return problems


def test_get_list_as_documented(rpc: Rpc) -> None:
    """Every row of the documented request's page has the example rows' keys, types and
    forms; the example task just posted is listed with its settings, running ("0%",
    parsed_at null) and then done ("100%", a parsed_at), as the two example rows are."""
    call = rpc
    documented = example("tasks.getList")
    posted = example("tasks.addKeywordList")["request"]["params"]
    _, task_id = _posted(call)
    for when in ("running", "done"):
        if when == "done":
            call.clock.advance(3600)
        answer = call(documented["request"])
        assert answer["id"] == documented["request"]["id"]
        assert differences(documented["response"], answer) == []
        rows = answer["result"]
        assert len(rows) >= 10 and {r["progress"] for r in rows} >= {"100%"}
        assert [p for r in rows for p in _row_forms(r)] == []
        (mine,) = [r for r in rows if r["task_id"] == task_id]
        assert mine == {
            **mine,
            "se_id": str(posted["seId"]),
            "country_id": str(posted["countryId"]),
            "lang_id": str(posted["langId"]),
            "region_id": str(posted["regionId"]),
            "device_type_id": str(posted["typeId"]),
            "keywords_count": str(len(posted["keywords"])),
        }
        if when == "running":
            assert mine["progress"] != "100%" and mine["parsed_at"] is None
        else:
            assert mine["progress"] == "100%" and _TIME.match(mine["parsed_at"])


def _top_forms(entry: dict[str, Any]) -> list[str]:
    """What in one ``tops`` entry is not in the documented form."""
    data = entry["keyword_data"]
    problems = []
    if not _DIGITS.match(entry["keyword_id"]):
        problems.append(f"keyword_id {entry['keyword_id']!r}")
    if data["right_spell"] != "":
        problems.append(f"right_spell {data['right_spell']!r}")
    if data["target_fields"] != "[]":
        problems.append(f"target_fields {data['target_fields']!r}")
    if set(data["ads"]) != {"1", "2", "3"}:
        problems.append(f"ads blocks {sorted(data['ads'])}")
    top = data["top"]
    if [t["position"] for t in top] != list(range(1, len(top) + 1)) or not top:
        problems.append(f"positions {[t['position'] for t in top]}")
    if data["results"] < len(top):
        problems.append(f"results {data['results']} below {len(top)} shown")
    for block in data["ads"].values():
        if [a["position"] for a in block] != list(range(1, len(block) + 1)):
            problems.append(f"ad positions {[a['position'] for a in block]}")
    for item in [*top, *(a for block in data["ads"].values() for a in block)]:
        parts = urlsplit(item["url"])
        host = parts.hostname or ""
        if parts.scheme not in ("http", "https") or host != item["subdomain"]:
            problems.append(f"url {item['url']!r} on {item['subdomain']!r}")
        if not (host == item["domain"] or host.endswith("." + item["domain"])):
            problems.append(f"domain {item['domain']!r} of {host!r}")
        if re.search(r"[\s,]", host):
            problems.append(f"host {host!r}")
    for item in top:
        if item["title_length"] != len(item["title"]):
            problems.append(f"title_length {item['title_length']} of {item['title']!r}")
        if item["snippet_length"] != len(item["snippet"]):
            problems.append(f"snippet_length {item['snippet_length']}")
    return problems


def test_get_task_result_as_documented(rpc: Rpc) -> None:
    """The documented addKeywordList example, crawled, collected with the documented
    getTaskResult request: keys, types and forms as the example shows, one ``tops``
    entry per keyword posted (commas kept), ``task_meta`` the posted settings."""
    call = rpc
    documented = example("tasks.getTaskResult")
    posted = example("tasks.addKeywordList")["request"]["params"]
    _, task_id = _posted(call)
    call.clock.advance(3600)
    request = {**documented["request"]}
    request["params"] = {**request["params"], "taskId": int(task_id)}
    answer = call(request)
    assert "error" not in answer, answer
    assert answer["id"] == documented["request"]["id"]
    assert differences(documented["response"], answer) == []
    result = answer["result"]
    assert result["task_meta"] == {
        "se_id": str(posted["seId"]),
        "country_id": str(posted["countryId"]),
        "region_id": str(posted["regionId"]),
        "device_type_id": str(posted["typeId"]),
    }
    assert [t["keyword"] for t in result["tops"]] == posted["keywords"]
    assert [p for entry in result["tops"] for p in _top_forms(entry)] == []
    assert "next_page" not in result  # two keywords: one part


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def test_get_keyword_serp_as_documented(rpc: Rpc) -> None:
    """The documented getKeywordSerp request, for every keyword of the crawled
    addKeywordList example (its ``keyword_id`` from getTaskResult, as an integer): the
    example's keys and types, the SERP's date in ``YYYY-MM-DD`` (the day the task was
    parsed, as getList dates it), and raw HTML that shows the keyword and every url
    getTaskResult ranked for it."""
    call = rpc
    documented = example("tasks.getKeywordSerp")
    _, task_id = _posted(call)
    call.clock.advance(3600)
    tops = call({"id": "r", "method": "tasks.getTaskResult", "params": {"taskId": int(task_id)}})
    rows = call({"id": "l", "method": "tasks.getList", "params": {"page": 1, "pageSize": 100}})
    (row,) = [r for r in rows["result"] if r["task_id"] == task_id]
    for entry in tops["result"]["tops"]:
        request = {**documented["request"]}
        request["params"] = {"taskId": int(task_id), "keywordId": int(entry["keyword_id"])}
        answer = call(request)
        assert "error" not in answer, answer
        assert answer["id"] == documented["request"]["id"]
        assert differences(documented["response"], answer) == []
        result = answer["result"]
        assert _DATE.match(result["date"]) and result["date"] == row["parsed_at"][:10]
        serp = result["serp"]
        assert serp.lower().startswith("<!doctype html") and serp.rstrip().endswith("</html>")
        assert html.escape(entry["keyword"]) in serp
        for item in entry["keyword_data"]["top"]:
            assert html.escape(item["url"]) in serp


def test_get_keyword_serp_refuses_unknown_ids(rpc: Rpc) -> None:
    """An unknown task, a keyword id not of the task, an unfinished task and ids that are
    not integers are error objects (HTTP 200), never a SERP."""
    call = rpc
    _, task_id = _posted(call)

    def ask(**params: Any) -> dict[str, Any]:
        answer = call({"id": "k", "method": "tasks.getKeywordSerp", "params": params})
        assert "result" not in answer and isinstance(answer["error"]["code"], int), answer
        assert isinstance(answer["error"]["message"], str)
        return answer

    ask(taskId=int(task_id), keywordId=int(task_id) * 1000)  # not parsed yet
    call.clock.advance(3600)
    tops = call({"id": "r", "method": "tasks.getTaskResult", "params": {"taskId": int(task_id)}})
    first = int(tops["result"]["tops"][0]["keyword_id"])
    ask(taskId=1, keywordId=first)
    ask(taskId=int(task_id), keywordId=first + 1000)
    ask(taskId=int(task_id), keywordId=str(first))
    ask(taskId=task_id, keywordId=first)
    ask(taskId=int(task_id))
