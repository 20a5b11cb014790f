"""The ``seotasks collect`` command: list, collect concurrently, write, report, resume.

The listing (or, with ``--follow``, the listing again and again) is the input of
`Client.collect_many`, which reads it on its feeder thread: tasks whose file exists or
that are in flight are skipped there, the rest go to the workers. The main thread takes
each result, writes it (`ResultStore`: atomic, durable), prints its line and updates the
``--resume`` checkpoint. SIGINT/SIGTERM set the run's stop flag: no new task is taken,
the calls in flight finish, their files are written, and the command exits (``--follow``:
0 unless a task failed; otherwise 5, resumable). A second signal interrupts at once.

Order of effects per task, so that a crash at any point loses nothing and repeats nothing
on re-run: result file (durable) -> stdout line -> checkpoint. A re-run skips every task
whose file exists; the checkpoint only spares it listing again what was done.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from .cli.common import StatusLine

if TYPE_CHECKING:
    from .client import Client
    from .collect import Collected
    from .model import Task

__all__ = ["FOLLOW_INTERVAL", "CollectOptions", "run"]

#: --follow: seconds (on the client's clock) between listings that brought nothing new.
FOLLOW_INTERVAL = 30.0


class CollectOptions:
    """What ``seotasks collect`` was asked (already validated by the CLI)."""

    def __init__(
        self,
        *,
        to: Path | None,
        workers: int,
        resume: Path | None,
        follow: bool,
        compress: bool,
        limit: int | None,
        named: Sequence[Task] | None,
        asked: dict[str, str | None],
        interval: float | None = None,
        since: str | None = None,
        until: str | None = None,
        time_field: str | None = None,
    ) -> None:
        self.to = to
        self.workers = workers
        self.resume = resume
        self.follow = follow
        self.compress = compress
        self.limit = limit
        self.named = named
        self.asked = asked
        self.since = since
        self.until = until
        #: The time since/until bound (``created_at`` when None).
        self.time_field = time_field
        #: --follow: seconds between listings that brought nothing new.
        self.interval = FOLLOW_INTERVAL if interval is None else max(interval, 0.0)


class _Stop:
    """SIGINT/SIGTERM: the first asks for a graceful stop, a second one interrupts at once."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal: int | None = None
        self._saved: dict[int, Any] = {}

    def __enter__(self) -> _Stop:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.signal = signum
        self.event.set()


class _Progress(StatusLine):
    """One status line on stderr when it is a terminal: collected, failed, rate, ETA."""

    def __init__(self, stream: TextIO, enabled: bool, total: int | None) -> None:
        super().__init__(stream, enabled)
        self.total = total
        self.collected = 0
        self.failed = 0
        self.skipped = 0
        self.started = time.monotonic()

    def show(self, *, force: bool = False) -> None:
        now = self.due(force=force)
        if now is None:
            return
        elapsed = max(now - self.started, 1e-6)
        done = self.collected + self.failed
        rate = done / elapsed * 60
        line = f"seotasks: collected {self.collected}, failed {self.failed}"
        if self.skipped:
            line += f", skipped {self.skipped}"
        line += f", {rate:.0f}/min"
        if self.total is not None and rate > 0:
            left = max(self.total - done - self.skipped, 0)
            line += f", ETA {left / rate * 60:.0f}s"
        self.draw(line)

    def done(self) -> None:
        self.clear()


def run(client: Client, options: CollectOptions, out: TextIO, err: TextIO) -> int:
    """Run the command; returns the exit code (errors that end the run are raised)."""
    from .errors import AuthError, ConfigError, SeotasksError
    from .export import _plain, task_record
    from .resume import ProviderProgress, ResumeState
    from .store import ResultStore, safe_name

    store = None if options.to is None else ResultStore(options.to, compress=options.compress)
    name = client.name
    state = ResumeState(options.resume, [name], options.asked)
    lock = threading.Lock()
    total = len(options.named) if options.named is not None else None
    progress = _Progress(err, err.isatty(), total)
    in_flight: set[str] = set()
    fatal: list[BaseException] = []

    stop = _Stop()
    output = threading.Lock()  # lines come from the main thread and the feeder

    def say(message: str) -> None:
        with output:
            err.write(message + "\n")
            err.flush()

    def line(task: Task, path: Path | None, error: str | None, result: Any = None) -> None:
        record = task_record(task)
        if store is not None:
            data = {**record, "path": None if path is None else str(path), "error": error}
        elif error is None:
            data = {"task": record, "result": _plain(result)}
        else:
            data = {"task": record, "result": None, "error": error}
        text = json.dumps(data, default=str, ensure_ascii=False) + "\n"
        with output:
            out.write(text)
            out.flush()

    def checkpoint(task: Task) -> None:
        with lock:
            moved = state.providers[name].written(task)
            if moved:
                state.save()

    def rounds() -> Iterator[Task]:
        """The tasks to collect: the named ones, or the listing (again and again: --follow)."""
        if options.named is not None:
            yield from options.named
            return
        while not stop.event.is_set():
            with lock:
                entry = state.providers[name]
                if entry.done:  # a finished listing (resumed, or followed): start anew
                    entry = state.providers[name] = ProviderProgress()
                cursor = entry.cursor
            fresh = 0
            try:
                window: dict[str, Any] = {}
                if options.since is not None:
                    window["since"] = options.since
                if options.until is not None:
                    window["until"] = options.until
                if options.time_field is not None:
                    window["time_field"] = options.time_field
                for page in client.pages(cursor, status="completed", **window):
                    with lock:
                        keep = state.providers[name].page_arrived(page)
                    for task in keep:
                        fresh += 1
                        yield task
                    if stop.event.is_set():
                        return
            except SeotasksError as exc:
                if not options.follow or isinstance(exc, AuthError | ConfigError):
                    raise
                say(f"seotasks: listing failed, will list again: {exc}")
                fresh = 0
            if not options.follow:
                return
            if fresh == 0:
                _wait(client, stop.event, options.interval)

    def intake() -> Iterator[Task]:
        """Runs on `collect_many`'s feeder thread: skips what is done or in flight."""
        taken = 0
        for task in rounds():
            if stop.event.is_set() or (options.limit is not None and taken >= options.limit):
                return
            if task.id in in_flight:
                continue
            if store is not None:
                if not safe_name(task.id):
                    with output:
                        progress.failed += 1
                    line(task, None, f"ConfigError: task id {task.id!r} cannot be a file name")
                    checkpoint(task)
                    continue
                if store.existing(name, task.id) is not None:
                    with output:
                        progress.skipped += 1
                    checkpoint(task)
                    continue
            in_flight.add(task.id)
            taken += 1
            yield task

    def handle(outcome: Collected) -> None:
        task = outcome.task
        error = outcome.describe_error()
        path = None
        if outcome.error is None and outcome.result is not None and store is not None:
            try:
                path = store.write(name, task.id, _plain(outcome.result))
            except OSError as exc:
                error = f"OSError: cannot write the result file: {exc}"
        if isinstance(outcome.error, AuthError):
            fatal.append(outcome.error)
            stop.event.set()
        with output:
            if error is None:
                progress.collected += 1
            else:
                progress.failed += 1
        line(task, path, error, outcome.result)
        # After the file and the line: a task is "in flight" until it is on disk.
        in_flight.discard(task.id)
        checkpoint(task)
        progress.show()

    with stop:
        try:
            for outcome in client.collect_many(intake(), workers=options.workers, stop=stop.event):
                handle(outcome)
        except SeotasksError:
            with lock:
                state.save()
            progress.done()
            raise
        with lock:
            state.save()
        progress.done()
    if fatal:
        raise fatal[0]
    summary = f"seotasks: collected {progress.collected}, failed {progress.failed}"
    if progress.skipped:
        summary += f", skipped {progress.skipped} already in {options.to}"
    if stop.signal is not None and not options.follow:
        hint = (
            f"continue with --resume {options.resume}"
            if options.resume
            else "run the same command again to collect the rest"
        )
        err.write(f"{summary}; interrupted: {hint}\n")
        return 5
    if progress.failed:
        err.write(f"{summary} (each failed task is named on its line)\n")
        return 4
    if progress.skipped or progress.enabled:
        err.write(summary + "\n")
    return 0


def _wait(client: Client, stop: threading.Event, seconds: float) -> None:
    """Wait ``seconds`` on the client's clock, or less if ``stop`` is set."""
    clock = client.transport.clock
    end = clock.monotonic() + seconds
    while not stop.is_set():
        remaining = end - clock.monotonic()
        if remaining <= 0:
            return
        clock.sleep(min(remaining, 0.5))
