"""The official DataForSEO client against our DataForSEO emulator, over loopback.

For every call the official client offers that reaches an endpoint the emulator serves
(`catalog.calls`): (a) the answer deserializes into the official response model with no
field the model does not declare, the fields a caller reads populated and typed as the
model types them (the client's pydantic models are strict: a location *name* where an
integer code belongs fails), and (b) the request the official client builds - ``null``
for every unset optional field, and every documented optional field set - is accepted.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import catalog
import official
import pytest
import report
import values
from dataforseo_client.api_client import ApiClient
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_dataforseo.endpoints import BY_NAME, CATALOGUE

from conftest import Now

CALLS = [c for c in catalog.calls() if catalog.served(c)]
NOT_SERVED = [c for c in catalog.calls() if not catalog.served(c)]


def _params(*functions: str) -> list[Any]:
    """The served official calls of these functions, as test parameters."""
    return [pytest.param(c, id=f"{c.api}.{c.method}") for c in CALLS if c.function in functions]


def _request_model(call: catalog.Call) -> type[Any]:
    """The official request model of a call that posts one (id_list, task_post)."""
    model = call.request_model
    assert model is not None, f"{call.label} has no request model"
    return model


# -- checks -----------------------------------------------------------------------------


def invoke(api_client: ApiClient, call: catalog.Call, *args: Any) -> official.Answer:
    """Call the official method behind ``call``."""
    return official.invoke(api_client, call.api, call.method, *args)


def completed_task(emulator: DataForSEOEmulator, now: Now, kind: str, count: int = 1) -> list[str]:
    """Fresh, finished, never collected tasks of ``kind`` (listed by tasks_ready)."""
    current = now()
    return emulator.add_tasks(
        count,
        kinds=[kind],
        posted=(current - timedelta(hours=2), current - timedelta(hours=1)),
        code=20000,
        delay=timedelta(minutes=3),
    )


# -- the suite --------------------------------------------------------------------------


@pytest.mark.parametrize("call", _params("tasks_ready"))
def test_tasks_ready(
    call: catalog.Call, api_client: ApiClient, emulator: DataForSEOEmulator, now: Now
) -> None:
    kind = call.kind
    if CATALOGUE[BY_NAME[kind]].aggregate:  # a family-level list: any endpoint of it
        kind = next(k for k in BY_NAME if k.startswith(call.kind + "/"))
    completed_task(emulator, now, kind, 2)
    answer = invoke(api_client, call)
    problems = official.check_answer(answer, task_code=20000, want_result=True)
    report.record(call.label, "tasks_ready", parses=not problems, accepted=answer.error is None)
    for p in problems:
        report.note(call.label, "tasks_ready", p)
    assert not problems, problems


@pytest.mark.parametrize("call", _params("id_list"))
def test_id_list(
    call: catalog.Call, api_client: ApiClient, emulator: DataForSEOEmulator, now: Now
) -> None:
    model = _request_model(call)
    start, end = values.id_list_window(now())
    bodies = {
        "full": values.full(model, datetime_from=start, datetime_to=end, limit=10),
        "minimal": model(datetime_from=start, datetime_to=end),
    }
    family = call.kind
    kind = next((k for k in BY_NAME if k.startswith(family + "/")), None)
    if kind is not None:
        completed_task(emulator, now, kind)
    else:
        emulator.add_tasks(1, kinds=[_live_kind(family)], posted=now() - timedelta(hours=1))
    problems: list[str] = []
    accepted = True
    for name, body in bodies.items():
        answer = invoke(api_client, call, [body])
        if answer.error:
            problems.append(f"{name}: {answer.error}")
            accepted = False
            continue
        found = official.check_answer(answer, task_code=20000, want_result=True)
        if any(p.startswith("task status") or p.startswith("top status") for p in found):
            accepted = False
        problems.extend(f"{name}: {p}" for p in found)
    report.record(call.label, "id_list", parses=not problems, accepted=accepted)
    for p in problems:
        report.note(call.label, "id_list", p)
    assert not problems, problems


def _live_kind(family: str) -> str:
    from seotasks_dataforseo.emulator.dataset import LIVE_KINDS

    return next(k for k in LIVE_KINDS if k.startswith(family + "/"))


def _flavours(kind: str) -> list[str]:
    return [
        c.flavour or "plain"
        for c in catalog.calls()
        if c.function == "task_get" and c.kind == kind and c.flavour
    ]


@pytest.mark.parametrize("call", _params("task_post"))
def test_task_post(
    call: catalog.Call, api_client: ApiClient, emulator: DataForSEOEmulator, now: Now
) -> None:
    model = _request_model(call)
    # postback_data: the request model's documented values (Baidu's omit "advanced" though
    # its task_get offers it); the flavours the client offers when none are listed.
    choices = values.documented_choices(model, "postback_data") or _flavours(call.kind)
    postback = "advanced" if "advanced" in choices else (choices or ["advanced"])[0]
    full = [values.in_its_language(call.kind, b) for b in values.full_variants(model, postback)]
    minimal = values.in_its_language(
        call.kind, values.minimal(model, values.required_fields(model))
    )
    set_fields = {f for body in full for f in values.fields(model) if getattr(body, f) is not None}
    assert set_fields == set(values.fields(model)), "the full bodies leave a field unset"
    before = len(emulator.posted())
    answer = invoke(api_client, call, [*full, minimal])
    error = answer.error
    problems = official.check_answer(answer, task_code=20100, want_result=False)
    # What went over the wire: every documented field set in some item, and null for the
    # unset ones (the official client's habit the emulator must accept).
    (sent,) = emulator.posted()[before:]
    assert {k for item in sent for k, v in item.items() if v is not None} == set(
        values.fields(model)
    )
    assert None in sent[-1].values(), "the minimal body carried no null"
    accepted = error is None and not any("status" in p for p in problems)
    report.record(call.label, "task_post", parses=error is None, accepted=accepted)
    for p in problems:
        report.note(call.label, "task_post", p)
    assert not problems, problems


@pytest.mark.parametrize("call", _params("task_get", "summary"))
def test_task_get(
    call: catalog.Call, api_client: ApiClient, emulator: DataForSEOEmulator, now: Now
) -> None:
    (task_id,) = completed_task(emulator, now, call.kind)
    answer = invoke(api_client, call, task_id)
    problems = official.check_answer(answer, task_code=20000, want_result=True)
    if answer.model is not None and answer.model.tasks and answer.model.tasks[0].id != task_id:
        problems.append("task id not echoed")
    accepted = answer.error is None or "404" not in answer.error
    report.record(call.label, call.function, parses=not problems, accepted=accepted)
    for p in problems:
        report.note(call.label, call.function, p)
    assert not problems, problems


def test_every_official_call_is_served() -> None:
    """The emulator serves every listing-related call the official client has."""
    assert [c.label for c in NOT_SERVED] == []


def _unoffered() -> list[Any]:
    """Per kind the emulator has tasks for: the flavours the official client never asks."""
    offered: dict[str, set[str]] = {}
    for call in catalog.calls():
        if call.function == "task_get":
            offered.setdefault(call.kind, set()).add(call.flavour or "")
    params = []
    for kind, flavours in sorted(offered.items()):
        if kind in BY_NAME:
            missing = [f for f in ("", "regular", "advanced", "html", "json") if f not in flavours]
            params.append(pytest.param(kind, missing, id=f"flavours:{kind}"))
    return params


@pytest.mark.parametrize(("kind", "flavours"), _unoffered())
def test_unoffered_flavours_are_not_found(
    kind: str, flavours: list[str], api_client: ApiClient, emulator: DataForSEOEmulator, now: Now
) -> None:
    """Only the result flavours the official client offers for an endpoint exist."""
    (task_id,) = completed_task(emulator, now, kind)
    served = []
    for flavour in flavours:
        path = f"/v3/{kind}/task_get/{flavour + '/' if flavour else ''}{task_id}"
        response = api_client.rest_client.request(
            "GET", emulator.url + path, headers={**api_client.default_headers, **_auth(api_client)}
        )
        response.read()
        if response.status != 404 or json.loads(response.data)["status_code"] != 40400:
            served.append(flavour or "plain")
    assert not served, f"{kind}: the emulator serves task_get flavours {served}"


def _auth(api_client: ApiClient) -> dict[str, str]:
    return {"Authorization": api_client.configuration.get_basic_auth_token()}


def test_posted_task_echoes_codes_and_decoded_keyword(
    api_client: ApiClient, emulator: DataForSEOEmulator, now: Now
) -> None:
    """A task posted with location and language *names* and a %-encoded keyword comes back
    with integer and ISO codes and the keyword decoded, as the official models type them."""
    from dataforseo_client.api.serp_api import SerpApi
    from dataforseo_client.models import SerpGoogleOrganicTaskPostRequestInfo

    api = SerpApi(api_client)
    posted = api.google_organic_task_post(
        [
            SerpGoogleOrganicTaskPostRequestInfo(
                keyword="rank%20tracker+api",
                location_name="United States",
                language_name="English",
            )
        ]
    )
    assert posted.tasks[0].status_code == 20100, posted.tasks[0].status_message
    task_id = posted.tasks[0].id
    now.advance(timedelta(minutes=10))
    for got in (
        api.google_organic_task_get_advanced(task_id),
        api.google_organic_task_get_regular(task_id),
        api.google_organic_task_get_html(task_id),
    ):
        result = got.tasks[0].result[0]
        assert (result.keyword, result.location_code, result.language_code) == (
            "rank tracker api",
            2840,
            "en",
        )


def test_the_checks_can_fail(api_client: ApiClient, emulator: DataForSEOEmulator, now: Now) -> None:
    """The suite is not vacuous: a wrong type in our answer makes the official model's
    validation fail the call, and a key the model does not declare is reported."""
    from dataforseo_client.models import SerpTasksReadyResultInfo

    from seotasks.emulation import Fault

    call = next(c for c in CALLS if c.method == "google_organic_tasks_ready")
    completed_task(emulator, now, "serp/google/organic")
    emulator.server.faults.inject(Fault.WRONG_TYPES, match="/tasks_ready")
    answer = invoke(api_client, call)
    assert answer.model is None and answer.error is not None and "ValidationError" in answer.error
    item = SerpTasksReadyResultInfo.from_dict({"id": "x", "se_type": "organic", "items": []})
    assert official.undeclared(item) == [".items"]
