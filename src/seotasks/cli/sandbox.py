"""``seotasks sandbox``: run the emulators in the foreground and print their settings."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

from .common import EXIT_OK, MAX_SANDBOX_SIZE, UsageError, check_sandbox_size, split_options

if TYPE_CHECKING:
    from ..provider import Sandbox

HELP = "run the emulators in the foreground and print env vars"
DESCRIPTION = (
    "Start the providers' emulators on 127.0.0.1 with seeded data and print "
    "on stdout the export lines (base URL, credentials) that point the library at "
    "them; run until Ctrl-C or SIGTERM."
)


def add_arguments(box: argparse.ArgumentParser) -> None:
    """``sandbox``'s arguments (standard library only: ``--help`` stays fast)."""
    from .flags import add_options, add_providers, whole_number, whole_within

    add_providers(box, "provider whose emulator to run", default="every installed one")
    box.add_argument(
        "--size",
        type=whole_number,
        help=f"tasks per emulator, 0..{MAX_SANDBOX_SIZE} (default: provider's)",
    )
    box.add_argument("--seed", type=whole_number, default=0, help="data seed (default 0)")
    box.add_argument(
        "--port",
        type=whole_within(1, 65535),
        help="listen on this 127.0.0.1 port (the next provider on the one after): the same "
        "export lines on every start (default: ports the system picks)",
    )
    add_options(
        box,
        "an account setting the emulator serves, as the vendor would for an account set up "
        "so (e.g. -o serpstat.timezone=Europe/Kyiv: its times written in that zone)",
    )
    box.add_argument("--duration", type=float, help=argparse.SUPPRESS)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..plugins import provider_names, providers
    from ..sandbox import SandboxRequest, env_lines, start
    from .signals import GracefulStop

    if args.size is not None:
        check_sandbox_size(args.size, "--size")
    # A provider given twice is refused as every other command refuses it.
    names = provider_names(args.providers) if args.providers else providers()
    options = split_options(args.option, names)
    # Real time: the data is drawn around the moment the emulators start, and a client
    # of the user's own, on the real clock, sees windows ending "now" where they end.
    # SIGTERM is how a service manager or `docker stop` ends a foreground server: the
    # same clean stop as Ctrl-C (exit 0), not death by signal (143). The handler is in
    # place before the first line is printed, which is when a caller may signal. A
    # second signal while the emulators close ends the process at once, exit 0 still:
    # they hold nothing to keep, so there is nothing to run again ("interrupted", 5).
    with (
        GracefulStop(at_once=(EXIT_OK, "seotasks: sandbox stopped at once")) as stop,
        start(
            names, SandboxRequest(seed=args.seed, size=args.size, port=args.port), options
        ) as running,
    ):
        _refuse_unserved(options, running)
        for line in env_lines(running):
            out.write(line + "\n")
        for name, box in running.items():
            err.write(f"# {name}: {box.description}\n")
        out.flush()
        err.write("# emulators running; Ctrl-C (or SIGTERM) to stop\n")
        err.flush()
        stop.event.wait(args.duration)  # None: until a signal
    return EXIT_OK


def _refuse_unserved(
    options: Mapping[str, Mapping[str, str]], running: Mapping[str, Sandbox]
) -> None:
    """Refuse an ``-o`` the emulator does not serve as given, before a line is exported:
    dropped, it left the user testing against settings they never asked for (a token
    of the emulator's own, the default plan's rate). Served means exported with that
    value, read as the option reads it; no value is shown (it may be a credential)."""
    from ..plugins import get_provider
    from ..sandbox import typed_options

    for name, given in options.items():
        typed = typed_options(get_provider(name), given) or {}
        served = running[name].settings
        for key, value in typed.items():
            if key not in served:
                raise UsageError(
                    f"-o {name}.{key}: not an account setting the {name} emulator serves "
                    f"(it exports {', '.join(served)}); give it to the client that connects "
                    "(seotasks tasks -o, or its env var) instead"
                )
            if served[key] != value:
                raise UsageError(
                    f"-o {name}.{key}: the {name} emulator sets its own {key} (exported "
                    "with the rest) and cannot serve another"
                )
