"""What a run was asked, as its ``--resume`` file records it, with secrets kept out.

A resume file records the query of the run that wrote it (status, since, until, the
``-o`` options, ...) so that a later run with other flags is refused instead of silently
continuing a different listing. Some ``-o`` options are secrets (the provider declares
them ``Option(secret=True)``: a password, a token). Their values must never reach the
file nor the message that refuses a mismatch, yet a change of one must still be noticed:
another token is another account, with other tasks.

So a secret option is recorded as ``KEY=<secret>`` in the options text, and its value
as a digest kept apart under the key ``-o KEY`` (the flag, as the user wrote it):

- in memory, the digest is `value_digest` (unsalted), so a query can be built before
  the file it is compared with has been read;
- in the file, it is `file_digest`: that digest stretched with PBKDF2 under the file's
  own random salt, so the file alone gives no quick way to test guesses, and two files
  made with the same secret do not show it.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from .errors import UnknownProvider

if TYPE_CHECKING:
    from .provider import Option

__all__ = ["Asked", "Recorded", "account_entry", "asked_from", "file_digest", "value_digest"]

#: What a secret option's value is replaced with in the recorded options text.
SECRET = "<secret>"
#: Prefix of the query keys that carry a secret option's digest (``-o token``).
SECRET_KEY = "-o "
#: Prefix of the query keys that carry the digest of a provider's account as the
#: environment and the profile give it (``account serpstat``).
ACCOUNT_KEY = "account "
#: Query key naming the command (``tasks``, ``collect``): a file serves one command.
COMMAND_KEY = "command"
#: PBKDF2-SHA256 rounds of `file_digest`: about 30 ms, once per secret and file per run.
ROUNDS = 100_000

_FLAGS = {
    "status": "--status",
    "since": "--since",
    "until": "--until",
    "options": "-o",
    "to": "--to",
    "time_field": "--time-field",
    "profile": "--profile",
    "output": "--format",
    "sandbox": "--sandbox",
}


def value_digest(values: Iterable[str]) -> str:
    """The in-memory digest of one secret option's value(s), never written anywhere."""
    joined = "\x00".join(sorted(values)).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(joined, digest_size=32, person=b"seotasks-option").hexdigest()


def file_digest(digest: str, salt: bytes) -> str:
    """What a resume file records for a secret: `value_digest` stretched under ``salt``."""
    return hashlib.pbkdf2_hmac("sha256", bytes.fromhex(digest), salt, ROUNDS).hex()


def secret_keys(providers: Iterable[str]) -> frozenset[str]:
    """The ``-o`` keys of the listed providers that are secret.

    Both plain (``token``) and provider-qualified (``serpstat.token``) spellings; a plain
    key is secret when any listed provider's option of that name is. A provider that is
    not installed contributes nothing (its run fails elsewhere, with its own message).
    """
    from .plugins import get_provider

    secret: set[str] = set()
    for name in providers:
        try:
            cls = get_provider(name)
        except UnknownProvider:
            continue
        for option in cls.options:
            if option.secret:
                secret |= {option.name, f"{cls.name}.{option.name}"}
    return frozenset(secret)


@attrs.frozen
class Asked:
    """A run's query as recorded: ``plain`` values (the options text with secrets masked),
    the secrets' `value_digest` by ``-o KEY``, and the command that asked."""

    plain: Mapping[str, str | None]
    secrets: Mapping[str, str] = attrs.field(factory=dict)
    command: str | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str | None]) -> Asked:
        """Split a query built by `asked_from` into its parts."""
        plain = dict(query)
        command = plain.pop(COMMAND_KEY, None)
        hidden = (SECRET_KEY, ACCOUNT_KEY)
        secrets = {k: v for k, v in plain.items() if k.startswith(hidden) and v is not None}
        for key in list(plain):
            if key.startswith(hidden):
                del plain[key]
        return cls(plain, secrets, command)


def record_options(pairs: Sequence[str], secret: frozenset[str]) -> dict[str, str | None]:
    """``{"options": text, "-o KEY": digest, ...}`` for the ``-o`` pairs of a run.

    The text is the pairs sorted and joined by spaces, as files have always recorded it
    (so a file without secrets reads the same as before), with each secret value
    replaced by ``<secret>``; each secret key's values go to its digest.
    """
    shown: list[str] = []
    hidden: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if sep and key.strip() in secret:
            shown.append(f"{key.strip()}={SECRET}")
            hidden.setdefault(key.strip(), []).append(value)
        else:
            shown.append(pair)
    recorded: dict[str, str | None] = {"options": " ".join(sorted(shown)) or None}
    for key, values in hidden.items():
        recorded[SECRET_KEY + key] = value_digest(values)
    return recorded


def asked_from(
    args: argparse.Namespace, providers: Sequence[str], **extra: str | None
) -> dict[str, str | None]:
    """What a command was asked, as its resume file records it.

    Reads ``args.command``, ``args.option`` (the ``-o`` pairs), ``args.since``,
    ``args.until`` and ``args.time_field`` (recorded only when given); ``extra`` adds what only one command records (``status=`` for
    ``tasks``, ``to=`` for ``collect``). ``providers`` are the ``-p`` names, whose
    option declarations say which ``-o`` values are secret: those appear as
    ``KEY=<secret>`` plus an unsalted digest that `seotasks.resume.ResumeState` turns
    into the file's salted one.
    """
    secret = secret_keys(providers)
    pairs = list(getattr(args, "option", None) or ())
    from .profilefile import env_profile

    named = getattr(args, "profile", None)  # given by --profile: it holds the account
    profile = named or env_profile()
    sandbox = sandbox_data(args)
    asked: dict[str, str | None] = {
        COMMAND_KEY: getattr(args, "command", None),
        "since": getattr(args, "since", None),
        "until": getattr(args, "until", None),
        **record_options(pairs, secret),
        # A sandbox run lists the emulators with their own credentials, whatever the
        # environment holds: its data is its account.
        **({} if sandbox else account_digests(providers, pairs, profile, named=named is not None)),
        **extra,
    }
    if sandbox:
        asked["sandbox"] = sandbox
    time_field = getattr(args, "time_field", None)
    if time_field is not None:
        asked["time_field"] = time_field
    # Another profile is another account (as another -o token is), with other tasks:
    # the one in effect, by flag or SEOTASKS_PROFILE, recorded when there is one.
    if profile is not None:
        asked["profile"] = profile
    return asked


def sandbox_data(args: argparse.Namespace) -> str | None:
    """Which sandbox data a ``--sandbox`` run lists (``--seed 5 --sandbox-size 200``, and
    its ``--sandbox-day`` when given), as its resume file records it; None for a run on
    an account.

    The account digest of a sandbox run was read from the environment, which the run
    does not use: a file went on from a real account into the sandbox (or into another
    seed's data) and mixed two lists' tasks in one export, while two sandbox runs of
    the same data were refused for another exported login."""
    if not getattr(args, "sandbox", False):
        return None
    said = f"--seed {getattr(args, 'seed', 0)}"
    for flag, attr in (("--sandbox-size", "sandbox_size"), ("--sandbox-day", "sandbox_day")):
        value = getattr(args, attr, None)
        if value is not None:
            said += f" {flag} {value}"
    return said


def account_digests(
    providers: Iterable[str], pairs: Sequence[str], profile: str | None, *, named: bool = False
) -> dict[str, str]:
    """``{"account PROVIDER": digest}``: each provider's account options (a login, a base
    URL) and secrets as the environment or ``profile`` gives them, digested like a secret.

    The quickstart's credentials come from ``SEOTASKS_*`` variables, which no ``-o`` text
    records: a resumed run on another account (another token, another host) found the
    file's cursors meaningless there, printed nothing and exited 0. Each value is the one
    the run uses, an ``-o`` one included (``PROVIDER.KEY`` before ``KEY``): a password
    moved from ``-o`` to its variable is the same account (left out, it made the digests
    of one account differ). A profile that cannot be read is left out (the run stops on
    it with its own message). Nothing of a value is kept but the
    digest, salted per file as a secret's is. An account option is read as a cursor's
    account is (`seotasks.account.one_spelling`): ``…/`` and ``…``, or a sandbox emulator
    on its next port, are the same account, not a refused resume. Read as the settings
    are (`seotasks.config.resolve_settings`): a profile ``named`` by ``--profile`` alone
    gives the account, where ``SEOTASKS_PROFILE``'s comes after the variables.
    """
    from .config import env_name, load_profile
    from .errors import ConfigError
    from .plugins import get_provider

    given: dict[str, list[str]] = {}
    for key, _, text in (pair.partition("=") for pair in pairs):
        # A provider's name as -p (and `split_options`) reads it: DataForSEO.password.
        target, dot, setting = key.strip().partition(".")
        given.setdefault(f"{target.lower()}.{setting}" if dot else target, []).append(text)
    digests: dict[str, str] = {}
    for name in providers:
        try:
            cls = get_provider(name)
        except UnknownProvider:
            continue
        table: Mapping[str, object] = {}
        if profile:
            try:
                table = load_profile(profile, name)
            except ConfigError:
                table = {}
        values = []
        for option in cls.options:
            if not (option.account or option.secret):
                continue
            # As -o may give it: for this provider by name first (`split_options`); a
            # key given more than once (the library takes it) by every value, in order.
            passed = given.get(f"{name}.{option.name}") or given.get(option.name)
            if passed:
                values += [account_entry(option, one) for one in sorted(passed)]
                continue
            exported = None if named else os.environ.get(env_name(name, option.name))
            value: object = exported or table.get(option.name)
            if option.account and value is None:
                value = option.default  # the default host, as the run resolves it
            if value is not None:
                values.append(account_entry(option, value))
        if values:
            digests[ACCOUNT_KEY + name] = value_digest(values)
    return digests


def account_entry(option: Option, value: object) -> str:
    """``name=value`` of an account option (read as a cursor's account is: one spelling
    of a URL) or a secret, as an account digest takes it (`account_digests`, the submit
    journal's `seotasks.submit_journal.account_digest`)."""
    from .account import one_spelling

    return f"{option.name}={one_spelling(str(value)) if option.account else value}"


@attrs.frozen
class Recorded:
    """The query a resume file holds: ``plain`` values, the ``command``, and per secret
    ``-o KEY`` its `file_digest` under ``salt`` (None when the file records no secret)."""

    plain: Mapping[str, str | None]
    digests: Mapping[str, str]
    salt: bytes | None
    command: str | None

    def changed_secrets(self, asked: Asked) -> list[str]:
        """The ``-o KEY`` secrets given to both runs, with another value in each. (One
        given to only one run shows as ``KEY=<secret>`` in the options text already.)"""
        both = set(self.digests) & set(asked.secrets)
        if not both or self.salt is None:
            return []
        return sorted(
            key
            for key in both
            if not hmac.compare_digest(
                self.digests[key], file_digest(asked.secrets[key], self.salt)
            )
        )

    def differences(self, asked: Asked) -> str | None:
        """How ``asked`` differs from this record, in the user's flags, never a secret's
        value: ``with --status any, not --status completed``; None when it does not."""
        plain = sorted(
            k for k in set(self.plain) | set(asked.plain) if self.plain.get(k) != asked.plain.get(k)
        )
        secrets = self.changed_secrets(asked)
        if not plain and not secrets:
            return None
        parts = []
        if plain:
            before = ", ".join(flag(k, self.plain.get(k)) for k in plain)
            now = ", ".join(flag(k, asked.plain.get(k)) for k in plain)
            parts.append(f"with {before}, not {now}")
        options = [key for key in secrets if not key.startswith(ACCOUNT_KEY)]
        if options:
            names = ", ".join(options)
            parts.append(f"with another value of {names} (values are not shown)")
        for key in secrets:
            provider = key.removeprefix(ACCOUNT_KEY)
            # Said already where an -o secret it takes changed (`account_digests`).
            if key.startswith(ACCOUNT_KEY) and not _said(options, provider):
                parts.append(
                    f"on another account for {provider} (its credentials or account options "
                    "differ; values are not shown)"
                )
        return " and ".join(parts)


def _said(options: list[str], provider: str) -> bool:
    """Whether a changed ``-o`` secret of ``options`` is one ``provider`` takes: its own
    (``-o serpstat.token``) or one given to every provider (``-o token``)."""
    keys = (key.removeprefix(SECRET_KEY) for key in options)
    return any("." not in key or key.startswith(provider + ".") for key in keys)


def flag(key: str, value: object) -> str:
    """A recorded query value as the flag that gives it: ``--status any``, ``no --since``."""
    name = _FLAGS.get(key, key)
    if key == "output" and value is None:  # a table is for reading: its shape is not kept
        return "--format table"
    if value is None:
        return f"no {name}"
    if key == "options" and isinstance(value, str):
        return " ".join(f"-o {part}" for part in value.split(" "))
    if key == "output":  # recorded as the flags themselves: --format csv --fields id,cost
        return str(value)
    return f"{name} {value}"
