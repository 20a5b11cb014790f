"""Parse the Airflow recipe with Airflow's DagBag and run it once with ``dag.test()``.

Run in a process of its own by test_airflow.py: Airflow reads its configuration
(AIRFLOW_HOME, the SQLite metadata database) when first imported. Prints one JSON object
on its last line: the DagBag's import errors, whether parsing imported dlt (the
scheduler must not need it), the DAG's settings the recipe promises, the run's state,
and each mapped task instance's map index, state and number of tries.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime


def main(recipe: str, logical_date: str) -> int:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=recipe)
    report: dict[str, object] = {
        "import_errors": {k: str(v) for k, v in bag.import_errors.items()},
        "parse_imported_dlt": "dlt" in sys.modules or "seotasks_dlt" in sys.modules,
    }
    dag = bag.get_dag("seotasks_accounts")
    if dag is None:
        print(json.dumps(report))
        return 1
    load_account = dag.get_task("load_account")
    report["max_active_runs"] = dag.max_active_runs
    report["retries"] = load_account.retries
    # One DAG run per logical date: each call here is a new run.
    run = dag.test(logical_date=datetime.fromisoformat(logical_date))
    report["state"] = str(run.state)
    report["mapped"] = sorted(
        [ti.map_index, str(ti.state), ti.try_number]
        for ti in run.get_task_instances()
        if ti.task_id == "load_account"
    )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
