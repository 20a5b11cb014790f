"""The conformance kit: prove a provider plugin keeps the paging contract.

A plugin author subclasses `ProviderConformance` in their test suite and supplies one
fixture, ``conformance``, returning a `ConformanceEnv`: how to connect a fresh client
to their emulator (or recorded data) and which task ids a listing must yield::

    from seotasks.testing import ConformanceEnv, ProviderConformance

    class TestMyVendor(ProviderConformance):
        @pytest.fixture
        def conformance(self, my_emulator):
            return ConformanceEnv(
                provider="myvendor",
                connect=lambda: seotasks.connect("myvendor", **my_emulator.settings),
                expected_ids=my_emulator.expected_ids,   # (TaskQuery) -> set of ids
                secrets=[my_emulator.token],
                faults=my_emulator.server.faults,
                churn=my_emulator.churn,   # optional: moves the data between pages
                tie=my_emulator.tie,       # optional: tasks just like one, for a tied page boundary
            )

The kit checks the contract, not vendor details: every seeded task exactly once, also
while the data moves under the listing (``churn``) and across a page boundary the kit
ties itself (``tie``); status, progress and timestamps consistent; the times the provider
declares filled, time bounds on creation and on completion exact, and a bound on a time
never filled refused; cursors that resume in a fresh client, refuse tampering, forged
positions and other providers, and carry no secret (a listing that fits one page,
``min_pages=1``, is checked on the cursor that resumes it at its start); declared
capabilities and order honoured; results that are JSON; a sandbox that draws its data
around the ``now`` it is given; typed errors only; the plugin loaded through its entry
point. A failure about a secret says where it was found, never any part of it.
"""

from __future__ import annotations

from .conformance import ConformanceEnv, ProviderConformance

__all__ = ["ConformanceEnv", "ProviderConformance"]
