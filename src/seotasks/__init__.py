"""seotasks: one provider-neutral view of the asynchronous tasks SEO data vendors run.

    import seotasks
    client = seotasks.connect("serpstat")          # token from SEOTASKS_SERPSTAT_TOKEN
    for task in client.tasks(status="completed"):
        print(task.key, task.completed_at)

The names below are the public API for using seotasks. A provider plugin also builds on
these modules, public and documented under "For plugin authors" in docs/api.md:

    seotasks.transport     Request, Response, RetryPolicy, Timeouts: HTTP with pacing, retries
    seotasks.ratelimit     RateLimit: a vendor's documented limit
    seotasks.convert       wire values to model values, the cattrs converter
    seotasks.emulation     the building blocks of a vendor emulator
    seotasks.clock         injectable clocks (FakeClock for tests)
    seotasks.testing       the conformance kit, test clients, replay of documented answers

Everything else is internal and may change without notice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    AuthError,
    ConfigError,
    CursorError,
    Interrupted,
    ProviderError,
    RateLimited,
    ResponseFormatError,
    SeotasksError,
    StorageError,
    TransientError,
    UnknownProvider,
    UnsupportedQuery,
)

if TYPE_CHECKING:
    from .client import Client
    from .collect import Collected
    from .connection import connect
    from .hookspecs import hookimpl
    from .model import Page, Task, TaskQuery, TaskStatus
    from .paging import merged
    from .plugins import failures, get_provider, providers, register_plugin
    from .provider import Batch, Capabilities, JSONValue, Option, Position, Provider, Sandbox
    from .ratelimit import RateLimit
    from .submit import SerpTaskSpec, SubmitResult

__all__ = [
    "AuthError",
    "Batch",
    "Capabilities",
    "Client",
    "Collected",
    "ConfigError",
    "CursorError",
    "Interrupted",
    "JSONValue",
    "Option",
    "Page",
    "Position",
    "Provider",
    "ProviderError",
    "RateLimit",
    "RateLimited",
    "ResponseFormatError",
    "Sandbox",
    "SeotasksError",
    "SerpTaskSpec",
    "StorageError",
    "SubmitResult",
    "Task",
    "TaskQuery",
    "TaskStatus",
    "TransientError",
    "UnknownProvider",
    "UnsupportedQuery",
    "capabilities_of",
    "connect",
    "failures",
    "get_provider",
    "hookimpl",
    "merged",
    "providers",
    "register_plugin",
]

# Everything but the exceptions loads on first use, so `import seotasks` (and
# `seotasks --help`) stays fast: no attrs, pluggy, urllib3 or plugin until needed.
_LAZY = {
    "Page": "model",
    "Task": "model",
    "TaskQuery": "model",
    "TaskStatus": "model",
    "hookimpl": "hookspecs",
    "Client": "client",
    "Collected": "collect",
    "connect": "connection",
    "merged": "paging",
    "capabilities_of": "plugins",
    "failures": "plugins",
    "get_provider": "plugins",
    "providers": "plugins",
    "register_plugin": "plugins",
    "Batch": "provider",
    "Capabilities": "provider",
    "Option": "provider",
    "Provider": "provider",
    "Sandbox": "provider",
    "JSONValue": "provider",
    "Position": "provider",
    "RateLimit": "ratelimit",
    "SerpTaskSpec": "submit",
    "SubmitResult": "submit",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from ._version import installed_version

        found = installed_version()
        globals()["__version__"] = found
        return found
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'seotasks' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
