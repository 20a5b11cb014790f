"""`ProviderConformance`: the abstract test class a provider's test suite subclasses."""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs
import pytest

from .. import cursor as cursor_codec
from ..errors import (
    AuthError,
    CursorError,
    SeotasksError,
    TransientError,
    UnsupportedQuery,
)
from ..model import Task, TaskQuery, TaskStatus
from ..plugins import capabilities_of, get_provider, provider_infos
from ..provider import FILTER_NAMES, Capabilities, Provider
from ..submit import SPEC_FIELDS, SerpTaskSpec

if TYPE_CHECKING:
    from ..client import Client
    from ..emulation import FaultPlan

__all__ = ["ConformanceEnv", "ProviderConformance"]


@attrs.frozen(kw_only=True)
class ConformanceEnv:
    """What the kit needs to know about a provider under test.

    ``connect`` returns a *fresh* client each call (a new process, as far as the
    listing is concerned), configured so that a full listing spans several pages.
    ``expected_ids(query)`` is the ground truth: the vendor ids that listing ``query``
    must return *now* (it is asked again after each ``churn``). ``bad_connect``
    (optional) connects with wrong credentials; ``faults`` (optional) is the emulator's
    `FaultPlan`; ``unsupported`` (optional) is a query the provider must refuse with
    `UnsupportedQuery`. ``churn`` (optional) changes the emulator's data the way the
    vendor's data moves while someone pages through it: adds tasks, removes some (expiry,
    draining) and changes some task's status; the kit calls it between pages and checks
    that nothing present throughout is lost and nothing is listed twice.

    ``secrets`` are kept out of this object's repr, so a failing test never prints them.
    """

    provider: str
    connect: Callable[[], Client]
    expected_ids: Callable[[TaskQuery], set[str]]
    secrets: Sequence[str] = attrs.field(default=(), repr=False)
    bad_connect: Callable[[], Client] | None = None
    faults: FaultPlan | None = None
    unsupported: TaskQuery | None = None
    #: Pages the full listing should at least span (proves paging was exercised). A vendor
    #: whose whole listing fits one page sets 1: the cursor checks then run on the cursor
    #: that resumes the listing at its start (the one an error on the first page carries).
    min_pages: int = 2
    churn: Callable[[], object] | None = None
    #: A spec the provider can post (optional): the kit sets each field the provider
    #: declares in ``spec_refuses`` on it and checks the refusal, with nothing sent.
    spec: SerpTaskSpec | None = None


#: A value for each spec field, to set one the provider declares refused.
_SPEC_SAMPLES: dict[str, Any] = {
    "keyword": "seotasks conformance",
    "location": 2840,
    "language": "en",
    "engine": "google",
    "serp_type": "organic",
    "device": "mobile",
    "depth": 20,
    "priority": "high",
    "tag": "seotasks-conformance",
    "pingback_url": "https://example.com/pingback?id=$id",
    "postback_url": "https://example.com/postback?id=$id",
    "postback_data": "advanced",
}


def _ids(tasks: Sequence[Task]) -> list[str]:
    return [t.id for t in tasks]


def _secret_paths(value: object, secret: str, path: str = "$") -> Iterator[str]:
    """JSON paths in ``value`` whose key or string value contains ``secret``."""
    if isinstance(value, str):
        if secret in value:
            yield path
    elif isinstance(value, Mapping):
        for index, (key, item) in enumerate(value.items()):
            if secret in str(key):  # the key itself is not printed: it holds the secret
                yield f"{path} (key #{index + 1})"
                continue
            yield from _secret_paths(item, secret, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _secret_paths(item, secret, f"{path}[{index}]")


def _assert_no_secret(secrets: Sequence[str], places: Mapping[str, str]) -> None:
    """Fail naming *where* a secret was found, never any part of it.

    A test's output is a log too: no ``assert secret not in text`` (pytest would print
    both operands), and ``pytrace=False`` so no traceback shows the locals.
    """
    __tracebackhide__ = True
    for number, secret in enumerate(secrets, 1):
        if not secret:
            continue
        for place, text in places.items():
            at = text.find(secret)
            if at >= 0:
                pytest.fail(
                    f"secret #{number} of {len(secrets)} found in {place} (at character {at})",
                    pytrace=False,
                )


def _scrubbed(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _cursor_to_check(conformance: ConformanceEnv, client: Client) -> tuple[list[Task], str]:
    """The tasks of the first page and a cursor for the cursor checks.

    The cursor is the first page's ``next_cursor``. A listing that fits one page has
    none; with ``min_pages=1`` the checks then run on the cursor that resumes the listing
    at its start, which is what an error on the only page hands out (its
    ``resume_cursor``): it must still resume in a fresh client, refuse edits and other
    providers, pass through ``check_position`` and carry no secret.
    """
    __tracebackhide__ = True
    page = client.page(status="any")
    if page.next_cursor is not None:
        return list(page.tasks), page.next_cursor
    if conformance.min_pages > 1:
        pytest.fail(
            f"the first page was also the last, but min_pages={conformance.min_pages}: seed "
            "more tasks or connect with a smaller page size (a vendor whose listing always "
            "fits one page sets min_pages=1)",
            pytrace=False,
        )
    query = TaskQuery(status=None)
    start = cursor_codec.encode(
        provider=client.name,
        listing=client.listing_options,
        query=query,
        position=client.provider.start(query),
    )
    return [], start


def _assert_once(ids: list[str], expected: set[str], what: str) -> None:
    dupes = sorted({i for i in ids if ids.count(i) > 1}) if len(ids) != len(set(ids)) else []
    assert not dupes, f"{what}: tasks listed twice: {dupes[:10]}"
    missing = expected - set(ids)
    extra = set(ids) - expected
    assert not missing, f"{what}: {len(missing)} seeded tasks missing, e.g. {sorted(missing)[:5]}"
    assert not extra, f"{what}: {len(extra)} unexpected tasks, e.g. {sorted(extra)[:5]}"


@pytest.mark.seotasks_conformance
class ProviderConformance:
    """Subclass in your plugin's tests and define the ``conformance`` fixture."""

    @pytest.fixture
    def conformance(self) -> ConformanceEnv:  # pragma: no cover - must be overridden
        raise NotImplementedError("define a `conformance` fixture returning a ConformanceEnv")

    # -- loading ---------------------------------------------------------------------

    def test_loads_through_entry_point(self, conformance: ConformanceEnv) -> None:
        infos = {info.name: info for info in provider_infos()}
        assert conformance.provider in infos, f"{conformance.provider} is not registered"
        assert infos[conformance.provider].distribution, (
            "the provider was registered directly, not through a `seotasks` entry point"
        )

    # -- listing -------------------------------------------------------------------------

    def test_every_task_exactly_once(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as client:
            pages = list(client.pages(status="any"))
        tasks = [t for p in pages for t in p.tasks]
        assert len(pages) >= conformance.min_pages, "the listing did not span several pages"
        _assert_once(_ids(tasks), conformance.expected_ids(TaskQuery(status=None)), "any")

    def test_completed_filter(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as client:
            tasks = list(client.tasks())  # the default is status=completed
        assert all(t.status is TaskStatus.COMPLETED for t in tasks)
        expected = conformance.expected_ids(TaskQuery(status=TaskStatus.COMPLETED))
        _assert_once(_ids(tasks), expected, "completed")

    def test_tasks_are_consistent(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as client:
            tasks = list(client.tasks(status="any"))
        assert tasks, "the emulator should be seeded with tasks"
        for task in tasks:
            assert task.provider == conformance.provider
            assert isinstance(task.id, str) and task.id
            assert task.key == f"{conformance.provider}:{task.id}"
            assert isinstance(task.status, TaskStatus)
            if task.progress is not None:
                assert 0.0 <= task.progress <= 1.0
            if task.status is TaskStatus.COMPLETED:
                assert task.progress == 1.0, f"{task.key} completed with progress {task.progress}"
            for when in (task.created_at, task.started_at, task.completed_at):
                if when is not None:
                    assert when.tzinfo is not None and when.utcoffset() == timedelta(0)
            if task.created_at and task.completed_at:
                assert task.created_at <= task.completed_at, f"{task.key} completed before created"
            if task.started_at and task.created_at:
                assert task.created_at <= task.started_at, f"{task.key} started before created"
            if task.started_at and task.completed_at:
                assert task.started_at <= task.completed_at, f"{task.key} completed before started"
            assert isinstance(task.raw, Mapping)

    @pytest.mark.parametrize("time_field", ["created_at", "completed_at"])
    def test_time_filters_honoured(self, conformance: ConformanceEnv, time_field: str) -> None:
        """``since`` / ``until`` on the creation or the completion time: exactly the
        expected tasks, whatever the vendor filtered itself (the core filters the rest).

        A provider that cannot answer completion bounds completely (its vendor reports no
        completion time) refuses them with `UnsupportedQuery`; the check is skipped then.
        """
        probe = TaskQuery(status=None, time_field=time_field)
        with conformance.connect() as client:
            every = [t for t in client.tasks(status="any") if probe.bounded_time(t) is not None]
            times = sorted(t for t in map(probe.bounded_time, every) if t is not None)
            if not times and time_field == "completed_at":
                # No task says when it finished: a completion bound cannot be answered,
                # and an empty listing would be a silent lie. It must be refused.
                with pytest.raises(UnsupportedQuery):
                    since = datetime.now(UTC) - timedelta(days=1)
                    list(client.tasks(status="any", since=since, time_field=time_field))
                return
            if len(times) < 4:
                pytest.skip(f"too few tasks with {time_field} to test time filters")
            since, until = times[len(times) // 4], times[(3 * len(times)) // 4]
            if since >= until:
                pytest.skip(f"seeded {time_field} times are not spread enough")
            query = TaskQuery(status=None, since=since, until=until, time_field=time_field)
            try:
                got = list(
                    client.tasks(status="any", since=since, until=until, time_field=time_field)
                )
            except UnsupportedQuery as exc:
                if time_field == "created_at":
                    raise
                pytest.skip(f"the provider refuses completion bounds: {exc}")
        assert all(query.matches(t) for t in got)
        _assert_once(_ids(got), conformance.expected_ids(query), f"since/until on {time_field}")

    # -- cursors ---------------------------------------------------------------------------

    def test_cursor_resumes_in_fresh_client(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as first:
            seen, cursor = _cursor_to_check(conformance, first)
        with conformance.connect() as second:
            rest = list(second.tasks(cursor))
        ids = _ids(seen) + _ids(rest)
        _assert_once(ids, conformance.expected_ids(TaskQuery(status=None)), "resumed")

    def test_cursor_tampering_refused(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as client:
            token = _cursor_to_check(conformance, client)[1]
            middle = len(token) // 2
            edited = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
            with pytest.raises(CursorError):
                client.page(edited)
            with pytest.raises(CursorError):
                client.page(token[: len(token) - 5])

    def test_foreign_cursor_refused(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as client:
            token = _cursor_to_check(conformance, client)[1]
            state = cursor_codec.decode(token)
            foreign = cursor_codec.encode(
                provider=conformance.provider + "-other",
                listing=state.listing,
                query=state.query,
                position=state.position,
            )
            with pytest.raises(CursorError):
                client.page(foreign)
            with pytest.raises(CursorError):
                client.page(token, status="queued" if state.query.status is None else "any")

    def test_forged_position_refused(self, conformance: ConformanceEnv) -> None:
        # The checksum key is public: anyone can re-encode a cursor around any position.
        # The provider's check_position is what stands between that and a request.
        __tracebackhide__ = True
        with conformance.connect() as client:
            state = cursor_codec.decode(_cursor_to_check(conformance, client)[1])
            for what, junk in (
                ("an unknown key", {"__forged__": "http://attacker.example/"}),
                ("a URL in every field", {k: "http://attacker.example/" for k in state.position}),
                ("-1 in every field", {key: -1 for key in state.position}),
            ):
                forged = cursor_codec.encode(
                    provider=conformance.provider,
                    listing=state.listing,
                    query=state.query,
                    position=dict(junk),
                )
                try:
                    client.page(forged)
                except CursorError:
                    continue
                except Exception as exc:
                    message = _scrubbed(f"{type(exc).__name__}: {exc}", conformance.secrets)
                    pytest.fail(
                        f"check_position accepted a forged position ({what}); the provider "
                        f"then failed with {message[:200]} instead of a CursorError. Check "
                        "every field of a position in check_position and rebuild it.",
                        pytrace=False,
                    )
                pytest.fail(
                    f"check_position accepted a forged position ({what}) and a page was "
                    "fetched with it. Check every field of a position in check_position.",
                    pytrace=False,
                )

    def test_cursor_carries_no_secret(self, conformance: ConformanceEnv) -> None:
        __tracebackhide__ = True
        with conformance.connect() as client:
            token = _cursor_to_check(conformance, client)[1]
        payload = base64.urlsafe_b64decode(token.split(".")[1] + "==").decode()
        body = json.loads(payload)
        for number, secret in enumerate(conformance.secrets, 1):
            paths = sorted(set(_secret_paths(body, secret))) if secret else []
            if paths:
                pytest.fail(
                    f"secret #{number} of {len(conformance.secrets)} found in the cursor's "
                    f"payload at {', '.join(paths)}",
                    pytrace=False,
                )
        _assert_no_secret(conformance.secrets, {"the cursor": token, "its payload": payload})

    # -- churn -----------------------------------------------------------------------------

    @pytest.mark.parametrize("status", ["any", "completed"])
    def test_paging_under_churn(self, conformance: ConformanceEnv, status: str) -> None:
        """Tasks come, go and change status while a listing pages through them.

        Between pages the kit calls ``churn``; after the first page it moves to a fresh
        client with that page's cursor, as a resumed job would. Every task present from the first page to the
        last must be listed, none twice, and none the data never held.
        """
        if conformance.churn is None:
            pytest.skip("no churn hook given: paging under changing data is not checked")
        from ..paging import ORDER_FIELDS

        query = TaskQuery(status=None if status == "any" else TaskStatus.COMPLETED)
        listed: list[Task] = []
        every = TaskQuery(status=None)
        before = conformance.expected_ids(query)
        before_any = conformance.expected_ids(every)
        ever = set(before)
        moved = False
        emitted: list[str] = []
        with conformance.connect() as first:
            order = first.capabilities.order
            page = next(first.pages(status=status))
            emitted += _ids(page.tasks)
            listed += page.tasks
            cursor = page.next_cursor
        count = 1
        if cursor is not None:
            conformance.churn()
            ever |= conformance.expected_ids(query)
            with conformance.connect() as second:
                for page in second.pages(cursor):
                    count += 1
                    emitted += _ids(page.tasks)
                    listed += page.tasks
                    if page.next_cursor is not None:
                        conformance.churn()
                        now_any = conformance.expected_ids(every)
                        moved = moved or now_any != before_any
                        ever |= conformance.expected_ids(query)
        after = conformance.expected_ids(query)
        if status == "any" and count > 1:
            assert moved or conformance.expected_ids(every) != before_any, (
                "the churn hook added and removed no task the listing could see"
            )
        dupes = sorted({i for i in emitted if emitted.count(i) > 1})
        assert not dupes, f"status={status}: listed twice under churn: {dupes[:10]}"
        lost = (before & after) - set(emitted)
        assert not lost, (
            f"status={status}: {len(lost)} tasks present from the first page to the last "
            f"were lost under churn, e.g. {sorted(lost)[:5]}"
        )
        extra = set(emitted) - ever
        assert not extra, (
            f"status={status}: {len(extra)} listed tasks the data never held, "
            f"e.g. {sorted(extra)[:5]}"
        )
        if order is not None:  # the declared order is a promise while data moves too
            bound = ORDER_FIELDS[order]
            values = [(t.key, bound(t)) for t in listed]
            known = [(key, value) for key, value in values if value is not None]
            for (_, before_value), (key, value) in itertools.pairwise(known):
                assert value >= before_value, (
                    f"status={status}: order={order!r} declared, but under churn {key} "
                    f"({value}) came after {before_value}"
                )

    # -- capabilities and errors ------------------------------------------------------------

    def test_capabilities_declared(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as client:
            caps = client.capabilities
        assert caps.max_page_size > 0
        assert caps.server_filters <= FILTER_NAMES
        assert caps.statuses <= set(TaskStatus)

    def test_capabilities_readable_without_connection(self, conformance: ConformanceEnv) -> None:
        # `seotasks providers` shows capabilities with no credentials and no network:
        # building the provider from its option defaults must be enough.
        caps = capabilities_of(conformance.provider)
        assert isinstance(caps, Capabilities), (
            f"capabilities() returned a {type(caps).__name__}, not Capabilities"
        )
        assert caps.max_page_size > 0

    # -- submission contract ----------------------------------------------------------------

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
        for (name, _), result in zip(specs, results, strict=True):
            assert isinstance(result.error, UnsupportedQuery), (
                f"a spec with {name} set was not refused with UnsupportedQuery "
                f"(task_id={result.task_id!r}, error={result.error!r})"
            )

    def test_declared_order_holds(self, conformance: ConformanceEnv) -> None:
        """`Capabilities.order` is a promise `seotasks.merged` relies on: check it holds.

        The declared field never decreases over the whole listing (tasks without it
        aside), and no task is due (`Task.sort_time`) before its own declared value, so
        the merge may deliver everything due before the latest value seen. A provider
        declaring ``None`` promises nothing: the merge sorts it whole.
        """
        from ..paging import ORDER_FIELDS, merge_key, merged

        with conformance.connect() as client:
            order = client.capabilities.order
            tasks = list(client.tasks(status="any"))
        if order is None:
            return
        bound = ORDER_FIELDS[order]
        previous = None
        for task in tasks:
            value = bound(task)
            if value is None:
                continue
            assert previous is None or value >= previous, (
                f"order={order!r} declared, but {task.key} ({value}) came after {previous}"
            )
            previous = value
            assert merge_key(task)[0] >= value, f"{task.key} is due before its {order}"
        with conformance.connect() as client:
            out = list(merged([client], status="any", buffer=max(1, len(tasks) // 3)))
        assert [t.key for t in out] == [t.key for t in sorted(tasks, key=merge_key)]

    def test_unsupported_query_refused(self, conformance: ConformanceEnv) -> None:
        if conformance.unsupported is None:
            pytest.skip("the provider declares no unsupported query")
        query = conformance.unsupported
        with conformance.connect() as client, pytest.raises(UnsupportedQuery):
            client.page(status=query.status or "any", since=query.since, until=query.until)

    def test_bad_credentials_are_auth_errors(self, conformance: ConformanceEnv) -> None:
        __tracebackhide__ = True
        if conformance.bad_connect is None:
            pytest.skip("no bad_connect given")
        with conformance.bad_connect() as client, pytest.raises(AuthError) as info:
            list(client.tasks(status="any"))
        places = {"the AuthError's message": str(info.value), "its repr": repr(info.value)}
        _assert_no_secret(conformance.secrets, places)

    def test_server_errors_are_typed(self, conformance: ConformanceEnv) -> None:
        if conformance.faults is None:
            pytest.skip("no fault plan given")
        from ..emulation import Fault

        conformance.faults.inject(Fault.HTTP_503, 100)
        try:
            with conformance.connect() as client, pytest.raises(SeotasksError) as info:
                list(client.tasks(status="any"))
        finally:
            conformance.faults.clear()
        assert isinstance(info.value, TransientError)
        assert info.value.resume_cursor is not None

    def test_reprs_carry_no_secret(self, conformance: ConformanceEnv) -> None:
        __tracebackhide__ = True
        with conformance.connect() as client:
            places = {
                "repr(client)": repr(client),
                "str(client)": str(client),
                "repr(client.provider)": repr(client.provider),
                "repr(client.transport)": repr(client.transport),
            }
        _assert_no_secret(conformance.secrets, places)
