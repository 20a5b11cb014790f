"""``seotasks tasks``: list one provider, or several as one merged stream, with resumable state.

This module declares the arguments and checks them into a `tasks_run.Plan`; the run
itself is `tasks_run.TasksRun`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from ..relative_time import is_relative_time
from .common import (
    UsageError,
    check_sandbox_size,
    resumed_time,
    sandbox_day,
    split_options,
)

if TYPE_CHECKING:
    from ..model import TaskQuery
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
        whole_within,
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
    tasks.add_argument("--buffer", type=whole_within(1), default=None, help=argparse.SUPPRESS)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import contextlib
    from pathlib import Path

    from ..plugins import provider_names
    from ..resume import ResumeState
    from ..store import hold_lock

    names = provider_names(args.providers)
    if args.cursor and args.resume:
        raise UsageError("use --cursor or --resume, not both")
    if args.sandbox_size is not None:
        check_sandbox_size(args.sandbox_size, "--sandbox-size")
    options = split_options(args.option, names)
    fmt = args.format or ("table" if out.isatty() else "jsonl")
    if args.raw and fmt == "table":
        raise UsageError("--raw needs --format jsonl or csv")
    fields = _fields(args, fmt)
    # An omitted --status means the resume file's (as it means the cursor's), else
    # "completed": the file is read before the status is known.
    asked = ResumeState.asked_from(
        args, names, status=args.status, output=_output(fmt, fields, raw=args.raw)
    )
    state = ResumeState(args.resume, names, asked, defaults={"status": "completed"})
    if args.resume is not None:  # one run a file: two printed each task twice
        resume = Path(args.resume)
        lock = hold_lock(
            resume.with_name(f".{resume.name}.lock"),
            busy=f"another seotasks tasks is running with --resume {args.resume}",
        )
        with contextlib.closing(lock):
            # Read again, held: a run that ended between the first read (which checked
            # the file) and the lock has moved it on.
            state = ResumeState(args.resume, names, asked, defaults={"status": "completed"})
            return _run(args, out, err, names, state, fmt, fields, options)
    return _run(args, out, err, names, state, fmt, fields, options)


def _run(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    names: list[str],
    state: ResumeState,
    fmt: str,
    fields: tuple[str, ...] | None,
    options: dict[str, dict[str, str]],
) -> int:
    """`run`, once its arguments are checked and its resume file read (and held)."""
    from ..cursor import decode as decode_cursor
    from ..errors import CursorError
    from ..query import UNSET
    from .tasks_run import Plan, TasksRun

    status = state.asked.plain.get("status") or "completed"
    # --sandbox-day: emulators and clients stand at that day's midnight (one clock);
    # otherwise both run on the real clock.
    frozen = sandbox_day(args.sandbox_day) if args.sandbox else None
    seen_cursor: dict[str, TaskQuery] = {}
    for token in args.cursor:
        try:
            decoded = decode_cursor(token)
        except CursorError as exc:
            raise UsageError(f"bad --cursor: {exc}") from None
        owner = decoded.provider
        _check_relative_bounds(args, decoded.query, owner, frozen)
        if owner not in state.providers:
            raise UsageError(f"--cursor is for provider {owner!r}, which is not listed with -p")
        if owner in seen_cursor:
            raise UsageError(f"two --cursor values for provider {owner}")
        seen_cursor[owner] = decoded.query
        state.providers[owner].cursor = token

    wall = None if frozen is None else (lambda: frozen)
    # What a provider starting afresh is asked: a relative --since/--until (2d) counted
    # back from the first run that wrote the resume file (from now without one).
    fresh: dict[str, Any] = {
        "status": status,
        "since": resumed_time(args.since, "since", state, frozen),
        "until": resumed_time(args.until, "until", state, frozen),
        "time_field": UNSET if args.time_field is None else args.time_field,
    }
    if seen_cursor:
        fresh = _one_query(args, seen_cursor, fresh)
    # What a provider continuing from a cursor is asked: an omitted --status and a
    # relative time mean "as the cursor says"; one given is checked against the cursor
    # (a contradiction is a CursorError, never a silent override).
    continuing = {
        **fresh,
        "status": UNSET if args.status is None else status,
        **{k: UNSET for k in ("since", "until") if is_relative_time(getattr(args, k) or "")},
    }

    plan = Plan(names, options, fmt, fields, state, fresh, continuing, wall)
    return TasksRun(args, out, err, plan).run()


#: What a merged listing's providers must agree on: one query for the whole stream.
_QUERY_FIELDS = ("status", "since", "until", "time_field")


def _one_query(
    args: argparse.Namespace, queries: dict[str, TaskQuery], fresh: dict[str, Any]
) -> dict[str, Any]:
    """The query of a provider starting afresh beside ``queries`` (the cursors'): one
    merged stream lists one query. Where the command line leaves a field to the cursor (an
    omitted --status or --time-field, an omitted or relative --since/--until), it is the
    cursors' for every provider, not the defaults for those without one (which mixed a
    cursor's queued tasks with another vendor's completed ones). Cursors of different
    queries are refused: their vendors' tasks would stand side by side over other windows."""
    from ..query import shown

    said = {
        owner: ", ".join(f"{f}={shown(getattr(q, f), f)}" for f in _QUERY_FIELDS)
        for owner, q in queries.items()
    }
    if len(set(said.values())) > 1:
        each = "; ".join(f"{owner}: {text}" for owner, text in sorted(said.items()))
        raise UsageError(
            f"the --cursor values continue different listings ({each}): one stream lists "
            "one query, so give the cursors one run printed"
        )
    query = next(iter(queries.values()))
    taken = dict(fresh)
    if args.status is None:
        taken["status"] = shown(query.status, "status")
    for name in ("since", "until"):
        given = getattr(args, name)
        if given is None or is_relative_time(given):
            taken[name] = getattr(query, name)
    if args.time_field is None:
        taken["time_field"] = query.time_field
    return taken


def _check_relative_bounds(
    args: argparse.Namespace, query: TaskQuery, owner: str, frozen: datetime | None
) -> None:
    """A relative ``--since``/``--until`` with ``--cursor`` means the cursor's own bound
    (that long before its first run), so the same command continues. Refused where it
    cannot: the cursor has no such bound (the listing would hold every time, whatever
    was asked), or that span after the bound is still to come (the first run is past).
    An absolute time is the library's to check against the cursor (`CursorError`)."""
    from ..relative_time import parse_relative

    now = frozen or datetime.now(UTC)
    for name in ("since", "until"):
        text = getattr(args, name)
        if text is None or not is_relative_time(text):
            continue
        bound: datetime | None = getattr(query, name)
        if bound is None:
            raise UsageError(
                f"--{name} {text}: the --cursor for {owner} lists with no {name}, so a "
                f"relative --{name} has no time to mean; drop it, or start a new listing"
            )
        span = parse_relative(text)
        if span is not None and bound + span > now + _SKEW:
            raise UsageError(
                f"--{name} {text}: the --cursor for {owner} lists with {name}="
                f"{bound.isoformat()}, and {text} after that is still to come, so it is "
                f"not that run's --{name}; drop --{name} (the cursor keeps its own)"
            )


#: Clocks of two machines (the one that made a cursor, this one) may disagree a little.
_SKEW = timedelta(minutes=1)


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
