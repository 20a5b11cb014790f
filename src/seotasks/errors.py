"""The exception hierarchy.

Errors are split by what the caller should do next: fix the configuration
(`ConfigError`, `UnknownProvider`, `AuthError`), retry later (`RateLimited`,
`TransientError`), or give up on this request (`ProviderError`,
`ResponseFormatError`, `CursorError`, `UnsupportedQuery`).

Every message is built from already-redacted text, and scrubbed once more when built
during a call into a provider (`seotasks.redact.scrub_active`: a vendor value quoted in it
may echo a credential), so ``str(error)`` and ``repr(error)`` are safe to log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "AuthError",
    "ConfigError",
    "CursorError",
    "Interrupted",
    "MissingSetting",
    "NoResult",
    "ProviderError",
    "RateLimited",
    "ResponseFormatError",
    "SeotasksError",
    "StorageError",
    "TaskNotDone",
    "TransientError",
    "UnknownProvider",
    "UnsupportedQuery",
]


class SeotasksError(Exception):
    """Base class of every error seotasks raises on purpose.

    ``resume_cursor`` is set by the paging layer when the error interrupted a
    listing: hand it to ``client.page(cursor=...)`` or ``client.tasks(cursor=...)``
    to continue from the last page that was fully delivered. ``cli_hint`` is the
    command line's advice for the person who ran it.
    """

    resume_cursor: str | None = None
    #: True on the error of a call that must not run twice (posting tasks) when the
    #: vendor may have processed it: the request was sent and its answer was lost, or
    #: came but could not be read (a `ResponseFormatError` of `Client.submit`). Such a
    #: call is never resent: whether its tasks exist is for the vendor's task list to say.
    outcome_unknown: bool = False
    #: What to do next, in the terms of the command the person ran (the CLI sets it,
    #: e.g. "continue with --resume run.json"); printed after the message.
    cli_hint: str | None = None
    #: The message in the command line's terms, where the library's names a Python call
    #: (a missing credential: "set SEOTASKS_X_Y or use --profile" rather than "pass it to
    #: connect()"); the CLI prints it instead of ``str(error)`` when set.
    cli_message: str | None = None

    def __init__(self, *args: object) -> None:
        from .redact import scrub_active  # here: `seotasks --help` imports this module

        super().__init__(*(scrub_active(a) if isinstance(a, str) else a for a in args))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle (and `copy`) by state, not by calling ``__init__`` again.

        The default rebuilds an exception as ``type(error)(*error.args)``, which fails for
        every subclass whose constructor takes more than the message (`ProviderError`'s
        code, `UnknownProvider`'s installed names, `ConversionError`'s value): the error
        could not reach the parent of a worker process, and a `multiprocessing` pool
        whose result fails to unpickle never returns. Rebuilt here from the message as
        it stands (already scrubbed) and the attributes, ``resume_cursor`` included.
        """
        return (_rebuild, (type(self), self.args), vars(self))


def _rebuild(cls: type[SeotasksError], args: tuple[object, ...]) -> SeotasksError:
    """An error of ``cls`` holding ``args``, without its ``__init__`` (see ``__reduce__``)."""
    error: SeotasksError = cls.__new__(cls, *args)
    return error


class ConfigError(SeotasksError):
    """Missing or invalid configuration: an option, a credential, a profile."""


class MissingSetting(ConfigError):
    """A required option (a credential) has no value anywhere: not given, not in its env
    var (``env_var``), not in the profile. A command that can serve without it (``seotasks
    receive`` writes postbacks with no credentials) tells it from a value that is wrong,
    which is an error to fix before it starts."""

    def __init__(self, message: str, *, option: str = "", env_var: str = "") -> None:
        super().__init__(message)
        self.option = option
        self.env_var = env_var


class StorageError(SeotasksError):
    """A place seotasks must write to cannot be written: missing permission, a full disk,
    a path that is not a folder. Checked before anything is taken from a vendor (see
    `seotasks.store.check_writable`), so the fix (another folder, free space) loses nothing.
    """


class UnknownProvider(ConfigError):
    """No installed plugin registers a provider of that name.

    The message suggests the closest installed name ("did you mean serpstat?"), never a
    package to install: a package name built from a typo invites installing a look-alike.
    ``limited_by`` is the ``SEOTASKS_LOAD_PLUGINS`` value when that variable kept plugins
    from loading, so the message can say so instead of "not installed". ``failed`` maps
    the entry-point name of each plugin that failed to load to its error: a plugin that
    is installed but broken is named with its error, since "not installed" would send
    its author to reinstall it. ``not_installed``: the names ``SEOTASKS_LOAD_PLUGINS``
    gives that no installed plugin has (a typo, a blank or ``;`` between names), said
    with the installed ``plugins``' names.
    """

    def __init__(
        self,
        name: str,
        installed: list[str],
        *,
        limited_by: str | None = None,
        failed: Mapping[str, str] | None = None,
        not_installed: Sequence[str] = (),
        plugins: Sequence[str] = (),
    ) -> None:
        import difflib

        self.name = name
        self.installed = sorted(installed)
        self.limited_by = limited_by
        self.failed = dict(failed or {})
        known = ", ".join(self.installed) or "none"
        wanted = name.strip().lower()
        close = difflib.get_close_matches(wanted, self.installed, n=1, cutoff=0.6)
        if wanted in self.failed:
            where = f"loaded: the plugin {wanted!r} failed to load: {self.failed[wanted]}"
        elif limited_by is not None:
            where = f"loaded (SEOTASKS_LOAD_PLUGINS={limited_by!r} limits which plugins load"
            if not_installed:
                where += (
                    f"; it names {', '.join(map(repr, not_installed))}, which no installed "
                    f"plugin is called; installed plugins: {', '.join(plugins) or 'none'}, "
                    "names separated by commas"
                )
            where += ")"
        else:
            where = "installed"
        message = f"no provider named {name!r} is {where}"
        if close:
            message += f"; did you mean {close[0]}?"
        if self.failed and wanted not in self.failed:
            count = len(self.failed)
            message += (
                f"; {count} plugin{'s' if count > 1 else ''} failed to load "
                f"({', '.join(sorted(self.failed))}): `seotasks providers` shows why"
            )
        super().__init__(
            f"{message} (loaded: {known})"
            if limited_by is not None
            else f"{message} (installed: {known})"
        )


class AuthError(SeotasksError):
    """The vendor refused the credentials (wrong, missing, or blocked)."""


class ProviderError(SeotasksError):
    """The vendor answered with an error that retrying will not fix.

    ``code`` is the vendor's own code (e.g. DataForSEO ``40501``, Serpstat ``32017``),
    ``message`` the vendor's text after redaction.
    """

    def __init__(self, code: int | str | None, message: str, *, provider: str = "") -> None:
        from .redact import scrub_active

        self.code = code
        self.message = scrub_active(message)
        self.provider = provider
        prefix = f"{provider}: " if provider else ""
        # Some refusals carry no code (a Serpstat blocked keyword): no "error None" then.
        label = "vendor error" if code is None else f"vendor error {code}"
        super().__init__(f"{prefix}{label}: {message}")


class NoResult(ProviderError):
    """The vendor's answer about this one task: it has no result to give, and asking again
    gives the same answer (DataForSEO 40401 "Task Not Found.", 40403 "Results Expired.";
    Serpstat 32017 for a finished task).

    What lets a collect run forget a task it journaled (`Collected.settles`): only an
    answer about the task itself may. Any other `ProviderError` (a proxy's 403, a
    blocked account, an IP not on the vendor's list) says nothing of the task, whose
    result may still be owed after a read that consumed it: its entry stays. Providers
    raise it for their vendor's task-level "no such result" answers.
    """


class TaskNotDone(ProviderError):
    """The vendor has no result for the task yet: it is queued or running, ask again later.

    A `ProviderError` (the answer is the vendor's own, and no result), so a caller that
    reports every refusal alike goes on doing so; one that waits for the task, as the
    pingback receiver does for a pingback that came early, can tell it from a refusal.
    """


class RetryableError(SeotasksError):
    """Common base of the errors the transport retries before giving up.

    ``outcome_unknown`` (see `SeotasksError`) is set by the transport on an error of a
    non-idempotent call (posting tasks) that failed after the request was sent: the
    vendor may have processed it, so it was not resent. ``not_sent`` marks a failure
    before anything reached the vendor.
    """

    retry_after: float | None = None
    not_sent: bool = False


class RateLimited(RetryableError):
    """The vendor's rate limit was hit and retries ran out.

    ``retry_after`` is the vendor's hint in seconds, or ``None`` when it gave none.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after if retry_after is not None and retry_after > 0 else None
        super().__init__(message)


class TransientError(RetryableError):
    """A failure that may pass (5xx, reset, timeout), still there after the retries."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after if retry_after is not None and retry_after > 0 else None
        super().__init__(message)


class ResponseFormatError(SeotasksError):
    """The body is not what the vendor documents.

    The message names the field (a path such as ``tasks[0].result[3].date_posted``),
    the offending value or a short redacted snippet, and the item id when known.
    """

    def __init__(
        self, message: str, *, field: str | None = None, item_id: str | None = None
    ) -> None:
        self.field = field
        self.item_id = item_id
        parts = [message]
        if field:
            parts.append(f"field {field}")
        if item_id:
            parts.append(f"item {item_id}")
        super().__init__(" | ".join(parts))


class Interrupted(SeotasksError):
    """A wait (a pacing slot, a backoff, a ``Retry-After``) was cut short because the run
    is stopping (`Transport.interrupt` was set, by SIGINT or SIGTERM in the CLI).

    The call it was waiting to make was not sent: nothing was consumed, nothing is
    lost, and running again makes it. Not retried by the transport.
    """


class CursorError(SeotasksError):
    """A cursor that is corrupt, edited, from a newer format, or for another listing."""


class UnsupportedQuery(SeotasksError):
    """The provider cannot answer this query; the message says why."""
