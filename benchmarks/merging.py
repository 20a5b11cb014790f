"""Benchmark 9: `seotasks.merged` over 1 000 000 tasks from two sources, with peak RSS.

Each measurement runs in a child process (this file with ``--child``), whose peak RSS
is its own ``VmHWM`` (`childpeak`). The child builds the tasks lazily (Serpstat-shaped,
with a 10-field ``raw`` as the vendor sends it), so the input itself holds no memory; it
consumes the merged stream and checks it is in order. Cases, same tasks each time:

* ``reversed``: both sources deliver newest first, declared unordered (the worst
  case: every task is displaced; the merge sorts through disk beyond the buffer);
* ``sorted``: the same tasks already in order, still declared unordered (the sort
  costs the same work, only the input's order differs);
* ``declared``: already in order and declared ``order="sort_time"``: no buffer, no
  disk, the stream flows; the baseline the others are set against;
* ``produce``: the two sources read one after the other, no merge at all: what making
  the tasks costs, to tell the merge's own share of each time.

Peak RSS of ``reversed`` at 100 000 and at 1 000 000 tasks shows memory is bounded by
the buffer (20 000 tasks per source by default), not by the listing.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seotasks import Task

sys.path.insert(0, str(Path(__file__).resolve().parent))

T0 = datetime(2026, 11, 20, tzinfo=UTC)


def _source(provider: str, offset: int, count: int, newest_first: bool) -> Iterator[Task]:
    from types import MappingProxyType

    from seotasks import Task, TaskStatus

    numbers = range(count - 1, -1, -1) if newest_first else range(count)
    for i in numbers:
        created = T0 + timedelta(seconds=2 * i + offset)
        done = created + timedelta(seconds=240)
        stamp = created.strftime("%Y-%m-%d %H:%M:%S")
        raw = {
            "task_id": str(5_000_000 + i),
            "se_id": "1",
            "country_id": "23",
            "lang_id": "1",
            "region_id": "0",
            "device_type_id": "1",
            "progress": "100%",
            "keywords_count": "3",
            "created_at": stamp,
            "parsed_at": done.strftime("%Y-%m-%d %H:%M:%S"),
        }
        yield Task(
            provider=provider,
            id=str(5_000_000 + i),
            status=TaskStatus.COMPLETED,
            progress=1.0,
            created_at=created,
            completed_at=done,
            kind="serp/google/regular",
            raw=MappingProxyType(raw),
        )


def child(total: int, case: str) -> None:
    import seotasks
    from seotasks.merge import Source, merge_key

    half = total // 2
    newest_first = case == "reversed"
    order = "sort_time" if case == "declared" else None
    sources = [
        Source(_source("a", 0, half, newest_first), order, "a"),
        Source(_source("b", 1, total - half, newest_first), order, "b"),
    ]
    with tempfile.TemporaryDirectory(prefix="seotasks-bench-") as tmp:
        start = time.perf_counter()
        count = 0
        previous = None
        first_after = None
        if case == "produce":
            stream: Iterator[Any] = itertools.chain(*(s.tasks for s in sources))
            merge_key = _no_key  # type: ignore[assignment]
        else:
            stream = seotasks.merged(sources, tmpdir=tmp)
        for task in stream:
            if first_after is None:
                first_after = time.perf_counter() - start
            key = merge_key(task)
            if previous is not None and key < previous:
                raise AssertionError(f"out of order at task {count}")
            previous = key
            count += 1
        elapsed = time.perf_counter() - start
        left = list(Path(tmp).iterdir())
    if count != total or left:
        raise AssertionError(f"{count} tasks of {total}; left behind: {left}")
    print(json.dumps({"tasks": count, "seconds": elapsed, "first_s": first_after or 0.0}))


def _no_key(task: Any) -> int:
    return 0


def _run_child(total: int, case: str) -> dict[str, float]:
    """Run one child and read its own peak RSS (`childpeak`)."""
    from childpeak import PeakWatch

    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", str(total), case],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    peak = PeakWatch(proc)
    out, err = proc.communicate()
    peak_mib = peak.mib()
    if proc.returncode != 0:
        raise RuntimeError(f"merge benchmark child failed: {err.decode()[-500:]}")
    result: dict[str, float] = json.loads(out)
    result["peak_rss_mib"] = peak_mib
    return result


def run(quick: bool = False) -> dict[str, dict[str, float]]:
    total = 200_000 if quick else 1_000_000
    small = 20_000 if quick else 100_000
    return {
        "produce": _run_child(total, "produce"),
        "declared": _run_child(total, "declared"),
        "sorted": _run_child(total, "sorted"),
        "reversed": _run_child(total, "reversed"),
        "reversed_small": _run_child(small, "reversed"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("TASKS", "CASE"))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(int(args.child[0]), args.child[1])
        return
    print(json.dumps(run(args.quick), indent=2))


if __name__ == "__main__":
    main()
