"""The conformance kit: prove a provider plugin keeps the paging contract.

A plugin author subclasses `ProviderConformance` in their test suite and supplies one
fixture, ``conformance``, returning a `ConformanceEnv`: how to connect a fresh client
to their emulator (or recorded data) and which task ids a listing must yield::

    from seotasks.testing import ConformanceEnv, ProviderConformance
    from seotasks.testing.clients import FAST_RETRY

    class TestMyVendor(ProviderConformance):
        @pytest.fixture
        def conformance(self, my_emulator):
            return ConformanceEnv(
                provider="myvendor",
                # env={}: none of your own SEOTASKS_* variables; the emulator's clock and
                # FAST_RETRY: pacing and retry waits cost no real time (docs/plugins.md).
                connect=lambda: seotasks.connect(
                    "myvendor", env={}, clock=my_emulator.clock, retry=FAST_RETRY,
                    **my_emulator.settings,
                ),
                expected_ids=my_emulator.expected_ids,   # (TaskQuery) -> set of ids
                secrets=[my_emulator.token],
                faults=my_emulator.server.faults,
                churn=my_emulator.churn,   # optional: moves the data between pages
                tie=my_emulator.tie,       # optional: tasks just like one, for a tied page boundary
                expected_task=my_emulator.expected_task,  # optional: a task's documented fields
                connect_other_size=lambda: seotasks.connect(  # optional: pages of another size
                    "myvendor", **my_emulator.settings, page_size=23
                ),
            )

The kit checks the contract, not vendor details: every seeded task exactly once, also
while the data moves under the listing (``churn``) and across a page boundary the kit
ties itself (``tie``); every task under the status the ground truth gives it, with the
fields ``expected_task`` gives; status, progress and timestamps consistent; the times
the provider declares filled, time bounds on creation and on completion exact, and a
bound on a time never filled refused; cursors that resume in a fresh client (one asking
for pages of another size too, ``connect_other_size``), refuse tampering, forged
positions and other providers, and carry no secret (a listing that fits one page,
``min_pages=1``, is checked on the cursor that resumes it at its start); declared
capabilities and order honoured; results that are JSON; a sandbox that draws its data
around the ``now`` it is given and counts its limits on the clock it is given; times
that do not depend on the machine's time zone; server filters that reach the vendor;
raw items that echo no secret; typed errors only; the plugin loaded through its entry
point. A failure about a secret says where it was found, never any part of it.
"""

from __future__ import annotations

from .conformance import ConformanceEnv, ProviderConformance

__all__ = ["ConformanceEnv", "ProviderConformance"]
