"""The argument parser of every command (standard library only: ``--help`` stays fast)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .common import MAX_SANDBOX_SIZE
from .flags import (
    Command,
    CommandParser,
    SubcommandParser,
    add_options,
    add_profile,
    add_provider,
    add_providers,
    add_query,
    add_sandbox_data,
    add_time_field,
    add_window,
)


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog="seotasks",
        description="List SEO vendors' asynchronous tasks through one normalized interface.",
        epilog="Credentials: SEOTASKS_<PROVIDER>_<OPTION> env vars (e.g. SEOTASKS_SERPSTAT_TOKEN) "
        "or --profile. Try it with no account: seotasks tasks --sandbox -p dataforseo -p serpstat",
    )
    # --debug is accepted before or after the command (`SubcommandParser`).
    parser.add_argument("--debug", action="store_true", help="log HTTP calls and show tracebacks")
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=SubcommandParser)

    prov = sub.add_parser(
        "providers",
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
        help="list tasks from one or more providers",
        description="List tasks. Several -p give one stream ordered by completion time.",
    )
    add_providers(tasks, "provider to list (repeatable)")
    add_query(
        tasks,
        status_help="which tasks: completed (default), running, queued, failed or any; "
        "with --cursor the cursor's status applies, and a different one is refused",
        time_help="the time --since/--until bound: created_at (default) or completed_at "
        "('what finished since'); tasks without that time are left out",
    )
    tasks.add_argument("-L", "--limit", type=int, help="stop after N tasks in total")
    add_options(
        tasks,
        "provider option; KEY applies to every listed provider that has it, "
        "PROVIDER.KEY to one (e.g. -o source=history, -o serpstat.timezone=Europe/Kyiv)",
    )
    add_profile(tasks)
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
    add_sandbox_data(tasks)
    tasks.add_argument(
        "--format",
        choices=("table", "jsonl", "csv"),
        help="output format (default: table on a terminal, jsonl otherwise)",
    )
    tasks.add_argument("--raw", action="store_true", help="add the vendor's item to jsonl/csv")
    tasks.add_argument(
        "--fields",
        metavar="A,B,C",
        help="only these fields, in this order, in any format (e.g. id,status,cost; raw for "
        "the vendor's item in jsonl/csv); an unknown field is an error naming the known ones",
    )
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
        help="post SERP tasks from a JSONL file of task specs",
        description="Post one task per line of FILE (a SerpTaskSpec as JSON; - for stdin): "
        "keyword, location, language, engine, serp_type, device, depth, priority, tag, "
        "pingback_url, postback_url, postback_data. "
        "Writes one JSON line per spec: index, task_id, error. Exit 4 if any spec failed.",
    )
    add_provider(submit, "provider")
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
    submit.add_argument(
        "--resume",
        type=Path,
        metavar="FILE",
        help="journal of this submission: a re-run with the same FILE posts only the specs "
        "not yet accepted, never one twice (specs whose answer was lost are reported, not "
        "re-posted)",
    )
    collect = sub.add_parser(
        "collect",
        help="fetch the results of completed tasks (JSONL, or one file per task with --to)",
        description="Collect every completed (DataForSEO: ready) task, or the tasks named "
        "with --id, concurrently at the vendor's pace. Without --to, writes "
        '{"task": <export record>, "result": <vendor JSON>} lines; with --to, writes each '
        "result to DIR/<provider>/<task id>.json and one line per task (the export record "
        'plus "path" and "error"). A task that fails is named on its line and the rest go '
        "on (exit 4). Tasks whose file exists in DIR are skipped, and a fetch that consumes "
        "its task is journalled until its result is written, so re-running after a crash "
        "or a kill collects exactly the rest.",
    )
    add_provider(collect, "provider")
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
    collect.add_argument(
        "--journal",
        type=Path,
        metavar="DIR",
        help="where fetches that consume a task (DataForSEO tasks_ready) are recorded until "
        "their result is written (default: DIR/.seotasks/journal with --to, else "
        "~/.local/state/seotasks/journal); the next run fetches what is left there first",
    )
    collect.add_argument(
        "--max-result-mb",
        type=int,
        default=1024,
        metavar="MB",
        help="largest vendor answer kept for one task (default 1024); a larger one is that "
        "task's error",
    )
    collect.add_argument("--gzip", action="store_true", help="with --to: write .json.gz files")
    add_window(collect)
    add_time_field(collect)
    collect.add_argument("--interval", type=float, default=None, help=argparse.SUPPRESS)
    for command in (submit, collect):
        add_options(command, "provider option (e.g. -o families=serp)")
        add_profile(command)
        command.add_argument(
            "--sandbox", action="store_true", help="run against the provider's emulator"
        )
        command.add_argument("--seed", type=int, default=0, help="sandbox data seed")

    receive = sub.add_parser(
        "receive",
        help="receive a vendor's callbacks (DataForSEO pingbacks and postbacks) and write "
        "the results to DIR",
        description="Serve the provider's callbacks at /<secret>/<route> (DataForSEO: POST "
        "/<secret>/postback and GET /<secret>/pingback; needs waitress: "
        "pip install waitress, or from a checkout pip install -e '.[receive]'). Each task's result is written to "
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
    add_provider(
        receive,
        "provider whose callbacks arrive, and that collects pingbacks (default: the one "
        "installed provider that declares callbacks)",
        required=False,
    )
    add_options(receive, "provider option")
    add_profile(receive)
    receive.add_argument("--gzip", action="store_true", help="write .json.gz files")
    receive.add_argument(
        "--threads", type=int, default=8, metavar="N", help="HTTP worker threads (default 8)"
    )
    receive.add_argument(
        "--max-connections",
        type=int,
        default=1000,
        metavar="N",
        help="open connections at most; beyond, new ones wait in the backlog (default 1000)",
    )
    receive.add_argument(
        "--idle-timeout",
        type=int,
        default=10,
        metavar="SECONDS",
        help="close a connection silent this long, between requests (default 10)",
    )
    receive.add_argument(
        "--workers",
        type=int,
        default=4,
        metavar="N",
        help="concurrent task_get calls for pingbacks (default 4)",
    )
    for flag, mib, what in (
        ("--max-body", 64, "largest request body as sent"),
        ("--max-json", 512, "largest body once decompressed"),
    ):
        receive.add_argument(
            flag,
            type=int,
            default=mib * 1024 * 1024,
            metavar="BYTES",
            help=f"{what} (default {mib} MiB)",
        )

    from . import check, completion, load, report, status  # stdlib only: --help stays fast

    commands: dict[str, Command] = {
        "load": load,
        "report": report,
        "check": check,
        "status": status,
        "completion": completion,
    }
    for name, module in commands.items():
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.DESCRIPTION))

    box = sub.add_parser(
        "sandbox",
        help="run the emulators in the foreground and print env vars",
        description="Start the providers' emulators on 127.0.0.1 with seeded data and print "
        "on stdout the export lines (base URL, credentials) that point the library at "
        "them; run until Ctrl-C or SIGTERM.",
    )
    add_providers(
        box,
        "provider whose emulator to run (repeatable; default: every installed one)",
        required=False,
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
        from .._version import installed_version

        sys.stdout.write(f"seotasks {installed_version()}\n")
        parser.exit()
