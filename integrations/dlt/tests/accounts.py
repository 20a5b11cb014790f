"""Three vendor accounts, each a pair of emulators and a TOML profile: what the recipes load.

The recipes name their accounts by profile (``agency_a``...): each profile here points
at its own DataForSEO and Serpstat emulators (different seeds, so different tasks), in
one ``SEOTASKS_CONFIG`` file, as a user's would. `Accounts.check` is the orchestrator
tests' one verdict: every listed task of each account in Postgres once, one result per
completed task.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pgenv import Tables
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_serpstat.emulator import SerpstatEmulator

PROFILES = ("agency_a", "agency_b", "agency_c")
FAMILY = "serp"


class Account:
    def __init__(self, profile: str, dfs: DataForSEOEmulator, serp: SerpstatEmulator) -> None:
        self.profile = profile
        self.dfs = dfs
        self.serp = serp
        #: DataForSEO's ready tasks as the account had them: collected (and so gone from
        #: tasks_ready) by the next load, listed once.
        self.listed = {("dataforseo", i) for i in dfs.ready_ids([FAMILY])}

    def truth(self) -> set[tuple[str, str]]:
        """Every task the loads of this account must have put in the tables by now.

        DataForSEO's: those ready when the account started or gained tasks, and every one
        a load collected (a task that completes during a load is listed, collected and so
        no longer ready: only the emulator's record of collections still knows it). Not
        those ready now: a task completing after the last load is for the next one.
        """
        collected = {("dataforseo", i) for i in self.dfs.collected_ids()}
        return self.listed | collected | {("serpstat", i) for i in self.serp.task_ids()}

    def profile_toml(self) -> str:
        dfs, serp = self.dfs.settings, self.serp.settings
        return (
            f"[profiles.{self.profile}.dataforseo]\n"
            f'base_url = "{dfs["base_url"]}"\nlogin = "{dfs["login"]}"\n'
            f'password = "{dfs["password"]}"\nfamilies = ["{FAMILY}"]\n'
            f"[profiles.{self.profile}.serpstat]\n"
            f'base_url = "{serp["base_url"]}"\ntoken = "{serp["token"]}"\nrps = 100\n'
        )

    def add_tasks(self) -> None:
        """New work at both vendors since the last load, complete (ready) at once."""
        self.dfs.add_tasks(
            3,
            kinds=["serp/google/organic"],
            posted=datetime.now(UTC) - timedelta(minutes=5),
            delay=timedelta(seconds=1),
        )
        self.serp.add_tasks(2)
        self.listed |= {("dataforseo", i) for i in self.dfs.ready_ids([FAMILY])}


class Accounts:
    def __init__(self, accounts: list[Account], config: Path) -> None:
        self.all = accounts
        self.config = config

    def check(self, tables: Tables) -> None:
        truth: set[tuple[str, str]] = set()
        for account in self.all:
            truth |= account.truth()
        tables.assert_once_each(truth)
        tables.assert_results_match_completed()


@contextlib.contextmanager
def running(tmp: Path) -> Iterator[Accounts]:
    """The three accounts' emulators, started; the profile file written."""
    with contextlib.ExitStack() as stack:
        accounts = []
        for seed, profile in enumerate(PROFILES, start=11):
            dfs = DataForSEOEmulator(
                seed=seed,
                size=40,
                kinds=["serp/google/organic"],
                recent=1.0,
                enforce_limits=False,
            )
            serp = SerpstatEmulator(seed=seed, size=60, rps=None)
            stack.enter_context(dfs)
            stack.enter_context(serp)
            accounts.append(Account(profile, dfs, serp))
        config = tmp / "seotasks.toml"
        config.write_text("".join(a.profile_toml() for a in accounts), encoding="utf-8")
        config.chmod(0o600)  # as the docs ask: a file others can read is warned of
        yield Accounts(accounts, config)
