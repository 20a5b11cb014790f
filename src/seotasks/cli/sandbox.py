"""``seotasks sandbox``: run the emulators in the foreground and print their settings."""

from __future__ import annotations

import argparse
import time
from typing import TextIO

from .common import EXIT_OK, check_sandbox_size


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..plugins import providers
    from ..sandbox import SandboxRequest, env_lines, start

    if args.size is not None:
        check_sandbox_size(args.size, "--size")
    names = args.providers or providers()
    # Real time: the data is drawn around the moment the emulators start, and a client
    # of the user's own, on the real clock, sees windows ending "now" where they end.
    with start(names, SandboxRequest(seed=args.seed, size=args.size)) as running:
        for line in env_lines(running):
            out.write(line + "\n")
        for name, box in running.items():
            err.write(f"# {name}: {box.description}\n")
        out.flush()
        err.write("# emulators running; Ctrl-C to stop\n")
        err.flush()
        deadline = None if args.duration is None else time.monotonic() + args.duration
        try:
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
    return EXIT_OK
