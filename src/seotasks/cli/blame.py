"""Which provider plugin an unexpected exception came from, for the one-line error.

Every `SeotasksError` is a failure the command explains. Anything else is a bug, and
"internal error: TypeError: Task.__init__() got an unexpected keyword argument" reads as
a bug of seotasks when it is a mistyped field in a third-party plugin: its author fixes
it, not us, and the user should know whom to tell. The traceback says where: the last
of its frames that runs code of a registered provider's package.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..plugin_fault import blamed_provider
from ..plugins import provider_infos

__all__ = ["raised_in_plugin", "without_secrets"]


def raised_in_plugin(failure: BaseException) -> str | None:
    """``provider NAME (module line N, in function)`` for the innermost frame of
    ``failure``'s traceback that runs a registered provider's own code; ``None`` when
    no such frame is in it (the core's own failure, or one before any plugin ran).
    ``provider NAME (what it returned)`` for the core's refusal of what a plugin returned
    (`seotasks.plugin_fault`), which no frame of the plugin's is in."""
    named = blamed_provider(failure)
    if named is not None:
        return f"provider {named} (what it returned)"
    try:
        packages = {
            info.cls.__module__.partition(".")[0]: info.name
            for info in provider_infos()
            if info.cls.__module__.partition(".")[0] != "seotasks"
        }
    except Exception:  # the registry itself failing: no blame rather than a second error
        return None
    found = None
    trace = failure.__traceback__
    while trace is not None:
        module = str(trace.tb_frame.f_globals.get("__name__", ""))
        package = module.partition(".")[0]
        if package in packages:
            where = f"{module} line {trace.tb_lineno}, in {trace.tb_frame.f_code.co_name}"
            found = f"provider {packages[package]} ({where})"
        trace = trace.tb_next
    return found


def without_secrets(text: str, pairs: Sequence[str], profile: str | None) -> str:
    """``text`` with every secret this command may have been given masked: each installed
    provider's secret options as the environment, the profile and the ``-o`` ``pairs``
    give them (unresolved: more masked is no harm).

    A plugin's own exception is no `SeotasksError`, whose message the core scrubs: its
    text, printed as it is, carried the API key the plugin put in it ("no paging for key
    zk_live_..."). The clients that knew the key may be gone by then; the configuration
    it came from is not."""
    try:
        from ..asked import secret_keys
        from ..config import env_name, load_profile
        from ..plugins import get_provider, providers
        from ..profilefile import env_profile
        from ..redact import Redactor

        names = providers()
        secret = secret_keys(names)  # an -o KEY of either spelling, as a resume file reads it
        secrets = [v for k, _, v in (p.partition("=") for p in pairs) if k.strip() in secret]
        profile = profile or env_profile()
        for name in names:
            table = load_profile(profile, name) if profile else {}
            for option in get_provider(name).options:
                if option.secret:
                    found = [os.environ.get(env_name(name, option.name)), table.get(option.name)]
                    secrets += [str(v) for v in found if v]
        return Redactor(v for v in secrets if v).scrub(text)
    except Exception:  # the configuration itself failing: the text as it was
        return text
