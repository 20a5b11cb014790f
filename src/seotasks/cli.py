"""The ``seotasks`` command.

Start-up is kept fast on purpose: this module imports only the standard library at
the top; the library, urllib3 and the plugins load inside the command that needs
them, so ``seotasks --help`` answers in a few tens of milliseconds.

Exit codes: 0 ok, 2 usage or configuration error, 3 authentication error, 4 vendor
or network error, 5 interrupted with a resumable state saved.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

if TYPE_CHECKING:
    from .client import Client
    from .model import Page, Task
    from .resume import ResumeState

EXIT_OK, EXIT_USAGE, EXIT_AUTH, EXIT_PROVIDER, EXIT_INTERRUPTED = 0, 2, 3, 4, 5
STATUSES = ("completed", "running", "queued", "failed", "any")
#: How much faster than real time the --sandbox clock runs.
SANDBOX_SPEED = 60.0
#: The largest --sandbox-size / sandbox --size: an emulator holds its tasks in memory
#: (about 1 kB each), so this bounds a sandbox to about 1 GB.
MAX_SANDBOX_SIZE = 1_000_000
#: A pacing wait at least this long (seconds) is announced on stderr, once per endpoint.
WAIT_NOTICE = 5.0


class UsageError(Exception):
    """Bad command-line input: exit 2 with the message."""


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (like every other error), naming --help."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"seotasks: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="seotasks",
        description="List SEO vendors' asynchronous tasks through one normalized interface.",
        epilog="Credentials: SEOTASKS_<PROVIDER>_<OPTION> env vars (e.g. SEOTASKS_SERPSTAT_TOKEN) "
        "or --profile. Try it with no account: seotasks tasks --sandbox -p dataforseo -p serpstat",
    )
    # --debug is accepted before or after the command: `seotasks tasks ... --debug`.
    common = _Parser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log HTTP calls (secrets masked) and show tracebacks",
    )
    parser.add_argument("--debug", action="store_true", help="log HTTP calls and show tracebacks")
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    prov = sub.add_parser(
        "providers",
        parents=[common],
        help="list installed provider plugins",
        description="List the installed provider plugins: name, distribution and version, "
        "capabilities, and every option with its env var and default; plugins that failed "
        "to load are listed last.",
    )
    prov.add_argument(
        "--format", choices=("table", "json"), default="table", help="output format (table)"
    )

    tasks = sub.add_parser(
        "tasks",
        parents=[common],
        help="list tasks from one or more providers",
        description="List tasks. Several -p give one stream ordered by completion time.",
    )
    tasks.add_argument(
        "-p",
        "--provider",
        action="append",
        dest="providers",
        metavar="NAME",
        required=True,
        help="provider to list (repeatable)",
    )
    tasks.add_argument(
        "--status",
        choices=STATUSES,
        help="which tasks: completed (default), running, queued, failed or any; with --cursor "
        "the cursor's status applies, and a different one is refused",
    )
    tasks.add_argument(
        "--since",
        help="created (or, with --time-field completed_at, completed) at or after: ISO 8601 "
        "or YYYY-MM-DD (naive = UTC), or that long ago: 30m, 12h, 2d, 1w",
    )
    tasks.add_argument("--until", help="created (or completed) before; same forms as --since")
    tasks.add_argument(
        "--time-field",
        choices=("created_at", "completed_at"),
        help="the time --since/--until bound: created_at (default) or completed_at "
        "('what finished since'); tasks without that time are left out",
    )
    tasks.add_argument("-L", "--limit", type=int, help="stop after N tasks in total")
    tasks.add_argument(
        "-o",
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="provider option; KEY applies to every listed provider that has it, "
        "PROVIDER.KEY to one (e.g. -o source=history, -o serpstat.timezone=Europe/Kyiv)",
    )
    tasks.add_argument("--profile", help="TOML profile with credentials and options")
    tasks.add_argument(
        "--cursor",
        action="append",
        default=[],
        metavar="TOKEN",
        help="continue a listing from a cursor (one per provider)",
    )
    tasks.add_argument(
        "--resume",
        type=Path,
        metavar="FILE",
        help="checkpoint file: continue where an interrupted run stopped, and keep it updated",
    )
    tasks.add_argument(
        "--sandbox",
        action="store_true",
        help="start the providers' emulators on loopback and list from them (no account needed)",
    )
    tasks.add_argument(
        "--sandbox-size",
        type=int,
        help=f"tasks per emulator, 0..{MAX_SANDBOX_SIZE} (default: provider's)",
    )
    tasks.add_argument("--seed", type=int, default=0, help="sandbox data seed")
    tasks.add_argument(
        "--format",
        choices=("table", "jsonl", "csv"),
        help="output format (default: table on a terminal, jsonl otherwise)",
    )
    tasks.add_argument("--raw", action="store_true", help="add the vendor's item to jsonl/csv")
    tasks.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress line, wait notices or resume hints on stderr (errors and "
        "capped-list warnings stay)",
    )
    tasks.add_argument(
        "--summary",
        action="store_true",
        help="print a summary on stderr at the end (always on a terminal)",
    )
    tasks.add_argument(
        "--order",
        choices=("exact", "arrival"),
        default="exact",
        help="with several -p: exact (default) sorts the stream by completion time exactly; "
        "arrival starts at once and keeps each provider's own order",
    )
    # Tasks held in memory per provider before the merge spills to disk (tests, tuning).
    tasks.add_argument("--buffer", type=int, default=None, help=argparse.SUPPRESS)

    submit = sub.add_parser(
        "submit",
        parents=[common],
        help="post SERP tasks from a JSONL file of task specs",
        description="Post one task per line of FILE (a SerpTaskSpec as JSON; - for stdin): "
        "keyword, location, language, engine, serp_type, device, depth, priority, tag, "
        "pingback_url, postback_url, postback_data. "
        "Writes one JSON line per spec: index, task_id, error. Exit 4 if any spec failed.",
    )
    submit.add_argument("-p", "--provider", required=True, metavar="NAME", help="provider")
    submit.add_argument("file", metavar="FILE.jsonl", help="task specs, one JSON object a line")
    submit.add_argument(
        "--pingback",
        metavar="URL",
        help="pingback_url for every spec without one ({engine} and {serp_type} are filled "
        "from the spec; $id and $tag are the vendor's)",
    )
    submit.add_argument(
        "--postback", metavar="URL", help="postback_url for every spec without one (as --pingback)"
    )
    submit.add_argument(
        "--postback-data", metavar="FLAVOUR", help="with --postback: regular, advanced or html"
    )
    collect = sub.add_parser(
        "collect",
        parents=[common],
        help="fetch the results of completed tasks (JSONL, or one file per task with --to)",
        description="Collect every completed (DataForSEO: ready) task, or the tasks named "
        "with --id, concurrently at the vendor's pace. Without --to, writes "
        '{"task": <export record>, "result": <vendor JSON>} lines; with --to, writes each '
        "result to DIR/<provider>/<task id>.json and one line per task (the export record "
        'plus "path" and "error"). A task that fails is named on its line and the rest go '
        "on (exit 4). Tasks whose file exists in DIR are skipped, so re-running after a "
        "crash collects exactly the rest.",
    )
    collect.add_argument("-p", "--provider", required=True, metavar="NAME", help="provider")
    collect.add_argument("-L", "--limit", type=int, help="stop after N tasks")
    collect.add_argument(
        "--id",
        action="append",
        dest="ids",
        default=[],
        metavar="TASK_ID",
        help="collect this task instead of every completed one (repeatable)",
    )
    collect.add_argument(
        "--kind",
        metavar="KIND",
        help="with --id: the tasks' kind, e.g. serp/google/maps (DataForSEO builds the "
        "task_get path from it)",
    )
    collect.add_argument(
        "--to",
        type=Path,
        metavar="DIR",
        help="write each result to DIR/<provider>/<task id>.json (atomically) and skip "
        "tasks already there",
    )
    collect.add_argument(
        "--workers", type=int, default=8, metavar="N", help="concurrent calls (1..64, default 8)"
    )
    collect.add_argument(
        "--resume",
        type=Path,
        metavar="FILE",
        help="checkpoint file of the listing: a re-run continues where this one stopped",
    )
    collect.add_argument(
        "--follow",
        action="store_true",
        help="keep listing and collecting tasks as they finish, until SIGINT/SIGTERM",
    )
    collect.add_argument("--gzip", action="store_true", help="with --to: write .json.gz files")
    collect.add_argument(
        "--since",
        help="only tasks created at or after (ISO 8601 or YYYY-MM-DD, naive = UTC; or 2d, 12h...)",
    )
    collect.add_argument("--until", help="only tasks created before; same forms as --since")
    collect.add_argument(
        "--time-field",
        choices=("created_at", "completed_at"),
        help="the time --since/--until bound: created_at (default) or completed_at",
    )
    collect.add_argument("--interval", type=float, default=None, help=argparse.SUPPRESS)
    for command in (submit, collect):
        command.add_argument(
            "-o",
            "--option",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="provider option (e.g. -o families=serp)",
        )
        command.add_argument("--profile", help="TOML profile with credentials and options")
        command.add_argument(
            "--sandbox", action="store_true", help="run against the provider's emulator"
        )
        command.add_argument("--seed", type=int, default=0, help="sandbox data seed")

    receive = sub.add_parser(
        "receive",
        parents=[common],
        help="receive DataForSEO pingbacks and postbacks and write the results to DIR",
        description="Serve POST /<secret>/postback and GET /<secret>/pingback (waitress; "
        "pip install 'seotasks[receive]'). Each task's result is written to "
        "DIR/<provider>/<task id>.json as `seotasks collect --to DIR` writes it; one JSON "
        "line per task written goes to stdout. SIGINT/SIGTERM stop it gracefully.",
    )
    receive.add_argument(
        "--listen", required=True, metavar="HOST:PORT", help="address to listen on"
    )
    receive.add_argument("--to", required=True, type=Path, metavar="DIR", help="results folder")
    receive.add_argument(
        "--secret-env",
        default="SEOTASKS_RECEIVE_SECRET",
        metavar="NAME",
        help="env var holding the secret callers must send (default SEOTASKS_RECEIVE_SECRET)",
    )
    receive.add_argument(
        "-p",
        "--provider",
        default="dataforseo",
        metavar="NAME",
        help="provider whose callbacks arrive, and that collects pingbacks (default dataforseo)",
    )
    receive.add_argument(
        "-o", "--option", action="append", default=[], metavar="KEY=VALUE", help="provider option"
    )
    receive.add_argument("--profile", help="TOML profile with credentials and options")
    receive.add_argument("--gzip", action="store_true", help="write .json.gz files")
    receive.add_argument(
        "--threads", type=int, default=8, metavar="N", help="HTTP worker threads (default 8)"
    )
    receive.add_argument(
        "--workers",
        type=int,
        default=4,
        metavar="N",
        help="concurrent task_get calls for pingbacks (default 4)",
    )
    receive.add_argument(
        "--max-body",
        type=int,
        default=64 * 1024 * 1024,
        metavar="BYTES",
        help="largest request body as sent (default 64 MiB)",
    )
    receive.add_argument(
        "--max-json",
        type=int,
        default=512 * 1024 * 1024,
        metavar="BYTES",
        help="largest body once decompressed (default 512 MiB)",
    )

    from . import cli_load  # standard library only: keeps --help fast

    cli_load.add_parser(sub, common)

    box = sub.add_parser(
        "sandbox",
        parents=[common],
        help="run the emulators in the foreground and print env vars",
        description="Start the providers' emulators on 127.0.0.1 with seeded data and print "
        "on stdout the export lines (base URL, credentials) that point the library at "
        "them; run until Ctrl-C.",
    )
    box.add_argument(
        "-p",
        "--provider",
        action="append",
        dest="providers",
        metavar="NAME",
        help="provider whose emulator to run (repeatable; default: every installed one)",
    )
    box.add_argument(
        "--size", type=int, help=f"tasks per emulator, 0..{MAX_SANDBOX_SIZE} (default: provider's)"
    )
    box.add_argument("--seed", type=int, default=0, help="data seed (default 0)")
    box.add_argument("--duration", type=float, help=argparse.SUPPRESS)
    return parser


class _VersionAction(argparse.Action):
    """``--version``, reading the package metadata only when asked (start-up stays fast)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        sys.stdout.write(f"seotasks {_version()}\n")
        parser.exit()


def _version() -> str:
    """The installed distribution's version (package metadata; no heavy import)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("seotasks")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "0+unknown"


# -- options -----------------------------------------------------------------------------


def _split_options(pairs: Sequence[str], names: Sequence[str]) -> dict[str, dict[str, str]]:
    from .plugins import get_provider

    per: dict[str, dict[str, str]] = {name: {} for name in names}
    known = {name: {o.name for o in get_provider(name).options} for name in names}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"-o expects KEY=VALUE, got {pair!r}")
        target, dot, option = key.partition(".")
        if dot and target in per:
            if option not in known[target]:
                raise UsageError(f"provider {target} has no option {option!r}")
            per[target][option] = value
            continue
        takers = [name for name in names if key in known[name]]
        if not takers:
            raise UsageError(f"no listed provider has an option {key!r}")
        for name in takers:
            per[name][key] = value
    return per


# -- progress ----------------------------------------------------------------------------


class Progress:
    """Per-provider counts of one listing, and the status line drawn from them.

    The line is drawn only when stderr is a terminal (``enabled``); the counts feed the
    capped-list warning and the final summary whatever stderr is. `notice` prints a
    whole line (a wait that is worth knowing about), clearing the status line first.
    """

    def __init__(self, stream: TextIO, enabled: bool, *, quiet: bool = False) -> None:
        self.stream = stream
        self.enabled = enabled and not quiet
        #: No hints (wait notices); warnings about the result itself are still said.
        self.quiet = quiet
        self.counts: dict[str, list[int]] = {}
        #: Per provider, the lists the vendor capped (a page's first note names its list).
        self.capped: dict[str, set[str]] = {}
        self.waits = 0
        self.last = 0.0
        self.drawn = False

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
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        parts = [f"{n} {c[0]} pages/{c[1]} tasks" for n, c in self.counts.items()]
        line = "seotasks: " + ", ".join(parts) + f", waits {self.waits}" + extra
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
        if hint and self.quiet:
            return
        self.clear()
        self.stream.write(f"seotasks: {text}\n")
        self.stream.flush()

    def done(self) -> None:
        self.clear()


# -- the tasks command ---------------------------------------------------------------------


def _stream(
    client: Client,
    kwargs: dict[str, Any],
    state: ResumeState,
    progress: Progress,
) -> Iterator[Task]:
    name = client.name
    entry = state.providers[name]
    if entry.done:
        return
    for page in client.pages(entry.cursor, **kwargs):
        keep = entry.page_arrived(page)
        progress.page(name, page)
        yield from keep


def _cmd_tasks(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .client import UNSET
    from .connection import connect
    from .cursor import decode as decode_cursor
    from .errors import CursorError, SeotasksError
    from .export import make_writer
    from .paging import DEFAULT_BUFFER, Source, merged
    from .plugins import get_provider
    from .resume import ResumeState

    names: list[str] = []
    for raw_name in args.providers:
        name = get_provider(raw_name).name
        if name in names:
            raise UsageError(f"provider {name} given twice")
        names.append(name)
    if args.limit is not None and args.limit < 0:
        raise UsageError("--limit must be >= 0")
    if args.cursor and args.resume:
        raise UsageError("use --cursor or --resume, not both")
    if args.resume is not None:
        _check_resume_path(args.resume)
    if args.sandbox_size is not None:
        _check_sandbox_size(args.sandbox_size, "--sandbox-size")
    options = _split_options(args.option, names)
    fmt = args.format or ("table" if out.isatty() else "jsonl")
    if args.raw and fmt == "table":
        raise UsageError("--raw needs --format jsonl or csv")
    status = args.status or "completed"

    asked = {
        "status": status,
        "since": args.since,
        "until": args.until,
        "options": " ".join(sorted(args.option)) or None,
    }
    if args.time_field is not None:  # only when given: older checkpoint files stay valid
        asked["time_field"] = args.time_field
    state = ResumeState(args.resume, names, asked)
    seen_cursor: set[str] = set()
    for token in args.cursor:
        try:
            owner = decode_cursor(token).provider
        except CursorError as exc:
            raise UsageError(f"bad --cursor: {exc}") from None
        if owner not in state.providers:
            raise UsageError(f"--cursor is for provider {owner!r}, which is not listed with -p")
        if owner in seen_cursor:
            raise UsageError(f"two --cursor values for provider {owner}")
        seen_cursor.add(owner)
        state.providers[owner].cursor = token

    resuming = state.resuming
    kwargs: dict[str, Any] = {
        # Continuing, an omitted --status means "as the cursor says"; one given is checked
        # against the cursor (a contradiction is a CursorError, never a silent override).
        "status": UNSET if resuming and args.status is None else status,
        # A relative --since (2d) is "as the cursor says" when continuing: two days before
        # the first run, not before this one (the resume file checks the same text).
        "since": UNSET
        if args.since is None or (resuming and _is_relative(args.since))
        else _absolute(args.since),
        "until": UNSET
        if args.until is None or (resuming and _is_relative(args.until))
        else _absolute(args.until),
        "time_field": UNSET if args.time_field is None else args.time_field,
    }
    progress = Progress(err, err.isatty(), quiet=args.quiet)

    import contextlib

    with contextlib.ExitStack() as stack:
        clock = None
        if args.sandbox:
            from .clock import ScaledClock
            from .sandbox import anchor, start

            # Emulators and clients share one clock running a minute per second: the
            # vendors' per-minute limits are enforced and honoured, just faster. The
            # data's clock stands still at the day's anchor: a listing is a snapshot, and
            # the same --seed prints the same tasks, timestamps included, all day.
            clock = ScaledClock(SANDBOX_SPEED)
            frozen = anchor()
            running = stack.enter_context(
                start(
                    names,
                    seed=args.seed,
                    size=args.sandbox_size,
                    clock=clock,
                    now=lambda: frozen,
                )
            )
            for name in names:
                options[name] = {**running[name].settings, **options[name]}
        clients: list[Client] = []
        for name in names:
            chosen: dict[str, Any] = dict(options[name])
            client = stack.enter_context(connect(name, profile=args.profile, clock=clock, **chosen))
            client.transport.on_event = _event_sink(progress, client)
            clients.append(client)
        for client in clients:
            _check_query(client, state.providers[client.name].cursor, kwargs, args.status)

        writer = make_writer(fmt, raw=args.raw)
        sources = [
            Source(_stream(c, kwargs, state, progress), c.capabilities.order, c.name)
            for c in clients
        ]
        tasks: Iterator[Task] = iter(sources[0].tasks)
        if len(sources) > 1:
            held = DEFAULT_BUFFER if args.buffer is None else args.buffer
            tasks = merged(sources, order=args.order, buffer=held)
            if args.order == "exact":
                # Written in merge order: the checkpoints need no per-task state (but
                # the keys a resume file lists), so memory stays bounded here too.
                for progress_of in state.providers.values():
                    progress_of.track_sorted(keep_keys=args.resume is not None)
        buffer: list[str] = []
        unsaved = 0

        def checkpoint(*, save: bool = True) -> None:
            # Output first, then the state: a crash between the two can repeat a few
            # tasks on resume, but never lose one.
            nonlocal unsaved
            if buffer:
                progress.clear()
                out.write("".join(buffer))
                buffer.clear()
            out.flush()
            if save:
                state.save()
                unsaved = 0

        header = writer.header()
        if header and not (state.loaded and fmt == "csv"):  # one header per CSV file
            out.write(header)
        count = 0
        try:
            if args.limit != 0:
                for task in tasks:
                    buffer.append(writer.format(task))
                    moved = state.providers[task.provider].written(task)
                    count += 1
                    unsaved += 1
                    if moved or len(buffer) >= 1000:
                        # A save writes every key not yet confirmed by a cursor: in an
                        # exact merge that can be every key written so far, so saves
                        # grow rarer as the file grows (never quadratic in the listing).
                        checkpoint(save=moved or unsaved >= _save_every(state))
                    if args.limit is not None and count >= args.limit:
                        break
            checkpoint()
        except KeyboardInterrupt:
            checkpoint()
            progress.done()
            hint = "" if args.quiet else f"; {_resume_hint(args, state)}"
            err.write(f"seotasks: interrupted after {count} tasks{hint}\n")
            return EXIT_INTERRUPTED
        except SeotasksError as exc:
            checkpoint()
            progress.done()
            # A hint only when there is something to continue: nothing was written before a
            # config, auth or query error, and a rejected cursor is no way to continue.
            if count and not isinstance(exc, CursorError) and not args.quiet:
                exc.cli_hint = _resume_hint(args, state)  # type: ignore[attr-defined]
            raise
        progress.done()
        for client in clients:
            _warn_capped(client, progress)
        unfinished = [n for n, p in state.providers.items() if not p.done]
        stopped = args.limit is not None and count >= args.limit and bool(unfinished)
        if stopped and args.resume is None and not args.quiet:
            exact = _cursor_hint(state)
            if exact:  # only an exact continuation helps; mid-page, a cursor would repeat tasks
                err.write(f"seotasks: stopped at --limit {args.limit}; {exact}\n")
        if args.summary or (err.isatty() and not args.quiet):
            progress.notice(_summary(count, state, progress, stopped))
    return EXIT_OK


def _summary(count: int, state: ResumeState, progress: Progress, stopped: bool) -> str:
    """``1025 tasks: dataforseo 25 (16 pages), serpstat 1000 (1 page); 2 waits``."""
    parts = []
    for name, entry in state.providers.items():
        pages = progress.counts.get(name, [0, 0])[0]
        capped = len(progress.capped.get(name, ()))
        text = f"{name} {entry.tasks} ({pages} page{'s' if pages != 1 else ''}"
        text += f", {capped} capped list{'s' if capped != 1 else ''})" if capped else ")"
        parts.append(text)
    waits = f"{progress.waits} wait{'s' if progress.waits != 1 else ''}"
    end = "; stopped at --limit" if stopped else ""
    return f"{count} task{'s' if count != 1 else ''}: {', '.join(parts)}; {waits}{end}"


_RELATIVE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _is_relative(value: str) -> bool:
    """``30m``, ``12h``, ``2d``, ``1w``: a time that far back from now."""
    text = value.strip().lower()
    return (
        len(text) > 1
        and text[:-1].isdigit()
        and text[:-1].isascii()
        and text[-1] in _RELATIVE_UNITS
    )


def _absolute(value: str | None) -> str | None:
    """A --since/--until value as the library takes it: relative forms become UTC times."""
    if value is None or not _is_relative(value):
        return value
    from datetime import UTC, datetime, timedelta

    text = value.strip().lower()
    back = timedelta(seconds=int(text[:-1]) * _RELATIVE_UNITS[text[-1]])
    return (datetime.now(UTC) - back).isoformat(timespec="seconds")


def _check_resume_path(path: Path) -> None:
    """A resume file must be writable where it is asked for: refused before any listing,
    not after the first page, when its first checkpoint is saved."""
    if path.is_dir():
        raise UsageError(f"--resume {path}: is a directory; name a file")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"--resume {path}: directory {parent} does not exist")


def _check_sandbox_size(size: int, flag: str) -> None:
    if not 0 <= size <= MAX_SANDBOX_SIZE:
        raise UsageError(f"{flag} must be within 0..{MAX_SANDBOX_SIZE:,}, got {size:,}")


def _save_every(state: ResumeState) -> int:
    """Tasks written between two saves of a resume file that lists ``n`` keys: 1000, or
    an eighth of ``n`` once that is more (a save costs O(n))."""
    if state.path is None:
        return 1000
    return max(1000, state.unconfirmed_count() // 8)


def _check_query(
    client: Client, cursor: str | None, kwargs: dict[str, Any], given_status: str | None
) -> None:
    """Refuse, before anything is printed, a cursor that contradicts the query and a
    status the provider never reports (it could only ever give an empty list)."""
    from .client import _status

    if cursor is not None:
        client._open(
            cursor, kwargs["status"], kwargs["since"], kwargs["until"], kwargs["time_field"]
        )
    if given_status is None or given_status == "any":
        return
    statuses = client.capabilities.statuses
    wanted = _status(given_status)
    if wanted is not None and wanted not in statuses:
        has = ", ".join(sorted(s.value for s in statuses)) or "none"
        raise UsageError(
            f"{client.name} reports no {wanted.value} tasks (its statuses: {has}), so "
            f"--status {wanted.value} could only list nothing"
        )


def _warn_capped(client: Client, progress: Progress) -> None:
    """One line per provider whose vendor hid part of the list: a silent cut is a wrong answer."""
    lists = progress.capped.get(client.name)
    if not lists:
        return
    advice = client.provider.advice("capped") or "more tasks exist than the vendor shows"
    shown = ", ".join(sorted(lists)[:3]) + (", ..." if len(lists) > 3 else "")
    progress.notice(
        f"{client.name}: the vendor capped {len(lists)} list(s) ({shown}): "
        f"this listing is incomplete; {advice}"
    )


def _event_sink(progress: Progress, client: Client) -> Callable[[str, str], None]:
    noticed: set[str] = set()

    def sink(kind: str, detail: str) -> None:
        if kind == "waiting":
            endpoint, _, seconds = detail.rpartition(" ")
            try:
                wait = float(seconds.rstrip("s"))
            except ValueError:
                return
            if wait >= WAIT_NOTICE and endpoint not in noticed:
                noticed.add(endpoint)
                progress.notice(_wait_text(client, endpoint, wait), hint=True)
            return
        progress.event(client.name, kind, detail)

    return sink


def _wait_text(client: Client, endpoint: str, wait: float) -> str:
    limit = client.transport.pacer.limit_for(endpoint)
    rate = ""
    if limit is not None:
        per = "minute" if limit.period == 60 else f"{limit.period:g} s"
        rate = f" (the vendor allows {limit.calls} a {per})"
    advice = client.provider.advice("wait", endpoint)
    return f"{client.name}: waiting {wait:.0f}s for the next {endpoint} call{rate}" + (
        f"; {advice}" if advice else ""
    )


def _cursor_hint(state: ResumeState) -> str | None:
    """``continue with --cursor ...`` when every unfinished provider stopped at a page
    boundary (so the cursors continue exactly), else None."""
    pending = {n: p for n, p in state.providers.items() if not p.done}
    if pending and all(p.cursor is not None and not p.has_unconfirmed() for p in pending.values()):
        return "continue with " + " ".join(f"--cursor {p.cursor}" for p in pending.values())
    return None


def _resume_hint(args: argparse.Namespace, state: ResumeState) -> str:
    if args.resume is not None:
        return f"continue with --resume {args.resume}"
    if all(p.done for p in state.providers.values()):
        return "nothing left to resume"
    # Stopped inside a page: a cursor alone would repeat part of it; a resume file won't.
    return _cursor_hint(state) or (
        "run with --resume FILE to be able to continue exactly where a listing stops"
    )


# -- submit and collect ---------------------------------------------------------------------


def _one_client(args: argparse.Namespace, stack: Any) -> Client:
    """The client of ``-p NAME`` (under ``--sandbox``: of its emulator, on a fast clock)."""
    from .connection import connect
    from .plugins import get_provider

    name = get_provider(args.provider).name
    options: dict[str, Any] = dict(_split_options(args.option, [name])[name])
    clock = None
    if args.sandbox:
        from .clock import ScaledClock
        from .sandbox import start

        clock = ScaledClock(SANDBOX_SPEED)
        running = stack.enter_context(start([name], seed=args.seed, clock=clock))
        options = {**running[name].settings, **options}
    client: Client = stack.enter_context(
        connect(name, profile=args.profile, clock=clock, **options)
    )
    return client


def _read_specs(path: str, err: TextIO) -> list[Any]:
    import json

    from .errors import ConfigError
    from .submit import spec_from_json

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    specs = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            specs.append(spec_from_json(json.loads(line)))
        except ValueError as exc:
            raise UsageError(f"{path}:{number}: not JSON: {exc}") from None
        except ConfigError as exc:
            raise UsageError(f"{path}:{number}: {exc}") from None
    return specs


def _cmd_submit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import contextlib
    import json

    from .errors import AuthError

    specs = _read_specs(args.file, err)  # every line checked before anything is posted
    specs = _with_callbacks(specs, args)
    with contextlib.ExitStack() as stack:
        client = _one_client(args, stack)
        results = client.submit(specs)
    failed = 0
    for index, result in enumerate(results):
        error = None
        if result.error is not None:
            failed += 1
            error = f"{type(result.error).__name__}: {result.error}"
        out.write(json.dumps({"index": index, "task_id": result.task_id, "error": error}) + "\n")
    out.flush()
    refused = next((r.error for r in results if isinstance(r.error, AuthError)), None)
    if refused is not None:  # the credentials, not the specs: exit 3 like any auth error
        err.write(_one_line(f"seotasks: AuthError: {refused}"))
        return EXIT_AUTH
    if failed:
        err.write(f"seotasks: {failed} of {len(results)} specs failed (see their error)\n")
        return EXIT_PROVIDER
    return EXIT_OK


def _with_callbacks(specs: list[Any], args: argparse.Namespace) -> list[Any]:
    """Fill ``--pingback`` / ``--postback`` into the specs that have no callback of their own."""
    import attrs

    if args.postback_data is not None and args.postback is None:
        raise UsageError("--postback-data needs --postback URL")
    if args.pingback is None and args.postback is None:
        return specs
    filled = []
    for number, spec in enumerate(specs, 1):
        changes: dict[str, Any] = {}
        fields = {"engine": spec.engine, "serp_type": spec.serp_type}
        try:
            if args.pingback is not None and spec.pingback_url is None:
                changes["pingback_url"] = _fill(args.pingback, fields)
            if args.postback is not None and spec.postback_url is None:
                changes["postback_url"] = _fill(args.postback, fields)
                if spec.postback_data is None and args.postback_data is not None:
                    changes["postback_data"] = args.postback_data
            filled.append(attrs.evolve(spec, **changes) if changes else spec)
        except (ValueError, TypeError) as exc:
            raise UsageError(f"spec {number}: {exc}") from None
    return filled


def _fill(template: str, fields: dict[str, str]) -> str:
    """``{engine}`` / ``{serp_type}`` replaced; every other character (``$id``) kept as is."""
    for key, value in fields.items():
        template = template.replace("{" + key + "}", value)
    return template


def _cmd_receive(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .connection import connect
    from .plugins import get_provider
    from .receivecmd import parse_listen, run
    from .store import safe_name

    try:
        parse_listen(args.listen)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for flag, value in (("--threads", args.threads), ("--workers", args.workers)):
        if not 1 <= value <= 64:
            raise UsageError(f"{flag} must be within 1..64")
    if args.max_body < 1024 or args.max_json < args.max_body:
        raise UsageError("--max-body must be at least 1024 and --max-json at least --max-body")
    if args.to.exists() and not args.to.is_dir():
        raise UsageError(f"--to {args.to}: not a directory")
    name = get_provider(args.provider).name
    if not safe_name(name):
        raise UsageError(f"provider name {name!r} cannot be a folder name")
    args.provider = name
    options: dict[str, Any] = dict(_split_options(args.option, [name])[name])

    def connect_client() -> Client:
        return connect(name, profile=args.profile, **options)

    return run(args, out, err, connect_client)


def _cmd_collect(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import contextlib

    from .collectcmd import CollectOptions, run

    if args.limit is not None and args.limit < 0:
        raise UsageError("--limit must be >= 0")
    if args.kind is not None and not args.ids:
        raise UsageError("--kind only applies with --id")
    if any(not i.strip() for i in args.ids):
        raise UsageError("--id must name a task id")
    if not 1 <= args.workers <= 64:
        raise UsageError("--workers must be within 1..64")
    if args.ids and (args.follow or args.resume):
        raise UsageError("--id collects named tasks once: it takes neither --follow nor --resume")
    if args.gzip and args.to is None:
        raise UsageError("--gzip needs --to DIR")
    if args.to is not None and args.to.exists() and not args.to.is_dir():
        raise UsageError(f"--to {args.to}: not a directory")
    if args.ids and (args.since or args.until or args.time_field):
        raise UsageError(
            "--since/--until/--time-field filter a listing: they do not apply with --id"
        )
    asked = {
        "options": " ".join(sorted(args.option)) or None,
        "to": str(args.to),
        "since": args.since,
        "until": args.until,
    }
    if args.time_field is not None:  # only when given: older checkpoint files stay valid
        asked["time_field"] = args.time_field
    with contextlib.ExitStack() as stack:
        client = _one_client(args, stack)
        if args.limit == 0:
            return EXIT_OK
        options = CollectOptions(
            to=args.to,
            workers=args.workers,
            resume=args.resume,
            follow=args.follow,
            compress=args.gzip,
            limit=args.limit,
            named=_named_tasks(client, args.ids, args.kind) if args.ids else None,
            asked=asked,
            interval=args.interval,
            since=_absolute(args.since),
            until=_absolute(args.until),
            time_field=args.time_field,
        )
        return run(client, options, out, err)


def _named_tasks(client: Client, ids: Sequence[str], kind: str | None) -> list[Task]:
    """Tasks for ``collect --id``: what `Client.collect` needs (provider, id, kind), assumed
    completed; an unfinished or unknown one is the vendor's error, reported as usual."""
    from .model import Task, TaskStatus

    unique = dict.fromkeys(i.strip() for i in ids)
    return [
        Task(provider=client.name, id=i, status=TaskStatus.COMPLETED, kind=kind) for i in unique
    ]


# -- other commands -----------------------------------------------------------------------


def _cmd_providers(args: argparse.Namespace, out: TextIO) -> int:
    import json

    from .config import env_name
    from .plugins import failures, provider_infos

    rows: list[dict[str, Any]] = []
    for info in provider_infos():
        cls = info.cls
        rows.append(
            {
                "name": info.name,
                "distribution": info.distribution,
                "version": info.version,
                "description": cls.description,
                "options": [
                    {
                        "name": o.name,
                        "env": env_name(info.name, o.name),
                        "required": o.required,
                        "secret": o.secret,
                        "default": None if o.secret else o.default,
                        "choices": list(o.choices) if o.choices else None,
                        "help": o.help,
                    }
                    for o in cls.options
                ],
                "capabilities": _static_capabilities(cls),
                "sandbox": cls.sandbox.__func__ is not _base_sandbox(),  # type: ignore[attr-defined]
            }
        )
    broken = [{"name": f.name, "target": f.target, "error": f.error} for f in failures()]
    if args.format == "json":
        out.write(json.dumps({"providers": rows, "failed": broken}, indent=2, default=str) + "\n")
        return EXIT_OK
    if not rows:
        from .plugins import limited_by

        limit = limited_by()
        if limit is not None:
            out.write(
                f"no provider plugins loaded: SEOTASKS_LOAD_PLUGINS={limit!r} limits which "
                "load (unset it to load every installed plugin)\n"
            )
        else:
            out.write("no provider plugins installed\n")
    for row in rows:
        dist = f"{row['distribution']} {row['version']}" if row["distribution"] else "(registered)"
        out.write(f"{row['name']}  [{dist}]  {row['description']}\n")
        caps = row["capabilities"]
        if caps:
            out.write(
                "  capabilities: "
                + ", ".join(f"{k}={v}" for k, v in caps.items() if v not in (None, [], ()))
                + "\n"
            )
        for opt in row["options"]:
            flags = [
                f for f, on in (("required", opt["required"]), ("secret", opt["secret"])) if on
            ]
            default = "" if opt["default"] in (None, "") else f" (default {opt['default']})"
            extra = f" [{', '.join(flags)}]" if flags else ""
            out.write(f"  -o {opt['name']}{extra}  env {opt['env']}{default}: {opt['help']}\n")
    for fail in broken:
        out.write(f"FAILED {fail['name']} ({fail['target']}): {fail['error']}\n")
    return EXIT_OK


def _base_sandbox() -> Any:
    from .provider import Provider

    return Provider.sandbox.__func__  # type: ignore[attr-defined]


def _static_capabilities(cls: Any) -> dict[str, Any]:
    """Capabilities with default settings, without connecting anywhere.

    A provider that cannot describe itself is shown with its error (one line), never
    as an empty set of capabilities.
    """
    from .plugins import capabilities_of

    try:
        described: dict[str, Any] = capabilities_of(cls).describe()
    except Exception as exc:  # a plugin's bug: shown in the listing, the others still shown
        return {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:200]}
    return described


def _cmd_sandbox(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from datetime import datetime, timedelta

    from .plugins import providers
    from .sandbox import anchor, env_lines, start

    if args.size is not None:
        _check_sandbox_size(args.size, "--size")
    names = args.providers or providers()
    # The data starts at the day's anchor and runs in real time from there: the same
    # --seed serves the same tasks and timestamps, and posted tasks still complete.
    origin, started = anchor(), time.monotonic()

    def now() -> datetime:
        return origin + timedelta(seconds=time.monotonic() - started)

    with start(names, seed=args.seed, size=args.size, now=now) as running:
        for line in env_lines(running):
            out.write(line + "\n")
        for name, box in running.items():
            err.write(f"# {name}: {box.description}\n")
        out.flush()
        err.write("# emulators running; Ctrl-C to stop\n")
        err.flush()
        deadline = None if args.duration is None else time.monotonic() + args.duration
        try:
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
    return EXIT_OK


# -- entry point ------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    """``text`` as one line: an error is one line on stderr, whatever its message holds
    (and never a URL's ``user:password@``, wherever the message came from)."""
    from .redact import scrub_userinfo

    return scrub_userinfo(" ".join(text.split())) + "\n"


def _exit_code(exc: BaseException) -> int:
    from .errors import AuthError, ConfigError, CursorError, UnsupportedQuery

    if isinstance(exc, ConfigError | CursorError | UnsupportedQuery):
        return EXIT_USAGE
    if isinstance(exc, AuthError):
        return EXIT_AUTH
    return EXIT_PROVIDER


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    out, err = sys.stdout, sys.stderr
    if args.command is None:
        parser.print_help(err)
        return EXIT_USAGE
    if args.debug:
        import logging

        logging.basicConfig(level=logging.DEBUG, stream=err, format="%(name)s: %(message)s")
    try:
        if args.command == "providers":
            return _cmd_providers(args, out)
        if args.command == "sandbox":
            return _cmd_sandbox(args, out, err)
        if args.command == "submit":
            return _cmd_submit(args, out, err)
        if args.command == "collect":
            return _cmd_collect(args, out, err)
        if args.command == "receive":
            return _cmd_receive(args, out, err)
        if args.command == "load":
            from . import cli_load

            return cli_load.run(args, out, err)
        return _cmd_tasks(args, out, err)
    except UsageError as exc:
        err.write(_one_line(f"seotasks: {exc}"))
        return EXIT_USAGE
    except KeyboardInterrupt:
        err.write("seotasks: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `seotasks tasks | head`: the reader left; that is not an error.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        from .errors import SeotasksError

        if not isinstance(exc, SeotasksError) or args.debug:
            if args.debug:
                import traceback

                traceback.print_exc(file=err)
            if not isinstance(exc, SeotasksError):
                err.write(_one_line(f"seotasks: internal error: {type(exc).__name__}: {exc}"))
                return EXIT_PROVIDER
        hint = getattr(exc, "cli_hint", None)
        err.write(
            _one_line(f"seotasks: {type(exc).__name__}: {exc}" + (f"; {hint}" if hint else ""))
        )
        return _exit_code(exc)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
