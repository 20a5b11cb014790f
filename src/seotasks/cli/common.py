"""What the commands share: exit codes, usage errors, ``-o`` options, the progress line,
time and size checks, the sandbox's emulators and the clients."""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from ..relative_time import is_relative_time, reach_back
from ..terms import CAPPED_ADVICE

if TYPE_CHECKING:
    from pathlib import Path

    from ..client import Client
    from ..clock import Clock
    from ..model import Page
    from ..resume import ResumeState


#: The exit codes, by what the caller does next (docs/cli.md "Exit codes" explains each).
EXIT_OK = 0  # done
EXIT_USAGE = 2  # fix the command line, the configuration or the cursor
EXIT_AUTH = 3  # fix the credentials
EXIT_PROVIDER = 4  # the vendor or the network failed: try again later
EXIT_INTERRUPTED = 5  # stopped on request: run the same command again to continue
EXIT_STORAGE = 6  # a place to write is unwritable, full or held by another run


#: How much faster than real time the --sandbox clock runs.
SANDBOX_SPEED = 60.0


#: The largest --sandbox-size / sandbox --size: an emulator holds its tasks in memory
#: (about 1 kB each), so this bounds a sandbox to about 1 GB.
MAX_SANDBOX_SIZE = 1_000_000


class UsageError(Exception):
    """Bad command-line input: exit 2 with the message."""


def exit_code(exc: BaseException) -> int:
    """The exit code of a library error: what ``seotasks`` exits with when a command
    ends on it, and what ``seotasks check`` reports for it, so the check's code is the
    one the run it stands in for would give."""
    from ..errors import (
        AuthError,
        ConfigError,
        CursorError,
        Interrupted,
        StorageError,
        UnsupportedQuery,
    )

    if isinstance(exc, Interrupted):
        return EXIT_INTERRUPTED
    if isinstance(exc, StorageError):
        return EXIT_STORAGE
    if isinstance(exc, ConfigError | CursorError | UnsupportedQuery):
        return EXIT_USAGE
    if isinstance(exc, AuthError):
        return EXIT_AUTH
    return EXIT_PROVIDER


def split_options(pairs: Sequence[str], names: Sequence[str]) -> dict[str, dict[str, str]]:
    """``-o KEY=VALUE`` and ``-o PROVIDER.KEY=VALUE`` per provider of ``names``.

    ``PROVIDER.KEY`` of an installed provider not among ``names`` says that ``-p`` is
    what is missing: "no listed provider has an option" read as if it had no such option.
    ``PROVIDER.KEY`` is meant for that provider alone, so it beats a ``KEY`` given to
    every provider wherever the two stand on the line (a later ``KEY`` silently undid
    it); one key given twice with two values is refused, as a second ``-p`` is: neither
    wins silently (the values are not shown: one may be a credential).
    """
    from ..config import meant_option
    from ..plugins import get_provider, providers

    # Each provider's values given to it by name, and those given to every provider.
    by_name: dict[str, dict[str, str]] = {name: {} for name in names}
    to_all: dict[str, dict[str, str]] = {name: {} for name in names}
    known = {name: {o.name for o in get_provider(name).options} for name in names}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            # Shown only when it is an option's name: a bare value may be a credential
            # given without its ``token=``, and stderr may go to a shared CI log.
            named = any(key.rpartition(".")[2] in options for options in known.values())
            shown = repr(pair) if named else "a value with no KEY= (not shown)"
            raise UsageError(f"-o expects KEY=VALUE, got {shown}")
        target, dot, option = key.partition(".")
        target = target.lower()  # as -p takes a provider's name: DataForSEO.source
        if dot and target not in by_name and target in providers():
            raise UsageError(f"-o {key}: provider {target} is not listed with -p")
        if dot and target in by_name:
            if option not in known[target]:
                meant = meant_option(option, known[target])
                hint = f"did you mean {target}.{meant}? " if meant else ""
                raise UsageError(
                    f"provider {target} has no option {option!r}; {hint}its options: "
                    + ", ".join(sorted(known[target]))
                )
            _set_once(by_name[target], option, value, key)
            continue
        takers = [name for name in names if key in known[name]]
        if not takers and dot:  # serpstats.token: the provider is what is misspelt
            import difflib

            close = difflib.get_close_matches(target, [*providers(), *names], n=1)
            hint = f"did you mean {close[0]}.{option}?" if close else "see seotasks providers"
            raise UsageError(f"-o {key}: no provider is named {target!r}; {hint}")
        if not takers:
            there = sorted(set().union(*known.values()))
            meant = meant_option(key, there)
            hint = f"did you mean {meant}? " if meant else ""
            raise UsageError(
                f"no listed provider has an option {key!r}; {hint}their options: "
                + ", ".join(there)
            )
        for name in takers:
            _set_once(to_all[name], key, value, key)
    return {name: {**to_all[name], **by_name[name]} for name in names}


def _set_once(values: dict[str, str], key: str, value: str, given: str) -> None:
    if values.setdefault(key, value) != value:
        raise UsageError(f"-o {given} is given twice with different values: give it once")


class StatusLine:
    """One status line on a terminal's stderr, redrawn in place.

    Drawn only when ``enabled`` (stderr is a terminal: a log file would fill with
    carriage returns), at most every `INTERVAL` seconds unless forced (a listing of many
    small pages would spend its time drawing), and erased by `clear` before anything
    else goes to the same terminal.
    """

    INTERVAL = 0.2

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self.last = 0.0
        self.drawn = False
        #: No hints (wait notices); warnings about the result itself are still said.
        self.quiet = False

    def due(self, *, force: bool = False) -> float | None:
        """The `time.monotonic` now when the line is to be redrawn, else ``None``."""
        if not self.enabled:
            return None
        now = time.monotonic()
        if not force and now - self.last < self.INTERVAL:
            return None
        self.last = now
        return now

    def draw(self, line: str) -> None:
        """Replace the line on the terminal with ``line`` (cut to 200 characters)."""
        self.stream.write("\r\x1b[K" + line[:200])
        self.stream.flush()
        self.drawn = True

    def clear(self) -> None:
        """Erase the status line (before a row or a message goes to the same terminal)."""
        if self.enabled and self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False

    def notice(self, text: str, *, hint: bool = False) -> None:
        """A whole line (a wait worth knowing about), the status line erased first; a
        ``hint`` is left out under ``quiet``."""
        if hint and self.quiet:
            return
        self.clear()
        self.stream.write(f"seotasks: {text}\n")
        self.stream.flush()


class Progress(StatusLine):
    """Per-provider counts of one listing, and the status line drawn from them.

    The line is drawn only when stderr is a terminal (``enabled``); the counts feed the
    capped-list warning and the final summary whatever stderr is. `notice` prints a
    whole line (a wait that is worth knowing about), clearing the status line first.
    """

    def __init__(self, stream: TextIO, enabled: bool, *, quiet: bool = False) -> None:
        super().__init__(stream, enabled and not quiet)
        self.quiet = quiet
        self.counts: dict[str, list[int]] = {}
        #: Per provider, the lists the vendor capped (a page's first note names its list).
        self.capped: dict[str, set[str]] = {}
        self.waits = 0

    def page(self, name: str, page: Page) -> None:
        entry = self.counts.setdefault(name, [0, 0])
        entry[0] += 1
        entry[1] += len(page.tasks)
        if page.capped:
            label = page.notes[0].partition(":")[0] if page.notes else f"page {entry[0]}"
            self.capped.setdefault(name, set()).add(label)
        self.show()

    def event(self, name: str, kind: str, detail: str) -> None:
        if kind in {"paced", "rate-limited", "retry"}:
            self.waits += 1
            self.show(force=True, extra=f" [{name} {kind}: {detail}]")

    def show(self, *, force: bool = False, extra: str = "") -> None:
        if self.due(force=force) is None:
            return
        parts = [f"{n} {c[0]} pages/{c[1]} tasks" for n, c in self.counts.items()]
        self.draw("seotasks: " + ", ".join(parts) + f", waits {self.waits}" + extra)

    def incomplete(self, name: str, advice: str | None) -> str | None:
        """The warning for ``name`` when its vendor capped a list, else None: a silent cut
        is a wrong answer. ``advice`` is the provider's ``advice("capped")``. "May": a
        list that holds exactly its cap looks the same, and the vendor gives no total."""
        lists = self.capped.get(name)
        if not lists:
            return None
        shown = ", ".join(sorted(lists)[:3]) + (", ..." if len(lists) > 3 else "")
        return (
            f"{name}: the vendor capped {len(lists)} list(s) ({shown}): this listing may be "
            f"incomplete; {advice or CAPPED_ADVICE}"
        )

    def done(self) -> None:
        self.clear()


def absolute_time(
    value: str | None, now: datetime | None = None, *, flag: str = "--since/--until"
) -> str | None:
    """A --since/--until value as the library takes it: relative forms become UTC times,
    counted back from ``now`` (the sandbox's day with ``--sandbox-day``; else real time).

    A relative form reaching back past the calendar's first year (``99999999999d``) is a
    usage error naming ``flag``, not an overflow deep in `datetime`."""
    if value is None:
        return None
    try:
        moment = reach_back(value, now or datetime.now(UTC))
    except ValueError as exc:
        raise UsageError(f"{flag} {value}: {exc}") from None
    return value if moment is None else moment.isoformat(timespec="seconds")


def resumed_time(
    value: str | None, flag: str, state: ResumeState, now: datetime | None = None
) -> Any:
    """``--since`` / ``--until`` for a listing that starts without a cursor: an absolute
    time as given; a relative one (``2d``) as the time it stood for when the resume file
    was first written (recorded there as its ``window``), else counted back from now and
    recorded. A resumed run thus counts "2d" from the first run, as the cursor it will
    meet does, not from itself. `query.UNSET` when the flag is not given."""
    from ..query import UNSET

    if value is None:
        return UNSET
    if not is_relative_time(value):
        return absolute_time(value, now, flag=f"--{flag}")
    recorded = state.window.get(flag)
    if recorded is None:
        recorded = absolute_time(value, now, flag=f"--{flag}")
        if recorded is not None:
            state.window[flag] = recorded
    return recorded


def check_folder(path: Path | None, flag: str = "--to") -> None:
    """`UsageError` for a ``flag`` folder `seotasks.store.folder_mistake` refuses (None:
    not given)."""
    from ..store import folder_mistake

    mistake = None if path is None else folder_mistake(path)
    if mistake is not None:
        raise UsageError(f"{flag} {path}: {mistake}")


def check_sandbox_size(size: int, flag: str) -> None:
    if not 0 <= size <= MAX_SANDBOX_SIZE:
        raise UsageError(f"{flag} must be within 0..{MAX_SANDBOX_SIZE:,}, got {size:,}")


def one_client(args: argparse.Namespace, stack: Any) -> Client:
    """The client of ``-p NAME`` (under ``--sandbox``: of its emulator, on a fast clock)."""
    from ..connection import connect
    from ..plugins import get_provider

    name = get_provider(args.provider).name
    options: dict[str, dict[str, Any]] = {name: dict(split_options(args.option, [name])[name])}
    clock = start_sandbox(stack, args, [name], options)
    client: Client = stack.enter_context(
        connect(name, profile=args.profile, clock=clock, **options[name])
    )
    return client


def one_line(text: str) -> str:
    """``text`` as one line: an error is one line on stderr, whatever its message holds
    (and never a URL's ``user:password@``, wherever the message came from), without the
    control characters a vendor's message may hold to drive the terminal, as in a table."""
    from ..export import printable
    from ..redact import scrub_userinfo

    return printable(scrub_userinfo(" ".join(text.split()))) + "\n"


def printable_lines(text: str) -> str:
    """``text`` (a traceback, a log record) with each line's control characters removed,
    since it may quote a vendor's message (see `one_line`)."""
    from ..export import printable

    return "\n".join(printable(line) for line in text.split("\n"))


#: The days ``--sandbox-day`` takes: the seeded data spans weeks around the day, and must
#: stay inside the calendar `datetime` can represent (years 1..9999).
SANDBOX_DAYS = (datetime(1970, 1, 1, tzinfo=UTC), datetime(9998, 12, 31, tzinfo=UTC))


def sandbox_day(text: str | None) -> datetime | None:
    """``--sandbox-day``: midnight UTC of that day, or ``None`` (real time).

    The emulators' data and the clients' "now" then both stand at that instant, so the
    same ``--seed`` gives the same listing on any day, and a history window ending "now"
    ends where the emulator's day does. Without it, both run on the real clock."""
    if text is None:
        return None
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise UsageError(f"--sandbox-day must be a date like 2026-11-20, got {text!r}") from None
    first, last = SANDBOX_DAYS
    if not first <= day <= last:
        raise UsageError(
            f"--sandbox-day must be within {first:%Y-%m-%d}..{last:%Y-%m-%d}, got {text!r}"
        )
    return day


def start_sandbox(
    stack: contextlib.ExitStack[Any],
    args: argparse.Namespace,
    names: Sequence[str],
    options: dict[str, dict[str, Any]],
    now: Callable[[], datetime] | None = None,
) -> Clock | None:
    """With ``--sandbox``: the providers' emulators started on loopback (stopped with
    ``stack``) and given ``options`` (`SandboxRequest.options`: Serpstat's zone), their
    settings put under each provider's ``options`` (``-o`` wins), and the clock they and
    the clients share, a minute per second (`SANDBOX_SPEED`), so the vendors' per-minute
    limits are enforced and honoured, just faster; ``now`` is the wall clock of both (``None``: real time).
    Without it: None, and nothing started; a flag that chooses the emulators' data is
    then refused, not ignored: the vendor itself would be listed, a real account's tasks
    instead of the day or seed asked for."""
    if not args.sandbox:
        for flag, given in (
            ("--sandbox-day", getattr(args, "sandbox_day", None) is not None),
            ("--sandbox-size", getattr(args, "sandbox_size", None) is not None),
            ("--seed", getattr(args, "seed", 0) != 0),
        ):
            if given:
                raise UsageError(
                    f"{flag} applies with --sandbox only: without it, the vendor is called"
                )
        return None
    from ..clock import ScaledClock
    from ..sandbox import SandboxRequest, start

    clock = ScaledClock(SANDBOX_SPEED)
    # collect, status and submit take no --sandbox-size: the emulators' own default.
    size = getattr(args, "sandbox_size", None)
    request = SandboxRequest(seed=args.seed, size=size, clock=clock, now=now)
    running = stack.enter_context(start(names, request, options))
    for name in names:
        options[name] = {**running[name].settings, **options[name]}
    return clock


def refuse_unreported_status(client: Client, given: str | None) -> None:
    """A `UsageError` for a ``--status`` the provider never reports: it could only ever
    give an empty list, which reads as a vendor with no such task (no failure at all)."""
    if given is None or given == "any":
        return
    wanted = client.parse_status(given)
    reason = client.capabilities.unreported(wanted)
    if wanted is not None and reason is not None:
        raise UsageError(
            f"{client.name} {reason}, so --status {wanted.value} could only list nothing"
        )


def connect_all(
    stack: contextlib.ExitStack[Any],
    args: argparse.Namespace,
    names: Sequence[str],
    options: dict[str, dict[str, Any]],
    progress: Progress,
    now: Callable[[], datetime] | None = None,
) -> list[Client]:
    """A client per provider of ``names`` (closed with ``stack``) with its ``options`` and
    ``--profile``'s credentials, reporting its waits and retries to ``progress``; with
    ``--sandbox``, to the emulators `start_sandbox` starts, on their clock; ``now`` is the
    wall clock of both (``None``: real time)."""
    from ..connection import connect
    from .waits import event_sink

    clock = start_sandbox(stack, args, names, options, now=now)
    clients = []
    for name in names:
        client = stack.enter_context(
            connect(name, profile=args.profile, clock=clock, now=now, **options[name])
        )
        client.transport.on_event = event_sink(progress, client)
        clients.append(client)
    for client in clients:  # every client masks every credential of the command
        for other in clients:
            client.transport.redactor.learn(other.transport.redactor)
    return clients
