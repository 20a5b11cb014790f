"""Results the size of real SERP answers, and the peak memory of a ``seotasks`` process.

The DataForSEO emulator answers ``task_get`` with the documented shape and an empty
``items`` list (it crawls nothing), about 1 KB a result. A real SERP result holds tens
of ranked items, 10-100 KB. `PaddedResults` wraps the emulator's app so that every
``task_get`` answer carries organic items up to a chosen size: the same envelope, the
same ids and codes, the same drain semantics, only a longer ``items`` list, so memory
is measured on results that are as big, and as many small objects, as real ones.

`run_measured` runs the ``seotasks`` command in a child process that reports its own
peak resident set (``VmHWM`` from ``/proc/self/status``, read as it exits), so the
figure is that process's alone: not the test process's, which runs the emulator.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from seotasks.emulation import EmulatorApp, Fault, HttpRequest, HttpResponse

__all__ = ["PaddedResults", "item", "run_measured"]


def item(rank: int, task_id: str) -> dict[str, Any]:
    """One organic SERP item as DataForSEO documents it (about 400 bytes of JSON)."""
    domain = f"site-{rank}-{task_id[:8]}.example.com"
    return {
        "type": "organic",
        "rank_group": rank,
        "rank_absolute": rank,
        "position": "left",
        "xpath": f"/html[1]/body[1]/div[2]/div[{rank}]/div[1]/div[1]/div[1]/a[1]",
        "domain": domain,
        "title": f"Result {rank} for task {task_id}: a page title of usual length",
        "url": f"https://{domain}/a/path/to/page-{rank}.html",
        "breadcrumb": f"https://{domain} > a > path",
        "is_image": False,
        "is_video": False,
        "is_featured_snippet": False,
        "is_malicious": False,
        "description": "A snippet of about one hundred and fifty characters, as a search "
        f"engine shows it under the title of result number {rank}.",
        "amp_version": False,
        "rating": None,
    }


class PaddedResults:
    """An `EmulatorApp` that fills each successful ``task_get`` result to ``size`` bytes."""

    def __init__(self, app: EmulatorApp, size: int) -> None:
        self.app = app
        self.size = size
        sample = len(json.dumps(item(10, "0" * 36), separators=(",", ":")))
        self.per_result = max(0, size // sample)

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        response = self.app.handle(request, fault)
        if response.status != 200 or "/task_get/" not in request.path:
            return response
        body = json.loads(response.body)
        for task in body.get("tasks") or []:
            for result in task.get("result") or []:
                if isinstance(result, dict) and "items" in result:
                    result["items"] = [item(r, task["id"]) for r in range(1, self.per_result + 1)]
                    result["items_count"] = self.per_result
        padded = json.dumps(body, separators=(",", ":")).encode()
        return HttpResponse(status=response.status, body=padded, headers=response.headers)


_DRIVER = """
import sys
from seotasks.cli import main
code = main(sys.argv[1:])
with open("/proc/self/status") as status:
    peak = next(line for line in status if line.startswith("VmHWM:"))
sys.stderr.write("PEAK_KB " + peak.split()[1] + "\\n")
sys.exit(code)
"""


def run_measured(
    args: Sequence[str], env: Mapping[str, str], *, timeout: float = 600
) -> tuple[subprocess.CompletedProcess[str], float]:
    """``seotasks *args`` in a child process; its result and its peak RSS in MB."""
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    peaks = [line for line in done.stderr.splitlines() if line.startswith("PEAK_KB ")]
    if not peaks:
        raise AssertionError(f"no peak reported (rc {done.returncode}): {done.stderr[-2000:]}")
    return done, int(peaks[-1].split()[1]) / 1024
