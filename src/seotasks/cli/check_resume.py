"""Whose ``--resume`` file is it: ``seotasks check --resume FILE`` asks what the run
itself would, before the run.

A resume file of ``tasks`` or ``collect`` records each provider's account as a salted
digest, and a submit journal its one account's; a run on another account is refused
(exit 2). ``check`` said "writable" of such a file, and the run then stopped on it: the
check compares the accounts the way the run will, never showing a value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..asked import Recorded
    from ..provider import Provider

__all__ = ["EMPTY", "empty_resume", "resume_mismatch"]


def resume_mismatch(
    path: Path,
    pairs: Sequence[str],
    profile: str | None,
    *,
    named: bool,
    sandbox: bool,
    checked: Mapping[str, Provider],
) -> str | None:
    """Why a run would refuse the existing file ``path`` as its ``--resume`` file, with
    the ``-o`` ``pairs`` and ``profile`` (``named``: given by ``--profile``) of this
    check, on the sandbox or not, ``checked`` the providers whose settings resolved; None
    when it would go on (or when nothing here can tell)."""
    from ..errors import ConfigError
    from ..resumefile import FORMAT, read, recorded
    from ..submit_journal import JOURNAL_FORMAT

    try:
        raw = path.read_bytes()
    except OSError:
        return None  # the folder check says why it cannot be read
    if not raw:  # said by `empty_resume`: a warning, not a failure
        return None
    # A resume file is one JSON object, a journal a line of JSON a record.
    whole, head = _json_or_none(raw), _json_or_none(raw.split(b"\n", 1)[0])
    if isinstance(whole, dict) and whole.get("format") == FORMAT:
        try:
            record = recorded(path, read(path))
        except ConfigError as exc:
            return str(exc)
        return _listing_mismatch(record, pairs, profile, named=named, sandbox=sandbox)
    if isinstance(head, dict) and head.get("format") == JOURNAL_FORMAT:
        return _journal_mismatch(head, checked)
    return "neither a resume file of tasks or collect nor a submit journal: a run refuses it"


#: What an empty ``--resume`` file is to each command that takes one.
EMPTY = (
    "empty: submit takes it as a new journal, but tasks and collect refuse it (a file they "
    "write is never empty, so an empty one is no checkpoint of theirs): remove it, and the "
    "run makes its own"
)


def empty_resume(path: Path) -> str | None:
    """`EMPTY` when ``path`` is empty (``touch``), else None. Not a failure: ``submit``
    reads it as a new journal; ``tasks`` and ``collect`` refuse it, since their files are
    replaced whole and never empty (one that is was not theirs, or was damaged: read as
    "no checkpoint", it would list everything again into an output that already holds
    it). Which command will use it, check cannot know, so it says."""
    try:
        return EMPTY if path.stat().st_size == 0 else None
    except OSError:
        return None  # the folder check says why it cannot be read


def _json_or_none(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _listing_mismatch(
    record: Recorded, pairs: Sequence[str], profile: str | None, *, named: bool, sandbox: bool
) -> str | None:
    from ..asked import ACCOUNT_KEY, Asked, account_digests

    written = record.plain.get("sandbox")
    if written is not None and not sandbox:
        return f"written by a --sandbox run ({written}): a run on an account is refused"
    if written is None and sandbox:
        return "written by a run on an account: a --sandbox run is refused"
    if sandbox:
        return None
    providers = [
        key.removeprefix(ACCOUNT_KEY) for key in record.digests if key.startswith(ACCOUNT_KEY)
    ]
    # Compared as a resumed run compares them (`Recorded.changed_secrets`).
    accounts = Asked(plain={}, secrets=account_digests(providers, pairs, profile, named=named))
    changed = record.changed_secrets(accounts)
    if not changed:
        return None
    return (
        f"written on another {changed[0].removeprefix(ACCOUNT_KEY)} account (its credentials "
        "or account options differ; values are not shown): a run with it is refused"
    )


def _journal_mismatch(head: Mapping[str, object], checked: Mapping[str, Provider]) -> str | None:
    from ..submit_journal import account_digest, same_account

    provider = checked.get(str(head.get("provider")))
    recorded, salt = head.get("account"), head.get("salt")
    if provider is None or not isinstance(recorded, str):
        return None  # its provider not checked here: its account cannot be told
    if same_account(account_digest(provider), recorded, salt):
        return None
    return (
        f"a submit journal of another {provider.name} account (its credentials or account "
        "options differ): a run with it is refused"
    )
