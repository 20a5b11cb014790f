"""`ProviderConformance`: the abstract test class a provider's test suite subclasses."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

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
from ..plugins import provider_infos

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
    must return. ``bad_connect`` (optional) connects with wrong credentials;
    ``faults`` (optional) is the emulator's `FaultPlan`; ``unsupported`` (optional) is a
    query the provider must refuse with `UnsupportedQuery`.
    """

    provider: str
    connect: Callable[[], Client]
    expected_ids: Callable[[TaskQuery], set[str]]
    secrets: Sequence[str] = ()
    bad_connect: Callable[[], Client] | None = None
    faults: FaultPlan | None = None
    unsupported: TaskQuery | None = None
    #: Pages the full listing should at least span (proves paging was exercised).
    min_pages: int = 2


def _ids(tasks: Sequence[Task]) -> list[str]:
    return [t.id for t in tasks]


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
            for when in (task.created_at, task.completed_at):
                if when is not None:
                    assert when.tzinfo is not None and when.utcoffset() == timedelta(0)
            if task.created_at and task.completed_at:
                assert task.created_at <= task.completed_at, f"{task.key} completed before created"
            assert isinstance(task.raw, Mapping)

    def test_time_filters_honoured(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as client:
            every = [t for t in client.tasks(status="any") if t.created_at is not None]
            if len(every) < 4:
                pytest.skip("too few tasks with a creation time to test time filters")
            times = sorted(t.created_at for t in every if t.created_at is not None)
            since, until = times[len(times) // 4], times[(3 * len(times)) // 4]
            if since >= until:
                pytest.skip("seeded creation times are not spread enough")
            query = TaskQuery(status=None, since=since, until=until)
            got = list(client.tasks(status="any", since=since, until=until))
        assert all(query.matches(t) for t in got)
        _assert_once(_ids(got), conformance.expected_ids(query), "since/until")

    # -- cursors ---------------------------------------------------------------------------

    def test_cursor_resumes_in_fresh_client(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as first:
            page = first.page(status="any")
        assert page.next_cursor, "the first page should not be the last (seed more tasks)"
        with conformance.connect() as second:
            rest = list(second.tasks(page.next_cursor))
        ids = _ids(page.tasks) + _ids(rest)
        _assert_once(ids, conformance.expected_ids(TaskQuery(status=None)), "resumed")

    def test_cursor_tampering_refused(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as client:
            token = client.page(status="any").next_cursor
            assert token
            middle = len(token) // 2
            edited = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
            with pytest.raises(CursorError):
                client.page(edited)
            with pytest.raises(CursorError):
                client.page(token[: len(token) - 5])

    def test_foreign_cursor_refused(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as client:
            token = client.page(status="any").next_cursor
            assert token
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
        with conformance.connect() as client:
            token = client.page(status="any").next_cursor
            assert token
            state = cursor_codec.decode(token)
            for junk in (
                {"__forged__": "http://attacker.example/"},
                {key: "http://attacker.example/" for key in state.position},
                {key: -1 for key in state.position},
            ):
                forged = cursor_codec.encode(
                    provider=conformance.provider,
                    listing=state.listing,
                    query=state.query,
                    position=dict(junk),
                )
                with pytest.raises(CursorError):
                    client.page(forged)

    def test_cursor_carries_no_secret(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as client:
            token = client.page(status="any").next_cursor
        assert token
        payload = base64.urlsafe_b64decode(token.split(".")[1] + "==").decode()
        for secret in conformance.secrets:
            assert secret not in token and secret not in payload

    # -- capabilities and errors ------------------------------------------------------------

    def test_capabilities_declared(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as client:
            caps = client.capabilities
        assert caps.max_page_size > 0
        assert caps.server_filters <= {"status", "since", "until"}
        assert caps.statuses <= set(TaskStatus)

    def test_unsupported_query_refused(self, conformance: ConformanceEnv) -> None:
        if conformance.unsupported is None:
            pytest.skip("the provider declares no unsupported query")
        query = conformance.unsupported
        with conformance.connect() as client, pytest.raises(UnsupportedQuery):
            client.page(status=query.status or "any", since=query.since, until=query.until)

    def test_bad_credentials_are_auth_errors(self, conformance: ConformanceEnv) -> None:
        if conformance.bad_connect is None:
            pytest.skip("no bad_connect given")
        with conformance.bad_connect() as client, pytest.raises(AuthError) as info:
            list(client.tasks(status="any"))
        for secret in conformance.secrets:
            assert secret not in str(info.value) and secret not in repr(info.value)

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
        with conformance.connect() as client:
            text = repr(client) + str(client) + repr(client.provider) + repr(client.transport)
        for secret in conformance.secrets:
            assert secret not in text
