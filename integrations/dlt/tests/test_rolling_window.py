"""A ``since`` given as a span back from now (``--since 2d``, ``timedelta(days=2)``) is a
window rolling with the runs: each run lists from that long before its own start, and the
pipeline keeps its state (an absolute ``since`` that moved would start it over)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from dltenv import CLI_OPTIONS, FAMILIES, SEOTASKS, Env, run_to_completion
from seotasks_dlt import seotasks_source

from seotasks.errors import ConfigError

DAYS = 2
STARTED_OVER = "dataforseo: the selection changed since the last run; listing from the start"


def _dfs_ids(env: Env) -> set[str]:
    return {i for p, i in env.keys("tasks") if p == "dataforseo"}


def _posted_since(env: Env, moment: datetime) -> set[str]:
    return env.dfs.history_ids(since=moment - timedelta(days=DAYS), families=FAMILIES)


def test_a_span_loads_what_was_created_within_it_and_the_next_run_keeps_the_state(
    env: Env,
) -> None:
    before = datetime.now(UTC)
    first = env.load(providers=["dataforseo"], since=timedelta(days=DAYS))
    after = datetime.now(UTC)
    loaded = _dfs_ids(env)
    # Every task posted within the span is there, none posted before it.
    assert _posted_since(env, after) <= loaded <= _posted_since(env, before)
    assert len(loaded) < len(env.dfs.history_ids(families=FAMILIES))  # older ones left out
    assert STARTED_OVER not in first.notes
    second = env.load(providers=["dataforseo"], since=timedelta(days=DAYS))
    assert STARTED_OVER not in second.notes  # the same selection: the state is kept
    assert second.tables["tasks"].new == 0
    # An absolute time is another selection: said, and listed from the start.
    third = env.load(providers=["dataforseo"], since=before - timedelta(days=DAYS))
    assert STARTED_OVER in third.notes
    assert STARTED_OVER in third.line()


def test_the_command_line_takes_the_same_forms_as_seotasks_tasks(env: Env) -> None:
    command = [
        *(*SEOTASKS, "load", "-p", "dataforseo", *CLI_OPTIONS[:4]),
        *("--to", str(env.database), "--pipelines-dir", str(env.pipelines)),
    ]

    def load_the_last_days() -> subprocess.CompletedProcess[str]:
        """``seotasks load ... --since {DAYS}d``, run again as a schedule would."""
        return run_to_completion([*command, "--since", f"{DAYS}d"], env.environment())

    before = datetime.now(UTC)
    done = load_the_last_days()
    after = datetime.now(UTC)
    assert done.returncode == 0, done.stderr
    assert not any(p == "serpstat" for p, _ in env.keys("tasks"))
    assert _posted_since(env, after) <= _dfs_ids(env) <= _posted_since(env, before)
    again = load_the_last_days()
    assert again.returncode == 0, again.stderr
    assert "selection changed" not in again.stdout
    refused = run_to_completion([*command, "--since", "yesterday"], env.environment())
    assert refused.returncode == 2
    assert "'yesterday' is neither ISO 8601" in refused.stderr


@pytest.mark.parametrize(
    ("since", "words"),
    [
        (timedelta(0), "must be positive"),
        (timedelta(hours=-1), "must be positive"),
        ("99999999999d", "before the year 1"),
        ("800000d", "before the year 1"),
        (timedelta(days=800_000), "before the year 1"),
    ],
)
def test_an_unusable_span_is_refused_before_anything_runs(
    since: timedelta | str, words: str
) -> None:
    with pytest.raises(ConfigError, match=words):
        seotasks_source(["dataforseo"], since=since)


@pytest.mark.parametrize(
    ("since", "until"),
    [("1h", "12h"), ("2h", "2h"), ("1d", datetime(2000, 1, 1, tzinfo=UTC))],
)
def test_a_window_that_ends_before_it_begins_is_refused_before_anything_runs(
    since: str, until: str | datetime
) -> None:
    with pytest.raises(ConfigError, match="must be before until"):
        seotasks_source(["dataforseo"], since=since, until=until)
