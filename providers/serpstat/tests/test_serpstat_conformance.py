"""The seotasks conformance kit, run against the Serpstat provider and its emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from seotasks_serpstat.emulator import SerpstatEmulator

import seotasks
from seotasks.clock import FakeClock
from seotasks.model import TaskQuery, TaskStatus
from seotasks.submit import SerpTaskSpec
from seotasks.testing.conformance import ConformanceEnv, ProviderConformance


class TestSerpstatConformance(ProviderConformance):
    @pytest.fixture
    def conformance(
        self,
        make_emulator: Callable[..., SerpstatEmulator],
        clock: FakeClock,
    ) -> Iterator[ConformanceEnv]:
        emulator = make_emulator(seed=21, size=2_600)
        clients: list[seotasks.Client] = []

        def connect(**options: object) -> seotasks.Client:
            settings = {**emulator.settings, "page_size": 500, **options}
            client = seotasks.connect("serpstat", clock=clock, env={}, **settings)
            clients.append(client)
            return client

        def expected(query: TaskQuery) -> set[str]:
            if query.status is TaskStatus.FAILED:
                return set()  # tasks.getList has no failed state
            ids = emulator.task_ids(None if query.status is None else query.status.value)
            if query.since is None and query.until is None:
                return set(ids)
            out = set()
            for i in ids:
                truth = emulator.truth(i)
                when = truth.completed_at if query.by_completion else truth.created_at
                if (
                    when is not None
                    and (query.since is None or when >= query.since)
                    and (query.until is None or when < query.until)
                ):
                    out.add(i)
            return out

        def fields(task_id: str) -> dict[str, object]:
            """The row's fields as the vendor documents them: ``"45%"`` is 0.45, the
            naive times are in the emulator's zone (UTC here), done once parsed."""
            truth = emulator.truth(task_id)
            return {
                "status": TaskStatus(truth.status),
                "progress": truth.percent / 100,
                "created_at": truth.created_at,
                "completed_at": truth.completed_at,
                "keywords_count": truth.keywords_count,
            }

        yield ConformanceEnv(
            provider="serpstat",
            connect=connect,
            expected_ids=expected,
            secrets=(emulator.token,),
            bad_connect=lambda: connect(token="not-the-token"),
            faults=emulator.server.faults,
            unsupported=TaskQuery(status=None, since=datetime.now(UTC) - timedelta(days=60)),
            min_pages=3,
            # New tasks, expired ones and finished ones between pages: a page-numbered
            # list shifts under the reader, and paging must lose and repeat nothing.
            churn=emulator.churn,
            # The provider asks for a little less than page_size, varied, so that pages
            # overlap: a position must still hold where the listing stands.
            connect_other_size=lambda: connect(page_size=300),
            expected_task=fields,
            spec=SerpTaskSpec(keyword="conformance", location=23),
        )
        for client in clients:
            client.close()

    def test_an_engine_declared_refused_is_set_to_another_than_the_default(
        self, conformance: ConformanceEnv, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A Google-only vendor that declares ``engine`` refused refuses every engine but
        Google: the kit set ``engine="google"``, the default, which no provider can tell
        from an unset engine, and failed a plugin that was right."""
        from seotasks_serpstat.provider import SerpstatProvider

        maps = SerpstatProvider.spec_maps - {"engine", "serp_type"}
        monkeypatch.setattr(SerpstatProvider, "spec_maps", maps)
        refuses = SerpstatProvider.spec_refuses | {"engine", "serp_type"}
        monkeypatch.setattr(SerpstatProvider, "spec_refuses", refuses)
        self.test_refused_spec_fields_are_refused(conformance)
