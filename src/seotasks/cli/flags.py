"""The flags several commands declare alike: one declaration each, so that ``-p``, ``-o``
and ``--time-field`` keep one spelling, destination and choice list in every command.

Each command still words its own help (what ``-p`` means differs between ``tasks`` and
``sandbox``). Standard library only: ``seotasks --help`` builds every parser.
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import sys
from collections.abc import Iterable
from datetime import datetime
from gettext import gettext
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, TextIO

from ..relative_time import is_relative_time
from ..terms import MAX_WORKERS, STATUS_CHOICES, TIME_FIELDS
from .common import EXIT_STORAGE, EXIT_USAGE, MAX_SANDBOX_SIZE

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

#: How argparse's messages about a missing required flag or group begin.
_MISSING = tuple(
    gettext(text).partition("%s")[0]
    for text in ("the following arguments are required: %s", "one of the arguments %s is required")
)

__all__ = [
    "STATUS_HELP",
    "Command",
    "CommandParser",
    "SubcommandParser",
    "add_options",
    "add_profile",
    "add_provider",
    "add_providers",
    "add_query",
    "add_sandbox",
    "add_sandbox_data",
    "add_status",
    "add_time_field",
    "add_window",
    "add_workers",
    "path",
    "path_text",
    "print_out",
    "profile_name",
    "when",
    "whole_number",
    "worker_count",
]


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


def add_providers(parser: argparse.ArgumentParser, help: str, *, required: bool = True) -> None:
    """``-p/--provider NAME``, repeatable, collected into ``args.providers``."""
    parser.add_argument(
        "-p",
        "--provider",
        action="append",
        dest="providers",
        metavar="NAME",
        required=required,
        help=help,
    )


class _OneProvider(argparse.Action):
    """Store ``-p NAME`` once, and refuse a second one.

    argparse's plain ``store`` keeps the last value: ``collect -p serpstat -p dataforseo``
    collected DataForSEO alone and said nothing of Serpstat, and ``submit`` posted (and
    paid) at the vendor named last. A command that serves one provider says so instead,
    before anything is called.
    """

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        first = getattr(namespace, self.dest, None)
        if first is not None:
            parser.error(f"-p/--provider: one provider only (got {first}, then {values})")
        setattr(namespace, self.dest, values)


def add_provider(parser: argparse.ArgumentParser, help: str, *, required: bool = True) -> None:
    """``-p/--provider NAME`` for a command that serves one provider, in ``args.provider``;
    given twice, a usage error (`_OneProvider`)."""
    parser.add_argument(
        "-p",
        "--provider",
        action=_OneProvider,
        metavar="NAME",
        required=required,
        help=help,
    )


def add_options(parser: argparse.ArgumentParser, help: str) -> None:
    """``-o/--option KEY=VALUE``, repeatable, collected into ``args.option`` (``[]`` when
    none is given); `seotasks.cli.common` parses them."""
    parser.add_argument(
        "-o", "--option", action="append", default=[], metavar="KEY=VALUE", help=help
    )


def add_profile(
    parser: argparse.ArgumentParser, help: str = "TOML profile with credentials and options"
) -> None:
    """``--profile NAME``: the TOML profile whose tables give the providers' options."""
    parser.add_argument("--profile", metavar="NAME", type=profile_name, help=help)


def path_text(value: str) -> str:
    """An ``argparse`` type for a flag naming a file or folder: not empty. ``Path("")``
    is the current folder, so ``collect --to "$DIR"`` with ``DIR`` unset wrote every
    result where the command ran (``receive`` served into it), and said nothing."""
    if not value:
        raise argparse.ArgumentTypeError("the path is empty (. names the current folder)")
    return value


def path(value: str) -> Path:
    """`path_text`, as a `Path`."""
    return Path(path_text(value))


#: A whole number as `whole_number` reads it (Python refuses more than 4300 digits).
_WHOLE = re.compile(r"[+-]?[0-9]{1,4300}")


def whole_number(value: str) -> int:
    """An ``argparse`` type for a whole-number flag: ASCII digits, a sign allowed, blanks
    around dropped, as option values are read (docs/configuration.md). ``int()`` takes
    other scripts' digits and underscores too: ``-L`` with a fullwidth 9 listed nine
    tasks and ``-L 1_0`` ten, where ``-o page_size=`` with such digits is refused."""
    text = value.strip()
    if not _WHOLE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"invalid int value: {value!r}")
    return int(text)


def worker_count(value: str) -> int:
    """An ``argparse`` type for ``--workers``: a whole number within 1..`MAX_WORKERS`,
    refused as it is parsed, before any vendor call (`collect_many`'s own bounds)."""
    count = whole_number(value)
    if not 1 <= count <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"must be within 1..{MAX_WORKERS}, not {count}")
    return count


def add_workers(parser: argparse.ArgumentParser, what: str, *, default: int = 8) -> None:
    """``--workers N``: how many calls at once (``what`` they make), the same bounds in
    every command that collects."""
    parser.add_argument(
        "--workers",
        type=worker_count,
        default=default,
        metavar="N",
        help=f"{what} (1..{MAX_WORKERS}, default {default})",
    )


def profile_name(value: str) -> str:
    """An ``argparse`` type for ``--profile``: a name, not blank. ``--profile "$P"`` with
    ``P`` unset ran on without any profile, on the env vars' credentials (another account,
    maybe), or failed saying to give ``--profile NAME``, which had been given."""
    if not value.strip():
        raise argparse.ArgumentTypeError(
            "the profile name is empty (give a profile's name, or leave --profile out)"
        )
    return value


def add_sandbox(parser: argparse.ArgumentParser, help: str) -> None:
    """``--sandbox`` (one provider's emulator instead of the account) and the ``--seed``
    of its data: the pair of the one-provider commands."""
    parser.add_argument("--sandbox", action="store_true", help=help)
    parser.add_argument("--seed", type=whole_number, default=0, help="sandbox data seed")


def add_sandbox_data(parser: argparse.ArgumentParser, *, day: bool = True) -> None:
    """``--sandbox-size N`` and ``--seed N`` (and ``--sandbox-day YYYY-MM-DD`` if ``day``):
    which data a ``--sandbox`` run draws, so that the same seed and day give the same
    listing in every command."""
    parser.add_argument(
        "--sandbox-size",
        type=whole_number,
        help=f"tasks per emulator, 0..{MAX_SANDBOX_SIZE} (default: provider's)",
    )
    parser.add_argument("--seed", type=whole_number, default=0, help="sandbox data seed")
    if day:
        parser.add_argument(
            "--sandbox-day",
            metavar="YYYY-MM-DD",
            help="the UTC day the sandbox data is drawn around (default: today); with "
            "--seed, the same data on any day",
        )


#: What ``--time-field`` means where the command adds nothing to it.
TIME_FIELD_HELP = "the time --since/--until bound: created_at (default) or completed_at"


def add_time_field(parser: argparse.ArgumentParser, help: str = TIME_FIELD_HELP) -> None:
    """``--time-field created_at|completed_at``: which time ``--since`` / ``--until``
    bound (``None`` when not given: the provider's default, creation)."""
    parser.add_argument("--time-field", choices=TIME_FIELDS, help=help)


#: What ``--status`` means, for every command that selects tasks by status.
STATUS_HELP = f"which tasks: {', '.join(STATUS_CHOICES[:-1])} or {STATUS_CHOICES[-1]}"


def add_status(
    parser: argparse.ArgumentParser, help: str = STATUS_HELP, *, default: str | None = None
) -> None:
    """``--status queued|running|completed|failed|any``: one choice list everywhere, and
    always a help line (``default``: what an omitted flag means, e.g. ``"any"``)."""
    parser.add_argument("--status", choices=STATUS_CHOICES, default=default, help=help)


def add_query(
    parser: argparse.ArgumentParser,
    *,
    status_help: str = STATUS_HELP,
    status_default: str | None = None,
    time_help: str = TIME_FIELD_HELP,
) -> None:
    """The flags a `seotasks.TaskQuery` is made of, for the commands that select tasks
    by one: ``--status``, ``--since`` / ``--until`` and ``--time-field``, in that order
    in ``--help``. A ``status_default`` is named at the end of the status help."""
    if status_default is not None:
        status_help = f"{status_help} (default {status_default})"
    add_status(parser, status_help, default=status_default)
    add_window(parser)
    add_time_field(parser, time_help)


def when(value: str) -> str:
    """An ``argparse`` type for ``--since`` / ``--until``: ISO 8601, ``YYYY-MM-DD`` or a
    time that long ago (``30m``, ``12h``, ``2d``, ``1w``), checked as the command line is
    read, so every command refuses the same values with the same words. The text is kept
    as given: a relative time is counted from the moment the command decides (a resumed
    listing counts it from its first run); `seotasks.cli.common.absolute_time` turns it
    into a time the library takes."""
    text = value.strip()
    if is_relative_time(text):
        return text
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is neither ISO 8601 (2026-11-20, 2026-11-20T10:00:00+00:00) nor a "
            "time ago (30m, 12h, 2d, 1w)"
        ) from None
    return text


def add_window(
    parser: argparse.ArgumentParser, *, what: str = "created", time_field: bool = True
) -> None:
    """``--since WHEN`` / ``--until WHEN`` in every form `when` reads; ``what`` says which
    time they bound by default. ``time_field``: the command also takes ``--time-field``,
    which may choose the other time, so the help names it; a command without that flag
    must not point its user at it."""
    since, until = (
        f"{what} (or, with --time-field completed_at, completed)",
        f"{what} (or completed)",
    )
    if not time_field:
        since, until = what, what
    parser.add_argument(
        "--since",
        type=when,
        metavar="WHEN",
        help=f"{since} at or after: ISO 8601 or YYYY-MM-DD (naive = UTC), or that long ago: "
        "30m, 12h, 2d, 1w",
    )
    parser.add_argument(
        "--until", type=when, metavar="WHEN", help=f"{until} before; same forms as --since"
    )
