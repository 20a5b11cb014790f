"""``seotasks status -p NAME``: one account at a glance.

The questions a person asks before deciding what to run next, answered from one listing:
how many tasks are in each status and of each kind, which unfinished task has waited
longest (a stuck queue shows here first), how many finished tasks still wait to be
collected, and what the listed tasks cost where the vendor says.

"Ready, not collected" has two honest answers. A listing that drains (DataForSEO
``tasks_ready``: a task leaves it once collected) is itself the answer. Otherwise it
can only be judged against a results folder: ``--to DIR`` counts the completed tasks
without a file there, exactly as ``seotasks collect --to DIR`` would fetch them: those
the vendor no longer keeps a result of, and those the provider cannot fetch at all, are
counted apart (no run clears them). Without either the line says it is unknown rather
than guessing. A listing the vendor capped
(``tasks_ready`` shows 1000 a list) makes that count a floor: it says "at least", and the
warning `seotasks tasks` prints says why. A listing of finished tasks only cannot see an
unfinished one: the oldest unfinished is then unknown, not "none".
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .common import EXIT_OK, Progress, printable_lines

if TYPE_CHECKING:
    from ..client import Client
    from .status_tally import Tally

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "run"]

#: Kinds shown on the text line (the most frequent first); JSON lists every one.
TOP_KINDS = 5


HELP = (
    "one account at a glance: tasks by status and kind, the oldest unfinished, "
    "ready but not collected, spend"
)
DESCRIPTION = (
    "List the provider's tasks once (every status where the listing "
    "offers it) and print counts by status and by kind, the oldest unfinished task, "
    "how many finished tasks are not collected yet, and the spend where costs are known."
)


def add_arguments(status: argparse.ArgumentParser) -> None:
    """``status``'s arguments (standard library only: ``--help`` stays fast)."""
    from .flags import add_options, add_profile, add_provider, add_sandbox, add_window, path

    add_provider(status, "provider")
    add_window(status, time_field=False)
    add_options(status, "provider option (e.g. -o source=history for DataForSEO's history)")
    add_profile(status)
    status.add_argument(
        "--to",
        type=path,
        metavar="DIR",
        help="results folder: completed tasks without a file there count as not collected",
    )
    status.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (text)"
    )
    add_sandbox(status, "look at the provider's emulator")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import contextlib
    import json

    from .common import absolute_time, check_folder, one_client
    from .waits import wait_notices

    # A file there would count every completed task as not collected: the path that
    # ``collect --to`` refuses is refused here too, before the listing.
    check_folder(args.to)
    with contextlib.ExitStack() as stack:
        client = one_client(args, stack)
        since, until = absolute_time(args.since), absolute_time(args.until)
        progress = Progress(err, enabled=False)  # counts the pages, and the capped lists
        # A long pacing wait or a wait before a retry is said, as `tasks` says it: a
        # Retry-After of minutes was silence in a scheduler's log.
        client.transport.on_event = wait_notices(progress, client)
        tally, everything = _listing(client, since, until, progress, args.to)
        everything = everything and len(client.capabilities.statuses) > 1
        capped = sorted(progress.capped.get(client.name, ()))
        summary = tally.summary(everything, capped)
        summary.update(_held(client, args.to, args.sandbox, tally.listed, summary))
        warning = progress.incomplete(client.name, client.provider.advice("capped"))
        if warning:
            progress.notice(warning)
    if args.format == "json":
        out.write(json.dumps(summary, ensure_ascii=False) + "\n")
    else:
        out.write(printable_lines(_text(summary)))  # it quotes the vendor: ids, kinds
    return EXIT_OK


def _listing(
    client: Client, since: str | None, until: str | None, progress: Progress, to: Path | None
) -> tuple[Tally, bool]:
    """The counts of the listing (all statuses if it offers them), and whether it did;
    each page counted on ``progress`` (which notes the lists the vendor capped). Taken as
    the pages come (`Tally`): a million tasks are counted in the memory of a page."""
    from datetime import UTC, datetime

    from ..errors import UnsupportedQuery
    from .status_tally import Tally

    for status, everything in (("any", True), ("completed", False)):
        tally = Tally(client, to, datetime.now(UTC))
        try:
            for page in client.pages(status=status, since=since, until=until):
                progress.page(client.name, page)
                for task in page.tasks:
                    tally.add(task)
        except UnsupportedQuery as exc:
            if everything:
                continue  # a listing of finished tasks only (DataForSEO tasks_ready)
            raise exc from None  # said as every command says it: its class, then its words
        return tally, everything
    raise AssertionError("unreachable: the completed listing returns or raises")


def _held(
    client: Client, to: Path | None, sandbox: bool, listed: set[str], summary: dict[str, Any]
) -> dict[str, Any]:
    """A draining listing's results that an interrupted ``collect`` fetched and had not
    written yet: the vendor lists them no more, its journal holds them, and the next
    ``collect`` (``--to`` the same ``DIR``) writes them first. They are ready and not
    collected, so they are counted in; a count of the listing alone left them out. One
    still ``listed`` (killed before its fetch was sent) is counted once, as listed."""
    from ..journal import held_ids
    from ..store import ResultStore
    from .collect_support import journal_folder
    from .status_tally import has_file

    folder = journal_folder(client, to, None, sandbox=sandbox)
    held = held_ids(folder, client.name) - listed if folder is not None else set()
    if to is not None:  # written, not yet acknowledged when the run was killed
        store = ResultStore(to)
        held = {i for i in held if not has_file(store, client.name, i)}
    if not held or summary["ready_not_collected"] is None:
        return {"held_in_journal": len(held) if folder is not None else None}
    return {
        "held_in_journal": len(held),
        "ready_not_collected": summary["ready_not_collected"] + len(held),
        "ready_how": f"{summary['ready_how']}; {len(held)} of them fetched by an "
        f"interrupted collect, held in its journal ({folder}): the next collect writes them",
    }


def _text(summary: dict[str, Any]) -> str:
    from ..export import printable

    # The vendor's words (kinds, an id) each stay on their line: a line break in one
    # would start a line the vendor wrote ("ready, not collected: 0").
    def counts(mapping: dict[str, int]) -> str:
        return ", ".join(f"{printable(k)} {v}" for k, v in mapping.items()) or "-"

    everything = summary["statuses"] == "all"
    statuses = "all" if everything else "completed only, the listing offers no other"
    lines = [
        f"{summary['provider']}: {summary['tasks']} tasks; statuses: {statuses}",
        f"  by status:         {counts(summary['by_status'])}",
        f"  by kind:           {counts(dict(list(summary['by_kind'].items())[:TOP_KINDS]))}"
        + (
            f" and {summary['kinds'] - TOP_KINDS} more kinds (--format json lists all)"
            if summary["kinds"] > TOP_KINDS
            else ""
        ),
    ]
    oldest = summary["oldest_unfinished"]
    if not everything:  # a stuck queue would read as "none"
        lines.append("  oldest unfinished: unknown (the listing shows completed tasks only)")
    elif oldest is None:
        lines.append("  oldest unfinished: none")
    else:
        lines.append(
            f"  oldest unfinished: {printable(oldest['id'])} {oldest['status']} since "
            f"{oldest['created_at']} ({oldest['waiting_hours']} h)"
        )
    ready = summary["ready_not_collected"]
    shown = "?" if ready is None else ("at least " if summary["capped_lists"] else "") + str(ready)
    lines.append(f"  ready, not collected: {shown} - {summary['ready_how']}")
    if summary["expired"]:
        lines.append(
            f"  expired:           {summary['expired']} - completed over "
            f"{summary['results_kept_days']:g} days ago, longer than {summary['provider']} "
            "keeps a result: no fetch brings them now"
        )
    if summary["not_collectable"]:
        first, *others = summary["not_collectable_why"]
        more = f"; and {len(others)} other reasons" if others else ""
        lines.append(
            f"  not collectable:   {summary['not_collectable']} - {printable(first)}{more}"
        )
    if summary["spend"] is None:
        lines.append("  spend:             unknown (the vendor gives no cost on these tasks)")
    else:
        lines.append(
            f"  spend:             {summary['spend']} over {summary['with_cost']} tasks with a "
            f"cost ({summary['without_cost']} without)"
        )
    return "\n".join(lines) + "\n"
