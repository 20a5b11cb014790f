"""What ``seotasks collect`` is asked, and what it shows while it runs.

`CollectOptions` carries the checked arguments from `seotasks.cli.collect` to
`CollectRun`; `kept_results` fits ``--since`` to how long the vendor keeps results;
`CollectProgress` draws the status line; the two stdout helpers copy a streamed result
into its line and quiet a stdout whose reader has gone.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import UnsupportedQuery
from ..export import plain, task_record
from ..jsoncodec import escape_line_breaks
from ..query import parse_when
from ..relative_time import relative_form
from ..retention import WINDOW_EDGE
from .common import StatusLine
from .pipes import APPEND_HINT

if TYPE_CHECKING:
    from ..client import Client
    from ..collect import Collected
    from ..model import Task
    from ..provider import Capabilities, Provider
    from ..resume import ResumeState
    from ..store import ResultStore

__all__ = [
    "FOLLOW_INTERVAL",
    "CollectOptions",
    "CollectProgress",
    "copy_json_line",
    "default_journal",
    "journal_folder",
    "kept_results",
    "line_text",
    "settled",
    "store_result",
    "write_line",
]


#: --follow: seconds (on the client's clock) between listings that brought nothing new.
FOLLOW_INTERVAL = 30.0


@dataclass(frozen=True, kw_only=True, slots=True)
class CollectOptions:
    """What ``seotasks collect`` was asked (already validated by the CLI)."""

    to: Path | None
    workers: int
    resume: Path | None
    follow: bool
    compress: bool
    limit: int | None
    named: Sequence[Task] | None
    asked: dict[str, str | None]
    since: str | None = None
    until: str | None = None
    #: The time since/until bound (``created_at`` when None).
    time_field: str | None = None
    #: --follow: seconds between listings that brought nothing new.
    interval: float = FOLLOW_INTERVAL
    #: --journal: where the intents of consuming fetches live (None: the default).
    journal: Path | None = None
    #: --sandbox: the emulator ends with the run, so a stdout run keeps no journal.
    sandbox: bool = False
    #: --max-result-mb: the largest answer kept for one task (None: the client's cap).
    max_result_bytes: int | None = None
    #: The checkpoint, already read (None: the run reads ``resume`` itself).
    state: ResumeState | None = None

    def rerun_hint(self, drains: bool, *, overwritten: bool = False) -> str:
        """How to go on after an interruption, given whether the listing ``drains``.

        A re-run skips what is done only where something remembers it: the ``--to``
        files, the ``--resume`` checkpoint, or a listing that drops a collected task. Else
        (Serpstat, DataForSEO history, ``--id`` to stdout) it prints every result again.
        ``overwritten``: stdout is a file the same command would empty first (``>``); a
        re-run that prints only the rest must then append, or this run's results are gone.
        """
        append = APPEND_HINT if overwritten else ""  # with --to too: the lines are its record
        if self.resume is not None:
            return f"continue with --resume {self.resume}{append}"
        if self.to is not None or (self.named is None and drains):
            return f"run the same command again{append} to collect the rest"
        way = "--to DIR" if self.named is not None else "--to DIR or --resume FILE"
        return f"the same command collects every task again; run with {way} to skip what is done"

    def journal_folder(self, client: Client) -> Path | None:
        """Where the run's consuming fetches are journalled (`journal_folder`); None when
        none consume. Named tasks (``--id``) need none: the same command names them again."""
        if self.named is not None:
            return None
        return journal_folder(client, self.to, self.journal, sandbox=self.sandbox)


def journal_folder(
    client: Client, to: Path | None, journal: Path | None, *, sandbox: bool
) -> Path | None:
    """Where ``collect`` journals the consuming fetches of ``client``'s listing; None when
    it consumes nothing (a listing that does not drain), or keeps no journal.

    With ``--to DIR`` the journal lives beside the results (``DIR/.seotasks/journal``), so
    it travels with them; without, in the user's state folder (none for a ``--sandbox``
    run to stdout: the emulator ends with it). Either way one folder per account
    (`seotasks.account.account_key`), when the provider says which options name it: two
    accounts' runs into one ``DIR`` must not fetch each other's entries.
    """
    if not client.capabilities.drains:
        return None
    if journal is not None:
        folder = journal / client.name
    elif to is not None:
        folder = to / ".seotasks" / "journal" / client.name
    elif sandbox:
        return None
    else:
        return default_journal(client.provider)
    from ..account import account_key

    account = account_key(client.provider)
    return folder if account is None else folder / account


def default_journal(provider: Provider) -> Path:
    """Where a stdout run journals its consuming fetches: one folder per account,
    ``$XDG_STATE_HOME/seotasks/journal/<provider>/<digest>`` (``~/.local/state/...``),
    the provider's `account_key`, else a digest of every non-secret setting (no secret
    in a path)."""
    from ..account import account_key

    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    account = account_key(provider)
    if account is None:
        secret = {o.name for o in provider.options if o.secret}
        shown = {k: str(v) for k, v in provider.settings.items() if k not in secret}
        digest = hashlib.blake2b(json.dumps(shown, sort_keys=True).encode(), digest_size=8)
        account = digest.hexdigest()
    return Path(state) / "seotasks" / "journal" / provider.name / account


def kept_results(
    name: str,
    capabilities: Capabilities,
    since: str | None,
    until: str | None,
    now: datetime,
    *,
    default: bool = True,
) -> tuple[str | None, str | None]:
    """The ``--since`` to default to (a span such as ``30d``, or None: none), and the one
    line to say about the run's window (None: nothing to say).

    A vendor may list tasks for longer than it keeps their results (DataForSEO
    ``id_list``: 181 days, results 30): every older task would cost a call and end as a
    failed line. So with no ``--since`` (and ``default``: not a run resumed from a
    checkpoint whose cursor has none), it defaults to `Capabilities.collect_reach`, with
    a note saying how to reach further. A ``--since``, or a lone ``--until``, older than
    `Capabilities.results_kept` is run as asked, after a warning. ``since`` and ``until``
    are the flags' times (ISO), ``now`` the client's clock.
    """
    kept = capabilities.results_kept
    if kept is None:
        return None, None
    days = _days(kept)
    floor = now - kept - WINDOW_EDGE  # a "--since 30d" read a moment before `now`
    start = parse_when(since if since is not None else until)
    if start is not None and start < floor:
        return None, (
            f"warning: {name} keeps a task's result {days}: tasks older than that (before "
            f"{floor:%Y-%m-%d %H:%M} UTC) will have no result, each a failed line"
        )
    reach = capabilities.collect_reach()
    if since is not None or reach is None or not default:
        return None, None
    span = relative_form(reach)
    listed = "older ones" if capabilities.window is None else f"{_days(capabilities.window)} back"
    return span, (
        f"{name} keeps a task's result {days} but lists {listed}: collecting the last "
        f"{days} (--since {span}); pass --since to reach further back"
    )


def _days(span: timedelta) -> str:
    return f"{span.total_seconds() / 86400:g} days"


class CollectProgress(StatusLine):
    """One status line on stderr when it is a terminal: collected, failed, rate, ETA."""

    def __init__(self, stream: TextIO, enabled: bool, total: int | None) -> None:
        super().__init__(stream, enabled)
        self.total = total
        self.collected = 0
        self.failed = 0
        self.skipped = 0
        #: Tasks whose fetch a stop cut short before it was sent (not failures).
        self.unsent = 0
        self.started = time.monotonic()
        #: Tasks the provider cannot collect at all, refused before any call (not failures:
        #: a run again would refuse them again), counted by the provider's reason.
        self.uncollectable: Counter[str] = Counter()

    def show(self, *, force: bool = False) -> None:
        now = self.due(force=force)
        if now is None:
            return
        elapsed = max(now - self.started, 1e-6)
        done = self.collected + self.failed
        rate = done / elapsed * 60
        line = f"seotasks: collected {self.collected}, failed {self.failed}"
        if self.skipped:
            line += f", skipped {self.skipped}"
        line += f", {rate:.0f}/min"
        if self.total is not None and rate > 0:
            left = max(self.total - done - self.skipped, 0)
            line += f", ETA {left / rate * 60:.0f}s"
        self.draw(line)

    def failure(self, error: BaseException | None) -> None:
        """Count a task that gave no result: a failure, or one the provider refused
        before any call as one it cannot collect (`UnsupportedQuery`: a DataForSEO
        live-only API's task, answered live, has no result to fetch again)."""
        if isinstance(error, UnsupportedQuery):
            self.uncollectable[str(error)] += 1
        else:
            self.failed += 1

    def summary(self, to: Path | None) -> str:
        """``seotasks: collected 8, failed 1, ...``: the run's counts in one line."""
        line = f"seotasks: collected {self.collected}, failed {self.failed}"
        if self.uncollectable:
            (reason, _), *others = self.uncollectable.most_common()
            more = f"; and {len(others)} other reasons" if others else ""
            line += f", not collectable {self.uncollectable.total()} ({reason}{more})"
        if self.skipped:
            line += f", skipped {self.skipped} already in {to}"
        return line

    def done(self) -> None:
        self.clear()


def settled(outcome: Collected, path: Path | None) -> bool:
    """Whether a task's fetch is settled, so its journal entry may go.

    A result is settled once its file is written at ``path`` (``--to``; without, see
    `CollectRun.settle_lines`); a failure when it is the vendor's answer about the task
    itself, or the provider's refusal to collect it (`Collected.settles`). Any other
    failure (retries ran out, a malformed answer, a proxy's or an account's refusal)
    may follow a read that consumed the task without our seeing its result: its entry
    stays, for the next run.
    """
    if outcome.error is None:
        return path is not None
    return outcome.settles


def write_line(out: TextIO, text: str, body: Path | None) -> None:
    """One task's line, flushed: ``text``, or with the result streamed to ``body`` copied
    into it (`copy_json_line`), never loaded whole."""
    if body is None:
        out.write(text + "\n")
    else:
        out.write(text[:-1] + ', "result": ')
        copy_json_line(body, out)
        out.write("}\n")
    out.flush()


def store_result(store: ResultStore, provider: str, outcome: Collected) -> Path | None:
    """The task's file, written under its claim (`ResultStore.claimed`); None when another
    process writing the folder (a receiver) wrote it while this run fetched it: that one
    printed its line."""
    task_id = outcome.task.id
    with store.claimed(provider, [task_id]):
        if store.existing(provider, task_id) is not None:
            return None
        if outcome.path is not None:
            return store.adopt(provider, task_id, outcome.path)
        return store.write(provider, task_id, plain(outcome.result))


def copy_json_line(source: Path, out: TextIO) -> None:
    """Copy the validated JSON document ``source`` into ``out`` as part of one line."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(source, "rb") as stream:
        while chunk := stream.read(_LINE_CHUNK):
            text = decoder.decode(chunk.replace(b"\n", b" ").replace(b"\r", b" "))
            out.write(escape_line_breaks(text))
    out.write(escape_line_breaks(decoder.decode(b"", final=True)))


#: Bytes of a streamed result copied into its stdout line at a time.
_LINE_CHUNK = 1 << 20


def line_text(
    task: Task,
    path: Path | None,
    error: str | None,
    result: Any,
    streamed: Path | None,
    *,
    to: bool,
) -> tuple[str, Path | None]:
    """A task's stdout line, and the file whose result completes it (None: it is whole).

    With ``--to`` (``to``): the export record, the file's ``path`` and the ``error``.
    Without: the record as ``task`` and the ``result`` (or the ``error``); a result
    streamed to the file ``streamed`` is left out, for `copy_json_line` to copy in."""
    record = task_record(task)
    body: Path | None = None
    if to:
        data = {**record, "path": None if path is None else str(path), "error": error}
    elif error is None and streamed is not None:
        data, body = {"task": record}, streamed
    elif error is None:
        data = {"task": record, "result": plain(result)}
    else:
        data = {"task": record, "result": None, "error": error}
    return escape_line_breaks(json.dumps(data, default=str, ensure_ascii=False)), body
