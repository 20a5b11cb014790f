"""Which provider plugin an unexpected exception came from, for the one-line error.

Every `SeotasksError` is a failure the command explains. Anything else is a bug, and
"internal error: TypeError: Task.__init__() got an unexpected keyword argument" reads as
a bug of seotasks when it is a mistyped field in a third-party plugin: its author fixes
it, not us, and the user should know whom to tell. The traceback says where: the last
of its frames that runs code of a registered provider's package.
"""

from __future__ import annotations

from ..plugins import provider_infos

__all__ = ["raised_in_plugin"]


def raised_in_plugin(failure: BaseException) -> str | None:
    """``provider NAME (module line N, in function)`` for the innermost frame of
    ``failure``'s traceback that runs a registered provider's own code; ``None`` when
    no such frame is in it (the core's own failure, or one before any plugin ran)."""
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
