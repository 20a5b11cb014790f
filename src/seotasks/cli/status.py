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
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .common import EXIT_OK, Progress, printable_lines

if TYPE_CHECKING:
    from ..client import Client
    from ..model import Task

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
        tasks, everything = _listing(client, since, until, progress)
        everything = everything and len(client.capabilities.statuses) > 1
        capped = sorted(progress.capped.get(client.name, ()))
        summary = _summarize(client, tasks, everything, args.to, capped)
        listed = {t.id for t in tasks}
        summary.update(_held(client, args.to, args.sandbox, listed, summary))
        warning = progress.incomplete(client.name, client.provider.advice("capped"))
        if warning:
            progress.notice(warning)
    if args.format == "json":
        out.write(json.dumps(summary, ensure_ascii=False) + "\n")
    else:
        out.write(printable_lines(_text(summary)))  # it quotes the vendor: ids, kinds
    return EXIT_OK


def _listing(
    client: Client, since: str | None, until: str | None, progress: Progress
) -> tuple[list[Task], bool]:
    """Every task of the listing (all statuses if it offers them), and whether it did;
    each page counted on ``progress`` (which notes the lists the vendor capped)."""
    from ..errors import UnsupportedQuery

    for status, everything in (("any", True), ("completed", False)):
        tasks: list[Task] = []
        try:
            for page in client.pages(status=status, since=since, until=until):
                progress.page(client.name, page)
                tasks += page.tasks
        except UnsupportedQuery as exc:
            if everything:
                continue  # a listing of finished tasks only (DataForSEO tasks_ready)
            raise exc from None  # said as every command says it: its class, then its words
        return tasks, everything
    raise AssertionError("unreachable: the completed listing returns or raises")


def _summarize(
    client: Client, tasks: list[Task], everything: bool, to: Path | None, capped: list[str]
) -> dict[str, Any]:
    from ..model import TaskStatus

    by_status = Counter(t.status.value for t in tasks)
    by_kind = Counter(t.kind or "-" for t in tasks)
    unfinished = [
        t
        for t in tasks
        if t.status in (TaskStatus.QUEUED, TaskStatus.RUNNING) and t.created_at is not None
    ]
    costs = [t.cost for t in tasks if t.cost is not None]
    completed = [t for t in tasks if t.status is TaskStatus.COMPLETED]
    ready: int | None = None
    ready_how = "unknown without --to DIR, the folder collect --to writes"
    if client.capabilities.drains:
        ready, ready_how = len(completed), "listed as ready; collecting removes them"
        if capped:
            ready_how += "; at least: the vendor capped a list, more may be ready"
    now = datetime.now(UTC)
    expired: int | None = None
    uncollectable: Counter[str] = Counter()
    if not client.capabilities.drains and to is not None:
        missing = _without_file(client.name, completed, to)
        expired, ready, uncollectable = _beyond_reach(client, missing, now)
        ready_how = f"completed without a file in {to}"
        if not to.is_dir():  # a typo reads the same as a folder where nothing is collected
            ready_how += " (no such folder)"
    return {
        "provider": client.name,
        "tasks": len(tasks),
        "statuses": "all" if everything else "completed",
        "kinds": len(by_kind),
        "by_status": dict(sorted(by_status.items())),
        "by_kind": dict(by_kind.most_common()),
        "oldest_unfinished": _oldest(unfinished, now) if everything else None,
        "ready_not_collected": ready,
        "ready_how": ready_how,
        "expired": expired,
        "not_collectable": uncollectable.total() if expired is not None else None,
        "not_collectable_why": dict(uncollectable.most_common()),
        "results_kept_days": _kept_days(client),
        "capped_lists": capped,
        "spend": str(sum(costs, Decimal(0))) if costs else None,
        "with_cost": len(costs),
        "without_cost": len(tasks) - len(costs),
    }


def _held(
    client: Client, to: Path | None, sandbox: bool, listed: set[str], summary: dict[str, Any]
) -> dict[str, Any]:
    """A draining listing's results that an interrupted ``collect`` fetched and had not
    written yet: the vendor lists them no more, its journal holds them, and the next
    ``collect`` (``--to`` the same ``DIR``) writes them first. They are ready and not
    collected, so they are counted in; a count of the listing alone left them out. One
    still ``listed`` (killed before its fetch was sent) is counted once, as listed."""
    from ..journal import held_ids
    from .collect_support import journal_folder

    folder = journal_folder(client, to, None, sandbox=sandbox)
    held = held_ids(folder, client.name) - listed if folder is not None else set()
    if to is not None:  # written, not yet acknowledged when the run was killed
        held = {i for i in held if not _has_file(to / client.name, i)}
    if not held or summary["ready_not_collected"] is None:
        return {"held_in_journal": len(held) if folder is not None else None}
    return {
        "held_in_journal": len(held),
        "ready_not_collected": summary["ready_not_collected"] + len(held),
        "ready_how": f"{summary['ready_how']}; {len(held)} of them fetched by an "
        f"interrupted collect, held in its journal ({folder}): the next collect writes them",
    }


def _has_file(folder: Path, task_id: str) -> bool:
    return (folder / f"{task_id}.json").exists() or (folder / f"{task_id}.json.gz").exists()


def _without_file(name: str, completed: list[Task], to: Path) -> list[Task]:
    """The completed tasks with no result file in ``to/<name>/`` (``.json`` or ``.json.gz``)."""
    return [t for t in completed if not _has_file(to / name, t.id)]


def _beyond_reach(
    client: Client, missing: list[Task], now: datetime
) -> tuple[int, int, Counter[str]]:
    """``missing`` split as `seotasks collect --to DIR` would meet them: how many finished
    longer ago than the vendor keeps a result (`Capabilities.results_kept`, the report's
    "expired": no fetch brings them now), how many it would fetch, and the reasons of
    those the provider cannot fetch at all (DataForSEO's live-only APIs), each counted.

    "Cannot fetch" is asked without a call: the request `Provider.result_download` would
    send is built, not sent, and the provider refuses it as `collect` would. A provider
    that streams no result cannot be asked so: its tasks count as to fetch."""
    from ..errors import UnsupportedQuery

    kept = client.capabilities.results_kept
    expired, ready = 0, 0
    why: Counter[str] = Counter()
    with client.transport.redactor.active():  # a reason built in the plugin is scrubbed
        for task in missing:
            finished = task.completed_at or task.created_at
            if kept is not None and finished is not None and now - finished > kept:
                expired += 1
                continue
            try:
                client.provider.result_download(task)
            except UnsupportedQuery as exc:
                why[str(exc)] += 1
                continue
            ready += 1
    return expired, ready, why


def _kept_days(client: Client) -> float | None:
    kept = client.capabilities.results_kept
    return None if kept is None else kept.total_seconds() / 86400


def _oldest(unfinished: list[Task], now: datetime) -> dict[str, Any] | None:
    """The unfinished task created first: where a stuck queue shows."""
    if not unfinished:
        return None
    oldest = min(unfinished, key=lambda t: t.created_at or now)
    created = oldest.created_at or now
    return {
        "id": oldest.id,
        "status": oldest.status.value,
        "created_at": created.isoformat(),
        "waiting_hours": round((now - created).total_seconds() / 3600, 1),
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
