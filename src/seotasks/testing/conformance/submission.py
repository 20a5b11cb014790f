"""The submission checks: what ``submit`` declares of `SerpTaskSpec`'s fields is true.

A provider that submits declares every spec field either mapped (``spec_maps``: sent
to the vendor) or refused (``spec_refuses``: an `UnsupportedQuery` for a spec that sets
it). A field declared mapped and quietly left out of the request is the worst case: a
``postback_url`` dropped posts the task and never delivers its result, and nothing in a
listing shows why. So besides the declarations themselves, the kit posts, for each
mapped field, two specs that differ in that field alone, records the requests each sent
(`Transport.on_send`), and requires them to differ beyond what differs between two
posts of one spec (a request id, a time). A spec the vendor or the provider refuses
proves the field was read, and passes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import attrs
import pytest

from ...errors import UnsupportedQuery
from ...model import TaskStatus
from ...plugins import get_provider
from ...provider import Provider
from ...submit import SPEC_FIELDS, SerpTaskSpec, SubmitResult
from ...transport import Request
from .asserts import failures_only

if TYPE_CHECKING:
    from ...client import Client
    from . import ConformanceEnv

__all__ = ["SubmissionChecks"]

#: A value for each spec field, to set one the provider declares refused; never the
#: field's default (``engine="google"`` is what an unset engine already says).
_SPEC_SAMPLES: dict[str, Any] = {
    "keyword": "seotasks conformance",
    "location": 2840,
    "language": "en",
    "engine": "bing",
    "serp_type": "news",
    "device": "mobile",
    "depth": 20,
    "priority": "high",
    "tag": "seotasks-conformance",
    "pingback_url": "https://example.com/pingback?id=$id",
    "postback_url": "https://example.com/postback?id=$id",
    "postback_data": "advanced",
}

#: For each field, values to pick another from: the first that differs from the spec's.
_OTHERS: dict[str, tuple[Any, ...]] = {
    "location": (2826, 2840, "United Kingdom", "United States"),
    "language": ("de", "en", 1001, 1000),
    "engine": ("bing", "google"),
    "serp_type": ("news", "organic"),
    "device": ("mobile", "desktop"),
    "priority": ("high", "normal"),
    "postback_data": ("advanced", "regular"),
}


class SubmissionChecks:
    """``spec_maps`` / ``spec_refuses`` and ``submit`` (skipped without ``submit``)."""

    def test_spec_fields_declared(self, conformance: ConformanceEnv) -> None:
        """Every `SerpTaskSpec` field is either mapped or refused by a provider that submits."""
        cls = get_provider(conformance.provider)
        maps, refuses = set(cls.spec_maps), set(cls.spec_refuses)
        fields = set(SPEC_FIELDS)
        assert not (maps | refuses) - fields, (
            f"spec_maps/spec_refuses name fields SerpTaskSpec does not have: "
            f"{sorted((maps | refuses) - fields)}"
        )
        assert not maps & refuses, f"declared both mapped and refused: {sorted(maps & refuses)}"
        if cls.submit is Provider.submit:
            assert not maps, "spec_maps declared, but the provider does not implement submit"
            return
        missing = fields - maps - refuses
        assert not missing, (
            f"SerpTaskSpec field(s) {sorted(missing)} neither in spec_maps nor in spec_refuses: "
            "say whether submit expresses them, so none is dropped silently"
        )

    def test_refused_spec_fields_are_refused(self, conformance: ConformanceEnv) -> None:
        cls = get_provider(conformance.provider)
        if not cls.spec_refuses:
            pytest.skip("the provider refuses no spec field")
        if conformance.spec is None:
            pytest.skip("no spec given (ConformanceEnv.spec)")
        specs = []
        for name in sorted(cls.spec_refuses):
            values: dict[str, Any] = {name: _SPEC_SAMPLES[name]}
            if name == "postback_data":  # only meaningful together with a postback_url
                values["postback_url"] = _SPEC_SAMPLES["postback_url"]
            specs.append((name, attrs.evolve(conformance.spec, **values)))
        with conformance.connect() as client:
            results = client.submit([spec for _, spec in specs])
        for (name, spec), result in zip(specs, results, strict=True):
            assert isinstance(result.error, UnsupportedQuery), (
                f"a spec with {name}={getattr(spec, name)!r} was not refused with "
                f"UnsupportedQuery (task_id={result.task_id!r}, error={result.error!r}); a "
                f"vendor that takes some values of {name} and not others maps it in "
                "spec_maps and refuses the others"
            )
        if any("check_spec" in vars(c) for c in cls.__mro__ if c is not Provider):
            for name, spec in specs:  # what submit refuses, check_spec refuses before it
                try:
                    cls.check_spec(spec)
                except UnsupportedQuery:
                    continue
                pytest.fail(
                    f"check_spec passed a spec with {name}={getattr(spec, name)!r}, which "
                    "submit refuses: seotasks submit would post the file's other specs first"
                )

    def test_mapped_spec_fields_reach_the_vendor(self, conformance: ConformanceEnv) -> None:
        """Two specs differing in one mapped field send the vendor different requests."""
        __tracebackhide__ = failures_only
        cls = get_provider(conformance.provider)
        if cls.submit is Provider.submit:
            pytest.skip("the provider does not submit")
        if conformance.spec is None:
            pytest.skip("no spec given (ConformanceEnv.spec)")
        base = conformance.spec
        silent: list[str] = []
        with conformance.connect() as client:
            # The first post may make calls no later one makes (a session, a token):
            # only posts after it are compared, the noise measured between two of them.
            first, _ = _post(client, base)
            assert first.ok, f"ConformanceEnv.spec was not accepted: {first.error!r}"
            noise = steady_noise(lambda: _post(client, base)[1])
            for name in sorted(cls.spec_maps):
                before, after = _two_values(base, name)
                one, sent_one = _post(client, before)
                other, sent_other = _post(client, after)
                if not one.ok or not other.ok:
                    continue  # refused: the field was read
                if not differing(sent_one, sent_other) - noise:
                    silent.append(f"{name} ({getattr(before, name)!r}, {getattr(after, name)!r})")
        assert not silent, (
            f"spec field(s) declared in spec_maps sent the same request whatever their value: "
            f"{'; '.join(silent)}. submit must send each field it maps to the vendor, or "
            "declare it in spec_refuses and refuse a spec that sets it"
        )

    def test_submitted_kind_is_the_listed_kind(self, conformance: ConformanceEnv) -> None:
        """An accepted spec's `SubmitResult.kind` is its task's `Task.kind` as listed: what
        `Client.collect` of a task named by id needs (DataForSEO's ``task_get`` path)."""
        if get_provider(conformance.provider).submit is Provider.submit:
            pytest.skip("the provider does not submit")
        if conformance.spec is None:
            pytest.skip("no spec given (ConformanceEnv.spec)")
        with conformance.connect() as client:
            [result] = client.submit([conformance.spec])
            assert result.ok, f"ConformanceEnv.spec was not accepted: {result.error!r}"
            if not {TaskStatus.QUEUED, TaskStatus.RUNNING} & client.capabilities.statuses:
                pytest.skip("the listing shows finished tasks only, not one just posted")
            kinds = {t.kind for t in client.tasks(status="any") if t.id == result.task_id}
        assert kinds, f"task {result.task_id} was accepted, but is not listed (status any)"
        assert kinds == {result.kind}, (
            f"submit reported kind {result.kind!r} for task {result.task_id}, "
            f"but the listing gives {sorted(map(str, kinds))}"
        )


def _post(client: Client, spec: SerpTaskSpec) -> tuple[SubmitResult, dict[str, str]]:
    """``spec`` submitted alone, with what its requests sent, flattened (`_flat`)."""
    requests: list[Request] = []
    client.transport.on_send = requests.append
    try:
        [result] = client.submit([spec])
    finally:
        client.transport.on_send = None
    return result, flat_requests(requests)


def flat_requests(requests: Sequence[Request]) -> dict[str, str]:
    """What ``requests`` told the vendor, flattened (`_flat`), by endpoint and not by
    position: calls of another kind may mix in."""
    sent: dict[str, str] = {}
    seen: Counter[str] = Counter()
    for request in requests:
        call = f"{request.method} {urlsplit(request.url).path}"
        seen[call] += 1
        sent[f"{call} #{seen[call]}"] = "sent"
        sent.update(_flat(request, f"{call} #{seen[call]} "))
    return sent


def _flat(request: Request, at: str) -> Iterator[tuple[str, str]]:
    """What ``request`` tells the vendor, one ``(place, value)`` per leaf under ``at``
    (its endpoint): each query parameter, each leaf of a JSON body (a form body's fields,
    or the body's bytes as they are). Headers are left out: they hold the credentials."""
    url = urlsplit(request.url)
    for number, (name, value) in enumerate(parse_qsl(url.query, keep_blank_values=True)):
        yield f"{at}?{name}#{number}", value
    body = request.body or b""
    try:
        yield from _leaves(json.loads(body), f"{at}$")
    except ValueError:
        fields = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
        if fields and "form" in request.headers.get("Content-Type", "form"):
            for number, (name, value) in enumerate(fields):
                yield f"{at}body {name}#{number}", value
        else:
            yield f"{at}body", body.hex()


def _leaves(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _leaves(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _leaves(inner, f"{path}[{index}]")
    else:
        yield path, json.dumps(value)


def differing(one: Mapping[str, str], other: Mapping[str, str]) -> set[str]:
    """The places where two flattened requests differ (one holding what the other lacks
    included)."""
    return {place for place in one.keys() | other.keys() if one.get(place) != other.get(place)}


def first_page_sent(connect: Callable[[], Client], asked: Mapping[str, Any]) -> dict[str, str]:
    """What the requests of a first page, asked with ``asked`` of a client ``connect``
    makes, told the vendor (`flat_requests`)."""
    with connect() as client:
        sent: list[Any] = []
        client.transport.on_send = sent.append
        try:
            client.page(**{"status": "any", **asked})
        finally:
            client.transport.on_send = None
    return flat_requests(sent)


def steady_noise(ask: Callable[[], Mapping[str, str]], pairs: int = 4) -> set[str]:
    """The places where requests asked alike differ every time (a nonce, a signature):
    those of up to ``pairs`` consecutive pairs of ``ask()`` that every pair shares.

    One pair is not enough: a time the request carries at whole seconds (DataForSEO's
    ``datetime_to``, "now") differs only when a second turns between the two, and taken
    for noise it hid a time filter sent in the same place."""
    last = ask()
    noise: set[str] | None = None
    for _ in range(pairs):
        following = ask()
        pair = differing(last, following)
        noise = pair if noise is None else noise & pair
        if not noise:
            break
        last = following
    return noise or set()


def _two_values(base: SerpTaskSpec, name: str) -> tuple[SerpTaskSpec, SerpTaskSpec]:
    """Two specs like ``base`` that differ in field ``name`` alone, both setting it: an
    unset field is the provider's default, which may be either value (``postback_data``
    has a ``postback_url`` set in both, as it needs)."""
    if name == "postback_data" and base.postback_url is None:
        base = attrs.evolve(base, postback_url=_SPEC_SAMPLES["postback_url"])
    current = getattr(base, name)
    if current is None:
        current = _SPEC_SAMPLES[name]
        base = attrs.evolve(base, **{name: current})
    return base, attrs.evolve(base, **{name: _another(name, current)})


def _another(name: str, current: Any) -> Any:
    """A valid value of field ``name`` other than ``current``."""
    others = _OTHERS.get(name)
    if others is not None:
        return next(v for v in others if type(v) is type(current) and v != current)
    if name == "depth":
        return current + 10
    if name.endswith("_url"):
        return current.replace("?", "?other=1&", 1) if "?" in current else current + "?other=1"
    return f"{current}-other"  # the keyword, the tag
