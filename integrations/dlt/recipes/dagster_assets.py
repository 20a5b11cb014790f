"""Dagster: the accounts as partitions of one asset (recipe, see docs/dlt.md).

Each partition is one profile and so one dlt pipeline (``seotasks_<profile>``):
partitions run in parallel, each resuming its own cursors. Never launch the same
partition twice at once (a run queue limit on the ``seotasks/profile`` tag does it);
``seotasks load`` refuses a second concurrent load of a pipeline on one machine, but
two machines share only the destination.
"""

from __future__ import annotations

from dagster import (
    AssetExecutionContext,
    Definitions,
    RetryPolicy,
    StaticPartitionsDefinition,
    asset,
)

PROFILES = ["agency_a", "agency_b", "agency_c"]
PROVIDERS = ["dataforseo", "serpstat"]

accounts = StaticPartitionsDefinition(PROFILES)


@asset(
    partitions_def=accounts,
    retry_policy=RetryPolicy(max_retries=3, delay=300),
    op_tags={"seotasks/profile": "per-partition"},
    group_name="seotasks",
)
def seotasks_tables(context: AssetExecutionContext) -> None:
    """The ``tasks`` and ``results`` tables of one account, loaded incrementally."""
    from seotasks_dlt import load

    summary = load(
        PROVIDERS,
        profile=context.partition_key,
        destination="postgres",
        dataset="seotasks",
        collect=True,
    )
    context.log.info(summary.line())


defs = Definitions(assets=[seotasks_tables])
