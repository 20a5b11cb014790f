"""One locked load into Postgres, as an orchestrator's worker on another machine runs it.

``python lockrun.py PIPELINES_DIR WAIT``: `seotasks_dlt.destination_lock.locked_load` of
both emulators (their addresses in ``SEOTASKS_*``, the destination in
``DESTINATION__POSTGRES__CREDENTIALS``); prints the summary line, or the refusal on
stderr with exit status 3.
"""

from __future__ import annotations

import sys

from dltenv import FAMILIES
from seotasks_dlt.destination_lock import DestinationLocked, locked_load


def main(pipelines: str, wait: str) -> int:
    try:
        summary = locked_load(
            ["dataforseo", "serpstat"],
            wait=float(wait),
            destination="postgres",
            pipelines_dir=pipelines,
            options={
                "dataforseo": {"source": "history", "families": list(FAMILIES)},
                "serpstat": {"page_size": 100, "rps": 100.0},
            },
        )
    except DestinationLocked as exc:
        print(exc, file=sys.stderr)
        return 3
    print(summary.line())
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
