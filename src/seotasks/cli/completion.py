"""``seotasks completion SHELL``: a completion script generated from the parser itself.

Written by hand, a completion script falls behind the first flag added after it. shtab
(a small, well-kept library, the ``completion`` extra) reads the very `argparse` parser
``seotasks`` runs, so every command, flag and choice (``--format``, ``--status``...) is
completed as the parser knows it, in bash, zsh and fish, and the installed providers after
``-p``. Only this command imports it.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

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
    _complete_values(parser, providers(), {"FILE": shtab.FILE, "DIR": shtab.DIRECTORY})
    script: str = shtab.complete(parser, shell=args.shell)
    out.write(script if script.endswith("\n") else script + "\n")
    return EXIT_OK


def _complete_values(
    parser: argparse.ArgumentParser, names: list[str], paths: dict[str, Any]
) -> None:
    """Tell shtab what each value of ``parser`` and its commands is, for it to complete
    (this parser only generates the script: the one that runs keeps ``-p`` free, so that
    ``--help`` loads no plugin):

    - ``-p/--provider``: the installed provider names (a provider installed later is
      completed once the script is generated again);
    - a file or folder argument (its metavar ``FILE``, ``PATH.duckdb``, ``DIR``...): the
      paths (``paths``: shtab's file and folder completers), which the script otherwise
      never offered: ``--to res<TAB>`` beeped;
    - ``--postback-data``: the flavours `seotasks.submit.POSTBACK_DATA` takes.
    """
    from ..submit import POSTBACK_DATA

    for action in parser._actions:
        metavar = action.metavar if isinstance(action.metavar, str) else ""
        completed: Any = action  # shtab reads an attribute argparse does not declare
        if "--provider" in action.option_strings:
            action.choices = names
        elif "--postback-data" in action.option_strings:
            action.choices = POSTBACK_DATA
        elif metavar == "DIR":
            completed.complete = paths["DIR"]
        elif metavar.startswith(("FILE", "PATH")):
            completed.complete = paths["FILE"]
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                _complete_values(command, names, paths)
