"""The ``seotasks`` command: `main` parses the arguments and hands each command to its
module (`tasks`, `submit`, `collect`, `receive`, `load`, `report`, `providers`,
`sandbox`, `check`, `status`, `completion`). Each module also declares its arguments
(``HELP``, ``DESCRIPTION``, ``add_arguments``: `parser.Command`); `parser` builds the
whole parser from them, and what the commands share is in `common` and `flags`.

Start-up is kept fast on purpose: these modules import only the standard library at
the top; the library, urllib3 and the plugins load inside the command that needs
them, so ``seotasks --help`` answers in a few tens of milliseconds.

Exit codes (`common.exit_code`): 0 ok, 2 usage or configuration error, 3 authentication
error, 4 vendor or network error, 5 interrupted with a resumable state saved, 6 a place to
write that is unwritable, full or held by another run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from .common import (
    EXIT_AUTH,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROVIDER,
    EXIT_STORAGE,
    EXIT_USAGE,
    UsageError,
    exit_code,
    one_line,
    printable_lines,
)
from .parser import build_parser, commands

__all__ = [
    "EXIT_AUTH",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PROVIDER",
    "EXIT_STORAGE",
    "EXIT_USAGE",
    "UsageError",
    "build_parser",
    "main",
    "run",
]


def run() -> NoReturn:
    """The ``seotasks`` program: `main` on ``sys.argv``, then exit with its code, which a
    signal arriving while the interpreter winds down no longer replaces (`keep_exit_code`).
    `main` itself changes no signal handler for good: tests call it in their own process."""
    from .signals import keep_exit_code, program_signals

    program_signals()
    try:
        code = main()
        keep_exit_code(code)  # a signal until its handlers are in place: interrupted
    except KeyboardInterrupt:  # a signal before the command's own handling (its imports)
        code = EXIT_OK if _ends_on_a_stop(sys.argv[1:]) else EXIT_INTERRUPTED
        if code == EXIT_INTERRUPTED:
            sys.stderr.write("seotasks: interrupted\n")
        keep_exit_code(code)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .pipes import open_stderr, silence_stdout, stdout_refusal, whole_writes

    # stdout carries the tasks and results, in writes of many lines; stderr's lines are
    # short, and a status line there has no newline for line buffering to flush on.
    out, err = whole_writes(sys.stdout), open_stderr(sys.stderr)
    if args.command is None:
        parser.print_help(err)
        return EXIT_USAGE
    import logging

    from .logformat import PrintableFormatter

    # Log records reach stderr as the error line does, their vendor text made printable:
    # every record with --debug, else the warnings (a misspelt variable, those of
    # `seotasks receive`), led by "seotasks:" as every other line there.
    handler = logging.StreamHandler(err)
    shown = "%(name)s: %(message)s" if args.debug else "seotasks: %(message)s"
    handler.setFormatter(PrintableFormatter(shown))
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, handlers=[handler])
    try:
        code = commands()[args.command].run(args, out, err)
        # What stdout still buffers is the command's output too: a write that fails now
        # is the command's failure (exit 6), not an error lost when the stream is freed.
        try:
            out.flush()
        except BrokenPipeError:
            silence_stdout(out)  # what the command decided stands (`submit` said what was lost)
        return code
    except UsageError as exc:
        err.write(one_line(f"seotasks: {exc}"))
        return EXIT_USAGE
    except KeyboardInterrupt:
        from .signals import signalled_before

        if signalled_before() is not None and _a_stop_is_its_end(args):
            return EXIT_OK  # stopped while it started up: as a stop a moment later
        err.write("seotasks: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        silence_stdout(out)  # `seotasks tasks | head`: the reader left; that is not an error
        return EXIT_OK
    except Exception as raised:
        from ..errors import SeotasksError

        failure = stdout_refusal(raised)
        if not isinstance(failure, SeotasksError) or args.debug:
            from .blame import raised_in_plugin, without_secrets

            pairs, profile = getattr(args, "option", None) or (), getattr(args, "profile", None)
            if args.debug:
                import traceback

                err.write(printable_lines(without_secrets(traceback.format_exc(), pairs, profile)))
            if not isinstance(failure, SeotasksError):
                said = without_secrets(f"{type(failure).__name__}: {failure}", pairs, profile)
                origin = raised_in_plugin(failure)
                err.write(
                    one_line(f"seotasks: internal error: {said}")
                    if origin is None
                    else one_line(
                        f"seotasks: error in {origin}: {said}; a bug of that plugin, for its "
                        "author (--debug shows the traceback)"
                    )
                )
                return EXIT_PROVIDER
        hint = failure.cli_hint
        said = failure.cli_message or str(failure)
        err.write(
            one_line(f"seotasks: {type(failure).__name__}: {said}" + (f"; {hint}" if hint else ""))
        )
        return exit_code(failure)


def _a_stop_is_its_end(args: argparse.Namespace) -> bool:
    """Whether SIGINT/SIGTERM is how the command normally ends (exit 0, nothing to run
    again): a server (``receive``, ``sandbox``) or ``collect --follow``."""
    return args.command in ("receive", "sandbox") or bool(args.command == "collect" and args.follow)


def _ends_on_a_stop(argv: Sequence[str]) -> bool:
    """`_a_stop_is_its_end` for a signal that came before `main` had the arguments (the
    parser's own imports): ``collect --follow`` stopped then exits 0, as a moment later."""
    import contextlib
    import io

    try:  # argparse's complaint about arguments that do not parse is not this exit's
        with contextlib.redirect_stderr(io.StringIO()):
            args, _ = build_parser().parse_known_args(argv)
    except (SystemExit, Exception):  # no command to ask
        return False
    return _a_stop_is_its_end(args)
