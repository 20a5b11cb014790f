"""seotasks' own normalization path, page bytes -> `Task` objects, for the benchmarks.

Exactly what the providers run on each answer (envelope checks, then the item reader).
Kept apart from `normalize.py` so that `official.py` can time it in the benchmark venv
too, beside the official client, in one process (that venv has no msgspec).
"""

from __future__ import annotations

from seotasks_dataforseo import readers as dfs_readers
from seotasks_dataforseo import wire as dfs_wire
from seotasks_dataforseo.endpoints import BY_NAME, CATALOGUE, resolve_history

from seotasks.model import Task
from seotasks.transport import Response, decode_json_object

SERP = CATALOGUE[BY_NAME["serp"]]
SERP_HISTORY = resolve_history(["serp"])[0]


def response(body: bytes, path: str) -> Response:
    return Response(status=200, headers={}, body=body, url=f"http://127.0.0.1{path}", scrub=str)


def seotasks_ready(body: bytes) -> list[Task]:
    """What `DataForSEOProvider` does with one tasks_ready answer."""
    envelope = dfs_wire.parse_envelope(response(body, SERP.path), str)
    task = dfs_wire.first_task(envelope, SERP.path, str)
    return dfs_readers.ready_tasks(SERP, dfs_wire.result_items(task))


def seotasks_history(body: bytes) -> list[Task]:
    """What `DataForSEOProvider` does with one id_list answer (the page reader)."""
    envelope = dfs_wire.parse_envelope(response(body, SERP_HISTORY.path), str)
    task = dfs_wire.first_task(envelope, SERP_HISTORY.path, str)
    reads = dfs_readers.HistoryReader().page(dfs_wire.result_items(task), SERP_HISTORY)
    return [read for read in reads if read is not None]


def seotasks_serpstat(body: bytes) -> list[Task]:
    """What `SerpstatProvider` does with one tasks.getList answer."""
    from seotasks_serpstat import wire as st_wire  # not installed in the benchmark venv

    rows = st_wire.read_result(
        decode_json_object(response(body, "/rt/api/v2/")), expected_id="1", scrub=str
    )
    return st_wire.normalize_rows(rows, ids=st_wire.row_ids(rows))
