"""The ``seotasks`` parser: the global flags, then each command's subparser, built the same
way from the command's module (`Command`: its ``HELP``, ``DESCRIPTION`` and
``add_arguments``). Standard library only, like every command module at import time:
``--help`` stays fast."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Iterable, Sequence
from gettext import gettext
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, TextIO

from .common import EXIT_STORAGE, EXIT_USAGE

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

#: How argparse's messages about a missing required flag or group begin.
_MISSING = tuple(
    gettext(text).partition("%s")[0]
    for text in ("the following arguments are required: %s", "one of the arguments %s is required")
)


class CommandParser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (like every other error), naming --help.

    Subcommand parsers are made of the same class (argparse uses ``type(parent)``).
    """

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"seotasks: {message} (see {self.prog} --help)\n")

    def print_help(self, file: SupportsWrite[str] | None = None) -> None:
        """The help, on stdout by default (`print_out`)."""
        if file is None or file is sys.stdout:
            print_out(self.format_help())
        else:
            super().print_help(file)


def print_out(text: str) -> None:
    """Write ``text`` (``--help``, ``--version``) to stdout as command output is written:
    a stdout that takes nothing (full, closed) is exit 6 in one line, and a reader that
    left (``| head``) is exit 0. argparse drops a failed write of its help (exit 0, the
    help lost) and ``--version`` ended in a traceback (exit 1). Standard library only."""
    stream = sys.stdout
    try:
        if stream is None:  # started with descriptor 1 closed (``>&-``)
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        stream.write(text)
        stream.flush()
    except OSError as exc:
        if stream is not None:  # what is left in its buffer must not fail again at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
        if isinstance(exc, BrokenPipeError):
            raise SystemExit(0) from None
        sys.stderr.write(f"seotasks: StorageError: cannot write to stdout: {exc.strerror}\n")
        raise SystemExit(EXIT_STORAGE) from None


class SubcommandParser(CommandParser):
    """A command's parser: it takes ``--debug`` after the command name too (``seotasks
    tasks ... --debug``), declared here once so that no command can lack it.

    Its default is suppressed: ``seotasks --debug tasks`` keeps the value the main
    parser set, which a default of False here would overwrite.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: The arguments being parsed, for `error` to look at again.
        self._given: list[str] | None = None
        self.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="log HTTP calls (secrets masked) and show tracebacks",
        )

    def parse_known_args(
        self, args: Iterable[str] | None = None, namespace: Any = None
    ) -> tuple[Any, list[str]]:
        """Refuse what the command does not take here, where ``prog`` names the command.

        argparse hands a subcommand's leftovers up to the top-level parser, whose error
        pointed at ``seotasks --help``, which lists no command's flags.

        Unknown arguments are named before missing required ones (`error`).
        """
        self._given = list(args) if args is not None else None
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras

    def error(self, message: str) -> NoReturn:
        """A missing required flag is reported as an unknown argument when there is one.

        argparse checks the required flags first, so ``tasks --bogus`` said
        "-p/--provider is required", and the mistake itself (a misspelt flag) came out
        only once ``-p`` was added. The arguments are parsed again with nothing
        required, which finds the unknown ones (help has been handled by then).
        """
        given = self._given
        if given is not None and message.startswith(_MISSING):
            self._given = None
            unknown = self._unknown(given)
            if unknown:
                message = f"unrecognized arguments: {' '.join(unknown)}"
        super().error(message)

    def _unknown(self, args: list[str]) -> list[str]:
        """The arguments of ``args`` this command does not take."""
        relaxed = [a for a in self._actions if a.required]
        groups = [g for g in self._mutually_exclusive_groups if g.required]
        _set_required(relaxed, groups, False)
        try:
            return argparse.ArgumentParser.parse_known_args(self, args)[1]
        finally:
            _set_required(relaxed, groups, True)


def _set_required(
    actions: list[argparse.Action], groups: list[argparse._MutuallyExclusiveGroup], value: bool
) -> None:
    for action in actions:
        action.required = value
    for group in groups:
        group.required = value


class Command(Protocol):
    """A command module (``cli/check.py``): its one-line ``HELP`` for ``seotasks --help``,
    the ``DESCRIPTION`` its own ``--help`` opens with, its arguments, and `run`, which
    returns the exit code. `build_parser` and `main` treat every command the same way, so
    a command's module holds everything about it."""

    HELP: str
    DESCRIPTION: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace, out: TextIO, err: TextIO) -> int: ...


def build_parser() -> argparse.ArgumentParser:
    # No abbreviations (--statu for --status): a flag added later that shares the prefix
    # would change what a script written today means.
    parser = CommandParser(
        prog="seotasks",
        allow_abbrev=False,
        description="List SEO vendors' asynchronous tasks through one normalized interface.",
        epilog="Credentials: SEOTASKS_<PROVIDER>_<OPTION> env vars (e.g. SEOTASKS_SERPSTAT_TOKEN) "
        "or --profile. Try it with no account: seotasks tasks --sandbox -p dataforseo -p serpstat",
    )
    # --debug is accepted before or after the command (`SubcommandParser`).
    parser.add_argument("--debug", action="store_true", help="log HTTP calls and show tracebacks")
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=SubcommandParser)

    for name, module in commands().items():
        module.add_arguments(
            sub.add_parser(
                name, help=module.HELP, description=module.DESCRIPTION, allow_abbrev=False
            )
        )
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
