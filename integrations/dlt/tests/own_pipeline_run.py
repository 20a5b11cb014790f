"""One account's own dlt pipeline into PostgreSQL, its run inside `dataset_turn`.

Run as a child process by `test_own_pipeline_parallel`: ``python own_pipeline_run.py
NAME PIPELINES_DIR``, the account in ``SEOTASKS_DATAFORSEO_*`` and the destination in
``OWN_RUN_URL``. The clients' clock runs a thousand times faster (id_list's 10 calls a
minute would pace the test in real minutes).
"""

from __future__ import annotations

import os
import sys

import dlt
from seotasks_dlt import dataset_turn, seotasks_source

from seotasks.clock import ScaledClock

name, pipelines = sys.argv[1:3]
options = {"dataforseo": {"source": "history", "families": ["serp"]}}
source = seotasks_source(["dataforseo"], collect=True, options=options, clock=ScaledClock(1000))
pipeline = dlt.pipeline(
    pipeline_name=name,
    destination=dlt.destinations.postgres(os.environ["OWN_RUN_URL"]),
    dataset_name="seo",
    pipelines_dir=pipelines,
)
with dataset_turn(pipeline, wait=300):
    pipeline.run(source)
