"""The ``seotasks`` command: `main` parses the arguments and hands each command to its
module (`tasks`, `submit`, `collect`, `receive`, `load`, `report`, `providers`,
`sandbox`); the parser is in `parser` and what the commands share in `common`.

Start-up is kept fast on purpose: these modules import only the standard library at
the top; the library, urllib3 and the plugins load inside the command that needs
them, so ``seotasks --help`` answers in a few tens of milliseconds.

Exit codes: 0 ok, 2 usage or configuration error, 3 authentication error, 4 vendor
or network error, 5 interrupted with a resumable state saved.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .common import (
    EXIT_AUTH,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROVIDER,
    EXIT_STORAGE,
    EXIT_USAGE,
    UsageError,
    one_line,
)
from .parser import build_parser

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
]


def _exit_code(exc: BaseException) -> int:
    from ..errors import (
        AuthError,
        ConfigError,
        CursorError,
        Interrupted,
        StorageError,
        UnsupportedQuery,
    )

    if isinstance(exc, Interrupted):
        return EXIT_INTERRUPTED
    if isinstance(exc, StorageError):
        return EXIT_STORAGE
    if isinstance(exc, ConfigError | CursorError | UnsupportedQuery):
        return EXIT_USAGE
    if isinstance(exc, AuthError):
        return EXIT_AUTH
    return EXIT_PROVIDER


def main(argv: Sequence[str] | None = None) -> int:
    from . import (
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

    parser = build_parser()
    args = parser.parse_args(argv)
    out, err = sys.stdout, sys.stderr
    if args.command is None:
        parser.print_help(err)
        return EXIT_USAGE
    if args.debug:
        import logging

        logging.basicConfig(level=logging.DEBUG, stream=err, format="%(name)s: %(message)s")
    try:
        if args.command == "providers":
            return providers.run(args, out)
        if args.command == "sandbox":
            return sandbox.run(args, out, err)
        if args.command == "submit":
            return submit.run(args, out, err)
        if args.command == "check":
            return check.run(args, out, err)
        if args.command == "status":
            return status.run(args, out, err)
        if args.command == "completion":
            return completion.run(args, out)
        if args.command == "collect":
            return collect.run(args, out, err)
        if args.command == "receive":
            return receive.run(args, out, err)
        if args.command == "load":
            return load.run(args, out, err)
        if args.command == "report":
            return report.run(args, out, err)
        return tasks.run(args, out, err)
    except UsageError as exc:
        err.write(one_line(f"seotasks: {exc}"))
        return EXIT_USAGE
    except KeyboardInterrupt:
        err.write("seotasks: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `seotasks tasks | head`: the reader left; that is not an error.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        from ..errors import SeotasksError

        if not isinstance(exc, SeotasksError) or args.debug:
            if args.debug:
                import traceback

                traceback.print_exc(file=err)
            if not isinstance(exc, SeotasksError):
                err.write(one_line(f"seotasks: internal error: {type(exc).__name__}: {exc}"))
                return EXIT_PROVIDER
        hint = exc.cli_hint
        said = exc.cli_message or str(exc)
        err.write(
            one_line(f"seotasks: {type(exc).__name__}: {said}" + (f"; {hint}" if hint else ""))
        )
        return _exit_code(exc)
