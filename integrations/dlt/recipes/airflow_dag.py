"""Airflow: one load per account, fanned out with dynamic task mapping (recipe).

Each mapped task instance loads one profile into its own dlt pipeline
(``seotasks_<profile>``), so the instances run in parallel without sharing a cursor.
``max_active_runs=1`` keeps two runs of the DAG from overlapping on one scheduler; the
load itself holds a lock in the destination (a Postgres advisory lock), so even two
schedulers never run one account's pipeline twice at once. Airflow workers keep no disk between
tries: each load restores its cursors from the destination (dlt's
``sync_destination``) and asks the vendors only for what is new.

Tested as written by Airflow itself (integrations/dlt/orchestrator_tests, see
docs/orchestrators.md).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import dag, task

#: One TOML profile per vendor account (credentials: SEOTASKS_CONFIG / the profile file).
PROFILES = ["agency_a", "agency_b", "agency_c"]
PROVIDERS = ["dataforseo", "serpstat"]
#: Seconds before the first retry of a failed load (then doubled each time).
RETRY_DELAY = float(os.environ.get("SEOTASKS_RETRY_DELAY", "300"))


@dag(
    schedule="@hourly",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["seotasks"],
)
def seotasks_accounts() -> None:
    @task
    def accounts() -> list[str]:
        return PROFILES

    @task(
        retries=3,
        retry_delay=timedelta(seconds=RETRY_DELAY),
        retry_exponential_backoff=True,
    )
    def load_account(profile: str) -> str:
        # Imported inside the task: the scheduler parses this file without dlt.
        from seotasks_dlt import load

        summary = load(
            PROVIDERS,
            profile=profile,
            destination="postgres",  # DESTINATION__POSTGRES__CREDENTIALS in the environment
            dataset="seotasks",
            collect=True,
        )
        return summary.line()

    load_account.expand(profile=accounts())


seotasks_accounts()
