"""``seotasks tasks``: list one provider, or several as one merged stream, with resumable state."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from ..relative_time import is_relative_time
from .common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    Progress,
    UsageError,
    check_sandbox_size,
    connect_all,
    refuse_unreported_status,
    resumed_time,
    sandbox_day,
    split_options,
)

if TYPE_CHECKING:
    from ..client import Client
    from ..model import Task
    from ..resume import ResumeState


HELP = "list tasks from one or more providers"
DESCRIPTION = "List tasks. Several -p give one stream ordered by completion time."


def add_arguments(tasks: argparse.ArgumentParser) -> None:
    """``tasks``'s arguments (standard library only: ``--help`` stays fast)."""
    from .flags import (
        add_limit,
        add_options,
        add_profile,
        add_providers,
        add_query,
        add_sandbox_data,
        path,
        whole_number,
    )

    add_providers(tasks, "provider to list")
    add_query(
        tasks,
        status_help="which tasks: completed (default), running, queued, failed or any; "
        "with --cursor the cursor's status applies, and a different one is refused",
        time_help="the time --since/--until bound: created_at (default) or completed_at "
        "('what finished since'); tasks without that time are left out",
    )
    add_limit(tasks, "stop after N tasks in total")
    add_options(
        tasks,
        "provider option; KEY applies to every listed provider that has it, "
        "PROVIDER.KEY to one (e.g. -o source=history, -o serpstat.timezone=Europe/Kyiv)",
    )
    add_profile(tasks)
    tasks.add_argument(
        "--cursor",
        action="append",
        default=[],
        metavar="TOKEN",
        help="continue a listing from a cursor (one per provider)",
    )
    tasks.add_argument(
        "--resume",
        type=path,
        metavar="FILE",
        help="checkpoint file: continue where an interrupted run stopped, and keep it updated",
    )
    tasks.add_argument(
        "--sandbox",
        action="store_true",
        help="start the providers' emulators on loopback and list from them (no account needed)",
    )
    add_sandbox_data(tasks)
    tasks.add_argument(
        "--format",
        choices=("table", "jsonl", "csv"),
        help="output format (default: table on a terminal, jsonl otherwise)",
    )
    tasks.add_argument("--raw", action="store_true", help="add the vendor's item to jsonl/csv")
    tasks.add_argument(
        "--fields",
        metavar="A,B,C",
        help="only these fields, in this order, in any format (e.g. id,status,cost; raw for "
        "the vendor's item in jsonl/csv); an unknown field is an error naming the known ones",
    )
    tasks.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress line, wait notices or resume hints on stderr (errors and "
        "capped-list warnings stay)",
    )
    tasks.add_argument(
        "--summary",
        action="store_true",
        help="print a summary on stderr at the end (always on a terminal)",
    )
    tasks.add_argument(
        "--order",
        choices=("exact", "arrival"),
        default="exact",
        help="with several -p: exact (default) sorts the stream by completion time exactly; "
        "arrival starts at once and keeps each provider's own order",
    )
    # Tasks held in memory per provider before the merge spills to disk (tests, tuning).
    tasks.add_argument("--buffer", type=whole_number, default=None, help=argparse.SUPPRESS)


def _stream(
    client: Client,
    kwargs: dict[str, Any],
    state: ResumeState,
    progress: Progress,
) -> Iterator[Task]:
    name = client.name
    entry = state.providers[name]
    if entry.done:
        return
    for page in client.pages(entry.cursor, **kwargs):
        keep = entry.page_arrived(page)
        progress.page(name, page)
        yield from keep


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..cursor import decode as decode_cursor
    from ..errors import CursorError, Interrupted, SeotasksError
    from ..export import make_writer
    from ..merge import DEFAULT_BUFFER, Source, merged
    from ..plugins import provider_names
    from ..query import UNSET
    from ..resume import ResumeState
    from .pipes import SETTLE_WAIT, is_pipe, start_on_a_new_line, wait_until_read
    from .signals import GracefulStop

    names = provider_names(args.providers)
    if args.cursor and args.resume:
        raise UsageError("use --cursor or --resume, not both")
    if args.buffer is not None and args.buffer < 1:
        raise UsageError("--buffer must be a positive number of tasks")
    if args.sandbox_size is not None:
        check_sandbox_size(args.sandbox_size, "--sandbox-size")
    options = split_options(args.option, names)
    fmt = args.format or ("table" if out.isatty() else "jsonl")
    if args.raw and fmt == "table":
        raise UsageError("--raw needs --format jsonl or csv")
    fields = _fields(args, fmt)
    # An omitted --status means the resume file's (as it means the cursor's), else
    # "completed": the file is read before the status is known.
    state = ResumeState(
        args.resume,
        names,
        ResumeState.asked_from(
            args, names, status=args.status, output=_output(fmt, fields, raw=args.raw)
        ),
        defaults={"status": "completed"},
    )
    status = state.asked.plain.get("status") or "completed"
    seen_cursor: set[str] = set()
    for token in args.cursor:
        try:
            owner = decode_cursor(token).provider
        except CursorError as exc:
            raise UsageError(f"bad --cursor: {exc}") from None
        if owner not in state.providers:
            raise UsageError(f"--cursor is for provider {owner!r}, which is not listed with -p")
        if owner in seen_cursor:
            raise UsageError(f"two --cursor values for provider {owner}")
        seen_cursor.add(owner)
        state.providers[owner].cursor = token

    # --sandbox-day: emulators and clients stand at that day's midnight (one clock);
    # otherwise both run on the real clock.
    frozen = sandbox_day(args.sandbox_day) if args.sandbox else None
    wall = None if frozen is None else (lambda: frozen)
    # What a provider starting afresh is asked: a relative --since/--until (2d) counted
    # back from the first run that wrote the resume file (from now without one).
    fresh: dict[str, Any] = {
        "status": status,
        "since": resumed_time(args.since, "since", state, frozen),
        "until": resumed_time(args.until, "until", state, frozen),
        "time_field": UNSET if args.time_field is None else args.time_field,
    }
    # What a provider continuing from a cursor is asked: an omitted --status and a
    # relative time mean "as the cursor says"; one given is checked against the cursor
    # (a contradiction is a CursorError, never a silent override).
    continuing = {
        **fresh,
        "status": UNSET if args.status is None else status,
        **{k: UNSET for k in ("since", "until") if is_relative_time(getattr(args, k) or "")},
    }

    def listing(name: str) -> dict[str, Any]:
        """The query of provider ``name``: each provider on its own footing, since one may
        continue from a cursor while another (stopped inside its first page) starts over."""
        entry = state.providers[name]
        return continuing if entry.cursor is not None or entry.done else fresh

    progress = Progress(err, err.isatty(), quiet=args.quiet)

    import contextlib

    with contextlib.ExitStack() as stack:
        # With --sandbox, emulators and clients share one pacing clock, and one wall
        # clock: real time, or the --sandbox-day's midnight.
        clients = connect_all(stack, args, names, options, progress, now=wall)
        # SIGINT/SIGTERM set a flag the loop reads between tasks (and end a pacing wait):
        # a KeyboardInterrupt raised at an arbitrary bytecode can land in a finalizer,
        # where Python drops it, and the listing would run on to its end.
        stop = stack.enter_context(GracefulStop(*(c.transport for c in clients)))
        for client in clients:
            cursor = state.providers[client.name].cursor
            _check_query(client, cursor, listing(client.name), args.status)

        writer = make_writer(fmt, raw=args.raw, fields=fields)
        start_on_a_new_line(out)  # after a line a killed run cut (``>> tasks.jsonl``)
        sources = [
            Source(_stream(c, listing(c.name), state, progress), c.capabilities.order, c.name)
            for c in clients
        ]
        tasks: Iterator[Task] = iter(sources[0].tasks)
        if len(sources) > 1:
            held = DEFAULT_BUFFER if args.buffer is None else args.buffer
            tasks = merged(sources, order=args.order, buffer=held)
            if args.order == "exact":
                # Written in merge order: the checkpoints need no per-task state (but
                # the keys a resume file lists), so memory stays bounded here too.
                for progress_of in state.providers.values():
                    progress_of.track_sorted(keep_keys=args.resume is not None)
        buffer: list[str] = []
        unsaved = 0
        piped = args.resume is not None and is_pipe(out)

        def checkpoint(*, save: bool = True, wait: float = 0.0) -> None:
            # Output first, then the state: a crash between the two can repeat a few
            # tasks on resume, but never lose one. A pipe's reader may still drop what
            # is in the pipe (`| head -1`): saved only once it has read it all.
            nonlocal unsaved
            if buffer:
                progress.clear()
                out.write("".join(buffer))
                buffer.clear()
            out.flush()
            if save and (not piped or wait_until_read(out, wait) == "taken"):
                state.save()
                unsaved = 0

        # The header goes out with the first row (or at the end of an empty listing),
        # never before an error: `> out.csv` must not leave a header-only file that
        # looks like an empty, successful listing.
        header = writer.header()
        if state.loaded and fmt == "csv":  # one header per CSV file
            header = ""
        count = 0
        try:
            if args.limit != 0:
                for task in tasks:
                    if header:
                        buffer.append(header)
                        header = ""
                    buffer.append(writer.format(task))
                    moved = state.providers[task.provider].written(task)
                    count += 1
                    unsaved += 1
                    if moved or len(buffer) >= 1000:
                        # A save writes every key not yet confirmed by a cursor: in an
                        # exact merge that can be every key written so far, so saves
                        # grow rarer as the file grows (never quadratic in the listing).
                        checkpoint(save=moved or unsaved >= _save_every(state))
                    if args.limit is not None and count >= args.limit:
                        break
                    if stop.stopping:
                        raise Interrupted(f"stopped by signal {stop.signal}")
            buffer.insert(0, header)  # an empty listing still has its header
            checkpoint(wait=SETTLE_WAIT)
        except (KeyboardInterrupt, Interrupted):  # a second signal, or a wait cut short
            if args.resume is not None:  # the file a resumed run appends to needs its header
                buffer.insert(0, header)
            # A reader that outlives the signal (sent to seotasks alone) reads on: wait for
            # it as the end of a run does, else the checkpoint misses what it then read.
            checkpoint(wait=SETTLE_WAIT)
            progress.done()
            hint = "" if args.quiet else f"; {_resume_hint(args, state)}"
            err.write(f"seotasks: interrupted after {count} tasks{hint}\n")
            return EXIT_INTERRUPTED
        except SeotasksError as exc:
            if args.resume is not None:
                buffer.insert(0, header)
            checkpoint(wait=SETTLE_WAIT)
            progress.done()
            # A hint only when there is something to continue: nothing was written before a
            # config, auth or query error, and a rejected cursor is no way to continue.
            if count and not isinstance(exc, CursorError) and not args.quiet:
                exc.cli_hint = _resume_hint(args, state)
            raise
        progress.done()
        for client in clients:
            _warn_capped(client, progress)
        unfinished = [n for n, p in state.providers.items() if not p.done]
        stopped = args.limit is not None and count >= args.limit and bool(unfinished)
        if stopped and args.resume is None and not args.quiet:
            exact = _cursor_hint(state)
            if exact:  # only an exact continuation helps; mid-page, a cursor would repeat tasks
                err.write(f"seotasks: stopped at --limit {args.limit}; {exact}\n")
        if args.summary or (err.isatty() and not args.quiet):
            progress.notice(_summary(count, state, progress, stopped))
    return EXIT_OK


def _fields(args: argparse.Namespace, fmt: str) -> tuple[str, ...] | None:
    """``--fields`` checked against the export's columns (``--raw`` adds ``raw``)."""
    from ..export import parse_fields

    if args.fields is None:
        return None
    try:
        fields = parse_fields(args.fields)
    except ValueError as exc:
        raise UsageError(f"--fields: {exc}") from None
    if "raw" in fields and fmt == "table":
        raise UsageError("--fields: the table has no raw column; use --format jsonl or csv")
    if args.raw and "raw" not in fields:
        fields = (*fields, "raw")
    return fields


def _output(fmt: str, fields: Sequence[str] | None, *, raw: bool) -> str | None:
    """The output's shape as a resume file records it (``--format csv --fields id,cost``):
    a resumed run appends to the first one's file, a CSV one without its header, so its
    lines must have the same format and columns. A table is for reading, not appending."""
    if fmt == "table":
        return None
    if fields is not None:  # --raw is among them then
        return f"--format {fmt} --fields {','.join(fields)}"
    return f"--format {fmt}" + (" --raw" if raw else "")


def _summary(count: int, state: ResumeState, progress: Progress, stopped: bool) -> str:
    """``1025 tasks: dataforseo 25 (16 pages), serpstat 1000 (1 page); 2 waits``."""
    parts = []
    for name, entry in state.providers.items():
        pages = progress.counts.get(name, [0, 0])[0]
        capped = len(progress.capped.get(name, ()))
        text = f"{name} {entry.tasks} ({pages} page{'s' if pages != 1 else ''}"
        text += f", {capped} capped list{'s' if capped != 1 else ''})" if capped else ")"
        parts.append(text)
    waits = f"{progress.waits} wait{'s' if progress.waits != 1 else ''}"
    end = "; stopped at --limit" if stopped else ""
    return f"{count} task{'s' if count != 1 else ''}: {', '.join(parts)}; {waits}{end}"


def _save_every(state: ResumeState) -> int:
    """Tasks written between two saves of a resume file that lists ``n`` keys: 1000, or
    an eighth of ``n`` once that is more (a save costs O(n))."""
    if state.path is None:
        return 1000
    return max(1000, state.unconfirmed_count() // 8)


def _check_query(
    client: Client, cursor: str | None, kwargs: dict[str, Any], given_status: str | None
) -> None:
    """Refuse, before anything is printed, a cursor that contradicts the query and a
    status the provider never reports (`refuse_unreported_status`)."""
    if cursor is not None:
        client.check_cursor(cursor, **kwargs)
    refuse_unreported_status(client, given_status)


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
