"""AcmeRank for seotasks: the example third-party provider plugin.

AcmeRank is a made-up vendor. This package is the template the plugin guide walks
through: a provider (`provider.py`), the entry point that registers it (`plugin.py`)
and a loopback emulator (`emulator.py`) that the tests, the conformance kit and
``seotasks tasks -p acme --sandbox`` all talk to.

The core never imports this package by name; it finds it through the ``seotasks``
entry-point group declared in ``pyproject.toml``.
"""

from __future__ import annotations

from .provider import AcmeProvider

__all__ = ["AcmeProvider"]
