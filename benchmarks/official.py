"""One process's timing of a page three ways: the official client, seotasks, ``json.loads``.

Run inside the benchmark venv (`benchvenv`) by `run.py` and `floors.py`, with the page
files to parse (``--ready FILE --history FILE --serpstat FILE``). For each page it times,
in this one process with their repeats interleaved (so the ratios do not depend on how
busy the machine was at two different moments):

* ``official``: what the official ``dataforseo-client`` API client does with a response
  body, ``<ResponseModel>.from_json(text)`` (``json.loads`` plus a pydantic model per
  item, dates left as strings); DataForSEO pages only, and only where it is installed;
* ``seotasks``: the provider's own path on the same bytes (`ours.py`);
* ``json.loads`` of the same bytes: the floor no parser can go under.

Each repeat is timed in CPU time of this process (`timing.CPU`), 15 repeats, the
fastest kept: the candidates are single-threaded, and on this shared machine wall time
also counts whoever else had the core. Prints JSON: page -> candidate -> fastest repeat
in seconds, and the package versions.
Standard library only besides what it times.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import CPU, measure_together

PAGES = ("ready", "history", "serpstat")


def _official_models() -> dict[str, Any]:
    try:
        from dataforseo_client.models.serp_id_list_response_info import SerpIdListResponseInfo
        from dataforseo_client.models.serp_tasks_ready_response_info import (
            SerpTasksReadyResponseInfo,
        )
    except ImportError:  # the project's venv: no official client, the rest still runs
        return {}
    return {"ready": SerpTasksReadyResponseInfo, "history": SerpIdListResponseInfo}


def one(paths: dict[str, Path], quick: bool = False) -> dict[str, Any]:
    from ours import seotasks_history, seotasks_ready, seotasks_serpstat

    models = _official_models()
    ours = {"ready": seotasks_ready, "history": seotasks_history, "serpstat": seotasks_serpstat}
    out: dict[str, Any] = {}
    for name, path in paths.items():
        data = path.read_bytes()
        assert len(ours[name](data)) == 1000
        candidates: dict[str, Callable[[], object]] = {
            "seotasks": partial(ours[name], data),
            "json.loads": partial(json.loads, data),
        }
        model = models.get(name)
        if model is not None:
            text = data.decode()
            parsed = model.from_json(text)
            assert parsed is not None and len(parsed.tasks[0].result) == 1000
            candidates["official"] = partial(model.from_json, text)
        timings = measure_together(candidates, quick=quick, clock=CPU, repeats=15)
        out[name] = {key: timing.best for key, timing in timings.items()}
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for package in ("dataforseo-client", "pydantic"):
        with suppress(PackageNotFoundError):
            versions[package] = version(package)
    out["versions"] = versions
    return out


def main() -> None:
    paths = {
        name: Path(sys.argv[sys.argv.index(f"--{name}") + 1])
        for name in PAGES
        if f"--{name}" in sys.argv
    }
    print(json.dumps(one(paths, quick="--quick" in sys.argv)))


if __name__ == "__main__":
    main()
