"""The ``seotasks`` parser: the global flags, then each command's subparser, built the same
way from the command's module (`flags.Command`: its ``HELP``, ``DESCRIPTION`` and
``add_arguments``). Standard library only, like every command module at import time:
``--help`` stays fast."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from .flags import Command, CommandParser, SubcommandParser, print_out


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog="seotasks",
        description="List SEO vendors' asynchronous tasks through one normalized interface.",
        epilog="Credentials: SEOTASKS_<PROVIDER>_<OPTION> env vars (e.g. SEOTASKS_SERPSTAT_TOKEN) "
        "or --profile. Try it with no account: seotasks tasks --sandbox -p dataforseo -p serpstat",
    )
    # --debug is accepted before or after the command (`SubcommandParser`).
    parser.add_argument("--debug", action="store_true", help="log HTTP calls and show tracebacks")
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=SubcommandParser)

    for name, module in commands().items():
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.DESCRIPTION))
    return parser


def commands() -> dict[str, Command]:
    """Every command by name, in ``seotasks --help``'s order."""
    from . import (  # stdlib only at import: --help stays fast
        check,
        collect,
        completion,
        load,
        providers,
        receive,
        report,
        sandbox,
        status,
        submit,
        tasks,
    )

    return {
        "providers": providers,
        "tasks": tasks,
        "submit": submit,
        "collect": collect,
        "receive": receive,
        "load": load,
        "report": report,
        "check": check,
        "status": status,
        "completion": completion,
        "sandbox": sandbox,
    }


class _VersionAction(argparse.Action):
    """``--version``, reading the package metadata only when asked (start-up stays fast)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from .._version import installed_version

        print_out(f"seotasks {installed_version()}\n")
        parser.exit()
