"""``seotasks receive``: the pingback/postback receiver (see `seotasks.receivecmd`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TextIO

from .common import UsageError, split_options

if TYPE_CHECKING:
    from ..client import Client


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..connection import connect
    from ..plugins import get_provider
    from ..receivecmd import parse_listen, run
    from ..store import safe_name

    try:
        parse_listen(args.listen)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for flag, value, most in (
        ("--threads", args.threads, 64),
        ("--workers", args.workers, 64),
        ("--max-connections", args.max_connections, 100_000),
        ("--idle-timeout", args.idle_timeout, 3600),
    ):
        if not 1 <= value <= most:
            raise UsageError(f"{flag} must be within 1..{most}")
    if args.max_body < 1024 or args.max_json < args.max_body:
        raise UsageError("--max-body must be at least 1024 and --max-json at least --max-body")
    if args.to.exists() and not args.to.is_dir():
        raise UsageError(f"--to {args.to}: not a directory")
    name = get_provider(args.provider).name
    if not safe_name(name):
        raise UsageError(f"provider name {name!r} cannot be a folder name")
    args.provider = name
    options: dict[str, Any] = dict(split_options(args.option, [name])[name])

    def connect_client() -> Client:
        return connect(name, profile=args.profile, **options)

    return run(args, out, err, connect_client)
