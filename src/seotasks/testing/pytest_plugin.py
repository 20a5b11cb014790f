"""Registered through the ``pytest11`` entry point so plugin authors get the marker.

Kept tiny on purpose: pytest imports it in every session where seotasks is installed.
"""

from __future__ import annotations

from typing import Any


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers", "seotasks_conformance: a test from the seotasks provider conformance kit"
    )
