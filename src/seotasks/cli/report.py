"""``seotasks report``: the vendors side by side, as one HTML file (or JSON).

It reads the DuckDB store ``seotasks load`` writes (``./seotasks.duckdb`` unless
``--from``), or a live listing (``--live`` with credentials, ``--sandbox`` from the
emulators) chosen by the same selection flags as ``seotasks tasks``; it writes one
self-contained page (``--to``, default ``seotasks-report.html``) or, with ``--format
json``, the same figures for scripts (stdout unless ``--to``).

Like ``load``, the command is declared here with the standard library only, and its work
(DuckDB, altair, vl-convert: the ``seotasks[report]`` extra) is imported when it runs, so
``seotasks --help`` stays fast and works without the extra.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ..report.source import Selection, Tasks

__all__ = ["DEFAULT_HTML", "DESCRIPTION", "HELP", "add_arguments", "run"]

DEFAULT_STORE = "seotasks.duckdb"
DEFAULT_HTML = "seotasks-report.html"
# Until seotasks is on PyPI the extra's name finds nothing there, so the form that works
# from a checkout is given too, as for receive and completion.
_INSTALL_HINT = (
    "seotasks report needs its extra: pip install 'seotasks[report]' "
    "(altair, vl-convert-python, duckdb; from a checkout: pip install -e '.[report]')"
)
_EXTRA_MODULES = {"altair", "vl_convert", "duckdb"}


HELP = "turnaround, failures, spend and backlog per vendor, as one HTML file"
DESCRIPTION = (
    "Compare vendors: turnaround percentiles and distributions, queue "
    "time, failure rates and messages, spend and cost per 1000 tasks, tasks per hour, "
    "tasks ready but not collected, and the same kind side by side at two vendors. "
    "Reads ./seotasks.duckdb (written by seotasks load) unless --from, --live or "
    "--sandbox says otherwise; writes one self-contained HTML file (no script, nothing "
    "fetched) or --format json. Needs: pip install 'seotasks[report]'."
)


def add_arguments(report: argparse.ArgumentParser) -> None:
    """``report``'s arguments (standard library only: ``--help`` stays fast)."""
    from .flags import (
        add_options,
        add_profile,
        add_providers,
        add_query,
        add_sandbox_data,
        path_text,
        whole_number,
    )

    add_providers(
        report,
        "provider to report on",
        default="every provider in the store, every installed emulator with --sandbox",
    )
    add_query(report, status_default="any")
    where = report.add_mutually_exclusive_group()
    where.add_argument(
        "--from",
        dest="store",
        type=path_text,
        metavar="PATH.duckdb",
        help=f"the DuckDB store written by seotasks load (default ./{DEFAULT_STORE})",
    )
    where.add_argument(
        "--live",
        action="store_true",
        help="list the providers now (credentials as for seotasks tasks) instead of the store",
    )
    where.add_argument(
        "--sandbox",
        action="store_true",
        help="list the providers' emulators on loopback (no account needed)",
    )
    report.add_argument("--dataset", help="the store's dataset (schema), default seotasks")
    add_options(
        report,
        "with --live/--sandbox: provider option; KEY for every listed provider that has "
        "it, PROVIDER.KEY for one (e.g. -o dataforseo.source=history)",
    )
    add_profile(report)
    add_sandbox_data(report)
    report.add_argument(
        "--by",
        action="append",
        # report.figures.BY_CHOICES, written out: --help imports nothing of the report
        # package (a test keeps the two equal).
        choices=("kind", "engine", "device", "location", "language", "tag"),
        help="group each provider's tasks by this field (repeatable; default kind)",
    )
    report.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="KIND=KIND",
        help="two kinds that are the same work at two vendors, for the side-by-side view "
        "(repeatable; default: kinds named alike, or one level more precisely)",
    )
    report.add_argument(
        "--top",
        type=whole_number,
        default=10,
        metavar="N",
        help="groups (and side-by-side pairs) drawn in the charts (default 10; tables list all)",
    )
    report.add_argument(
        "--format", choices=("html", "json"), default="html", help="output format (html)"
    )
    report.add_argument(
        "--to",
        type=path_text,
        metavar="PATH",
        help=f"where to write (default {DEFAULT_HTML} for html, stdout for json; - for stdout)",
    )
    report.add_argument(
        "-q", "--quiet", action="store_true", help="no progress or summary line on stderr"
    )


def _selection(args: argparse.Namespace, names: list[str], now: Any) -> Selection:
    from ..client import build_query
    from ..report.source import Selection
    from .common import absolute_time

    query = build_query(
        None,
        absolute_time(args.since, now),
        absolute_time(args.until, now),
        args.time_field,
    )
    return Selection(
        providers=tuple(names),
        status=args.status,
        since=query.since,
        until=query.until,
        time_field=query.time_field,
    )


def _sandbox_names() -> list[str]:
    """Every installed provider that ships an emulator (the sandbox's default)."""
    from ..plugins import get_provider, providers
    from ..provider import Provider

    return [
        name
        for name in providers()
        if getattr(get_provider(name).sandbox, "__func__", None)
        is not getattr(Provider.sandbox, "__func__", None)
    ]


def _live(args: argparse.Namespace, names: list[str], err: TextIO, selection: Selection) -> Tasks:
    """List the providers (or their emulators) now and hold the tasks in DuckDB."""
    import contextlib

    import attrs

    from ..errors import Interrupted
    from ..model import TaskStatus
    from ..report.source import from_tasks
    from .common import (
        Progress,
        connect_all,
        refuse_unreported_status,
        sandbox_day,
        split_options,
    )
    from .signals import GracefulStop

    options = split_options(args.option, names)
    frozen = sandbox_day(args.sandbox_day) if args.sandbox else None
    wall = None if frozen is None else (lambda: frozen)
    progress = Progress(err, err.isatty(), quiet=args.quiet)
    with contextlib.ExitStack() as stack:
        clients = connect_all(stack, args, names, options, progress, now=wall)
        for client in clients:
            refuse_unreported_status(client, selection.status)
        # SIGTERM (a scheduler's stop) or SIGINT ends the listing as in `seotasks tasks`:
        # the wait or page read in progress ends, the temporary copy of the tasks removed.
        transports = (c.transport for c in clients)
        stop = stack.enter_context(GracefulStop(*transports, abort_reads=True))

        def listed() -> Any:
            for client in clients:
                for page in client.pages(
                    status=selection.status,
                    since=selection.since,
                    until=selection.until,
                    time_field=selection.time_field,
                ):
                    if stop.stopping:
                        raise Interrupted(f"stopped by signal {stop.signal}")
                    progress.page(client.name, page)
                    yield from page.tasks

        where = "emulators" if args.sandbox else "live listing"
        tasks = from_tasks(
            listed(),
            source=f"{where} of {', '.join(names)}",
            draining=[c.name for c in clients if c.capabilities.drains],
            unfailing=[c.name for c in clients if TaskStatus.FAILED not in c.capabilities.statuses],
            selection=selection,
        )
        progress.done()
        incomplete = []
        for client in clients:
            warning = progress.incomplete(client.name, client.provider.advice("capped"))
            if warning:
                progress.notice(warning)  # even with -q, as `seotasks tasks` says it
                incomplete.append((client.name, warning))
        return attrs.evolve(tasks, incomplete=tuple(incomplete))


@contextlib.contextmanager
def _store_read(store: str | None) -> Iterator[None]:
    """A store DuckDB attached but cannot read (a block whose checksum fails) is the file
    itself, as one it cannot open is (`ConfigError`, exit 2), not an internal error."""
    import duckdb

    from ..errors import ConfigError

    try:
        yield
    except duckdb.Error as exc:
        if store is None:
            raise
        said = " ".join(str(exc).split())
        raise ConfigError(f"{store}: cannot read it as a DuckDB file: {said}") from None


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``seotasks report``; the page (or JSON) to ``--to``, one line on stderr."""
    import time
    from datetime import UTC, datetime

    from ..plugins import provider_names
    from ..store import check_file_target
    from .common import EXIT_OK, UsageError, check_sandbox_size, sandbox_day

    started = time.perf_counter()
    if args.top < 1:
        raise UsageError("--top must be at least 1")
    if args.sandbox_size is not None:
        check_sandbox_size(args.sandbox_size, "--sandbox-size")
    target = args.to if args.to is not None else (DEFAULT_HTML if args.format == "html" else "-")
    if target != "-":
        # No --to: the default page, named as such (not "the --to file's folder").
        check_file_target(Path(target), "--to" if args.to is not None else "report")
        _refuse_a_database(Path(target))
    listing = args.live or args.sandbox
    if listing and args.dataset is not None:  # ignored, it would read as a filter obeyed
        raise UsageError("--dataset names a store's dataset; a live listing has none")
    if not listing:
        for flag, given in (("-o/--option", args.option), ("--profile", args.profile)):
            if given:
                raise UsageError(f"{flag} is for a live listing (--live or --sandbox)")
        # The emulators' data, refused rather than ignored, as `start_sandbox` refuses it
        # with --live: the store's report would not be the seed or day asked for.
        for flag, given in (
            ("--sandbox-size", args.sandbox_size is not None),
            ("--sandbox-day", args.sandbox_day is not None),
            ("--seed", args.seed != 0),
        ):
            if given:
                raise UsageError(f"{flag} applies with --sandbox only")
    # The extra, checked before any work: a missing renderer found after a long live
    # listing would waste it. JSON needs DuckDB only.
    needed = ["duckdb"] if args.format == "json" else ["duckdb", "altair", "vl_convert"]
    try:
        import importlib

        for module in needed:
            importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in _EXTRA_MODULES:
            raise UsageError(_INSTALL_HINT) from None
        raise
    from ..report.figures import compute, parse_compare
    from ..report.source import from_store

    if args.providers:
        # The store's names are registered names (lower case); a provider it holds need
        # not be installed here, so the spelling is the one `get_provider` accepts.
        names = (
            provider_names(args.providers)
            if listing
            else list(dict.fromkeys(name.strip().lower() for name in args.providers))
        )
    elif args.sandbox:
        names = _sandbox_names()
    elif args.live:
        raise UsageError("--live needs at least one -p/--provider")
    else:
        names = []
    compare = parse_compare(args.compare)
    now = (sandbox_day(args.sandbox_day) if args.sandbox else None) or datetime.now(UTC)
    selection = _selection(args, names, now)
    store = None if listing else args.store or DEFAULT_STORE
    with _store_read(store):
        if store is None:
            tasks = _live(args, names, err, selection)
        else:
            tasks = from_store(store, dataset=args.dataset or "seotasks", selection=selection)
        try:
            figures = compute(
                tasks, now=now, by=tuple(args.by or ("kind",)), compare=compare, top=args.top
            )
        finally:
            tasks.close()
    if args.format == "json":
        import json

        text = json.dumps(figures.to_json(), indent=2, ensure_ascii=False) + "\n"
    else:
        from ..report.html import render_html

        text = render_html(figures)
    if target == "-":
        out.write(text)
        out.flush()
        where = "stdout"
    else:
        _write(Path(target), text)
        where = target
    if not args.quiet:
        counts = ", ".join(f"{p.provider} {p.tasks:,}" for p in figures.providers) or "none"
        size = len(text.encode("utf-8"))
        err.write(
            f"seotasks report: {figures.tasks:,} task{'' if figures.tasks == 1 else 's'} "
            f"({counts}) -> {where} "
            f"({size / 1024:,.0f} KiB, {time.perf_counter() - started:.1f} s)\n"
        )
    return EXIT_OK


def _refuse_a_database(path: Path) -> None:
    """Refuse a ``--to`` that is a DuckDB database: the page would replace it, and the
    likeliest such file is the store itself (``--to seotasks.duckdb`` for ``--from``),
    every task loaded so far. DuckDB writes ``DUCK`` at byte 8 of each file."""
    from .common import UsageError

    try:
        with path.open("rb") as existing:
            head = existing.read(12)
    except OSError:  # absent (the usual case) or unreadable: the write will tell
        return
    if head[8:12] == b"DUCK":
        raise UsageError(
            f"--to {path}: is a DuckDB database (a seotasks store?), which the page would "
            "replace; name another file"
        )


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (a reader never sees half a page),
    with the mode a new file gets (the umask's), as the page is made to be shared."""
    from ..store import atomic_write

    atomic_write(path, text.encode("utf-8"))
