"""Exceptions the core raises about what a provider plugin returned, marked as the
plugin's fault.

The core checks what a plugin hands back (a `Batch` from ``fetch``, `Capabilities` from
``capabilities()``, a position a cursor can keep) and raises a `TypeError` or
`ValueError` naming the mistake. Raised in the core, no frame of the plugin's code is in
its traceback, so the command line called it an "internal error", a bug of seotasks,
sending the user to the wrong author. The mark (an exception note) names the provider
for `seotasks.cli.blame`.
"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["blamed_provider", "plugin_fault"]

E = TypeVar("E", bound=BaseException)

_NOTE = "seotasks: what provider {} returned broke the plugin contract"
_PREFIX, _SUFFIX = _NOTE.split("{}")


def plugin_fault(exc: E, provider: str) -> E:
    """``exc``, marked as the fault of provider ``provider``'s code."""
    exc.add_note(_NOTE.format(provider))
    return exc


def blamed_provider(exc: BaseException) -> str | None:
    """The provider a `plugin_fault` mark on ``exc`` names, if any."""
    for note in getattr(exc, "__notes__", ()):
        if isinstance(note, str) and note.startswith(_PREFIX) and note.endswith(_SUFFIX):
            return note[len(_PREFIX) : len(note) - len(_SUFFIX)]
    return None
