"""The Dagster recipe, materialized by Dagster itself: one partition per account, into Postgres.

In-process ``materialize`` with an ephemeral instance runs the recipe's asset as
written (its partitions, its retry policy), against three accounts' emulators.
"""

from __future__ import annotations

import importlib.util
import types
from pathlib import Path

import accounts
from dagster import DagsterEventType, DagsterInstance, materialize
from pgenv import Tables
from pgtest import Server

from seotasks.emulation import Fault

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "dagster_assets.py"


def _recipe() -> types.ModuleType:
    """The recipe file as a module, imported now (its retry delay comes from the env)."""
    spec = importlib.util.spec_from_file_location("dagster_recipe", RECIPE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _materialize_all(recipe: types.ModuleType, instance: DagsterInstance) -> None:
    for profile in accounts.PROFILES:
        result = materialize([recipe.seotasks_tables], partition_key=profile, instance=instance)
        assert result.success, profile


def test_each_partition_loads_its_account_once_then_only_what_is_new(
    three: tuple[accounts.Accounts, str], server: Server
) -> None:
    started, database = three
    recipe = _recipe()
    assert recipe.accounts.get_partition_keys() == list(accounts.PROFILES)
    assert recipe.defs.get_assets_def("seotasks_tables") is recipe.seotasks_tables
    tables = Tables(server, database)
    with DagsterInstance.ephemeral() as instance:
        _materialize_all(recipe, instance)
        started.check(tables)
        before = {a.profile: a.serp.requests for a in started.all}

        for account in started.all:
            account.add_tasks()
        _materialize_all(recipe, instance)
        started.check(tables)
        # Incremental: each account's second listing read its list's head, not all of it.
        for account in started.all:
            assert account.serp.requests - before[account.profile] < before[account.profile]


def test_a_failed_partition_is_retried_by_the_recipes_policy_without_duplicates(
    three: tuple[accounts.Accounts, str], server: Server
) -> None:
    started, database = three
    recipe = _recipe()
    tables = Tables(server, database)
    with DagsterInstance.ephemeral() as instance:
        _materialize_all(recipe, instance)
        failing = started.all[1]
        failing.add_tasks()
        # Serpstat answers 500 to every one of the client's attempts at one request: the
        # load fails, Dagster retries the partition, the retry finds the vendor well.
        failing.serp.server.faults.inject(Fault.HTTP_500, count=5)
        result = materialize(
            [recipe.seotasks_tables], partition_key=failing.profile, instance=instance
        )
        assert result.success
        retried = [
            e for e in result.all_events if e.event_type == DagsterEventType.STEP_UP_FOR_RETRY
        ]
        assert len(retried) == 1
        assert failing.serp.server.faults.pending() == 0
        started.check(tables)
