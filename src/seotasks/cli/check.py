"""``seotasks check``: will my next run work? (``gh auth status`` for seotasks).

One line per thing checked, each answered before anything is consumed or posted:

* per provider: the credentials are accepted and the base URL answers, proved by the
  vendor's free account call (`Provider.account`: DataForSEO ``appendix/user_data``,
  Serpstat ``tasks.getParsingBalance``), which also gives the balance and limits; a
  provider without one is proved by the first page of its default listing instead;
* per folder given (``--to``, ``--resume``, ``--journal``, ``--pipelines-dir``): a file
  can be written there durably (`seotasks.store.check_writable`).

Without ``-p``, every installed provider is checked whose credentials are set at all; the
others get a ``skip`` line (not configured is not a problem unless asked for by name).
The exit code is that of the first problem, as a run failing on it would exit
(`seotasks.cli.common.exit_code`: 3 refused credentials, 2 configuration, 6 an
unwritable folder, 4 anything else), 0 when every line is ``ok`` (or ``warn``: a
balance at or below zero, which refuses posting but not listing). Calls are tried
twice at most with short timeouts: a wrong URL answers in seconds, not after a minute of
retries, and a server that never answers within 2 x 20 s.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .common import (
    EXIT_OK,
    EXIT_STORAGE,
    EXIT_USAGE,
    UsageError,
    exit_code,
    one_line,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ..errors import SeotasksError
    from ..provider import Provider

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "run"]


HELP = "check credentials, base URLs, balances and output folders before a run"
DESCRIPTION = (
    "For each configured provider: are the credentials accepted, does the "
    "base URL answer, what balance and limits does the account have (where the vendor "
    "says); for each folder given: can seotasks write there. One line each; exit "
    "non-zero on the first problem (3 refused credentials, 2 configuration, 6 folder, "
    "4 otherwise)."
)


def add_arguments(check: argparse.ArgumentParser) -> None:
    """``check``'s arguments (standard library only: ``--help`` stays fast)."""
    from .flags import add_options, add_profile, add_providers, path

    add_providers(check, "provider to check", default="every installed one with credentials set")
    add_options(check, "provider option, as for seotasks tasks (e.g. -o serpstat.rps=10)")
    add_profile(check)
    check.add_argument(
        "--sandbox", action="store_true", help="check against the providers' emulators"
    )
    check.add_argument("--to", type=path, metavar="DIR", help="results folder to check")
    check.add_argument(
        "--resume", type=path, metavar="FILE", help="checkpoint or journal file to check"
    )
    check.add_argument("--journal", type=path, metavar="DIR", help="collect journal folder")
    check.add_argument(
        "--pipelines-dir", type=path, metavar="DIR", help="dlt pipelines folder (seotasks load)"
    )


#: The subject column's least width: the usual provider names and folder flags line up.
_SUBJECT_WIDTH = 14


class _Report:
    """The lines written so far and the exit code of the first problem.

    ``subjects``: every subject a line may name, known before the first line is written
    (each is written as soon as checked), so the column fits the longest one.
    """

    def __init__(self, out: TextIO, subjects: Iterable[str] = ()) -> None:
        self.out = out
        self.code = EXIT_OK
        self.width = max([_SUBJECT_WIDTH, *map(len, subjects)])

    def line(self, verdict: str, subject: str, text: str, *, code: int = EXIT_OK) -> None:
        self.out.write(f"{verdict:<4} {subject:<{self.width}} " + one_line(text))
        self.out.flush()
        if code != EXIT_OK and self.code == EXIT_OK:
            self.code = code


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..plugins import provider_names
    from ..profilefile import env_profile
    from .common import split_options

    named = bool(args.providers)
    from ..plugins import providers

    names = provider_names(args.providers) if named else providers()
    folders = _folders(args)
    report = _Report(out, [*names, *(flag for flag, _, _ in folders)])
    if not names and not folders:
        from .providers import none_loaded

        raise UsageError(none_loaded())
    options = split_options(args.option, names)
    checked: dict[str, Provider] = {}  # the providers whose settings resolved
    if args.sandbox:
        import contextlib

        from ..clock import ScaledClock
        from ..sandbox import SandboxRequest, start
        from .common import SANDBOX_SPEED

        clock = ScaledClock(SANDBOX_SPEED)
        with contextlib.ExitStack() as stack:
            running = stack.enter_context(start(names, SandboxRequest(clock=clock)))
            for name in names:
                settings = {**running[name].settings, **options[name]}
                provider = _provider(report, name, settings, args.profile, clock=clock)
                if provider is not None:
                    checked[name] = provider
    else:
        tried = 0
        profile = args.profile or env_profile()
        for name in names:
            if not named and not _configured(name, profile, options[name], args.profile):
                report.line("skip", name, _not_configured(name, profile, args.profile))
                continue
            tried += 1
            provider = _provider(report, name, options[name], args.profile)
            if provider is not None:
                checked[name] = provider
        if not tried and not folders:
            from ..config import config_path

            where = (
                f"add their credentials to [profiles.{profile}.PROVIDER] tables in {config_path()}"
                if profile
                else "give --profile NAME"
            )
            raise UsageError(
                "no provider has credentials set: set its SEOTASKS_<PROVIDER>_<OPTION> "
                f"variables, {where}, or name one with -p (seotasks providers lists each "
                "one's options)"
            )
    from .check_resume import resume_mismatch

    def whose(path: Path) -> str | None:
        return resume_mismatch(
            path,
            args.option,
            args.profile or env_profile(),
            named=args.profile is not None,
            sandbox=args.sandbox,
            checked=checked,
        )

    for flag, folder, what in folders:
        _folder(report, flag, folder, what, whose if flag == "--resume" else None)
    return report.code


def _provider(
    report: _Report,
    name: str,
    options: dict[str, Any],
    profile: str | None,
    *,
    clock: Any = None,
) -> Provider | None:
    """Check provider ``name``; the provider, its settings resolved (None when they are
    not: its configuration is the line's failure)."""
    from ..call import RetryPolicy, Timeouts
    from ..connection import connect
    from ..errors import ConfigError, SeotasksError

    try:
        client = connect(
            name,
            profile=profile,
            clock=clock,
            retry=RetryPolicy(attempts=2, base=0.2, cap=1.0),
            timeouts=Timeouts(connect=5.0, read=20.0, answer=20.0),
            **options,
        )
    except ConfigError as exc:
        report.line("FAIL", name, str(exc.cli_message or exc), code=exit_code(exc))
        return None
    with client:
        where = _where(client.provider)
        waits: set[str] = set()  # a pacing wait or a retry makes the time no latency
        client.transport.on_event = lambda event: waits.add(event.kind)
        started = time.monotonic()
        try:
            with client.transport.redactor.active():
                account = client.provider.account()
            if account is None:
                client.page()  # the first page of the default listing proves the rest
        except SeotasksError as exc:
            report.line("FAIL", name, where + _failed(exc), code=exit_code(exc))
            return client.provider
        seconds = time.monotonic() - started
        waited = " with a wait for the vendor's limit or a retry" if waits - {"waiting"} else ""
        text = f"{where}credentials accepted ({seconds * 1000:.0f} ms{waited})"
        text += _credentials_from(client.provider)
        # The vendor's own words (a login it echoes): masked as an error quoting it is.
        described = "" if account is None else client.transport.redactor.scrub(account.describe())
        text = f"{text}; {described}" if described else text
        if account is not None and account.balance is not None and account.balance <= 0:
            # Listing and collecting still work (a task_get is paid with its post); the
            # next post is refused, so warn without failing the check.
            text += "; nothing left to spend: posting tasks will be refused until it is topped up"
            report.line("warn", name, text)
            return client.provider
        report.line("ok", name, text)
        return client.provider


def _failed(exc: SeotasksError) -> str:
    """What a failed account call says about the provider, in the words of a check."""
    from ..errors import AuthError, ProviderError, RateLimited, ResponseFormatError, TransientError

    if isinstance(exc, AuthError):
        return f"credentials refused: {exc}"
    if isinstance(exc, TransientError):
        # Unreachable only when no connection opened: an answer that was no answer
        # (HTML, a 500, a cut-off body) sends the operator to the vendor or a proxy,
        # not to the network.
        return f"{'unreachable' if exc.not_sent else 'no usable answer'}: {exc}"
    if isinstance(exc, ResponseFormatError):
        return f"no usable answer: {exc}"
    if isinstance(exc, RateLimited):
        return f"rate limited, check again later: {exc}"
    if isinstance(exc, ProviderError):  # the account's state: funds, a plan, a block
        return f"refused by the vendor: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _credentials_from(provider: Provider) -> str:
    """``; token from SEOTASKS_SERPSTAT_TOKEN``: where the credentials proved were read
    (an exported variable and a profile can hold two accounts'); nothing for values
    given with ``-o`` or by a sandbox."""
    sources = provider.settings.sources
    read = [
        f"{o.name} from {sources[o.name]}"
        for o in provider.options
        if o.secret and o.name in sources
    ]
    return f"; {', '.join(read)}" if read else ""


def _where(provider: Provider) -> str:
    base = provider.settings.get("base_url")
    return f"{base}: " if isinstance(base, str) and base else ""


def _configured(name: str, profile: str | None, options: dict[str, Any], named: str | None) -> bool:
    """Whether any credential of ``name`` is given (option, env var) or the profile has a
    table for it: a provider nobody set up is skipped, not reported as broken. A profile
    configures only the providers it has a table for, as it contributes nothing to the
    others; any key in that table counts, so a misspelt one (``tokn``) is reported as the
    run would refuse it, not skipped; a file that cannot be read counts as given too, and
    so does a credential's env var spelt wrong (``SEOTASKS_SERPSTAT_TOKN``: a skip said
    nothing of the token the user exported). Under a profile ``named`` by ``--profile``
    the env vars give no account."""
    from ..config import env_name, load_profile, misspelt_env
    from ..errors import ConfigError
    from ..plugins import get_provider

    table: dict[str, Any] = {}
    if profile:
        try:
            table = load_profile(profile, name)
        except ConfigError:
            return True
    cls = get_provider(name)
    required = [o.name for o in cls.options if o.required]
    exported = not named and any(os.environ.get(env_name(name, o)) for o in required)
    misspelt = not named and set(misspelt_env(cls, os.environ).values()) & set(required)
    return bool(table) or exported or bool(misspelt) or any(o in options for o in required)


def _not_configured(name: str, profile: str | None, named: str | None) -> str:
    """What to set for ``name``: its env vars, or, when the user already chose a profile,
    the options to add to that profile's table for it (not "give --profile NAME"; only
    that, under a profile ``named`` by ``--profile``, which reads no env var's account)."""
    from ..config import config_path, env_name
    from ..plugins import get_provider

    required = [o.name for o in get_provider(name).options if o.required]
    wanted = " and ".join(env_name(name, o) for o in required) if required else "its options"
    where = "give --profile NAME"
    if profile:
        options = " and ".join(required) if required else "its options"
        where = f"add {options} to [profiles.{profile}.{name}] in {config_path()}"
        if named:
            return f"not configured ({where})"
    return f"not configured (set {wanted}, or {where})"


def _folders(args: argparse.Namespace) -> list[tuple[str, Path, str]]:
    """``(flag, folder, what)`` for every folder flag given."""
    found = []
    for flag, attr, what in (
        ("--to", "to", "--to"),
        ("--journal", "journal", "--journal"),
        ("--pipelines-dir", "pipelines_dir", "--pipelines-dir"),
    ):
        value = getattr(args, attr)
        if value is not None:
            found.append((flag, value, what))
    if args.resume is not None:
        found.append(("--resume", args.resume, "the --resume file's folder"))
    return found


def _folder(
    report: _Report,
    flag: str,
    path: Path,
    what: str,
    whose: Callable[[Path], str | None] | None = None,
) -> None:
    """Check a folder flag's place; ``whose``: why a run would refuse the file there as
    its own (`resume_mismatch`), asked of a ``--resume`` file that exists."""
    from ..errors import StorageError
    from ..store import check_writable, file_mistake, folder_mistake

    folder = path.absolute().parent if flag == "--resume" else path
    # A folder flag's mistake is refused by the runs as --to's is (exit 2).
    mistake = file_mistake(path) if flag == "--resume" else folder_mistake(path)
    if mistake is not None:
        # What the run refuses as a mistyped path (exit 2), not a folder that cannot be
        # written: check answers with the code the run would.
        report.line("FAIL", flag, f"{flag} {path}: {mistake}", code=EXIT_USAGE)
        return
    try:
        check_writable(folder, what=what)
    except StorageError as exc:
        report.line("FAIL", flag, str(exc), code=exit_code(exc))
        return
    if flag == "--resume" and path.exists() and not os.access(path, os.W_OK):
        report.line("FAIL", flag, f"{path}: not writable", code=EXIT_STORAGE)
        return
    mismatch = whose(path) if whose is not None and path.exists() else None
    if mismatch is not None:
        report.line("FAIL", flag, f"{path}: {mismatch}", code=EXIT_USAGE)
        return
    if flag == "--resume" and path.exists():
        from .check_resume import empty_resume

        if (empty := empty_resume(path)) is not None:
            report.line("warn", flag, f"{path}: {empty}")
            return
    report.line("ok", flag, f"{path}: writable")
