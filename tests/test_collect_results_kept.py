"""``seotasks collect`` and how long a vendor keeps results (`Capabilities.results_kept`).

DataForSEO's ``id_list`` (``-o source=history``) lists 181 days of tasks while
``task_get`` answers a result for 30 days only: without ``--since`` the command collects
the last 30 days and says so once; an older ``--since`` is run as asked, after a warning.
Against the DataForSEO emulator on loopback, which answers 40403 past 30 days.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from clihere import run_here
from clirun import cli_env
from seotasks_dataforseo.emulator import DataForSEOEmulator

from seotasks.provider import Capabilities
from seotasks.relative_time import relative_form

pytestmark = pytest.mark.usefixtures("real_providers")

KIND = "serp/google/organic"
HISTORY = ["-p", "dataforseo", "-o", "source=history", "-o", "families=serp"]
NOTE = "dataforseo keeps a task's result 30 days"


@pytest.fixture
def emu() -> Any:
    """Tasks posted 40 to 35 days ago (results expired) and 20 days to 1 hour ago."""
    now = datetime.now(UTC)
    with DataForSEOEmulator(seed=7, size=0, kinds=(KIND,)) as emulator:
        emulator.add_tasks(25, posted=(now - timedelta(days=40), now - timedelta(days=35)))
        emulator.add_tasks(40, posted=(now - timedelta(days=20), now - timedelta(hours=1)))
        yield emulator


def _collect(args: list[str], env: dict[str, str]) -> tuple[int, set[str], str]:
    done = run_here(["collect", *args], env)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    # A line is {"task": record, "result": ...}, or with --to the record itself.
    ids = {line["task"]["id"] if "task" in line else line["id"] for line in lines}
    return done.returncode, ids, done.stderr


def _completed(emu: DataForSEOEmulator, since: datetime | None = None) -> set[str]:
    return emu.history_ids(since=since, status="completed", families=["serp"])


def test_history_without_since_collects_what_still_has_a_result(
    emu: DataForSEOEmulator, tmp_path: Path
) -> None:
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    recent = _completed(emu, datetime.now(UTC) - timedelta(days=30))
    every = _completed(emu)
    assert recent and len(every) > len(recent)
    # tasks_ready lists 3 days, all of them with their result: nothing to default or say.
    code, ids, err = _collect(
        ["-p", "dataforseo", "-o", "families=serp", "--to", str(tmp_path / "r")], env
    )
    assert code == 0, err
    assert ids and NOTE not in err
    code, ids, err = _collect(HISTORY, env)
    assert code == 0, err
    assert ids == recent  # no call for a task whose result is gone
    assert err.count(NOTE) == 1 and "--since 30d" in err
    assert "pass --since" in err


def test_an_older_since_warns_once_and_runs_as_asked(
    emu: DataForSEOEmulator, tmp_path: Path
) -> None:
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    code, ids, err = _collect([*HISTORY, "--since", "45d"], env)
    assert code == 4  # the older tasks' results expired: each a failed line
    assert ids == _completed(emu)
    assert err.count(NOTE) == 1 and "warning" in err
    assert err.index(NOTE) < err.index("seotasks: collected")
    # A lone --until older than the limit: the same warning, no default --since.
    until = (datetime.now(UTC) - timedelta(days=33)).isoformat()
    code, ids, err = _collect([*HISTORY, "--until", until], env)
    assert code == 4 and ids and err.count(NOTE) == 1 and "warning" in err
    # Within the limit: nothing to say.
    code, ids, err = _collect([*HISTORY, "--since", "30d"], env)
    assert code == 0, err
    assert NOTE not in err


def test_a_resumed_run_keeps_the_defaulted_window(emu: DataForSEOEmulator, tmp_path: Path) -> None:
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    state = tmp_path / "collect.state"
    args = [*HISTORY, "--to", str(tmp_path / "out"), "--resume", str(state)]
    first_code, first, _ = _collect([*args, "--limit", "10"], env)
    assert first_code == 0 and len(first) == 10
    code, rest, err = _collect(args, env)
    assert code == 0, err
    assert first | rest == _completed(emu, datetime.now(UTC) - timedelta(days=30))


def test_a_live_only_apis_tasks_are_not_collectable_and_cost_no_call(tmp_path: Path) -> None:
    """id_list lists the live-only APIs' tasks (Labs, Backlinks, ...), answered live: the
    vendor has no task_get for them. Each was a paced call answered 404 and a failure,
    so every history collect with the default families exited 4. Refused before any
    call now, each still on its line, and said once in the summary."""
    labs = "dataforseo_labs/google/ranked_keywords"
    now = datetime.now(UTC)
    with DataForSEOEmulator(seed=8, size=0, kinds=(KIND,)) as emu:
        emu.add_tasks(20, posted=(now - timedelta(days=5), now - timedelta(hours=1)))
        emu.add_tasks(12, kinds=[labs], posted=(now - timedelta(days=5), now), code=20000)
        live = emu.history_ids(status="completed", families=["dataforseo_labs"])
        stored = _completed(emu)
        assert live and stored
        env = cli_env(tmp_path, {"dataforseo": emu.settings})
        families = "families=serp,dataforseo_labs"
        args = ["-p", "dataforseo", "-o", "source=history", "-o", families]
        code, ids, err = _collect([*args, "--to", str(tmp_path / "r")], env)
        assert code == 0, err
        assert ids == live | stored
        assert f"failed 0, not collectable {len(live)} (dataforseo: dataforseo_labs is" in err
        asked = [r.path for r in emu.server.requests if "/task_get/" in r.path]
        assert len(asked) == len(stored) and not any("dataforseo_labs" in p for p in asked)


def test_the_sandbox_history_collects_without_a_failure(tmp_path: Path) -> None:
    args = ["collect", "--sandbox", *HISTORY]
    done = run_here(args, cli_env(tmp_path))
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() and '"error"' not in done.stdout
    assert done.stderr.count(NOTE) == 1


def test_collect_reach() -> None:
    days = timedelta(days=1)
    assert Capabilities(window=181 * days, results_kept=30 * days).collect_reach() == 30 * days
    assert Capabilities(results_kept=30 * days).collect_reach() == 30 * days  # lists all
    assert Capabilities(window=3 * days, results_kept=30 * days).collect_reach() is None
    assert Capabilities(window=3 * days).collect_reach() is None
    with pytest.raises(ValueError, match="results_kept"):
        Capabilities(results_kept=timedelta(0))
    assert Capabilities(results_kept=30 * days).describe()["results_kept_days"] == 30
    assert [relative_form(s) for s in (30 * days, timedelta(hours=36), timedelta(seconds=90))] == [
        "30d",
        "36h",
        "90s",
    ]


@pytest.mark.parametrize("field", ["window", "results_kept"])
def test_a_span_given_as_a_number_of_days_is_refused_when_declared(field: str) -> None:
    """``window=30`` (days, as a number) was accepted: the kit passed the plugin, then
    ``seotasks providers`` showed ``'int' object has no attribute 'total_seconds'`` and
    ``collect`` compared it with a timedelta (``results_kept=7`` failed as ``'>' not
    supported``). It is refused where it is declared, naming the field."""
    with pytest.raises(TypeError, match=rf"'{field}' must be a datetime.timedelta, got 30"):
        Capabilities(**{field: 30})
