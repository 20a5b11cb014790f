"""Plugin objects that simulated entry points load (``value="fakevendor_entrypoint:..."``)."""

from __future__ import annotations

from typing import Any

from fakevendor import FakeVendor

import seotasks


@seotasks.hookimpl
def register_providers(register: Any) -> None:
    """This module itself is a well-formed plugin registering `FakeVendor`."""
    register(FakeVendor)


class _Misspelled:
    @seotasks.hookimpl
    def register_provider(self, register: Any) -> None:  # missing "s": not a hook
        register(FakeVendor)


class _Raising:
    @seotasks.hookimpl
    def register_providers(self, register: Any) -> None:
        raise RuntimeError("plugin blew up while registering")


class _NotAProvider:
    @seotasks.hookimpl
    def register_providers(self, register: Any) -> None:
        register(dict)


misspelled = _Misspelled()
raising = _Raising()
not_a_provider = _NotAProvider()


class _RegistersNothing:
    @seotasks.hookimpl
    def register_providers(self, register: Any) -> None:
        """A hook whose provider is behind a condition that did not hold."""


registers_nothing = _RegistersNothing()
