"""The flags several commands declare alike: one declaration each, so that ``-p``, ``-o``
and ``--time-field`` keep one spelling, destination and choice list in every command.

Each command still words its own help (what ``-p`` means differs between ``tasks`` and
``sandbox``). Standard library only: ``seotasks --help`` builds every parser.
"""

from __future__ import annotations

import argparse

__all__ = ["add_options", "add_providers", "add_time_field"]

#: The task times ``--since`` / ``--until`` can bound (`seotasks.TaskQuery.time_field`).
TIME_FIELDS = ("created_at", "completed_at")


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


def add_options(parser: argparse.ArgumentParser, help: str) -> None:
    """``-o/--option KEY=VALUE``, repeatable, collected into ``args.option`` (``[]`` when
    none is given); `seotasks.cli.common` parses them."""
    parser.add_argument(
        "-o", "--option", action="append", default=[], metavar="KEY=VALUE", help=help
    )


def add_time_field(parser: argparse.ArgumentParser, help: str) -> None:
    """``--time-field created_at|completed_at``: which time ``--since`` / ``--until``
    bound (``None`` when not given: the provider's default, creation)."""
    parser.add_argument("--time-field", choices=TIME_FIELDS, help=help)
