"""The core's conformance kit, run against both sources over the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from seotasks_dataforseo.emulator import DataForSEOEmulator

import seotasks
from seotasks.client import Client
from seotasks.clock import FakeClock
from seotasks.model import TaskQuery, TaskStatus
from seotasks.provider import CallbackEntry
from seotasks.submit import SerpTaskSpec
from seotasks.testing.conformance import ConformanceEnv, ProviderConformance

from .conftest import RETRY

FAMILIES = ["serp", "keywords_data", "merchant"]
#: The vendor's two callbacks as the receiver hands them over, with the entries each must
#: give: a postback of the documented ``task_get`` answer (tagged), the same task failed,
#: and a pingback with the query the submit docs tell callers to use.
_ANSWER = json.loads(
    (Path(__file__).parent / "documented/task_get_organic_advanced.json").read_text()
)
_TASK = {**_ANSWER["tasks"][0], "data": {**_ANSWER["tasks"][0]["data"], "tag": "order-7"}}
_DONE = {**_ANSWER, "tasks": [_TASK]}
_FAILED = {
    **_ANSWER,
    "tasks": [
        {
            **_TASK,
            "status_code": 40101,
            "status_message": "Internal SE Server Error.",
            "result": None,
        }
    ],
}
DELIVERIES = (
    ("postback", _DONE, {}, [CallbackEntry(task_id=_TASK["id"], result=_DONE, tag="order-7")]),
    (
        "postback",
        _FAILED,
        {},
        [
            CallbackEntry(
                task_id=_TASK["id"],
                error="NoResult: dataforseo: vendor error 40101: Internal SE Server Error.",
                tag="order-7",
            )
        ],
    ),
    (
        "pingback",
        None,
        {"id": [_TASK["id"]], "tag": ["t"], "kind": ["serp/google/organic"]},
        [CallbackEntry(task_id=_TASK["id"], tag="t", kind="serp/google/organic")],
    ),
)


def _fields(emu: DataForSEOEmulator, history: bool) -> Callable[[str], dict[str, object]]:
    """A task's fields as the vendor documents them for each list: ``id_list`` gives the
    posting and completion times, the status message and the cost (the tag only within
    ``metadata``, not asked for here); ``tasks_ready`` a done task's posting time and
    tag (no completion time, no cost)."""

    def fields(task_id: str) -> dict[str, object]:
        truth = emu.task(task_id)
        if not history:
            return {
                "status": TaskStatus.COMPLETED,
                "created_at": truth["posted"],
                "kind": truth["kind"],
                "tag": truth["tag"],
            }
        return {
            "status": TaskStatus(truth["status"]),
            "created_at": truth["posted"],
            "completed_at": truth["done"],
            "kind": truth["kind"],
            "cost": Decimal(str(truth["cost"])),
        }

    return fields


def _env(emu: DataForSEOEmulator, expected: object, **options: object) -> ConformanceEnv:
    clock = FakeClock()

    def connect(password: str = emu.password, **changed: object) -> Client:
        settings = {**emu.settings, "password": password, **options, **changed}
        return seotasks.connect("dataforseo", clock=clock, retry=RETRY, env={}, **settings)

    history = options.get("source") == "history"

    return ConformanceEnv(
        provider="dataforseo",
        connect=connect,
        expected_ids=expected,  # type: ignore[arg-type]
        secrets=(emu.password,),
        bad_connect=lambda: connect(emu.password + "-bad"),
        faults=emu.server.faults,
        unsupported=TaskQuery(status=None, since=datetime.now(UTC) - timedelta(days=400)),
        # Tasks posted, completed, collected and forgotten between pages.
        churn=emu.churn,
        # Tasks posted in one batch with another: the kit ties a page boundary of the
        # history, a keyset listing on the posting time (tasks_ready is no keyset: its
        # order is the vendor's completion queue, where a tie has no boundary to cross).
        tie=emu.tie if history else None,
        # id_list pages by a limit (tasks_ready answers every task at once, up to its cap).
        connect_other_size=(lambda: connect(page_size=70)) if history else None,
        expected_task=_fields(emu, history),
        deliveries=DELIVERIES,
        spec=SerpTaskSpec(keyword="conformance", location=2840, language="en", serp_type="maps"),
    )


class TestHistoryConformance(ProviderConformance):
    @pytest.fixture
    def conformance(self) -> Iterator[ConformanceEnv]:
        with DataForSEOEmulator(seed=31, size=700, span_days=60, enforce_limits=False) as emu:

            def expected(query: TaskQuery) -> set[str]:
                return emu.history_ids(
                    query.since, query.until, query.status, FAMILIES, time_field=query.time_field
                )

            yield _env(emu, expected, source="history", families=FAMILIES, page_size=100)


class TestReadyConformance(ProviderConformance):
    @pytest.fixture
    def conformance(self) -> Iterator[ConformanceEnv]:
        with DataForSEOEmulator(seed=32, size=600, recent=1.0, enforce_limits=False) as emu:

            def expected(query: TaskQuery) -> set[str]:
                if query.status not in (None, TaskStatus.COMPLETED):
                    return set()  # tasks_ready lists done tasks only
                ids = emu.ready_ids(FAMILIES)
                return {
                    i
                    for i in ids
                    if (query.since is None or emu.task(i)["posted"] >= query.since)
                    and (query.until is None or emu.task(i)["posted"] < query.until)
                }

            yield _env(emu, expected, families=FAMILIES)


def test_the_kit_refuses_results_kept_longer_than_the_vendor_keeps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`Capabilities.results_kept` against the emulator's 60 days of history, which
    answers 40403 past 30: true as declared, and a 45-day claim is caught."""
    from seotasks_dataforseo import provider

    kit = ProviderConformance()
    with DataForSEOEmulator(seed=31, size=700, span_days=60, enforce_limits=False) as emu:
        env = _env(emu, set, source="history", families=FAMILIES, page_size=100)
        kit.test_results_kept_holds(env)
        monkeypatch.setattr(provider, "RESULTS_KEPT", timedelta(days=45))
        with pytest.raises(pytest.fail.Exception, match=r"declares 45 days.*NoResult"):
            kit.test_results_kept_holds(env)


def test_the_kit_catches_a_mapped_spec_field_that_never_reaches_the_vendor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A ``submit`` that maps ``postback_url`` (as declared) but leaves it out of the
    request posts every task and delivers no result: the kit's two posts differing in
    that field alone send the same request, and it says which field."""
    from seotasks_dataforseo import posting

    kit = ProviderConformance()
    post_item = posting.post_item

    def dropping(spec: SerpTaskSpec) -> tuple[str, dict[str, object]]:
        path, item = post_item(spec)
        item.pop("postback_url", None)
        return path, item

    with DataForSEOEmulator(seed=33, size=50, enforce_limits=False) as emu:
        env = _env(emu, set)
        kit.test_mapped_spec_fields_reach_the_vendor(env)
        monkeypatch.setattr(posting, "post_item", dropping)
        with pytest.raises(AssertionError, match=r"whatever their value: postback_url \("):
            kit.test_mapped_spec_fields_reach_the_vendor(env)


def test_the_kit_takes_a_first_post_that_makes_calls_no_later_one_makes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A provider that opens a session (a token, an account call) on its first submit was
    failed for five fields it sends: the kit compared later posts with the first, and the
    requests shifted by the one call."""
    from seotasks_dataforseo.provider import DataForSEOProvider

    kit = ProviderConformance()
    submit = DataForSEOProvider.submit
    opened: set[int] = set()

    def lazily(self: DataForSEOProvider, specs: Any) -> Any:
        if id(self) not in opened:
            opened.add(id(self))
            self.account()  # the session a first post opens
        return submit(self, specs)

    monkeypatch.setattr(DataForSEOProvider, "submit", lazily)
    with DataForSEOEmulator(seed=34, size=50, enforce_limits=False) as emu:
        kit.test_mapped_spec_fields_reach_the_vendor(_env(emu, set))
