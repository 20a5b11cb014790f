"""Benchmark 6: collecting results, and receiving them.

* **Throughput.** Client and DataForSEO emulator share a `ScaledClock`; every ``task_get``
  answer is held back by a fixed latency (100 ms of clock time) in the emulator's request
  hook. `Client.collect_many(workers=8)` should run at the vendor's 2000 calls a minute
  (>= 95 %, zero refusals); the same call with ``workers=1``, and the official
  ``dataforseo-client``'s ``task_get`` loop (run in the benchmark venv against the same
  emulator), are bound by the latency instead. Sustained rate = ``task_get`` calls after
  the first minute's allowance, over the clock time they took.
* **The journal.** The same, the way ``seotasks collect --to DIR`` runs over a listing
  that drains: each fetch journalled first (a file and its folder fsynced), each answer
  streamed to its file, renamed into place, its entry removed, a window of 8; and the
  cost of one journal entry written and removed, alone.
* **Memory.** Peak RSS of a process that collects N results with ``collect_many`` from an
  emulator running in another process (its dataset would otherwise dominate), for N and
  10 N: flat means within 10 %.
* **Receiver.** Postbacks a second on loopback: 1000-task envelopes, gzip-compressed,
  POSTed by 4 threads to `ReceiverApp` under waitress, every task written as a durable
  file; against the same files written directly by `ResultStore` (no HTTP, no gzip, no
  JSON parsing) as the baseline.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from childpeak import PeakWatch

from seotasks.testing.memory import peak_rss

HERE = Path(__file__).resolve().parent
KIND = "serp/google/organic"
LIMIT = 2000
LATENCY = 0.1  # clock seconds per task_get answer
FACTOR = 10.0  # clock seconds per real second


def _emulator(clock: Any, count: int) -> tuple[Any, list[str]]:
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    emu = DataForSEOEmulator(seed=6, size=0, kinds=(KIND,), clock=clock).start()
    ids = emu.add_tasks(count, posted=datetime.now(UTC) - timedelta(hours=2), code=20000)
    return emu, ids


def _tasks(ids: list[str]) -> list[Any]:
    from seotasks.model import Task, TaskStatus

    return [Task(provider="dataforseo", id=i, status=TaskStatus.COMPLETED, kind=KIND) for i in ids]


def _hook(clock: Any, stamps: list[float], lock: threading.Lock) -> Any:
    real_latency = LATENCY / FACTOR

    def seen(request: Any) -> None:
        if "/task_get/" in request.path:
            time.sleep(real_latency)  # the answer leaves after the latency...
            with lock:
                stamps.append(clock.monotonic())  # ... and counts when handled

    return seen


def _sustained(stamps: list[float], period: int) -> float:
    """Calls a minute over whole periods of ``period`` calls, from the first call.

    A sliding-window limit lets each minute's allowance go in a burst and then waits, so
    the honest long-run rate counts whole windows: the ``k * period``-th call came
    ``stamps[k * period] - stamps[0]`` after the first, and ``k * period`` calls went in
    that time. ``period=1`` is the plain average of an unthrottled loop.
    """
    ordered = sorted(stamps)
    whole = (len(ordered) - 1) // period * period
    if whole < 1:
        return 0.0
    return whole / (ordered[whole] - ordered[0]) * 60


def throughput(quick: bool) -> dict[str, Any]:
    import seotasks
    from seotasks.clock import ScaledClock
    from seotasks.testing.pacing import most_in_window
    from seotasks.transport import RetryPolicy

    windows = 2 if quick else 4
    out: dict[str, Any] = {"limit_per_min": LIMIT, "latency_ms": LATENCY * 1e3, "factor": FACTOR}
    for name, workers in (("workers=8", 8), ("journal", 8), ("workers=1", 1)):
        clock = ScaledClock(FACTOR)
        count = LIMIT * windows + 1 if workers > 1 else int(60 / LATENCY * windows / 2)
        emu, ids = _emulator(clock, count)
        stamps: list[float] = []
        emu.server.on_request = _hook(clock, stamps, threading.Lock())
        client = seotasks.connect(
            "dataforseo", clock=clock, retry=RetryPolicy(attempts=3), env={}, **emu.settings
        )
        started = clock.monotonic()
        if name == "journal":
            ok = _journalled(client, ids)
        else:
            ok = sum(r.ok for r in client.collect_many(_tasks(ids), workers=workers))
        spent = clock.monotonic() - started
        client.close()
        emu.stop()
        out[name] = {
            "tasks": count,
            "collected": ok,
            "clock_minutes": spent / 60,
            "sustained_per_min": _sustained(stamps, LIMIT if workers > 1 else 1),
            "max_in_60s": most_in_window(stamps, 60.0),
            "rate_limited": emu.rate_limited,
        }
    out["official"] = _official(quick)
    return out


def _journalled(client: Any, ids: list[str]) -> int:
    """What ``seotasks collect --to DIR`` does per task: a journal entry (two fsyncs)
    before the fetch, the answer streamed to a file, the file fsynced and renamed into
    place, the entry removed; a window of ``workers``."""
    from seotasks.journal import Journal
    from seotasks.store import ResultStore

    ok = 0
    with tempfile.TemporaryDirectory() as tmp:
        store = ResultStore(Path(tmp) / "out")
        with Journal.open(Path(tmp) / "journal", "dataforseo") as journal:
            outcomes = client.collect_many(
                _tasks(ids),
                workers=8,
                window=8,
                journal=journal,
                into=store.folder("dataforseo"),
            )
            for outcome in outcomes:
                if outcome.path is not None:
                    store.adopt("dataforseo", outcome.task.id, outcome.path)
                    journal.ack(outcome.task.id)
                    ok += 1
    return ok


def journal_cost(count: int = 500) -> dict[str, float]:
    """Milliseconds per journal entry written (file and folder fsynced) and removed."""
    from seotasks.journal import Journal

    tasks = _tasks([f"00000000-0000-0000-0000-{i:012d}" for i in range(count)])
    with tempfile.TemporaryDirectory() as tmp, Journal.open(Path(tmp), "dataforseo") as journal:
        started = time.perf_counter()
        for task in tasks:
            journal.record(task)
        recorded = time.perf_counter() - started
        started = time.perf_counter()
        for task in tasks:
            journal.ack(task.id)
        acked = time.perf_counter() - started
    return {"record_ms": recorded / count * 1e3, "ack_ms": acked / count * 1e3}


def _official(quick: bool) -> dict[str, Any] | None:
    """The official client's sequential task_get loop against the same latency."""
    from benchvenv import bench_python

    from seotasks.clock import ScaledClock
    from seotasks.testing.pacing import most_in_window

    python = bench_python()
    if python is None:
        return None
    clock = ScaledClock(FACTOR)
    count = 200 if quick else 600
    emu, ids = _emulator(clock, count)
    stamps: list[float] = []
    emu.server.on_request = _hook(clock, stamps, threading.Lock())
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump({"settings": emu.settings, "ids": ids}, fh)
        done = subprocess.run(
            [str(python), str(HERE / "official_collect.py"), fh.name],
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        emu.stop()
        os.unlink(fh.name)
    if done.returncode != 0:
        print(f"# official collect loop failed: {done.stderr[-400:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout)
    result["sustained_per_min"] = _sustained(stamps, 1)
    result["max_in_60s"] = most_in_window(stamps, 60.0)
    result["rate_limited"] = emu.rate_limited
    return result


# -- memory ---------------------------------------------------------------------------------------

_SERVE = """
import json, sys
from datetime import UTC, datetime, timedelta
from seotasks_dataforseo.emulator import DataForSEOEmulator
emu = DataForSEOEmulator(seed=7, size=0, kinds=("serp/google/organic",), enforce_limits=False)
emu.start()
ids = emu.add_tasks(int(sys.argv[1]), posted=datetime.now(UTC) - timedelta(hours=2), code=20000)
with open(sys.argv[2], "w") as fh:
    fh.write("\\n".join(ids))
print(json.dumps(emu.settings), flush=True)
sys.stdin.read()
emu.stop()
"""

_COLLECT = """
import json, sys, time
import seotasks
from seotasks.clock import FakeClock
from seotasks.model import Task, TaskStatus
settings = json.loads(sys.argv[1])
def tasks():
    with open(sys.argv[2]) as fh:
        for line in fh:
            yield Task(provider="dataforseo", id=line.strip(), status=TaskStatus.COMPLETED,
                       kind="serp/google/organic")
client = seotasks.connect("dataforseo", clock=FakeClock(), env={}, **settings)
started = time.perf_counter()
ok = failed = 0
for outcome in client.collect_many(tasks(), workers=8):
    if outcome.ok:
        ok += 1
    else:
        failed += 1
seconds = time.perf_counter() - started
print(json.dumps({"ok": ok, "failed": failed, "seconds": seconds}))
"""


def _collect_rss(count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        ids_file = Path(tmp) / "ids.txt"
        server = subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(count), str(ids_file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            settings = server.stdout.readline().strip()
            collector = subprocess.Popen(
                [sys.executable, "-c", _COLLECT, settings, str(ids_file)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            peak = PeakWatch(collector)
            try:
                out, err = collector.communicate(timeout=3600)
            except subprocess.TimeoutExpired:
                collector.kill()  # as subprocess.run would: no collector left running
                raise
            peak_mib = peak.mib()
        finally:
            if server.stdin is not None:
                server.stdin.close()
            server.wait(30)
    if collector.returncode != 0:
        raise RuntimeError(err[-600:])
    result: dict[str, Any] = json.loads(out)
    assert result["ok"] == count, result
    return {**result, "peak_rss_mib": peak_mib}


def memory(quick: bool) -> dict[str, Any]:
    small = 2_000 if quick else 10_000
    return {
        "small": {"tasks": small, **_collect_rss(small)},
        "large": {"tasks": small * 10, **_collect_rss(small * 10)},
    }


# -- receiver -------------------------------------------------------------------------------------


def _envelope(prefix: str, size: int) -> dict[str, Any]:
    tasks = [
        {
            "id": f"{prefix}-{n:05d}",
            "status_code": 20000,
            "status_message": "Ok.",
            "cost": 0.0006,
            "data": {"keyword": f"keyword {n}", "tag": None},
            "result": [{"keyword": f"keyword {n}", "items_count": 0, "items": []}],
        }
        for n in range(size)
    ]
    return {"version": "0.1", "status_code": 20000, "tasks_count": size, "tasks": tasks}


def big_result(quick: bool) -> dict[str, Any]:
    """Peak RSS of ``seotasks collect --to DIR`` fetching one result of 100 MB (40 MB with
    --quick), against the same command fetching a result of 1 MB: the streamed path should
    cost the same whatever the size (the bound: 1.5 x the result + 60 MB)."""
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    out: dict[str, Any] = {}
    big = 40 if quick else 100
    for label, megabytes in (("small", 1), ("big", big)):
        with (
            tempfile.TemporaryDirectory() as tmp,
            DataForSEOEmulator(seed=12, size=0, kinds=(KIND,)) as emu,
        ):
            emu.add_tasks(
                3,
                posted=datetime.now(UTC) - timedelta(hours=1),
                code=20000,
                delay=timedelta(minutes=1),
            )
            emu.app.result_padding = megabytes * 1024 * 1024
            env = {k: v for k, v in os.environ.items() if not k.startswith("SEOTASKS_")}
            env.update(
                SEOTASKS_CONFIG=str(Path(tmp) / "absent.toml"),
                SEOTASKS_DATAFORSEO_BASE_URL=emu.url,
                SEOTASKS_DATAFORSEO_LOGIN=emu.login,
                SEOTASKS_DATAFORSEO_PASSWORD=emu.password,
            )
            target = Path(tmp) / "out"
            command = [sys.executable, "-m", "seotasks.cli", "collect", "-p", "dataforseo"]
            command += ["--to", str(target), "-L", "1", "--workers", "1"]
            started = time.perf_counter()
            peak = _peak_rss_of(command, env)
            seconds = time.perf_counter() - started
            size = sum(p.stat().st_size for p in (target / "dataforseo").glob("*.json"))
        out[label] = {"result_mib": size / 2**20, "peak_rss_mib": peak / 2**20, "seconds": seconds}
    return out


def _peak_rss_of(command: list[str], env: dict[str, str]) -> int:
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = peak_rss(proc)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed")
    return peak


def receiver(quick: bool) -> dict[str, Any]:
    import urllib3

    from seotasks.cli.receive_server import ReceiverServer
    from seotasks.receiver.app import ReceiverApp
    from seotasks.store import ResultStore

    secret = "bench-secret-0123456789"
    envelopes = 4 if quick else 12
    size = 1000
    bodies = [
        gzip.compress(json.dumps(_envelope(f"e{k}", size)).encode()) for k in range(envelopes)
    ]
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        from seotasks_dataforseo.provider import DataForSEOProvider

        app = ReceiverApp(ResultStore(Path(tmp) / "http"), secret, DataForSEOProvider)
        server = ReceiverServer(app, "127.0.0.1", 0, threads=4)
        thread = threading.Thread(target=server.serve, daemon=True)
        thread.start()
        pool = urllib3.PoolManager(maxsize=4, retries=False, timeout=600.0)
        url = f"{server.url}/{secret}/postback"
        started = time.perf_counter()
        with ThreadPoolExecutor(4) as workers:
            statuses = list(
                workers.map(
                    lambda body: (
                        pool.request(
                            "POST", url, body=body, headers={"Content-Encoding": "gzip"}
                        ).status
                    ),
                    bodies,
                )
            )
        http_seconds = time.perf_counter() - started
        server.stop()
        thread.join(30)
        app.store.close()
        assert statuses == [200] * envelopes, statuses
        files = sum(1 for _ in (Path(tmp) / "http" / "dataforseo").iterdir())
        assert files == envelopes * size, files
        # Baseline: the same files written straight through ResultStore by 4 threads.
        direct = ResultStore(Path(tmp) / "direct")
        items = [(t["id"], t) for k in range(envelopes) for t in _envelope(f"e{k}", size)["tasks"]]
        started = time.perf_counter()
        with ThreadPoolExecutor(4) as workers:
            list(workers.map(lambda item: direct.write("dataforseo", item[0], item[1]), items))
        direct_seconds = time.perf_counter() - started
    return {
        "envelopes": envelopes,
        "tasks_per_envelope": size,
        "postbacks_per_s": envelopes / http_seconds,
        "tasks_per_s": envelopes * size / http_seconds,
        "direct_tasks_per_s": envelopes * size / direct_seconds,
    }


def run(quick: bool = False) -> dict[str, Any]:
    return {
        "throughput": throughput(quick),
        "journal_cost": journal_cost(),
        "memory": memory(quick),
        "big_result": big_result(quick),
        "receiver": receiver(quick),
    }


if __name__ == "__main__":
    print(json.dumps(run("--quick" in sys.argv), indent=2, default=str))
