"""The installed distribution's version, read in one place (package metadata, so it never
disagrees with pip, and no heavy import: ``seotasks --version`` and the User-Agent use it)."""

from __future__ import annotations

from functools import cache

__all__ = ["installed_version"]


@cache
def installed_version() -> str:
    """``seotasks``' version from its metadata; ``0+unknown`` in a bare source tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("seotasks")
    except PackageNotFoundError:  # pragma: no cover - a bare source tree
        return "0+unknown"
