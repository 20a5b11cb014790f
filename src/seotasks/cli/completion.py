"""``seotasks completion SHELL``: a completion script generated from the parser itself.

Written by hand, a completion script falls behind the first flag added after it. shtab
(a small, well-kept library, the ``completion`` extra) reads the very `argparse` parser
``seotasks`` runs, so every command, flag and choice (``--format``, ``--status``...) is
completed as the parser knows it, in bash, zsh and fish. Only this command imports it.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from .flags import Subcommands

from .common import EXIT_OK, UsageError

__all__ = ["SHELLS", "add_parser", "run"]

SHELLS = ("bash", "zsh", "fish")

_INSTALL = {
    "bash": "seotasks completion bash > ~/.local/share/bash-completion/completions/seotasks",
    "zsh": 'seotasks completion zsh > "${fpath[1]}/_seotasks"',
    "fish": "seotasks completion fish > ~/.config/fish/completions/seotasks.fish",
}


def add_parser(sub: Subcommands) -> argparse.ArgumentParser:
    """Add ``completion`` to the ``seotasks`` subparsers ``sub`` (standard library only)."""
    completion: argparse.ArgumentParser = sub.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or fish)",
        description="Print the completion script of SHELL, generated from seotasks' own "
        "parser by shtab (pip install 'seotasks[completion]'). Install it with, e.g.: "
        + "; ".join(_INSTALL.values()),
    )
    completion.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    return completion


def run(args: argparse.Namespace, out: TextIO) -> int:
    try:
        import shtab
    except ImportError:
        raise UsageError(
            "completion needs shtab: pip install shtab (the completion extra; from a "
            "checkout: pip install -e '.[completion]')"
        ) from None
    from .parser import build_parser

    parser = build_parser()
    script: str = shtab.complete(parser, shell=args.shell)
    out.write(script if script.endswith("\n") else script + "\n")
    return EXIT_OK
