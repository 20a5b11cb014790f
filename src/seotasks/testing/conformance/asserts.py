"""How the kit fails: verdicts that say what went wrong and never print a secret.

Every themed module of the kit compares listings and looks for secrets the same way, so
those comparisons live here once: a listing is judged against the ground truth with the
duplicates, the missing and the unexpected ids named (a few of each, not thousands), and
a secret found in some text is reported by *where* it was found, never by any part of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import pytest

from ...model import TaskStatus

if TYPE_CHECKING:
    from _pytest._code import ExceptionInfo

    from ...model import Task
    from ...provider import Capabilities

__all__ = [
    "REPEATS_ACROSS_CURSOR",
    "TIME_DUE",
    "assert_no_secret",
    "assert_once",
    "failures_only",
    "held_times",
    "scrubbed",
    "secret_paths",
    "task_ids",
]


def failures_only(excinfo: ExceptionInfo[BaseException] | None) -> bool:
    """A check's ``__tracebackhide__``: its frame is left out of a failure's traceback (the
    message says what failed, the kit's lines are noise to a plugin author) but kept for a
    skip, whose ``-rs`` line pytest places at the innermost frame shown: the check's own
    line, not ``_pytest/python.py``, where every check hidden outright was counted as one."""
    return excinfo is None or not excinfo.errisinstance(pytest.skip.Exception)


#: The statuses in which a task has reached each time: a provider declaring the time in
#: `Capabilities.times` sets it on every task in them (a failed task may have failed
#: before it started, so none of its times past creation is required).
TIME_DUE: Mapping[str, frozenset[TaskStatus]] = {
    "created_at": frozenset(TaskStatus),
    "started_at": frozenset({TaskStatus.RUNNING, TaskStatus.COMPLETED}),
    "completed_at": frozenset({TaskStatus.COMPLETED}),
}


def held_times(caps: Capabilities) -> frozenset[str]:
    """The times the kit holds a listing to: those `Capabilities.times` declares, or,
    when it declares none, ``created_at`` (what ``since`` / ``until`` bound by default)."""
    return frozenset({"created_at"}) if caps.times is None else caps.times


def task_ids(tasks: Sequence[Task]) -> list[str]:
    """The ids of ``tasks``, in listing order (duplicates kept: they are what is checked)."""
    return [t.id for t in tasks]


#: Why a repeat shows only once a listing is resumed, and what to change: one client drops
#: a task the page before listed, so a position that leads back into that page passes
#: every check made in one client and repeats tasks for every caller holding a cursor.
REPEATS_ACROSS_CURSOR = (
    "a client drops a task the page before listed, but a fresh client resuming from a "
    "cursor has no memory of that page: the next position fetch returns must lead past "
    "every task its page listed (keep the last id in it, and skip up to it)"
)


def _check_ground_truth(ids: list[str], expected: set[str]) -> None:
    """Fail when ``expected_ids`` answers in another spelling than `Task.id`: numbers, or
    keys (``provider:id``). Every listing check would otherwise report every task missing
    and as many unexpected, which points at the provider rather than the ground truth."""
    odd = sorted((i for i in expected if not isinstance(i, str)), key=repr)
    assert not odd, (
        f"expected_ids returned {odd[0]!r} (of type {type(odd[0]).__name__}): return the vendor "
        "ids as strings, as Task.id holds them"
    )
    listed = set(ids)
    keys = sorted(i for i in expected - listed if i.partition(":")[2] in listed)
    assert not keys, (
        f"expected_ids returns keys ({keys[0]!r}): return the ids a listing yields, Task.id "
        f"({keys[0].partition(':')[2]!r}), not Task.key"
    )


def assert_once(
    ids: list[str],
    expected: set[str],
    what: str,
    *,
    resumed: bool = False,
    explain: Callable[[set[str], set[str]], str] | None = None,
) -> None:
    """Fail unless ``ids`` are exactly ``expected``, each once; ``what`` names the listing.

    ``resumed``: the listing moved to a fresh client on a cursor, where the repeats a
    client drops between its own pages come through, so a repeat is explained.
    ``explain(missing, extra)`` adds what the caller knows about why. The missing and
    the unexpected are named together: both at once (a status or a time mapped wrong)
    tell another story than either alone (a page lost, a filter ignored).
    """
    _check_ground_truth(ids, expected)
    dupes = sorted({i for i in ids if ids.count(i) > 1}) if len(ids) != len(set(ids)) else []
    hint = f" ({REPEATS_ACROSS_CURSOR})" if resumed else ""
    assert not dupes, f"{what}: tasks listed twice: {dupes[:10]}{hint}"
    missing = expected - set(ids)
    extra = set(ids) - expected
    wrong = [f"{len(missing)} seeded tasks missing, e.g. {sorted(missing)[:5]}"] if missing else []
    wrong += [f"{len(extra)} unexpected tasks, e.g. {sorted(extra)[:5]}"] if extra else []
    told = explain(missing, extra) if wrong and explain is not None else ""
    why = f". {told}" if told else ""
    assert not wrong, f"{what}: {'; '.join(wrong)}{why}"


def secret_paths(value: object, secret: str, path: str = "$") -> Iterator[str]:
    """JSON paths in ``value`` whose key or string value contains ``secret``."""
    if isinstance(value, str):
        if secret in value:
            yield path
    elif isinstance(value, Mapping):
        for index, (key, item) in enumerate(value.items()):
            if secret in str(key):  # the key itself is not printed: it holds the secret
                yield f"{path} (key #{index + 1})"
                continue
            yield from secret_paths(item, secret, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from secret_paths(item, secret, f"{path}[{index}]")


def assert_no_secret(
    secrets: Sequence[str], places: Mapping[str, str], *, kind: str = "secret", advice: str = ""
) -> None:
    """Fail naming *where* a secret was found, never any part of it.

    A test's output is a log too: no ``assert secret not in text`` (pytest would print
    both operands), and ``pytrace=False`` so no traceback shows the locals. ``kind``
    names where the secrets came from when they are not ``ConformanceEnv.secrets``;
    ``advice`` is what to change, said after.
    """
    __tracebackhide__ = True
    for number, secret in enumerate(secrets, 1):
        if not secret:
            continue
        for place, text in places.items():
            at = text.find(secret)
            if at >= 0:
                pytest.fail(
                    f"{kind} #{number} of {len(secrets)} found in {place} (at character {at})"
                    + (f": {advice}" if advice else ""),
                    pytrace=False,
                )


def scrubbed(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret masked, for quoting a provider's error in a failure."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
