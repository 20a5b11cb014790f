"""``seotasks submit``: post task specs (JSON Lines) and print one result line each."""

from __future__ import annotations

import argparse
import contextlib
import re
from collections.abc import Iterable
from functools import partial
from typing import Any, TextIO

from .common import UsageError, one_client

HELP = "post SERP tasks from a JSONL file of task specs"
DESCRIPTION = (
    "Post one task per line of FILE (a SerpTaskSpec as JSON; - for stdin): "
    "keyword, location, language, engine, serp_type, device, depth, priority, tag, "
    "pingback_url, postback_url, postback_data. "
    "Writes one JSON line per spec: index, task_id, kind (what collect --kind takes), "
    "error. Exit 4 if any spec failed."
)


def add_arguments(submit: argparse.ArgumentParser) -> None:
    """``submit``'s arguments (standard library only: ``--help`` stays fast)."""
    from .flags import add_options, add_profile, add_provider, add_sandbox, path, path_text

    add_provider(submit, "provider")
    submit.add_argument(
        "file", type=path_text, metavar="FILE.jsonl", help="task specs, one JSON object a line"
    )
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
        type=path,
        metavar="FILE",
        help="journal of this submission: a re-run with the same FILE posts only the specs "
        "not yet accepted, never one twice (specs whose answer was lost are reported, not "
        "re-posted)",
    )
    add_options(submit, "provider option (e.g. -o families=serp)")
    add_profile(submit)
    add_sandbox(submit, "run against the provider's emulator")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..errors import StorageError
    from ..plugins import get_provider
    from ..store import check_file_target
    from ..submit_journal import SubmitJournal, account_digest, spec_keys
    from .pipes import refuse_closed_stdout
    from .signals import GracefulStop
    from .spec_file import read_specs
    from .submit_run import SubmitRun, post

    provider = get_provider(args.provider)
    _check_callback_flags(provider.name, provider.spec_refuses, args)
    _check_callback_values(args)
    if args.resume is not None:
        check_file_target(args.resume, "--resume")  # as tasks and collect: no folder made
    refuse_closed_stdout(out)  # the lines are the only record of the task ids
    specs = read_specs(  # every line checked before anything is posted
        args.file, partial(_with_flags_of, args), provider.check_spec
    )
    keys = spec_keys(specs)
    with contextlib.ExitStack() as stack:
        client = one_client(args, stack)  # the configuration is checked, specs or none
        journal = None
        if args.resume is not None:  # one account's submission: another's is refused
            account = account_digest(client.provider)
            journal = stack.enter_context(SubmitJournal.open(args.resume, provider.name, account))
        if not specs:  # an export that came out empty: said, or a scheduler's log shows nothing
            err.write(f"seotasks: {args.file} holds no spec: nothing to post\n")
            return 0
        stop = stack.enter_context(GracefulStop(client.transport))
        run = SubmitRun(out, err, len(specs))
        todo = []
        for index, key in enumerate(keys):
            earlier = journal.recorded.get(key) if journal is not None else None
            if earlier is None:
                todo.append(index)
            elif earlier.task_id is not None:
                run.line(index, task_id=earlier.task_id, kind=earlier.kind, resumed=True, held=True)
            else:
                unknown = f"outcome unknown: {earlier.unknown}"
                run.line(index, error=unknown, unknown=True, held=True)
        run.earlier = run.accepted
        try:
            post(client, journal, provider.submit_batch, specs, keys, todo, run, stop)
        except KeyboardInterrupt:  # a second signal: the lines left go to stderr
            run.stop_now()
        except StorageError as exc:  # the journal took no more: the ids are in the output
            exc.cli_hint = (
                "the last batch's task ids are only in the lines this run printed: keep "
                "them (a re-run with this --resume file reports that batch as outcome "
                "unknown; append its output with >>)"
            )
            run.settle()
            raise
        run.settle()  # the earlier runs' lines not yet printed, and stdout's reader
        if run.stopped_now:  # say what the first signal would have
            return run.stopped_at_once(journal=args.resume)
    # A signal that came while the last batch was in flight stopped nothing: every spec
    # has its answer, and exit 5 ("run it again") would post them all again without
    # --resume. A spec left unsent, or one whose wait the signal cut short, is stopped.
    stopped = stop.stopping and (run.lines < run.total or run.cut_short > 0)
    return run.finish(err, stopped=stopped, journal=args.resume)


def _check_callback_flags(provider: str, refuses: Iterable[str], args: argparse.Namespace) -> None:
    """A callback flag the provider cannot express is the command's mistake, said once
    before any spec is read: otherwise every spec would be refused on its own line (exit
    4), as if the specs were at fault."""
    refused = set(refuses)
    for flag, field in (("--pingback", "pingback_url"), ("--postback", "postback_url")):
        if getattr(args, flag[2:]) is not None and field in refused:
            raise UsageError(f"{flag}: {provider} cannot post a task with a {field}")


def _check_callback_values(args: argparse.Namespace) -> None:
    """A bad callback flag value is the command line's mistake: said once, naming the
    flag, before any spec is read, and whether or not a spec would take it (a spec
    with its own URL keeps it). Naming "spec 1" instead sent the user to a line that was
    fine. The URL is checked with ``{engine}`` and ``{serp_type}`` filled as for a
    Google organic spec; a value that only goes wrong for some spec's engine (its length)
    is still caught per spec, and named by the flag too (`_with_callbacks`)."""
    from ..submit import SerpTaskSpec

    if args.postback_data is not None and args.postback is None:
        raise UsageError("--postback-data: it goes with a --postback URL, and none is given")
    for flag, template in (("--pingback", args.pingback), ("--postback", args.postback)):
        unknown = sorted(set(_PLACEHOLDER.findall(template or "")) - {"engine", "serp_type"})
        if unknown:  # sent as it is, a typo reaches the vendor and every callback
            raise UsageError(
                f"{flag}: {{{unknown[0]}}} is not filled in: seotasks fills {{engine}} and "
                "{serp_type}, the vendor $id and $tag"
            )
    _with_flags(SerpTaskSpec(keyword="k", location=2840, language="en"), args, where="")


def _with_flags(spec: Any, args: argparse.Namespace, *, where: str) -> Any:
    """``spec`` with the callback flags' values where it has none of its own; a value the
    spec refuses is a `UsageError` naming its flag (and ``where``, the spec it was for)."""
    import attrs

    fields = {"engine": spec.engine, "serp_type": spec.serp_type}
    changes: dict[str, Any] = {}
    if args.pingback is not None and spec.pingback_url is None:
        changes["pingback_url"] = ("--pingback", _fill(args.pingback, fields))
    if args.postback is not None and spec.postback_url is None:
        changes["postback_url"] = ("--postback", _fill(args.postback, fields))
        # The flavour goes with the flag's URL; a spec's own URL keeps its own flavour.
        if spec.postback_data is None and args.postback_data is not None:
            changes["postback_data"] = ("--postback-data", args.postback_data)
    for field, (flag, value) in changes.items():  # postback_url before its postback_data
        try:
            spec = attrs.evolve(spec, **{field: value})
        except (ValueError, TypeError) as exc:
            raise UsageError(f"{flag}: {exc}{where}") from None
    return spec


def _with_flags_of(args: argparse.Namespace, spec: Any, index: int) -> Any:
    """``spec`` of index ``index`` with the ``--pingback`` / ``--postback`` values filled
    in where it has no callback of its own."""
    if args.pingback is None and args.postback is None:
        return spec
    return _with_flags(spec, args, where=f" (filled in for the spec of index {index})")


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _fill(template: str, fields: dict[str, str]) -> str:
    """``{engine}`` / ``{serp_type}`` replaced; every other character (``$id``) kept as is."""
    for key, value in fields.items():
        template = template.replace("{" + key + "}", value)
    return template
