"""``seotasks tasks`` once its arguments are checked: `TasksRun` lists, writes and
checkpoints (`seotasks.cli.tasks` checks the arguments and makes the `Plan`).

Output first, then the state: a crash between the two can repeat a few tasks on resume,
but never lose one. The run's counters and its buffer of lines not yet written are the
run's own attributes, one method a step, not variables closures share.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TextIO

import attrs

from ..client import Client
from ..errors import CursorError, Interrupted, SeotasksError
from ..export import Writer, make_writer
from ..merge import DEFAULT_BUFFER, Source, merged
from ..model import Task
from ..resume import ResumeState
from .common import EXIT_INTERRUPTED, EXIT_OK, Progress, connect_all, refuse_unreported_status
from .pipes import (
    APPEND_HINT,
    SETTLE_WAIT,
    cut_back,
    file_end,
    is_pipe,
    overwritten_file,
    start_on_a_new_line,
    wait_until_read,
)
from .signals import GracefulStop

__all__ = ["Plan", "TasksRun"]


@attrs.frozen
class Plan:
    """What a checked ``seotasks tasks`` command line asks for.

    ``fresh`` is the query of a provider starting afresh, ``continuing`` that of one
    continuing from a cursor (an omitted ``--status`` and a relative time mean "as the
    cursor says"); ``wall`` is the sandbox's frozen wall clock (``--sandbox-day``), or None.
    """

    names: list[str]
    options: dict[str, dict[str, Any]]
    fmt: str
    fields: tuple[str, ...] | None
    state: ResumeState
    fresh: dict[str, Any]
    continuing: dict[str, Any]
    wall: Callable[[], datetime] | None

    def query(self, name: str) -> dict[str, Any]:
        """The query of provider ``name``: each provider on its own footing, since one may
        continue from a cursor while another (stopped inside its first page) starts over."""
        entry = self.state.providers[name]
        return self.continuing if entry.cursor is not None or entry.done else self.fresh


class TasksRun:
    """One listing to ``out``: connect, check each query, stream (merged when several
    providers), write with checkpoints, then say how it ended on ``err``."""

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO, plan: Plan) -> None:
        self.args = args
        self.out = out
        self.err = err
        self.plan = plan
        self.progress = Progress(err, err.isatty(), quiet=args.quiet)
        #: Lines formatted and not yet written.
        self.buffer: list[str] = []
        #: Tasks written since the resume file was last saved.
        self.unsaved = 0
        #: Tasks written in all.
        self.count = 0
        #: The header, until it goes out with the first row (or at the end of an empty
        #: listing), never before an error: ``> out.csv`` must not leave a header-only
        #: file that looks like an empty, successful listing.
        self.header = ""
        #: How long the output file was at the last save of the resume file (None: no
        #: resume file, or an output that is no regular file): what `_settle` cuts back to.
        self.saved_at: int | None = None
        # A pipe's reader may still drop what is in the pipe (``| head -1``).
        self.piped = args.resume is not None and is_pipe(out)

    def run(self) -> int:
        args, plan = self.args, self.plan
        with contextlib.ExitStack() as stack:
            # With --sandbox, emulators and clients share one pacing clock, and one wall
            # clock: real time, or the --sandbox-day's midnight.
            clients = connect_all(
                stack, args, plan.names, plan.options, self.progress, now=plan.wall
            )
            # SIGINT/SIGTERM set a flag the loop reads between tasks (and end a pacing
            # wait): a KeyboardInterrupt raised at an arbitrary bytecode can land in a
            # finalizer, where Python drops it, and the listing would run on to its end.
            # The first signal also drops a page being read: not yet written, nothing lost.
            transports = (c.transport for c in clients)
            stop = stack.enter_context(GracefulStop(*transports, abort_reads=True))
            for client in clients:
                _check_query(client, plan.state.providers[client.name].cursor, plan, args)
            writer = make_writer(plan.fmt, raw=args.raw, fields=plan.fields)
            start_on_a_new_line(self.out)  # after a line a killed run cut (``>> x.jsonl``)
            if args.resume is not None:
                self.saved_at = file_end(self.out)  # what the loaded resume file records
            tasks = self._tasks(clients)
            self.header = writer.header()
            if plan.state.loaded and plan.fmt == "csv":  # one header per CSV file
                self.header = ""
            try:
                self._write(tasks, writer, stop)
                self.buffer.insert(0, self.header)  # an empty listing still has its header
                self.checkpoint(wait=SETTLE_WAIT)
            except (KeyboardInterrupt, Interrupted):  # a second signal, or a wait cut short
                return self._interrupted()
            except SeotasksError as exc:
                self._failed(exc)
                raise
            except Exception:  # a plugin's bug: what was listed stays written, and said
                self._settle()
                if self.count and not self.args.quiet:
                    self.err.write(
                        f"seotasks: {_counted(self.count, 'task')} written; once the error "
                        f"below is fixed, {self._resume_hint()}\n"
                    )
                raise
            self._finish(clients)
        return EXIT_OK

    def _tasks(self, clients: list[Client]) -> Iterator[Task]:
        """The providers' streams, merged by completion time when there are several."""
        args, state = self.args, self.plan.state
        sources = [
            Source(
                _stream(c, self.plan.query(c.name), state, self.progress),
                c.capabilities.order,
                c.name,
            )
            for c in clients
        ]
        if len(sources) == 1:
            return iter(sources[0].tasks)
        held = DEFAULT_BUFFER if args.buffer is None else args.buffer
        tasks = merged(sources, order=args.order, buffer=held)
        if args.order == "exact":
            # Written in merge order: the checkpoints need no per-task state (but the
            # keys a resume file lists), so memory stays bounded here too.
            for progress_of in state.providers.values():
                progress_of.track_sorted(keep_keys=args.resume is not None)
        return tasks

    def _write(self, tasks: Iterator[Task], writer: Writer, stop: GracefulStop) -> None:
        limit, state = self.args.limit, self.plan.state
        if limit == 0:
            return
        for task in tasks:
            if self.header:
                self.buffer.append(self.header)
                self.header = ""
            self.buffer.append(writer.format(task))
            moved = state.providers[task.provider].written(task)
            self.count += 1
            self.unsaved += 1
            if moved or len(self.buffer) >= 1000:
                # A save writes every key not yet confirmed by a cursor: in an exact merge
                # that can be tens of thousands while cursors still move page by page,
                # so a moved checkpoint too is saved at once only while the file is small
                # (a save each page rewrote them all: 1.9 GB for 560 000 tasks).
                self.checkpoint(save=self.unsaved >= _save_every(state, moved=moved))
            if limit is not None and self.count >= limit:
                break
            if stop.stopping:
                raise Interrupted(f"stopped by signal {stop.signal}")

    def checkpoint(self, *, save: bool = True, wait: float = 0.0) -> None:
        """Write the buffered lines, then save the resume state (a pipe's: only once its
        reader has read them all, waiting up to ``wait`` seconds)."""
        if self.buffer:
            self.progress.clear()
            self.out.write("".join(self.buffer))
            self.buffer.clear()
        self.out.flush()
        if save and (not self.piped or wait_until_read(self.out, wait) == "taken"):
            self.plan.state.save()
            self.unsaved = 0
            if self.saved_at is not None:
                self.saved_at = file_end(self.out)

    def _settle(self) -> None:
        """Write what a run that ends early formatted, and save the state. A reader that
        outlives a signal (sent to seotasks alone) reads on: wait for it as the end of a
        run does, else the checkpoint misses what it then read."""
        if self.args.resume is not None:  # the file a resumed run appends to needs its header
            self.buffer.insert(0, self.header)
        try:
            self.checkpoint(wait=SETTLE_WAIT)
        except BaseException:
            # stdout or the resume file took no more (a full disk): the output goes back
            # to what the resume file last recorded, so the resumed run repeats nothing.
            if self.saved_at is not None:
                cut_back(self.out, self.saved_at)
            raise
        self.progress.done()

    def _interrupted(self) -> int:
        self._settle()
        # Nothing written and no resume file: nothing to continue, the same command starts.
        quiet = self.args.quiet or (not self.count and self.args.resume is None)
        hint = "" if quiet else f"; {self._resume_hint()}"
        self.err.write(f"seotasks: interrupted after {_counted(self.count, 'task')}{hint}\n")
        return EXIT_INTERRUPTED

    def _failed(self, exc: SeotasksError) -> None:
        self._settle()
        # A hint only when there is something to continue: nothing was written before a
        # config, auth or query error, and a rejected cursor is no way to continue.
        if self.count and not isinstance(exc, CursorError) and not self.args.quiet:
            exc.cli_hint = self._resume_hint()

    def _resume_hint(self) -> str:
        """`_resume_hint`, saying to append when stdout is a file the same command would
        empty first (``> out.csv``): the resumed run prints only the rest. Not when this
        run wrote nothing: ``>`` emptied the file already, and empties nothing more."""
        hint = _resume_hint(self.args, self.plan.state)
        if self.args.resume is not None and self.count and overwritten_file(self.out):
            hint += APPEND_HINT
        return hint

    def _finish(self, clients: list[Client]) -> None:
        args, state, progress = self.args, self.plan.state, self.progress
        progress.done()
        for client in clients:
            _warn_capped(client, progress)
        unfinished = [n for n, p in state.providers.items() if not p.done]
        stopped = args.limit is not None and self.count >= args.limit and bool(unfinished)
        if stopped and args.resume is None and not args.quiet:
            exact = _cursor_hint(state)
            if exact:  # only an exact continuation helps; mid-page, a cursor would repeat tasks
                self.err.write(f"seotasks: stopped at --limit {args.limit}; {exact}\n")
        if args.summary or (self.err.isatty() and not args.quiet):
            progress.notice(_summary(self.count, state, progress, stopped))


def _stream(
    client: Client, query: dict[str, Any], state: ResumeState, progress: Progress
) -> Iterator[Task]:
    """``client``'s tasks from where its resume state stands, each page recorded."""
    entry = state.providers[client.name]
    if entry.done:
        return
    for page in client.pages(entry.cursor, **query):
        keep = entry.page_arrived(page)
        progress.page(client.name, page)
        yield from keep


def _check_query(client: Client, cursor: str | None, plan: Plan, args: argparse.Namespace) -> None:
    """Refuse, before anything is printed, a cursor that contradicts the query and a
    status the provider never reports (`refuse_unreported_status`)."""
    if cursor is not None:
        client.check_cursor(cursor, **plan.query(client.name))
    refuse_unreported_status(client, args.status)


def _counted(number: int, noun: str) -> str:
    """``1 task``, ``2 tasks``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _summary(count: int, state: ResumeState, progress: Progress, stopped: bool) -> str:
    """``1025 tasks: dataforseo 25 (16 pages), serpstat 1000 (1 page); 2 waits``."""
    parts = []
    for name, entry in state.providers.items():
        pages = progress.counts.get(name, [0, 0])[0]
        capped = len(progress.capped.get(name, ()))
        text = f"{name} {entry.tasks} ({_counted(pages, 'page')}"
        text += f", {_counted(capped, 'capped list')})" if capped else ")"
        parts.append(text)
    end = "; stopped at --limit" if stopped else ""
    return f"{_counted(count, 'task')}: {', '.join(parts)}; {_counted(progress.waits, 'wait')}{end}"


#: The most keys a resume file lists for a moved checkpoint to be saved at once.
SMALL_FILE = 1000


def _save_every(state: ResumeState, *, moved: bool = False) -> int:
    """Tasks written between two saves of a resume file that lists ``n`` keys. A save
    costs O(n), so: at once when a checkpoint ``moved`` and ``n`` is at most `SMALL_FILE`
    (a page's worth: a single provider's file), else 1000, or an eighth of ``n`` once
    that is more. Each task then costs at most eight keys written, whatever the length
    of the listing: the bytes written stay linear in it, never quadratic."""
    if state.path is None:
        return 1000
    count = state.unconfirmed_count()
    if moved and count <= SMALL_FILE:
        return 0
    return max(1000, count // 8)


def _warn_capped(client: Client, progress: Progress) -> None:
    """One line per provider whose vendor hid part of the list (`Progress.incomplete`)."""
    warning = progress.incomplete(client.name, client.provider.advice("capped"))
    if warning:
        progress.notice(warning)


def _cursor_hint(state: ResumeState) -> str | None:
    """``continue with --cursor ...`` when every unfinished provider stopped at a page
    boundary (so the cursors continue exactly), else None."""
    pending = {n: p for n, p in state.providers.items() if not p.done}
    if pending and all(p.cursor is not None and not p.has_unconfirmed() for p in pending.values()):
        return "continue with " + " ".join(f"--cursor {p.cursor}" for p in pending.values())
    return None


def _resume_hint(args: argparse.Namespace, state: ResumeState) -> str:
    if args.resume is not None:
        return f"continue with --resume {args.resume}"
    if all(p.done for p in state.providers.values()):
        return "nothing left to resume"
    # Stopped inside a page: a cursor alone would repeat part of it; a resume file won't.
    return _cursor_hint(state) or (
        "run with --resume FILE to be able to continue exactly where a listing stops"
    )
