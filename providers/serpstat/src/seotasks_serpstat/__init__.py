"""Serpstat for seotasks: the JSON-RPC ``tasks.getList`` provider and its loopback emulator.

Installed as the distribution ``seotasks-serpstat``; the core finds it through the
``seotasks`` entry-point group (``seotasks.connect("serpstat", token=...)``). The
emulator lives in `seotasks_serpstat.emulator` and is imported only when asked for.
"""

from __future__ import annotations

from .provider import SerpstatProvider

__all__ = ["SerpstatProvider"]
