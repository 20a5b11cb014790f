"""``seotasks sandbox``: run the emulators in the foreground and print their settings."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, TextIO

from .common import EXIT_OK, check_sandbox_size

if TYPE_CHECKING:
    pass


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from datetime import datetime, timedelta

    from ..plugins import providers
    from ..sandbox import anchor, env_lines, start

    if args.size is not None:
        check_sandbox_size(args.size, "--size")
    names = args.providers or providers()
    # The data starts at the day's anchor and runs in real time from there: the same
    # --seed serves the same tasks and timestamps, and posted tasks still complete.
    origin, started = anchor(), time.monotonic()

    def now() -> datetime:
        return origin + timedelta(seconds=time.monotonic() - started)

    with start(names, seed=args.seed, size=args.size, now=now) as running:
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
