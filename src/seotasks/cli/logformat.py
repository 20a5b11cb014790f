"""The log format of the command line's stderr: a module of its own, imported when a
command runs, so that ``seotasks --help`` does not import `logging`."""

from __future__ import annotations

import logging

from .common import printable_lines

__all__ = ["PrintableFormatter"]


class PrintableFormatter(logging.Formatter):
    """Log records for a terminal: `printable_lines` (a record may quote a vendor's
    message, escape sequences included)."""

    def format(self, record: logging.LogRecord) -> str:
        return printable_lines(super().format(record))
