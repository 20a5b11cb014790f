"""``seotasks collect``: check the arguments, then run `CollectRun` (see `collect_run`)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from .common import EXIT_OK, UsageError, check_folder, one_client, one_line, resumed_time

if TYPE_CHECKING:
    from ..client import Client
    from ..model import Task


HELP = "fetch the results of completed tasks (JSONL, or one file per task with --to)"
DESCRIPTION = (
    "Collect every completed (DataForSEO: ready) task, or the tasks named "
    "with --id, concurrently at the vendor's pace. Without --to, writes "
    '{"task": <export record>, "result": <vendor JSON>} lines; with --to, writes each '
    "result to DIR/<provider>/<task id>.json and one line per task (the export record "
    'plus "path" and "error"). A task that fails is named on its line and the rest go '
    "on (exit 4). Tasks whose file exists in DIR are skipped, and a fetch that consumes "
    "its task is journalled until its result is written, so re-running after a crash "
    "or a kill collects exactly the rest."
)


def add_arguments(collect: argparse.ArgumentParser) -> None:
    """``collect``'s arguments (standard library only: ``--help`` stays fast)."""
    from .flags import (
        add_limit,
        add_options,
        add_profile,
        add_provider,
        add_sandbox,
        add_time_field,
        add_window,
        add_workers,
        megabytes,
        path,
    )

    add_provider(collect, "provider")
    add_limit(collect, "stop after N tasks")
    collect.add_argument(
        "--id",
        action="append",
        dest="ids",
        default=[],
        metavar="TASK_ID",
        help="collect this task instead of every completed one (repeatable)",
    )
    collect.add_argument(
        "--kind",
        metavar="KIND",
        help="with --id: the tasks' kind, e.g. serp/google/maps (DataForSEO builds the "
        "task_get path from it)",
    )
    collect.add_argument(
        "--to",
        type=path,
        metavar="DIR",
        help="write each result to DIR/<provider>/<task id>.json (atomically) and skip "
        "tasks already there",
    )
    add_workers(collect, "concurrent calls")
    collect.add_argument(
        "--resume",
        type=path,
        metavar="FILE",
        help="checkpoint file of the listing: a re-run continues where this one stopped",
    )
    collect.add_argument(
        "--follow",
        action="store_true",
        help="keep listing and collecting tasks as they finish, until SIGINT/SIGTERM",
    )
    collect.add_argument(
        "--journal",
        type=path,
        metavar="DIR",
        help="where fetches that consume a task (DataForSEO tasks_ready) are recorded until "
        "their result is written (default: DIR/.seotasks/journal with --to, else "
        "~/.local/state/seotasks/journal); the next run fetches what is left there first",
    )
    collect.add_argument(
        "--max-result-mb",
        type=megabytes,
        default=1024,
        metavar="MB",
        help="largest vendor answer kept for one task (default 1024); a larger one is that "
        "task's error",
    )
    collect.add_argument("--gzip", action="store_true", help="with --to: write .json.gz files")
    add_window(collect)
    add_time_field(collect)
    collect.add_argument("--interval", type=float, default=None, help=argparse.SUPPRESS)
    add_options(collect, "provider option (e.g. -o families=serp)")
    add_profile(collect)
    add_sandbox(collect, "run against the provider's emulator")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import contextlib

    from ..resume import ResumeState
    from .collect_run import CollectRun
    from .collect_support import FOLLOW_INTERVAL, CollectOptions, kept_results
    from .pipes import refuse_closed_stdout

    if args.kind is not None and not args.ids:
        raise UsageError("--kind only applies with --id")
    if any(not i.strip() for i in args.ids):
        raise UsageError("--id must name a task id")
    if args.ids and args.journal is not None:
        raise UsageError("--journal applies to a listing; --id names the tasks itself")
    if args.ids and (args.follow or args.resume):
        raise UsageError("--id collects named tasks once: it takes neither --follow nor --resume")
    if args.gzip and args.to is None:
        raise UsageError("--gzip needs --to DIR")
    check_folder(args.to)
    check_folder(args.journal, "--journal")
    refuse_closed_stdout(out)  # every result's line goes there: refused before any fetch
    if args.ids and (args.since or args.until or args.time_field):
        raise UsageError(
            "--since/--until/--time-field filter a listing: they do not apply with --id"
        )
    to = None if args.to is None else str(args.to)
    asked = ResumeState.asked_from(args, [args.provider], to=to)
    with contextlib.ExitStack() as stack:
        client = one_client(args, stack)
        if args.limit == 0:
            return EXIT_OK
        # Read here, not in the run: a relative --since/--until (2d) of a resumed run
        # means the first run's time, which the checkpoint holds (and its cursor carries).
        state = ResumeState(args.resume, [client.name], asked)
        since = _given(resumed_time(args.since, "since", state))
        until = _given(resumed_time(args.until, "until", state))
        if not args.ids:
            # A checkpoint written before --since had a default holds a cursor without one.
            fresh = not state.loaded or "since" in state.window
            now = client.transport.now()
            span, said = kept_results(
                client.name, client.capabilities, since, until, now, default=fresh
            )
            if span is not None:
                since = _given(resumed_time(span, "since", state))
            if said is not None:
                err.write(one_line(f"seotasks collect: {said}"))
                err.flush()
        options = CollectOptions(
            to=args.to,
            workers=args.workers,
            resume=args.resume,
            follow=args.follow,
            compress=args.gzip,
            limit=args.limit,
            named=_named_tasks(client, args.ids, args.kind) if args.ids else None,
            asked=asked,
            interval=FOLLOW_INTERVAL if args.interval is None else max(args.interval, 0.0),
            since=since,
            until=until,
            state=state,
            time_field=args.time_field,
            journal=args.journal,
            sandbox=args.sandbox,
            max_result_bytes=args.max_result_mb * 1024 * 1024,
        )
        return CollectRun(client, options, out, err).run()


def _given(value: object) -> str | None:
    """A `resumed_time` as `CollectOptions` holds it: the time, or None when not given."""
    return value if isinstance(value, str) else None


def _named_tasks(client: Client, ids: Sequence[str], kind: str | None) -> list[Task]:
    """Tasks for ``collect --id``: what `Client.collect` needs (provider, id, kind), assumed
    completed; an unfinished or unknown one is the vendor's error, reported as usual."""
    from ..model import Task, TaskStatus

    unique = dict.fromkeys(i.strip() for i in ids)
    return [
        Task(provider=client.name, id=i, status=TaskStatus.COMPLETED, kind=kind) for i in unique
    ]
