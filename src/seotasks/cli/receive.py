"""``seotasks receive``: check the arguments, then serve (see `receive_run`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TextIO

from .common import UsageError, check_folder, split_options

if TYPE_CHECKING:
    from ..client import Client
    from ..provider import Provider


HELP = "receive a vendor's callbacks (results, and notices of tasks to collect) and write the results to DIR"
DESCRIPTION = (
    "Serve the provider's callbacks at /<secret>/<route> (its routes: seotasks providers; "
    "DataForSEO: POST /<secret>/postback and GET /<secret>/pingback; needs waitress: "
    "pip install waitress, or from a checkout pip install -e '.[receive]'). Each task's result is written to "
    "DIR/<provider>/<task id>.json as `seotasks collect --to DIR` writes it; one JSON "
    "line per task written goes to stdout. SIGINT/SIGTERM stop it gracefully."
)


def add_arguments(receive: argparse.ArgumentParser) -> None:
    """``receive``'s arguments (standard library only: ``--help`` stays fast)."""
    from .flags import (
        add_bounded,
        add_options,
        add_profile,
        add_provider,
        add_workers,
        path,
        whole_number,
    )

    receive.add_argument(
        "--listen", required=True, metavar="HOST:PORT", help="address to listen on"
    )
    receive.add_argument("--to", required=True, type=path, metavar="DIR", help="results folder")
    receive.add_argument(
        "--secret-env",
        default="SEOTASKS_RECEIVE_SECRET",
        metavar="NAME",
        help="env var holding the secret callers must send (default SEOTASKS_RECEIVE_SECRET)",
    )
    add_provider(
        receive,
        "provider whose callbacks arrive, and that collects the tasks they notify (default: the one "
        "installed provider that declares callbacks)",
        required=False,
    )
    add_options(receive, "provider option")
    add_profile(receive)
    receive.add_argument("--gzip", action="store_true", help="write .json.gz files")
    add_bounded(receive, "--threads", 64, default=8, what="HTTP worker threads")
    add_bounded(
        receive,
        "--max-connections",
        100_000,
        default=1000,
        what="open connections at most; beyond, new ones wait",
    )
    add_bounded(
        receive,
        "--idle-timeout",
        3600,
        default=10,
        what="close a connection silent this long, between requests",
        metavar="SECONDS",
    )
    add_workers(receive, "concurrent collect calls for the tasks notified (pingbacks)", default=4)
    for flag, mib, what in (
        ("--max-body", 64, "largest request body as sent"),
        ("--max-json", 512, "largest body once decompressed"),
    ):
        receive.add_argument(
            flag,
            type=whole_number,
            default=mib * 1024 * 1024,
            metavar="BYTES",
            help=f"{what} (default {mib} MiB)",
        )


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..connection import connect
    from ..profilefile import load_profile
    from ..store import safe_name
    from .receive_run import parse_listen, run

    try:
        parse_listen(args.listen)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.max_body < 1024 or args.max_json < args.max_body:
        raise UsageError("--max-body must be at least 1024 and --max-json at least --max-body")
    if not args.secret_env.strip():
        raise UsageError("--secret-env needs the name of an environment variable")
    check_folder(args.to)
    provider = _receiving_provider(args.provider)
    name = provider.name
    if not safe_name(name):
        raise UsageError(f"provider name {name!r} cannot be a folder name")
    args.provider = name
    options: dict[str, Any] = dict(split_options(args.option, [name])[name])
    if args.profile is not None:
        # Read now: a profile that is not there is a mistake to fix (exit 2), not an
        # account with no credentials, whose pingbacks are queued and never collected.
        load_profile(args.profile, name)

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
