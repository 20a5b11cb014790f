"""The whole paging contract, checked by the seotasks conformance kit.

This is all a plugin needs to run the kit: subclass `ProviderConformance` and say how
to connect fresh clients to the emulator and what a correct listing returns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from seotasks_acme.emulator import AcmeApp

import seotasks
from seotasks.emulation import EmulatorServer
from seotasks.testing import ConformanceEnv, ProviderConformance


class TestAcmeConformance(ProviderConformance):
    @pytest.fixture
    def conformance(
        self,
        acme_app: AcmeApp,
        acme_server: EmulatorServer,
        acme_connect: Callable[..., seotasks.Client],
    ) -> ConformanceEnv:
        return ConformanceEnv(
            provider="acme",
            connect=acme_connect,
            expected_ids=acme_app.expected_ids,
            secrets=[acme_app.api_key],
            bad_connect=lambda: acme_connect(api_key="not-the-acme-key"),
            faults=acme_server.faults,
            # Further back than AcmeRank's 90-day retention: start() must refuse it.
            unsupported=seotasks.TaskQuery(
                status=None, since=datetime.now(UTC) - timedelta(days=365)
            ),
            # New, deleted and finished jobs between pages: paging must lose none.
            churn=acme_app.churn,
            # Jobs just like another one (same second): the kit ties a page boundary.
            tie=acme_app.tie,
            # Each job's fields as documented: a status or a progress misread is caught.
            expected_task=acme_app.expected_task,
            # A cursor taken to a client asking for pages of another size resumes exactly.
            connect_other_size=lambda: acme_connect(page_size=23),  # acme_connect: 40
        )
