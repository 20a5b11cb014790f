"""The flags several commands declare alike: one declaration each, so that ``-p``, ``-o``
and ``--time-field`` keep one spelling, destination and choice list in every command.

Each command still words its own help (what ``-p`` means differs between ``tasks`` and
``sandbox``). Standard library only: ``seotasks --help`` builds every parser.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ..relative_time import is_relative_time
from ..terms import MAX_WORKERS, STATUS_CHOICES, TIME_FIELDS
from .common import MAX_SANDBOX_SIZE

__all__ = [
    "STATUS_HELP",
    "add_bounded",
    "add_limit",
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
    "megabytes",
    "path",
    "path_text",
    "profile_name",
    "seconds",
    "when",
    "whole_number",
    "whole_within",
]


def add_providers(
    parser: argparse.ArgumentParser, what: str, *, default: str | None = None
) -> None:
    """``-p/--provider NAME``, repeatable, collected into ``args.providers`` (None when
    not given). ``what`` says what a provider is for; ``default``, which providers a
    command takes without one (then ``-p`` is optional), so every command words its
    help alike: "provider to list (repeatable)", "... (repeatable; default: ...)"."""
    said = "repeatable" if default is None else f"repeatable; default: {default}"
    parser.add_argument(
        "-p",
        "--provider",
        action="append",
        dest="providers",
        metavar="NAME",
        required=default is None,
        help=f"{what} ({said})",
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


def whole_within(low: int, high: int | None = None) -> Callable[[str], int]:
    """An ``argparse`` type for a whole number of ``low`` or more (and at most ``high``),
    refused as it is parsed ("argument --threads: must be within 1..64, not 65", exit
    2), before any other check, bind or vendor call."""

    def bounded(value: str) -> int:
        number = whole_number(value)
        if number < low or (high is not None and number > high):
            said = f"{low} or more" if high is None else f"within {low}..{high}"
            raise argparse.ArgumentTypeError(f"must be {said}, not {number}")
        return number

    return bounded


def add_limit(parser: argparse.ArgumentParser, help: str) -> None:
    """``-L/--limit N``: a whole number, 0 or more."""
    parser.add_argument("-L", "--limit", type=whole_within(0), metavar="N", help=help)


#: An ``argparse`` type for a size in MB, 1 or more (``load --run-mb 0`` would end every
#: run after its first result, ``collect --max-result-mb 0`` refuse every answer).
megabytes = whole_within(1)


def seconds(value: str) -> float:
    """An ``argparse`` type for a wait: seconds as a number, 0 or more (``inf``: no end),
    ASCII only, as `whole_number` reads counts (``float()`` takes other scripts' digits)."""
    try:
        number = float(value) if value.isascii() else -1.0
    except ValueError:
        number = -1.0
    if not number >= 0:  # NaN too
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, not {value!r}")
    return number


def add_bounded(
    parser: argparse.ArgumentParser,
    flag: str,
    most: int,
    *,
    default: int,
    what: str,
    metavar: str = "N",
) -> None:
    """A whole-number ``flag`` within 1..``most`` (`whole_within`); its help gives the
    bounds and the default."""
    help = f"{what} (1..{most}, default {default})"
    parser.add_argument(
        flag, type=whole_within(1, most), default=default, metavar=metavar, help=help
    )


def add_workers(parser: argparse.ArgumentParser, what: str, *, default: int = 8) -> None:
    """``--workers N``: how many calls at once (``what`` they make), the same bounds in
    every command that collects (`collect_many`'s own, `MAX_WORKERS`)."""
    add_bounded(parser, "--workers", MAX_WORKERS, default=default, what=what)


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
