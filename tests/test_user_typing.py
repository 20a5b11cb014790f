"""The library as a user's ``mypy --strict`` sees it: calls the docs show type-check.

Two such calls did not: ``seotasks.connect("serpstat", **emulator.settings)`` (the
provider pages' emulator example), because the emulators' ``settings`` were
``dict[str, str]`` and mypy checks such a ``**`` against every keyword of `connect`
(``clock``, ``retry``, ``now``...); and ``connect(..., env=os.environ)``, because ``env``
was a ``dict`` (invariant), which ``os.environ`` is not, though any mapping works. And
the streams the docs close (``stream.close()``) were typed ``Iterator``, which has none.
"""

from __future__ import annotations

from pathlib import Path

from mypy import api

USER_CODE = """
import os
from types import MappingProxyType

import seotasks
from seotasks.clock import FakeClock
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_serpstat.emulator import SerpstatEmulator

clock = FakeClock()
with SerpstatEmulator(seed=1, size=50, clock=clock) as emulator:
    client = seotasks.connect("serpstat", clock=clock, **emulator.settings)
with DataForSEOEmulator(seed=1, size=50) as emu:
    other = seotasks.connect("dataforseo", **emu.settings)
from_env = seotasks.connect("serpstat", env=os.environ)
frozen = seotasks.connect("serpstat", env=MappingProxyType({"SEOTASKS_SERPSTAT_TOKEN": "t"}))
# The docs close what they leave early (`stream.close()`, `outcomes.close()`): typed
# Iterator, mypy said they had no close.
stream = seotasks.merged([client, other])
stream.close()
client.tasks().close()
client.pages().close()
client.collect_many([]).close()
"""


MISTAKES = """
from datetime import UTC, datetime

import seotasks
from seotasks import conect

client = seotasks.connect("serpstat")
kept: seotasks.Listing = {"status": "any", "since": datetime(2026, 1, 1, tzinfo=UTC)}
client.tasks(**kept)  # a query kept in a dict types with the public Listing
retry = seotasks.transport.RetryPolicy(attempts="five")
stream = seotasks.merged([client], statuss="any")
spec = seotasks.SerpTaskSpec(keyword="a", location=[1])
"""


def test_strict_mypy_passes_the_documented_calls_and_catches_a_users_mistakes(
    tmp_path: Path,
) -> None:
    """The documented calls type-check; the mistakes do not. A module ``__getattr__`` made
    every name of ``seotasks`` exist for type checkers (``conect`` was ``Any``);
    ``merged`` took any keyword; ``SerpTaskSpec`` took any ``location``; a query kept in
    a dict could not be typed without an internal name. One mypy run for both files:
    each run type-checks the whole library first."""
    app, wrong = tmp_path / "app.py", tmp_path / "wrong.py"
    app.write_text(USER_CODE, encoding="utf-8")
    wrong.write_text(MISTAKES, encoding="utf-8")
    flags = ["--strict", "--cache-dir", str(tmp_path / "cache"), "--no-error-summary"]
    out, err, status = api.run([*flags, str(app), str(wrong)])
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert not [line for line in errors if line.startswith(str(app))], out + err
    said = {int(line.split(":")[1]) for line in errors if line.startswith(str(wrong))}
    lines = MISTAKES.splitlines()
    flagged = {lines[n - 1].split(" = ")[0].split("(")[0].strip() for n in said}
    assert status == 1, out + err
    assert flagged == {"from seotasks import conect", "retry", "stream", "spec"}, out
