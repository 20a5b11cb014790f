"""A task's whole life through the official client: post, wait, list, fetch every flavour.

Why round trips: checking each official method on its own, against tasks the suite
injected into the emulator, proves the shapes but not the life of a task a caller
posts - that the id the vendor answered ``task_post`` with is the one ``tasks_ready``
lists and ``id_list`` keeps (with the posted fields as ``metadata``), that each
``endpoint_*`` link of the ready item is the path the client's own ``task_get`` method
calls, that every flavour the client offers answers it, and that what comes back
reflects what was posted. So for every endpoint the official client can post to, one
`Trip`:

1. post the bodies of `values` (every documented field set across them, a minimal body,
   and a mobile one where the endpoint documents devices) with the official
   ``*_task_post`` method; every task must be created (20100);
2. fetch one before it is done: the vendor's "Task In Queue" / "Task Handed" (40602 /
   40601), no result, and the task stays unconsumed;
3. let the emulator's wall clock pass the completion, wait for its callback deliveries
   (the bodies set pingback and postback URLs that fail, which is what puts such tasks in
   ``tasks_ready``), and find every id in the endpoint's ``tasks_ready``, with links that
   match the client's paths, and in the family's ``id_list`` where it has one;
4. fetch every id with every ``task_get`` flavour (and On-Page ``summary``) through the
   official methods: each parses with no undeclared key in any element of any list, names
   the asked task, carries non-empty ``items`` where its model has them, and passes the
   `value_checks`;
5. list ``tasks_ready`` again: the collected tasks have left it.

The same for the Labs live endpoints whose content is checked (`live_trip`): one task per call,
the answer carries the result, and the family's ``id_list`` keeps it.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import catalog
import official
import value_checks
import values
from dataforseo_client.api_client import ApiClient
from pydantic import BaseModel
from value_checks import Check

__all__ = ["CLIENT_CANNOT_READ_ITEMS", "COMPLETION", "Trip", "live_trip", "postable", "round_trip"]

#: Flavours whose items the official client cannot read at all, so an emulator that
#: fills them would fail every caller of that client: not counted in "items non-empty".
#: `test_round_trip.test_the_client_still_cannot_read_amazon_sellers` keeps this honest
#: (it fails once the client can read them, and the entry must go).
CLIENT_CANNOT_READ_ITEMS: dict[str, str] = {
    "merchant/amazon/sellers advanced": (
        "dataforseo-client 2.1.10: every Amazon Sellers element model references"
        " AmazonApplicableVouchersItem without defining it (PydanticUserError)"
    ),
}
#: How long the suite lets the emulator's wall clock run after posting: longer than its
#: completion delay (5 minutes), as a caller would poll ``tasks_ready`` later.
COMPLETION = timedelta(minutes=10)


@dataclass
class Trip:
    """What one endpoint's round trip found: counts per step and the checks it ran."""

    kind: str
    posted: int = 0
    created: int = 0
    listed: bool = False
    fetched: dict[str, bool] = field(default_factory=dict)
    #: Per flavour: every result's ``items`` non-empty (None: its model has no items).
    items: dict[str, bool | None] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(c.ok for c in self.checks)

    def failed_checks(self) -> list[str]:
        return [f"{c.name}: {c.detail}" for c in self.checks if not c.ok]


@dataclass
class Context:
    """What a round trip runs against: the official client and the emulator's clocks."""

    api_client: ApiClient
    now: Callable[[], datetime]
    advance: Callable[[timedelta], None]
    wait_callbacks: Callable[[], bool]


def postable() -> list[catalog.Call]:
    """Every official ``*_task_post`` method whose endpoint the emulator serves."""
    return [c for c in catalog.by_function("task_post") if catalog.served(c)]


def _calls(function: str, kind: str) -> list[catalog.Call]:
    return [c for c in catalog.calls() if c.function == function and c.kind == kind]


def flavour_of(call: catalog.Call) -> str:
    """``advanced``, ``regular``, ``html``, ``json``, ``summary`` or ``""`` (plain)."""
    return "summary" if call.function == "summary" else (call.flavour or "")


# -- bodies -------------------------------------------------------------------------------


def _backticked(model: type[BaseModel], name: str) -> list[str]:
    info = model.model_fields.get(name)
    return re.findall(r"`([a-z_]+)`", (info.description or "") if info is not None else "")


def bodies(call: catalog.Call) -> list[BaseModel]:
    """What the round trip posts to ``call``: bodies that together set every documented
    field (`values.full_variants`), a minimal body, and - where the model documents a
    ``mobile`` device - a minimal body on a mobile device (and ``ios`` where it documents
    that system), so a non-default device has to come back."""
    model = call.request_model
    assert model is not None, f"{call.label} has no request model"
    choices = values.documented_choices(model, "postback_data") or [
        c.flavour for c in _calls("task_get", call.kind) if c.flavour
    ]
    postback = "advanced" if "advanced" in choices else (choices or ["advanced"])[0]
    required = values.required_fields(model)
    made = [*values.full_variants(model, postback), values.minimal(model, required)]
    if "mobile" in _backticked(model, "device"):
        mobile = values.in_its_language(call.kind, values.minimal(model, required))
        listed = typing.get_origin(values.unwrap(model.model_fields["device"].annotation))
        mobile.device = ["mobile"] if listed is list else "mobile"
        if "ios" in _backticked(model, "os"):
            mobile.os = "ios"
        made.append(mobile)
    return [values.in_its_language(call.kind, body) for body in made]


def wire(api_client: ApiClient, body: BaseModel) -> dict[str, Any]:
    """``body`` as the official client sends it, ``null`` (its "not set") left out."""
    sent = api_client.sanitize_for_serialization(body)
    return {k: v for k, v in sent.items() if v is not None}


# -- steps --------------------------------------------------------------------------------


def _model_has_items(answer: official.Answer) -> bool | None:
    """Whether the answer's result model declares an ``items`` list (None: no result)."""
    try:
        item = answer.model.tasks[0].result[0]
    except (AttributeError, IndexError, TypeError):
        return None
    return isinstance(item, BaseModel) and "items" in type(item).model_fields


def _items_filled(answer: official.Answer) -> bool:
    return all(
        bool(result.get("items"))
        for task in answer.raw.get("tasks") or []
        for result in task.get("result") or []
    )


def _links(item: dict[str, Any], kind: str, task_id: str) -> list[str]:
    """The ready item's ``endpoint*`` links are the paths the client's own methods call
    (vendor sample code GETs them verbatim); a flavour the endpoint lacks is null ("if
    SERP Regular is not supported ... the value will be null"); a plain ``endpoint``
    names one of the offered flavours."""
    paths = {c.flavour or "": c.path.replace("{id}", task_id) for c in _calls("task_get", kind)}
    problems = []
    for name, link in item.items():
        if not name.startswith("endpoint"):
            continue
        flavour = name.removeprefix("endpoint").lstrip("_")
        if flavour in paths and link != paths[flavour]:
            problems.append(f"{name} {link!r} is not {paths[flavour]!r}")
        elif flavour not in paths and flavour and link is not None:
            problems.append(f"{name} {link!r} for a flavour the client does not offer")
        elif not flavour and flavour not in paths and link not in paths.values():
            problems.append(f"endpoint {link!r} is none of {sorted(paths.values())}")
    return problems


def _listed(ctx: Context, kind: str, ids: Iterable[str]) -> tuple[set[str], list[str]]:
    """The ids of ``ids`` the endpoint's ``tasks_ready`` lists now, and what was wrong."""
    (ready,) = _calls("tasks_ready", kind)
    answer = official.invoke(ctx.api_client, ready.api, ready.method)
    problems = [
        f"tasks_ready: {p}"
        for p in official.check_answer(answer, task_code=20000, want_result=False)
    ]
    wanted = set(ids)
    found: set[str] = set()
    for item in answer.task().get("result") or []:
        if item.get("id") in wanted:
            found.add(item["id"])
            problems.extend(f"tasks_ready: {p}" for p in _links(item, kind, item["id"]))
    return found, problems


def _id_list(
    ctx: Context, family: str, ids: list[str], posted: list[dict[str, Any]], since: datetime
) -> tuple[list[str], list[Check]]:
    """The family's id_list (with metadata) keeps every id, its posted fields as
    ``metadata`` ("contains parameters you specified in the POST request")."""
    calls = _calls("id_list", family)
    if not calls:
        return [], []
    (call,) = calls
    model = call.request_model
    assert model is not None
    start = values.wire_time(since - timedelta(minutes=1))
    end = values.wire_time(ctx.now())
    body = model(datetime_from=start, datetime_to=end, include_metadata=True, limit=1000)
    answer = official.invoke(ctx.api_client, call.api, call.method, [body])
    problems = [
        f"id_list: {p}" for p in official.check_answer(answer, task_code=20000, want_result=False)
    ]
    by_id = {item.get("id"): item for item in answer.task().get("result") or []}
    missing = [task_id for task_id in ids if task_id not in by_id]
    if missing:
        problems.append(f"id_list: {len(missing)} of {len(ids)} ids missing")
    checks = []
    for task_id, sent in zip(ids, posted, strict=True):
        metadata = (by_id.get(task_id) or {}).get("metadata") or {}
        changed = [
            f"{name}: {metadata.get(name, '<absent>')!r}"
            for name, value in sent.items()
            if metadata.get(name) != value
        ]
        checks.append(value_checks.check("id_list metadata echoes posted fields", changed))
    return problems, checks


def round_trip(call: catalog.Call, ctx: Context) -> Trip:
    """Post to ``call``'s endpoint and follow every task through listing and every flavour."""
    kind = call.kind
    trip = Trip(kind)
    made = bodies(call)
    posted = [wire(ctx.api_client, body) for body in made]
    trip.posted = len(made)
    since = ctx.now()
    answer = official.invoke(ctx.api_client, call.api, call.method, made)
    trip.problems.extend(
        f"task_post: {p}" for p in official.check_answer(answer, task_code=20100, want_result=False)
    )
    tasks = answer.raw.get("tasks") or []
    pairs = [
        (t["id"], sent)
        for t, sent in zip(tasks, posted, strict=False)
        if t.get("status_code") == 20100
    ]
    trip.created = len(pairs)
    if not pairs:
        return trip
    ids = [task_id for task_id, _ in pairs]
    gets = _calls("task_get", kind) + _calls("summary", kind)
    assert gets, f"{kind}: the client offers no way to fetch a result"

    early = official.invoke(ctx.api_client, gets[0].api, gets[0].method, ids[0])
    code = early.task().get("status_code")
    if code not in (40601, 40602) or early.task().get("result") is not None:
        trip.problems.append(
            f"before completion: status {code}, result {early.task().get('result')!r}"
        )

    ctx.advance(COMPLETION)
    if not ctx.wait_callbacks():
        trip.problems.append("callback deliveries did not finish")
    found, problems = _listed(ctx, kind, ids)
    trip.problems.extend(problems)
    if found != set(ids):
        trip.problems.append(f"tasks_ready lists {len(found)} of {len(ids)} posted tasks")
    id_problems, metadata = _id_list(ctx, kind.split("/")[0], ids, [s for _, s in pairs], since)
    trip.problems.extend(id_problems)
    trip.checks.extend(metadata)
    trip.listed = found == set(ids) and not problems and not id_problems

    for get in gets:
        flavour = flavour_of(get)
        label = flavour or "plain"
        ok = True
        filled: bool | None = None
        for task_id, sent in pairs:
            got = official.invoke(ctx.api_client, get.api, get.method, task_id)
            found_problems = official.check_answer(
                got,
                task_code=20000,
                want_result=True,
                may_be_null=official.unposted_codes(sent),
            )
            if got.task().get("id") != task_id:
                found_problems.append(f"answers for task {got.task().get('id')!r}")
            trip.problems.extend(f"{label} {task_id}: {p}" for p in found_problems)
            ok = ok and not found_problems
            has_items = _model_has_items(got)
            if has_items and f"{kind} {label}" not in CLIENT_CANNOT_READ_ITEMS:
                filled = (filled is not False) and _items_filled(got)
            function = "task_get" if get.function == "task_get" else ""
            task = got.task()
            trip.checks.extend(value_checks.echo_checks(task, sent, function))
            trip.checks.extend(value_checks.result_checks(kind, flavour, task, sent))
        trip.fetched[label] = ok
        trip.items[label] = filled
        if filled is False:
            trip.problems.append(f"{label}: a result with empty items")

    left, problems = _listed(ctx, kind, ids)
    trip.problems.extend(problems)
    if left:
        trip.problems.append(f"{len(left)} collected tasks still in tasks_ready")
    return trip


# -- Labs live ----------------------------------------------------------------------------

#: The official methods of the Labs live endpoints whose content is checked.
LIVE_METHODS = {
    "dataforseo_labs/google/ranked_keywords": "google_ranked_keywords_live",
    "dataforseo_labs/google/related_keywords": "google_related_keywords_live",
}


def live_bodies(kind: str) -> list[BaseModel]:
    """One task per call, as the vendor allows: by code and by name, options set."""
    import dataforseo_client.models as models

    if kind.endswith("ranked_keywords"):
        model = models.DataforseoLabsGoogleRankedKeywordsLiveRequestInfo
        return [
            model(target="dataforseo.com", location_code=2840, language_code="en", limit=20),
            model(
                target="dataforseo.com",
                location_name="United States",
                language_name="English",
                item_types=["organic"],
                load_rank_absolute=True,
                limit=7,
                tag="contract-suite",
            ),
        ]
    model = models.DataforseoLabsGoogleRelatedKeywordsLiveRequestInfo
    return [
        model(keyword="rank tracker api", location_code=2840, language_code="en"),
        model(
            keyword="serp api",
            location_name="United States",
            language_name="English",
            depth=2,
            limit=30,
            include_seed_keyword=True,
            tag="contract-suite",
        ),
    ]


def live_trip(kind: str, ctx: Context) -> Trip:
    """Post each body to a Labs live endpoint; its answer carries the result, and the
    Labs ``id_list`` keeps the task with its posted fields."""
    trip = Trip(kind)
    made = live_bodies(kind)
    trip.posted = len(made)
    since = ctx.now()
    pairs = []
    ok = True
    filled: bool | None = None
    for body in made:
        sent = wire(ctx.api_client, body)
        answer = official.invoke(ctx.api_client, "DataforseoLabsApi", LIVE_METHODS[kind], [body])
        problems = official.check_answer(answer, task_code=20000, want_result=True)
        trip.problems.extend(f"live: {p}" for p in problems)
        ok = ok and not problems
        task = answer.task()
        if task.get("status_code") != 20000:
            continue
        pairs.append((task["id"], sent))
        if _model_has_items(answer):
            filled = (filled is not False) and _items_filled(answer)
        trip.checks.extend(value_checks.echo_checks(task, sent, "live"))
        trip.checks.extend(value_checks.labs_checks(kind, task, sent))
    trip.created = len(pairs)
    trip.fetched["live"] = ok and len(pairs) == len(made)
    trip.items["live"] = filled
    if filled is False:
        trip.problems.append("live: a result with empty items")
    if pairs:
        ids = [task_id for task_id, _ in pairs]
        problems, metadata = _id_list(ctx, "dataforseo_labs", ids, [s for _, s in pairs], since)
        trip.problems.extend(problems)
        trip.checks.extend(metadata)
        trip.listed = not problems
    return trip
