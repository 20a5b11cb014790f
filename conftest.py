"""Settings every test directory shares (tests/, providers/*/tests, examples/*/tests, and
integrations/dlt's suites, whose pytest settings load this file with ``--confcutdir``).

Hypothesis runs under one named profile, chosen by ``HYPOTHESIS_PROFILE`` (default
``ci``): derandomized, so a CI run and a developer's run try the same examples and a
failure reproduces; 60 examples a property (hypothesis' default is 100), which keeps the
suite's property tests to seconds on a 2-core machine; no per-example deadline, since a
loaded machine makes any deadline flaky. ``HYPOTHESIS_PROFILE=deep`` runs 1000 random
examples a property, for a change to a converter or the cursor codec.

Once the tests are collected, what the test process holds by then (pytest, the modules
every test imports, the collected items) is put out of the garbage collector's reach
(`gc.freeze`): none of it is garbage, and each full collection the tests' own work
triggers walked all of it again (measured with ``gc.callbacks``: 2.3 s of 16 s of CPU
over five of the unit suite's files, 2.8 s of 35 s over the dlt suite's in-process loads;
about 1 s each after). The tests' own objects are collected as ever.
"""

from __future__ import annotations

import gc
import importlib.util
import os

import pytest

# The orchestrators' venvs (make dagster, make airflow) have no hypothesis, and no
# property tests to run with it.
if importlib.util.find_spec("hypothesis") is not None:
    from hypothesis import settings

    settings.register_profile("ci", derandomize=True, max_examples=60, deadline=None)
    settings.register_profile("deep", max_examples=1000, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()
