"""seotasks: one provider-neutral view of the asynchronous tasks SEO data vendors run.

    import seotasks
    client = seotasks.connect("serpstat")          # token from SEOTASKS_SERPSTAT_TOKEN
    for task in client.tasks(status="completed"):
        print(task.key, task.completed_at)

The names below are the public API for using seotasks. A provider plugin also builds on
these modules, public and documented under "For plugin authors" in docs/api.md:

    seotasks.transport     Request, Response, RetryPolicy, Timeouts: HTTP with pacing, retries
    seotasks.redact        Redactor: every form of a secret, masked wherever text goes
    seotasks.jsoncodec     loads, dumps: vendor JSON, strict, fast when orjson is installed
    seotasks.submit        SerpTaskSpec and SPEC_FIELDS: what a provider's submit expresses
    seotasks.account       Account, amount: what a provider's account() tells `seotasks check`
    seotasks.ratelimit     RateLimit: a vendor's documented limit
    seotasks.convert       wire values to model values, the cattrs converter, item readers
    seotasks.emulation     the building blocks of a vendor emulator
    seotasks.clock         injectable clocks (FakeClock for tests)
    seotasks.testing       the conformance kit, test clients, replay of documented answers

Everything else is internal and may change without notice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors as _errors

# ``X as X``: each name is re-exported on purpose (ruff and mypy's strict mode read it so).
from .errors import (
    AuthError as AuthError,
)
from .errors import (
    ConfigError as ConfigError,
)
from .errors import (
    CursorError as CursorError,
)
from .errors import (
    Interrupted as Interrupted,
)
from .errors import (
    MissingSetting as MissingSetting,
)
from .errors import (
    NoResult as NoResult,
)
from .errors import (
    ProviderError as ProviderError,
)
from .errors import (
    RateLimited as RateLimited,
)
from .errors import (
    ResponseFormatError as ResponseFormatError,
)
from .errors import (
    SeotasksError as SeotasksError,
)
from .errors import (
    StorageError as StorageError,
)
from .errors import (
    TaskNotDone as TaskNotDone,
)
from .errors import (
    TransientError as TransientError,
)
from .errors import (
    UnknownProvider as UnknownProvider,
)
from .errors import (
    UnsupportedQuery as UnsupportedQuery,
)

if TYPE_CHECKING:
    from .capabilities import (
        Capabilities as Capabilities,
    )
    from .client import (
        Client as Client,
    )
    from .collect import (
        Collected as Collected,
    )
    from .connection import (
        connect as connect,
    )
    from .hookspecs import (
        hookimpl as hookimpl,
    )
    from .journal import (
        Journal as Journal,
    )
    from .merge import (
        merged as merged,
    )
    from .model import (
        Page as Page,
    )
    from .model import (
        Task as Task,
    )
    from .model import (
        TaskQuery as TaskQuery,
    )
    from .model import (
        TaskStatus as TaskStatus,
    )
    from .plugins import (
        PluginFailure as PluginFailure,
    )
    from .plugins import (
        capabilities_of as capabilities_of,
    )
    from .plugins import (
        failures as failures,
    )
    from .plugins import (
        get_provider as get_provider,
    )
    from .plugins import (
        providers as providers,
    )
    from .plugins import (
        register_plugin as register_plugin,
    )
    from .provider import (
        Batch as Batch,
    )
    from .provider import (
        JSONValue as JSONValue,
    )
    from .provider import (
        Option as Option,
    )
    from .provider import (
        Position as Position,
    )
    from .provider import (
        Provider as Provider,
    )
    from .provider import (
        Sandbox as Sandbox,
    )
    from .query import (
        Listing as Listing,
    )
    from .ratelimit import (
        RateLimit as RateLimit,
    )
    from .sandbox import (
        SandboxRequest as SandboxRequest,
    )
    from .submit import (
        SerpTaskSpec as SerpTaskSpec,
    )
    from .submit import (
        SubmitResult as SubmitResult,
    )

# Everything but the exceptions loads on first use, so `import seotasks` (and
# `seotasks --help`) stays fast: no attrs, pluggy, urllib3 or plugin until needed.
_LAZY = {
    "Page": "model",
    "Task": "model",
    "TaskQuery": "model",
    "TaskStatus": "model",
    "hookimpl": "hookspecs",
    "Client": "client",
    "Listing": "query",
    "Collected": "collect",
    "Journal": "journal",
    "connect": "connection",
    "merged": "merge",
    "capabilities_of": "plugins",
    "failures": "plugins",
    "PluginFailure": "plugins",
    "get_provider": "plugins",
    "providers": "plugins",
    "register_plugin": "plugins",
    "Batch": "provider",
    "Capabilities": "capabilities",
    "Option": "provider",
    "Provider": "provider",
    "Sandbox": "provider",
    "SandboxRequest": "sandbox",
    "JSONValue": "provider",
    "Position": "provider",
    "RateLimit": "ratelimit",
    "SerpTaskSpec": "submit",
    "SubmitResult": "submit",
}

#: The exceptions, imported at once (cheap, and every caller needs them to catch): every
#: name `seotasks.errors` exports.
_EAGER = tuple(_errors.__all__)

# The public surface is declared once, above: `_LAZY` (name -> module) and `_EAGER`. The
# imports repeat them for type checkers, which cannot read a table; tests/test_public_api.py
# fails when they differ.
__all__ = sorted([*_EAGER, *_LAZY])


if TYPE_CHECKING:
    # What `__getattr__` gives at run time, told to type checkers, which never see it: a
    # module `__getattr__` made every name of `seotasks` exist for them, a misspelt
    # `seotasks.conect` included (typed `Any`). The plugin modules the docs write as
    # ``seotasks.transport.RetryPolicy`` after a plain ``import seotasks``:
    from . import account as account
    from . import clock as clock
    from . import convert as convert
    from . import emulation as emulation
    from . import jsoncodec as jsoncodec
    from . import ratelimit as ratelimit
    from . import redact as redact
    from . import submit as submit
    from . import transport as transport

    __version__: str


def _lazy(name: str) -> Any:
    if name == "__version__":
        from ._version import installed_version

        found = installed_version()
        globals()["__version__"] = found
        return found
    import importlib

    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
    elif name.isidentifier() and not name.startswith("_") and _submodule(name):
        # ``seotasks.transport.RetryPolicy`` after a plain ``import seotasks``, as the docs
        # write it: a submodule is an attribute only once something imported it.
        try:
            value = importlib.import_module(f".{name}", __name__)
        except ImportError as exc:  # `seotasks.testing` without pytest: hasattr says False
            raise AttributeError(f"module 'seotasks' has no attribute {name!r} ({exc})") from exc
    else:
        raise AttributeError(f"module 'seotasks' has no attribute {name!r}")
    globals()[name] = value
    return value


if not TYPE_CHECKING:  # at run time only (see above)
    __getattr__ = _lazy


def _submodule(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(f"{__name__}.{name}") is not None


def __dir__() -> list[str]:
    return sorted(__all__)
