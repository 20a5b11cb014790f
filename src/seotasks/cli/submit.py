"""``seotasks submit``: post task specs (JSON Lines) and print one result line each."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .common import (
    EXIT_AUTH,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROVIDER,
    UsageError,
    one_client,
    one_line,
)

if TYPE_CHECKING:
    from ..client import Client
    from ..submit import SerpTaskSpec
    from ..submit_journal import SubmitJournal
    from .signals import GracefulStop

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


def _read_specs(path: str, err: TextIO) -> list[Any]:
    from .inputs import read_lines

    specs: list[Any] = []
    number = 0
    lines = read_lines(path, _LONGEST_LINE)
    while True:
        # Checked as they come (a signal stops a read from a waiting pipe), so that a
        # path that is no spec file fails at its first line, not once read whole.
        try:
            raw = next(lines, None)
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
        except ValueError as exc:  # a line longer than any spec: no spec file
            raise UsageError(f"{path}:{number + 1}: {exc}, not a task spec") from None
        if raw is None:
            return specs
        if not number:
            raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte order mark (Windows editors)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(
                f"{path}:{number + 1}: not UTF-8 text (specs are JSON Lines)"
            ) from None
        if control := _CONTROL.search(text):  # a binary file: "not JSON" would say less
            column = control.start() + 1
            raise UsageError(
                f"{path}:{number + 1}: not text, a control character at column {column} "
                "(specs are JSON Lines)"
            )
        for line in text.splitlines() or [""]:  # "\r\n", and the other line ends
            number += 1
            if line.strip():  # blank lines are skipped
                specs.append(_spec(path, number, line))


#: The longest line read as a spec: one holds a keyword and a few fields (a tag and
#: callback URLs are the long ones), never a megabyte.
_LONGEST_LINE = 1 << 20
#: Characters that no JSON line holds raw (JSON escapes them in strings): a binary file.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


def _spec(path: str, number: int, line: str) -> Any:
    """The spec on line ``number`` of ``path``, or the line's usage error."""
    import json

    from ..errors import ConfigError
    from ..jsoncodec import strict_loads
    from ..submit import spec_from_json

    try:
        return spec_from_json(strict_loads(line, object_pairs_hook=_each_field_once))
    except ConfigError as exc:
        raise UsageError(f"{path}:{number}: {exc}") from None
    except json.JSONDecodeError as exc:
        # Its own "line 1 column 17 (char 16)" counts within this one line: the
        # column is news, "line 1" beside the file's line number misleads.
        where = f"{path}:{number}: not JSON: {exc.msg} at column {exc.colno}"
        raise UsageError(where) from None
    except ValueError as exc:
        raise UsageError(f"{path}:{number}: not JSON: {exc}") from None


def _each_field_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A spec's object; a field given twice is refused (JSON would keep the last one, and
    post one of two keywords without a word)."""
    from ..errors import ConfigError

    fields: dict[str, Any] = {}
    for name, value in pairs:
        if name in fields:
            raise ConfigError(f"invalid task spec: field {name!r} given twice")
        fields[name] = value
    return fields


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import contextlib

    from ..plugins import get_provider
    from ..store import check_file_target
    from ..submit_journal import SubmitJournal, spec_keys
    from .signals import GracefulStop

    provider = get_provider(args.provider)
    _check_callback_flags(provider.name, provider.spec_refuses, args)
    _check_callback_values(args)
    if args.resume is not None:
        check_file_target(args.resume, "--resume")  # as tasks and collect: no folder made
    specs = _read_specs(args.file, err)  # every line checked before anything is posted
    specs = _with_callbacks(specs, args)
    keys = spec_keys(specs)
    with contextlib.ExitStack() as stack:
        journal = None
        if args.resume is not None:
            journal = stack.enter_context(SubmitJournal.open(args.resume, provider.name))
        client = one_client(args, stack)
        stop = stack.enter_context(GracefulStop(client.transport))
        run = _Run(out, len(specs))
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
            _post(client, journal, provider.submit_batch, specs, keys, todo, run, stop)
        finally:
            run.release()  # the earlier runs' lines not yet printed
    out.flush()
    # A signal that came while the last batch was in flight stopped nothing: every spec
    # has its answer, and exit 5 ("run it again") would post them all again without
    # --resume. A spec left unsent, or one whose wait the signal cut short, is stopped.
    stopped = stop.stopping and (run.lines < run.total or run.cut_short > 0)
    return run.finish(err, stopped=stopped, journal=args.resume)


def _post(
    client: Client,
    journal: SubmitJournal | None,
    batch: int,
    specs: list[SerpTaskSpec],
    keys: list[str],
    todo: list[int],
    run: _Run,
    stop: GracefulStop,
) -> None:
    """Post the specs of ``todo`` a batch at a time, each journalled before it leaves and
    answered after, until done, stopped, or the vendor refuses the credentials."""
    size = max(1, batch)
    sent = 0  # specs of ``todo`` handed to the vendor so far
    for start in range(0, len(todo), size):
        if stop.stopping or run.refused is not None:
            break
        chunk = todo[start : start + size]
        sent = start + len(chunk)
        chunk_keys = [keys[i] for i in chunk]
        if journal is not None:
            journal.sending(chunk_keys)  # durable before the batch leaves
        results = client.submit([specs[i] for i in chunk])
        try:
            if journal is not None:
                journal.answered(chunk_keys, results)
        finally:
            # The batch went out: its lines (task ids) are printed even when the
            # journal cannot take them (a full disk), or they would be the vendor's only.
            for index, result in zip(chunk, results, strict=True):
                run.result(index, result)
            run.out.flush()
    if run.refused is not None:  # the rest was never sent: its lines say so
        run.unsent = len(todo) - sent
        for index in todo[sent:]:
            run.line(index, error="not sent: the vendor refused the credentials (AuthError)")


class _Run:
    """The counts of one ``seotasks submit`` and its output lines, one JSON line per spec."""

    def __init__(self, out: TextIO, total: int) -> None:
        self.out = out
        self.total = total
        self.accepted = 0
        #: Accepted by earlier runs (from the ``--resume`` journal).
        self.earlier = 0
        self.failed = 0
        self.unknown = 0
        #: Specs not sent because the stop cut their wait short (`Interrupted`).
        self.cut_short = 0
        #: Specs never sent because the vendor refused the credentials first.
        self.unsent = 0
        self.refused: BaseException | None = None
        #: The earlier runs' lines (index, text), in input order, each printed just before
        #: the first line of a later index, so that the output keeps the input's order.
        self._held: list[tuple[int, str]] = []
        self._next_held = 0

    def line(
        self,
        index: int,
        *,
        task_id: str | None = None,
        kind: str | None = None,
        error: str | None = None,
        unknown: bool = False,
        resumed: bool = False,
        held: bool = False,
    ) -> None:
        """Count and print one spec's line; ``held`` (an earlier run's, read from the
        journal before anything is posted) waits for its turn in input order."""
        import json

        record: dict[str, object] = {
            "index": index,
            "task_id": task_id,
            "kind": kind,
            "error": error,
        }
        if unknown:
            record["outcome_unknown"] = True
            self.unknown += 1
        elif task_id is not None:
            self.accepted += 1
        else:
            self.failed += 1
        if resumed:
            record["resumed"] = True
        text = json.dumps(record) + "\n"
        if held:
            self._held.append((index, text))
            return
        self.release(before=index)
        self.out.write(text)

    def release(self, before: int | None = None) -> None:
        """Print the held lines of indexes below ``before`` (``None``: all of them)."""
        held = self._held
        while self._next_held < len(held) and (before is None or held[self._next_held][0] < before):
            self.out.write(held[self._next_held][1])
            self._next_held += 1

    def result(self, index: int, result: Any) -> None:
        from ..errors import AuthError, Interrupted
        from ..submit_journal import outcome_unknown

        if result.error is None:
            self.line(index, task_id=result.task_id, kind=result.kind)
            return
        if isinstance(result.error, Interrupted):
            self.cut_short += 1
        if isinstance(result.error, AuthError) and self.refused is None:
            self.refused = result.error
        message = f"{type(result.error).__name__}: {result.error}"
        self.line(index, error=message, unknown=outcome_unknown(result))

    @property
    def lines(self) -> int:
        """The specs given a line so far."""
        return self.accepted + self.failed + self.unknown

    def finish(self, err: TextIO, *, stopped: bool, journal: Path | None) -> int:
        """The closing lines on stderr and the exit code."""
        done = f"{self.accepted} of {self.total} specs accepted"
        if self.earlier:
            done += f" ({self.earlier} by earlier runs)"
        if self.unknown:
            err.write(
                f"seotasks: {self.unknown} specs were sent but their answer was lost (outcome "
                "unknown, marked outcome_unknown): they may exist; check the vendor's task "
                "list before posting them again"
                + ("; a re-run with this --resume file does not post them\n" if journal else "\n")
            )
        if self.refused is not None:  # the credentials, not the specs: exit 3 like any auth error
            err.write(one_line(f"seotasks: AuthError: {self.refused}"))
            if self.unsent:
                then = (
                    "run the same command: it posts only the specs not accepted"
                    if journal
                    else "post the specs not accepted from a new file (a re-run would post "
                    "every spec again)"
                )
                err.write(
                    f"seotasks: {done}; {self.unsent} of {self.total} specs were not sent "
                    f"(their lines say so); fix the credentials, then {then}\n"
                )
            return EXIT_AUTH
        if stopped:
            if journal is not None:
                err.write(f"seotasks: interrupted: {done}; run the same command to post the rest\n")
            else:
                err.write(
                    f"seotasks: interrupted: {done} (their lines are above); a re-run posts "
                    "every spec again: use --resume FILE to make a re-run post only the rest\n"
                )
            return EXIT_INTERRUPTED
        if self.failed or self.unknown:
            err.write(f"seotasks: {done}; {self.failed + self.unknown} failed (see their error)\n")
            return EXIT_PROVIDER
        if journal is not None:
            err.write(f"seotasks: {done}\n")
        return EXIT_OK


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


def _with_callbacks(specs: list[Any], args: argparse.Namespace) -> list[Any]:
    """Fill ``--pingback`` / ``--postback`` into the specs that have no callback of their own."""
    if args.pingback is None and args.postback is None:
        return specs
    return [
        _with_flags(spec, args, where=f" (filled in for the spec of index {index})")
        for index, spec in enumerate(specs)
    ]


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _fill(template: str, fields: dict[str, str]) -> str:
    """``{engine}`` / ``{serp_type}`` replaced; every other character (``$id``) kept as is."""
    for key, value in fields.items():
        template = template.replace("{" + key + "}", value)
    return template
