"""The official ``dataforseo-client``'s ``task_get`` loop, run inside the benchmark venv.

What a user of the official client writes to collect finished tasks: one
``google_organic_task_get_advanced(id)`` after the other. `collecting.py` points it at
the emulator (which adds the benchmark's fixed latency to every answer) and reads the
calls' timing from the emulator's side. Prints JSON: tasks, seconds, errors.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> None:
    from dataforseo_client import api_client, configuration
    from dataforseo_client.api.serp_api import SerpApi

    job = json.loads(Path(sys.argv[1]).read_text())
    settings = job["settings"]
    config = configuration.Configuration(
        host=settings["base_url"], username=settings["login"], password=settings["password"]
    )
    errors = 0
    with api_client.ApiClient(config) as client:
        serp = SerpApi(client)
        started = time.perf_counter()
        for task_id in job["ids"]:
            answer = serp.google_organic_task_get_advanced(id=task_id)
            if not answer.tasks or answer.tasks[0].status_code != 20000:
                errors += 1
        seconds = time.perf_counter() - started
    print(json.dumps({"tasks": len(job["ids"]), "seconds": seconds, "errors": errors}))


if __name__ == "__main__":
    main()
