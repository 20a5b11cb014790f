"""``seotasks collect``: check the arguments, then run `CollectRun` (see `collect_run`)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from .common import EXIT_OK, UsageError, check_folder, one_client, resumed_time

if TYPE_CHECKING:
    from ..client import Client
    from ..model import Task


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import contextlib

    from ..resume import ResumeState
    from .collect_run import CollectRun
    from .collect_support import FOLLOW_INTERVAL, CollectOptions

    if args.limit is not None and args.limit < 0:
        raise UsageError("--limit must be >= 0")
    if args.kind is not None and not args.ids:
        raise UsageError("--kind only applies with --id")
    if any(not i.strip() for i in args.ids):
        raise UsageError("--id must name a task id")
    if args.max_result_mb < 1:
        raise UsageError("--max-result-mb must be at least 1")
    if not 1 <= args.workers <= 64:
        raise UsageError("--workers must be within 1..64")
    if args.ids and args.journal is not None:
        raise UsageError("--journal applies to a listing; --id names the tasks itself")
    if args.ids and (args.follow or args.resume):
        raise UsageError("--id collects named tasks once: it takes neither --follow nor --resume")
    if args.gzip and args.to is None:
        raise UsageError("--gzip needs --to DIR")
    check_folder(args.to)
    if args.ids and (args.since or args.until or args.time_field):
        raise UsageError(
            "--since/--until/--time-field filter a listing: they do not apply with --id"
        )
    asked = ResumeState.asked_from(args, [args.provider], to=str(args.to))
    with contextlib.ExitStack() as stack:
        client = one_client(args, stack)
        if args.limit == 0:
            return EXIT_OK
        # Read here, not in the run: a relative --since/--until (2d) of a resumed run
        # means the first run's time, which the checkpoint holds (and its cursor carries).
        state = ResumeState(args.resume, [client.name], asked)
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
            since=_given(resumed_time(args.since, "since", state)),
            until=_given(resumed_time(args.until, "until", state)),
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
