"""``seotasks receive``: check the arguments, then serve (see `receive_run`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TextIO

from .common import UsageError, check_folder, split_options

if TYPE_CHECKING:
    from ..client import Client
    from ..provider import Provider


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..connection import connect
    from ..store import safe_name
    from .receive_run import parse_listen, run

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
    check_folder(args.to)
    provider = _receiving_provider(args.provider)
    name = provider.name
    if not safe_name(name):
        raise UsageError(f"provider name {name!r} cannot be a folder name")
    args.provider = name
    options: dict[str, Any] = dict(split_options(args.option, [name])[name])

    def connect_client() -> Client:
        return connect(name, profile=args.profile, **options)

    return run(args, out, err, provider, connect_client)


def _receiving_provider(given: str | None) -> type[Provider]:
    """``-p NAME``, which must declare callbacks; without it, the one installed provider
    that does (several: ``-p`` is required, and the message names them)."""
    from ..plugins import get_provider, providers

    if given is not None:
        cls = get_provider(given)
        if not cls.callbacks:
            raise UsageError(f"provider {cls.name} declares no callbacks to receive")
        return cls
    able = []
    for name in providers():
        try:
            cls = get_provider(name)
        except Exception:  # a plugin that fails to load is reported by `providers`
            continue
        if cls.callbacks:
            able.append(cls)
    if len(able) == 1:
        return able[0]
    if not able:
        raise UsageError("no installed provider declares callbacks to receive")
    names = ", ".join(sorted(c.name for c in able))
    raise UsageError(f"several providers receive callbacks ({names}): choose one with -p")
