"""``seotasks completion SHELL``: a completion script generated from the parser itself.

Written by hand, a completion script falls behind the first flag added after it. shtab
(a small, well-kept library, the ``completion`` extra) reads the very `argparse` parser
``seotasks`` runs, so every command, flag and choice (``--format``, ``--status``...) is
completed as the parser knows it, in bash, zsh and fish, and the installed providers after
``-p``. Only this command imports it.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from .common import EXIT_OK, UsageError

__all__ = ["DESCRIPTION", "HELP", "SHELLS", "add_arguments", "run"]

SHELLS = ("bash", "zsh", "fish")

_INSTALL = {
    "bash": "seotasks completion bash > ~/.local/share/bash-completion/completions/seotasks",
    "zsh": 'seotasks completion zsh > "${fpath[1]}/_seotasks"',
    "fish": "seotasks completion fish > ~/.config/fish/completions/seotasks.fish",
}


HELP = "print a shell completion script (bash, zsh or fish)"
DESCRIPTION = (
    "Print the completion script of SHELL, generated from seotasks' own "
    "parser by shtab (pip install 'seotasks[completion]'). Install it with, e.g.: "
    + "; ".join(_INSTALL.values())
)


def add_arguments(completion: argparse.ArgumentParser) -> None:
    """``completion``'s arguments (standard library only: ``--help`` stays fast)."""
    completion.add_argument("shell", choices=SHELLS, help="the shell to complete in")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        import shtab
    except ImportError:
        raise UsageError(
            "completion needs shtab: pip install shtab (the completion extra; from a "
            "checkout: pip install -e '.[completion]')"
        ) from None
    from ..plugins import providers
    from .parser import build_parser

    parser = build_parser()
    _complete_providers(parser, providers())
    script: str = shtab.complete(parser, shell=args.shell)
    out.write(script if script.endswith("\n") else script + "\n")
    return EXIT_OK


def _complete_providers(parser: argparse.ArgumentParser, names: list[str]) -> None:
    """Give every ``-p/--provider`` of ``parser`` and its commands the installed provider
    names as choices, for shtab to complete (this parser only generates the script: the
    one that runs keeps ``-p`` free, so that ``--help`` loads no plugin). A provider
    installed later is completed once the script is generated again."""
    for action in parser._actions:
        if "--provider" in action.option_strings:
            action.choices = names
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                _complete_providers(command, names)
