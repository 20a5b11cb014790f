"""The ``seotasks collect`` run: list, collect concurrently, write, acknowledge, report.

The listing (or, with ``--follow``, the listing again and again) is the input of
`Client.collect_many`, read on its feeder thread (`CollectRun.intake`); the main thread
takes each result (`CollectRun.handle`), makes it durable, prints its line and updates
the ``--resume`` checkpoint.

Nothing fetched is lost, whatever stops the run:

- When the listing drains (DataForSEO ``tasks_ready``: a fetched task is not listed
  again), every fetch is preceded by a `Journal` entry, removed only once the result is
  durable: its file written with ``--to``; without, its line printed and read to the
  end of the pipe by a reader still there (`CollectRun.settle_lines`: at least once,
  ``--to`` exactly once). The next run fetches the journalled tasks again by id first.
- Every place the run writes is proven writable before the first vendor call.
- A closed stdout (``| head``) stops the intake, not the writes: the results in flight
  still reach their files; the run exits 0 as ``seotasks tasks`` does.
- A write that fails mid-run (a full disk) stops the intake too; its task stays in the
  journal and the run ends with `StorageError` (exit 6).
- SIGINT/SIGTERM: see `GracefulStop`; exit 5 (``--follow``: 0 unless a task failed); a
  second ends the process at once (exit 5), as a kill would, losing nothing.

Order of effects per task: result file (durable) -> stdout line -> journal ack (with
``--to``; at the run's end without) -> checkpoint. A re-run skips every task whose file exists.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..account import account_key
from ..errors import (
    AuthError,
    ConfigError,
    Interrupted,
    SeotasksError,
    StorageError,
    UnsupportedQuery,
)
from ..journal import Journal
from ..resume import ProviderProgress, ResumeState
from ..store import ResultStore, check_writable, hold_lock, safe_name
from .collect_support import (
    CollectOptions,
    CollectProgress,
    line_text,
    settled,
    store_result,
    write_line,
)
from .common import EXIT_INTERRUPTED, EXIT_OK, EXIT_PROVIDER, one_line
from .pipes import (
    SETTLE_WAIT,
    full_stdout,
    is_pipe,
    overwritten_file,
    silence_stdout,
    start_on_a_new_line,
    wait_until_read,
)
from .signals import GracefulStop
from .waits import wait_notices

if TYPE_CHECKING:
    from ..client import Client
    from ..collect import Collected
    from ..model import Task

__all__ = ["CollectRun"]

_STOPPING = "seotasks collect: stopping after the calls in flight; signal again to stop at once"
_AT_ONCE = (EXIT_INTERRUPTED, "seotasks: interrupted")  # not waiting for hung calls


class CollectRun:
    """One ``seotasks collect`` run; `run` returns the exit code."""

    def __init__(self, client: Client, options: CollectOptions, out: TextIO, err: TextIO) -> None:
        self.client = client
        self.options = options
        self.out = out
        self.err = err
        self.name = client.name
        self.store = (
            None if options.to is None else ResultStore(options.to, compress=options.compress)
        )
        self.state = options.state or ResumeState(options.resume, [self.name], options.asked)
        self.journal: Journal | None = None
        total = len(options.named) if options.named is not None else None
        self.progress = CollectProgress(err, err.isatty(), total)
        # A long pacing wait (tasks_ready after another listing) is said, as tasks says it.
        client.transport.on_event = wait_notices(self.progress, client)
        self.stop = GracefulStop(client.transport, notice=(err, _STOPPING), at_once=_AT_ONCE)
        #: Guards the resume state (feeder and main thread) ...
        self.lock = threading.Lock()
        #: ... and the output streams and counters.
        self.output = threading.Lock()
        #: Ids taken and not yet durable: the listing may offer one again meanwhile.
        self.in_flight: set[str] = set()
        #: Ids fetched again from the journal this run: a listing that still shows one
        #: (its earlier fetch never happened) must not have it fetched twice.
        self.replayed: set[str] = set()
        #: Tasks printed, maybe unread yet; with whether to ack them then (`settle_lines`).
        self.written_lines: list[tuple[Task, bool]] = []
        self.fatal: SeotasksError | None = None
        self.storage_failure: str | None = None
        self.stdout_closed = self.lines_lost = False
        self.piped = is_pipe(out)

    # -- the run ------------------------------------------------------------------------

    def run(self) -> int:
        with contextlib.ExitStack() as stack:
            self.prepare(stack)
            if self.store is not None:
                into = self.store.folder(self.name)
            else:  # stdout: each result passes through a private file on its way
                into = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="seotasks-")))
            with self.stop:
                self.collect_all(into)
        return self.finish()

    def prepare(self, stack: contextlib.ExitStack[bool | None]) -> None:
        """Prove every place this run writes is writable, and take what it holds for the
        run (``stack`` lets go of it), before the first vendor call."""
        options = self.options
        start_on_a_new_line(self.out)  # after a line a killed run cut (``>> x.jsonl``)
        if options.to is not None:
            results = options.to / self.name
            check_writable(results, what="--to")
            assert self.store is not None
            self.store.check_claims()  # shared with receive --to, maybe by another user
            # One collect of an account: two (own journals) fetched the same tasks twice.
            account = account_key(self.client.provider) or "account"
            held = results / f".collect-{account}.lock"
            busy = f"another seotasks collect writes this {self.name} account's results in"
            stack.callback(hold_lock(held, busy=f"{busy} {options.to}").close)
        if options.max_result_bytes is not None:
            self.client.max_result_bytes = options.max_result_bytes
        if options.resume is not None:
            check_writable(options.resume.absolute().parent, what="the --resume file's folder")
        folder = options.journal_folder(self.client)
        if folder is not None:
            self.journal = stack.enter_context(Journal.open(folder, self.name))

    def collect_all(self, into: Path) -> None:
        # With a journal, a task fetched and not yet stored costs one more fetch after a
        # kill: a window of ``workers`` keeps those to the calls in flight.
        workers = self.options.workers
        outcomes = self.client.collect_many(
            self.intake(),
            workers=workers,
            window=workers if self.journal is not None else None,
            stop=self.stop.event,
            journal=self.journal,
            into=into,
        )
        try:
            for outcome in outcomes:
                self.handle(outcome)
            self.settle_lines(wait=SETTLE_WAIT)
        finally:  # the checkpoint holds only what is settled: saved however the loop ends
            with self.lock:
                self.state.save()
            self.progress.done()

    def finish(self) -> int:
        progress = self.progress
        summary = progress.summary(self.options.to)
        if isinstance(self.fatal, UnsupportedQuery):
            self.say(summary)
        if self.fatal is not None:
            raise self.fatal
        if self.storage_failure is not None:
            self.say(summary)
            raise StorageError(
                f"{self.storage_failure}; the run stopped taking tasks, and the ones fetched "
                "but not written are fetched again by the next run"
            )
        stopped = self.stop.signal is not None
        if stopped:
            drains, overwritten = self.client.capabilities.drains, overwritten_file(self.out)
            hint = self.options.rerun_hint(drains, overwritten=overwritten)
            if not self.options.follow:
                self.say(f"{summary}; interrupted: {hint}")
                return EXIT_INTERRUPTED
            summary = f"{summary}; stopped: {hint.removesuffix(' to collect the rest')}"
        if self.stdout_closed:
            self.say(f"{summary}; stdout was closed, so no new task was taken")
            return EXIT_OK
        if progress.failed:
            self.say(f"{summary} (each failed task is named on its line)")
            return EXIT_PROVIDER
        if progress.skipped or progress.uncollectable or progress.enabled or stopped:
            self.say(summary)
        return EXIT_OK

    # -- the input (feeder thread) -------------------------------------------------------

    def intake(self) -> Iterator[Task]:
        """The tasks to fetch: journalled ones first, then the listing; skips what is
        stored already, in flight, or past ``--limit``."""
        taken, limit = 0, self.options.limit
        for task in self.sources():
            if self.stop.stopping or (limit is not None and taken >= limit):
                return
            if task.id in self.in_flight:
                continue
            if self.store is not None and not self.accept_for_store(task):
                continue
            self.in_flight.add(task.id)
            taken += 1
            yield task

    def sources(self) -> Iterator[Task]:
        if self.journal is not None:
            for task in self.journal.pending():
                self.replayed.add(task.id)
                yield task
        for task in self.rounds():
            if task.id not in self.replayed:
                yield task

    def accept_for_store(self, task: Task) -> bool:
        """Whether ``task`` still needs fetching for ``--to`` (else its line or skip)."""
        assert self.store is not None
        if not safe_name(task.id):
            with self.output:
                self.progress.failed += 1
            self.line(task, None, f"ValueError: task id {task.id!r} cannot be a file name")
            self.checkpoint(task)
            return False
        try:
            path = self.store.existing(self.name, task.id)
        except OSError as exc:  # no file in the way of its file: not fetched, and the end
            self.stop_taking(f"cannot write results to {self.options.to}: {exc.strerror}")
            return False
        listed = self.options.named is None and task.id not in self.replayed
        if path is not None and listed and self.client.capabilities.drains:
            # Listed though stored (a postback the vendor never heard answered): fetched to
            # drain it, the file kept (`store_result`); skipped, it stayed listed for ever,
            # and a thousand such hid every new task.
            return True
        if path is not None:
            with self.output:
                self.progress.skipped += 1
            # Journalled, stored: a run stopped between its file and its ack, its line
            # maybe never printed (a kill, a full stdout). Printed now: at least once.
            if task.id in self.replayed and self.line(task, path, None):
                self.acknowledge(task.id)
            self.checkpoint(task)
            return False
        return True

    def rounds(self) -> Iterator[Task]:
        """The named tasks, or the listing (again and again with ``--follow``)."""
        options = self.options
        if options.named is not None:
            yield from options.named
            return
        given = {"since": options.since, "until": options.until, "time_field": options.time_field}
        window: dict[str, Any] = {key: value for key, value in given.items() if value is not None}
        while not self.stop.stopping:
            with self.lock:
                entry = self.state.providers[self.name]
                if entry.done:  # a finished listing (resumed, or followed): start anew
                    entry = self.state.providers[self.name] = ProviderProgress()
                cursor = entry.cursor
            fresh = 0
            try:
                for page in self.client.pages(cursor, status="completed", **window):
                    with self.lock:
                        keep = self.state.providers[self.name].page_arrived(page)
                    for task in keep:
                        fresh += 1
                        yield task
                    if self.stop.stopping:
                        return
            except Interrupted:
                return  # the stop cut a paced listing call short: nothing was asked
            except SeotasksError as exc:
                if not options.follow or isinstance(exc, AuthError | ConfigError):
                    raise
                self.say(f"seotasks: listing failed, will list again: {exc}")
                fresh = 0
            if not options.follow:
                return
            self.settle_lines()
            if fresh == 0:
                self.client.transport.clock.wait(options.interval, self.stop.event)

    # -- each result (main thread) -------------------------------------------------------

    def handle(self, outcome: Collected) -> None:
        try:
            self.settle(outcome)
        finally:
            if outcome.path is not None:  # moved into place, else no longer wanted
                # A folder turned read-only keeps it (hidden, swept an hour later): the
                # failed write has already stopped the run, with the reason.
                with contextlib.suppress(OSError):
                    outcome.path.unlink(missing_ok=True)

    def settle(self, outcome: Collected) -> None:
        task = outcome.task
        error = outcome.describe_error()
        path = None
        if isinstance(outcome.error, Interrupted):
            # Cut short before it was sent: not a failure; the journal or the listing
            # brings the task back on the next run.
            with self.output:
                self.progress.unsent += 1
            self.in_flight.discard(task.id)
            return
        if outcome.error is None and self.store is not None:
            try:
                path = store_result(self.store, self.name, outcome)
                if path is None:  # a receiver on the folder wrote it meanwhile, and said so
                    with self.output:
                        self.progress.skipped += 1
                    self.acknowledge(task.id)
                    self.in_flight.discard(task.id)
                    return self.checkpoint(task)
            except OSError as exc:
                error = f"StorageError: cannot write the result file: {exc.strerror or exc}"
                self.stop_taking(f"cannot write results to {self.options.to}: {exc.strerror}")
        if isinstance(outcome.error, AuthError):  # refused credentials end the run (exit 3)
            self.fatal = outcome.error
            self.stop.halt()
        elif isinstance(outcome.error, UnsupportedQuery) and self.options.named is not None:
            # --id naming a task the provider cannot fetch as asked (an id of the wrong
            # form, no --kind): exit 2 once the other named tasks are collected.
            self.fatal = self.fatal or outcome.error
        if isinstance(outcome.error, StorageError):  # the journal could not be written
            self.stop_taking(str(outcome.error))
        delivered = self.line(task, path, error, outcome.result, outcome.path)
        with self.output:  # without --to, a result whose line stdout refused is not collected
            if error is not None:
                self.progress.failure(outcome.error)
            elif delivered or self.store is not None:
                self.progress.collected += 1
        ack = self.journal is not None and self.store is None and outcome.error is None
        # With --to, a line a full stdout refused keeps the entry: the next run prints it.
        kept = not delivered and self.lines_lost
        if self.journal is not None and not ack and settled(outcome, path) and not kept:
            self.acknowledge(task.id)
        self.in_flight.discard(task.id)
        if self.store is not None:
            self.checkpoint(task)
        elif delivered:  # a line in a pipe is not yet read: see `settle_lines`
            with self.lock:
                self.written_lines.append((task, ack))
            if not self.piped:  # a pipe's reader may take a line and drop it (`head`)
                self.settle_lines()
        self.progress.show()

    def settle_lines(self, *, wait: float = 0.0) -> None:
        """Acknowledge the lines printed to stdout once its reader has taken them.

        A line written into a pipe is only in the kernel's buffer: a reader that quits
        (``| head``) drops what it had not read, and the write never fails. So printed
        results are acknowledged (journal entry removed, task done in the ``--resume``
        checkpoint) only once a reader still there has read the pipe to its end (up to
        ``wait`` seconds); else the next run prints them again. Looked at when the run
        ends, at each ``--follow`` round, and after each line into a file or a terminal."""
        if self.store is not None:
            return
        try:
            with self.output:
                if not self.stdout_closed:
                    self.out.flush()
        except (ValueError, OSError) as exc:
            self.stdout_failed(exc)
        if self.stdout_closed or wait_until_read(self.out, wait) != "taken":
            return
        with self.lock:
            settled, self.written_lines = self.written_lines, []
        for task, ack in settled:
            if ack:
                self.acknowledge(task.id)
            self.checkpoint(task)

    def stdout_failed(self, exc: ValueError | OSError) -> None:
        """Write no more to stdout; one that cannot take more (`pipes.full_stdout`) is a
        storage failure, exit 6: the results not printed are printed by the next run."""
        self.stdout_closed = True
        reason = full_stdout(exc)
        self.lines_lost = reason is not None  # not a reader that left (`| head`)
        if reason is not None:
            self.stop_taking(f"cannot write to stdout: {reason}")

    def acknowledge(self, task_id: str) -> None:
        """Forget the task's journal entry; a journal that no longer takes the removal
        stops the intake as a full disk does (exit 6; the entry costs the next run a
        check or a fetch, never a result)."""
        if self.journal is not None:
            try:
                self.journal.ack(task_id)
            except StorageError as exc:
                self.stop_taking(str(exc))

    def stop_taking(self, reason: str) -> None:
        if self.storage_failure is None:
            self.storage_failure = reason
        self.stop.halt()

    def line(
        self,
        task: Task,
        path: Path | None,
        error: str | None,
        result: Any = None,
        streamed: Path | None = None,
    ) -> bool:
        """Print the task's line; False when stdout is closed (then the intake stops).

        Without ``--to``, a result streamed to the file ``streamed`` is copied into its
        line in chunks (the vendor's bytes, its line breaks, which valid JSON has only
        between tokens, made spaces), never loaded whole.
        """
        text, body = line_text(task, path, error, result, streamed, to=self.store is not None)
        with self.output:
            if self.stdout_closed:
                return False
            try:
                write_line(self.out, text, body)
            except (ValueError, OSError) as exc:
                self.stdout_failed(exc)
        if self.stdout_closed:
            silence_stdout(self.out)
            self.stop.halt()
            return False
        return True

    def checkpoint(self, task: Task) -> None:
        with self.lock:
            if self.state.providers[self.name].written(task):
                self.state.save()

    def say(self, message: str) -> None:
        with self.output:
            self.err.write(one_line(message))
            self.err.flush()
