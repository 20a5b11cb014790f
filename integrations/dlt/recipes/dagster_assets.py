"""Dagster: the accounts as partitions of one asset (recipe, see docs/orchestrators.md).

Each partition is one profile and so one dlt pipeline (``seotasks_<profile>``):
partitions run in parallel, each resuming its own cursors. Two runs of the same
partition must not overlap: on one machine `load` refuses the second, and across
machines it holds a lock in the destination (a Postgres advisory lock) for the whole
load, so a second run is refused with `DestinationLocked` - a failure the retry policy
turns into a later try, once the first run has committed its cursors. A run tag
limit of one run per partition keeps such refusals rare: Dagster tags each run of a
partition ``dagster/partition``, and the instance's ``dagster.yaml`` can limit each of
its values (``concurrency: runs: tag_concurrency_limits: [{key: dagster/partition,
value: {applyLimitPerUniqueValue: true}, limit: 1}]``).

Tested as written by Dagster itself (integrations/dlt/orchestrator_tests).
"""

# No ``from __future__ import annotations`` here: Dagster reads the ``context``
# parameter's annotation at definition time and refuses it as a string.
import os

from dagster import (
    AssetExecutionContext,
    Backoff,
    Definitions,
    RetryPolicy,
    StaticPartitionsDefinition,
    asset,
)

#: One TOML profile per vendor account (credentials: SEOTASKS_CONFIG / the profile file).
PROFILES = ["agency_a", "agency_b", "agency_c"]
PROVIDERS = ["dataforseo", "serpstat"]
#: Seconds before the first retry of a failed partition (then doubled each time).
RETRY_DELAY = float(os.environ.get("SEOTASKS_RETRY_DELAY", "300"))

accounts = StaticPartitionsDefinition(PROFILES)


@asset(
    partitions_def=accounts,
    retry_policy=RetryPolicy(max_retries=3, delay=RETRY_DELAY, backoff=Backoff.EXPONENTIAL),
    group_name="seotasks",
)
def seotasks_tables(context: AssetExecutionContext) -> None:
    """The ``tasks`` and ``results`` tables of one account, loaded incrementally."""
    from seotasks_dlt import load

    summary = load(
        PROVIDERS,
        profile=context.partition_key,
        destination="postgres",  # DESTINATION__POSTGRES__CREDENTIALS in the environment
        dataset="seotasks",
        collect=True,
    )
    context.log.info(summary.line())


defs = Definitions(assets=[seotasks_tables])
