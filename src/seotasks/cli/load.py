"""``seotasks load``: the tasks (and results) of one account into a dlt destination.

The command lives in the core CLI so that ``seotasks --help`` lists it, but its work is
done by the separate ``seotasks-dlt`` distribution, imported only when the command runs:
this module imports nothing beyond the standard library, and the core never imports dlt
(a test runs the other commands and checks that ``dlt`` stays out of ``sys.modules``).

The selection flags are those of ``seotasks tasks`` (a test compares the two parsers),
except that ``--status`` defaults to ``any``: a warehouse wants the running tasks too, so
that their later completion updates the same rows.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "run"]

#: The flags that choose what is listed, shared with ``seotasks tasks``.
SELECTION_FLAGS = (
    "--provider",
    "--status",
    "--since",
    "--until",
    "--time-field",
    "--option",
    "--profile",
    "--sandbox",
    "--sandbox-size",
    "--seed",
)

_INSTALL_HINT = (
    "seotasks load needs the dlt integration: pip install seotasks-dlt "
    "(in a checkout: pip install -e integrations/dlt)"
)


HELP = "load tasks (and results) into DuckDB or another dlt destination, incrementally"
DESCRIPTION = (
    "Load the tasks of one account (one --profile) into a dlt destination: "
    "./seotasks.duckdb by default, dataset seotasks, tables tasks and results. Each run "
    "asks the vendors only for what is new since the last one (the cursors are kept in "
    "dlt's state, with the data); a --since like 12h is a window rolling with the runs. "
    "Needs: pip install seotasks-dlt."
)


def add_arguments(load: argparse.ArgumentParser) -> None:
    """``load``'s arguments (standard library only: ``--help`` stays fast)."""
    from .flags import (
        add_options,
        add_profile,
        add_providers,
        add_query,
        add_sandbox_data,
        add_workers,
        megabytes,
        path_text,
        seconds,
    )

    add_providers(load, "provider to load")
    add_query(
        load,
        status_default="any",
        time_help="the time --since/--until bound: created_at (default) or completed_at; "
        "by completion, a time-filtered vendor listing is read whole each run",
    )
    add_options(
        load, "provider option; KEY for every listed provider that has it, PROVIDER.KEY for one"
    )
    add_profile(
        load,
        "TOML profile with the account's credentials; also names the pipeline "
        "(seotasks_<profile>), so each account keeps its own cursors",
    )
    load.add_argument(
        "--sandbox",
        action="store_true",
        help="load from the providers' emulators on loopback (no account needed; "
        "pipeline seotasks_sandbox, or seotasks_sandbox_<seed>_<size> with a --seed "
        "other than 0 or a --sandbox-size: other data, other cursors)",
    )
    add_sandbox_data(load, day=False)
    load.add_argument(
        "--collect",
        action="store_true",
        help="also load each completed task's result into the results table (JSON column)",
    )
    where = load.add_mutually_exclusive_group()
    where.add_argument(
        "--to",
        type=path_text,
        metavar="PATH.duckdb|URL",
        help="where to load: a DuckDB file (PATH.duckdb or duckdb:///PATH.duckdb; default "
        "./seotasks.duckdb) or a PostgreSQL database "
        "(postgresql://USER:PASSWORD@HOST:PORT/DATABASE; the password is never printed)",
    )
    where.add_argument(
        "--destination",
        metavar="NAME",
        help="a dlt destination (postgres, bigquery, snowflake, ...) configured the dlt way, "
        "e.g. DESTINATION__POSTGRES__CREDENTIALS",
    )
    load.add_argument("--dataset", default="seotasks", help="dataset (schema) name")
    add_workers(load, "threads collecting results")
    load.add_argument(
        "--run-mb",
        type=megabytes,
        metavar="MB",
        help="with --collect, megabytes of results per dlt run (default 16): a run's memory "
        "grows with its bytes, so less lowers the peak with large results, at the cost of "
        "more runs",
    )
    load.add_argument(
        "--pipelines-dir",
        type=path_text,
        metavar="DIR",
        help="where dlt keeps pipelines' local state (default: dlt's, ~/.dlt/pipelines; "
        "/var/dlt/pipelines as root)",
    )
    load.add_argument("--pipeline", metavar="NAME", help="pipeline name (default from --profile)")
    load.add_argument(
        "--lock-wait",
        type=seconds,
        default=0.0,
        metavar="SECONDS",
        help="how long to wait for another run of the same pipeline to end, on this "
        "machine and with PostgreSQL on any machine (default 0: refuse at once, exit 6)",
    )


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``seotasks load``; one summary line on stdout.

    SIGINT and SIGTERM (what Airflow, Kubernetes and systemd send first) stop the intake:
    no new page or task is taken, the results in flight are still collected, and what was
    fetched is loaded before the command exits 5 saying to run it again. A second signal
    stops at once; nothing fetched is lost even then (the journal and the kept results
    bring it back on the next run, see docs/dlt.md).
    """
    import contextlib
    import os

    # dlt sends anonymous usage telemetry by default; a seotasks command does not phone
    # home for its user. Opt in with RUNTIME__DLTHUB_TELEMETRY=true.
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    # dlt logs every failed try of a load job with its traceback (a disk filling up
    # mid-load: 342 lines on stderr); the command's one line names the failure. With
    # --debug, or RUNTIME__LOG_LEVEL set, dlt's own log is shown.
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING" if args.debug else "CRITICAL")

    from ..plugins import provider_names
    from .common import (
        EXIT_INTERRUPTED,
        EXIT_OK,
        UsageError,
        split_options,
        start_sandbox,
    )
    from .signals import GracefulStop

    try:
        from seotasks_dlt.pipeline import RESULT_BYTES_PER_RUN, load
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in {"seotasks_dlt", "dlt", "duckdb"}:
            raise UsageError(_INSTALL_HINT) from None
        raise
    names = provider_names(args.providers)
    # The parser imports no dlt: the default is the integration's own figure.
    run_bytes = RESULT_BYTES_PER_RUN if args.run_mb is None else args.run_mb << 20
    options: dict[str, dict[str, Any]] = dict(split_options(args.option, names))
    _return_freed_memory()
    # The transports are the load's own (it sets their interrupt from ``stop``).
    # A second signal ends the process as a kill would: the outbox and the destination's
    # transactions lose nothing to a SIGKILL at any instant (the tests kill at random).
    signals = GracefulStop(
        notice=(
            err,
            "seotasks load: stopping after the calls in flight, once what was fetched is "
            "loaded; signal again to stop at once (nothing fetched is lost)",
        ),
        at_once=(
            EXIT_INTERRUPTED,
            "seotasks load: interrupted at once; nothing fetched is lost: "
            "run the same command again",
        ),
    )
    stop = signals.event
    if args.pipeline is None:  # a sandbox of other data than the default: its own
        args.pipeline = _sandbox_pipeline(args)
    with contextlib.ExitStack() as stack:
        clock = start_sandbox(stack, args, names, options)
        stack.enter_context(signals)
        summary = load(
            names,
            profile=args.profile,
            sandbox=args.sandbox,
            to=args.to,
            destination=args.destination,
            dataset=args.dataset,
            pipelines_dir=args.pipelines_dir,
            name=args.pipeline,
            status=args.status,
            since=args.since,
            until=args.until,
            time_field=args.time_field,
            collect=args.collect,
            workers=args.workers,
            options=options,
            clock=clock,
            stop=stop,
            lock_wait=args.lock_wait,
            result_bytes_per_run=run_bytes,
            on_connect=_say_waits(err),
        )
    out.write(summary.line() + "\n")
    out.flush()
    if summary.interrupted:
        err.write(
            "seotasks load: interrupted; what was fetched is loaded: "
            "run the same command again to load the rest\n"
        )
        return EXIT_INTERRUPTED
    return EXIT_OK


def _return_freed_memory() -> None:
    """Let glibc hand big freed blocks back to the system (a flat RSS over a long load).

    A load alternates DuckDB's large buffers with Python's small objects. After the first
    large block is freed, glibc raises its mmap threshold, so later large blocks come from
    the heap and stay there once freed, between small objects that pin the pages: the
    resident size then creeps up with every load package (about 10 MB each). A fixed
    threshold (128 KiB, glibc's default before it adapts) keeps large blocks in their own
    mappings, returned when freed. Only where the C library has ``mallopt`` (glibc);
    this is the command's own process, so the setting affects nothing else.
    """
    import ctypes

    try:
        libc = ctypes.CDLL(None)
    except OSError:  # pragma: no cover - no C library to ask
        return
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is not None:
        m_mmap_threshold = -3
        mallopt(m_mmap_threshold, 128 * 1024)


def _say_waits(err: TextIO) -> Callable[[Client], None]:
    """Each client's long waits said on stderr, as `tasks` says them: a load is a
    scheduled command, and a Retry-After of minutes was silence in its log."""
    from .common import StatusLine
    from .waits import wait_notices

    line = StatusLine(err, enabled=False)

    def say(client: Client) -> None:
        client.transport.on_event = wait_notices(line, client)

    return say


def _sandbox_pipeline(args: argparse.Namespace) -> str | None:
    """The pipeline of a sandbox of other data than the default one: its own name, so its
    cursors are its own (a 5000-task sandbox's, resumed on the 1500-task default, listed
    nothing, run after run); None for the default sandbox or a real account."""
    if not args.sandbox or (args.seed == 0 and args.sandbox_size is None):
        return None
    size = "default" if args.sandbox_size is None else args.sandbox_size
    seed = str(args.seed).replace("-", "minus")  # a schema name: no "-"
    return f"seotasks_sandbox_{seed}_{size}"
