"""``seotasks`` that dies as SIGKILL kills, at the worst instant of a warehouse load:
just after dlt committed one insert job of the table ``SEOTASKS_TEST_DIE_AFTER``, before
it recorded the job as done. The next run finds the job not done and runs it again.

A kill at a random instant lands there now and then (twice in some thirty kills of an
outside pass); this lands there every time.
"""

from __future__ import annotations

import os
from typing import Any

from dlt.destinations.insert_job_client import InsertValuesLoadJob

from seotasks.cli import run

if __name__ == "__main__":
    table = os.environ["SEOTASKS_TEST_DIE_AFTER"]
    committed = InsertValuesLoadJob.run

    def run_then_die(job: Any) -> None:
        committed(job)
        if job.load_table_name == table:
            os._exit(9)

    jobs: Any = InsertValuesLoadJob  # the class patched, as the type checker allows
    jobs.run = run_then_die
    run()
