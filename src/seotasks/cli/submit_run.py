"""``seotasks submit`` once its specs are read: `post` sends them a batch at a time,
`SubmitRun` prints a line a spec and says how the run ended.

The lines are the only record of the task ids a run without ``--resume`` creates, so
none is dropped: once stdout takes no more (a full disk, its reader gone), the lines go
to stderr and no further batch is posted.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .common import EXIT_AUTH, EXIT_INTERRUPTED, EXIT_OK, EXIT_PROVIDER, EXIT_STORAGE, one_line
from .pipes import SETTLE_WAIT, ReadLedger, full_stdout

if TYPE_CHECKING:
    from ..client import Client
    from ..submit import SerpTaskSpec
    from ..submit_journal import SubmitJournal
    from .signals import GracefulStop

__all__ = ["SubmitRun", "post"]


def post(
    client: Client,
    journal: SubmitJournal | None,
    batch: int,
    specs: list[SerpTaskSpec],
    keys: list[str],
    todo: list[int],
    run: SubmitRun,
    stop: GracefulStop,
) -> None:
    """Post the specs of ``todo`` a batch at a time, each journalled before it leaves and
    answered after, until done, stopped, or the vendor refuses the credentials."""
    size = max(1, batch)
    sent = 0  # specs of ``todo`` handed to the vendor so far
    for start in range(0, len(todo), size):
        if start:  # a reader that left takes no more lines: make no more tasks
            run.confirm()
        if stop.stopping or run.refused is not None or run.stdout_lost is not None:
            break
        chunk = todo[start : start + size]
        sent = start + len(chunk)
        chunk_keys = [keys[i] for i in chunk]
        if journal is not None:
            journal.sending(chunk_keys)  # durable before the batch leaves
        run.in_flight = len(chunk)
        results = client.submit([specs[i] for i in chunk])
        run.in_flight = 0
        try:
            if journal is not None:
                journal.answered(chunk_keys, results)
        finally:
            # The batch went out: its lines (task ids) are printed even when the
            # journal cannot take them (a full disk), or they would be the vendor's only.
            for index, result in zip(chunk, results, strict=True):
                run.result(index, result)
    if run.refused is not None:  # the rest was never sent: its lines say so
        run.unsent = len(todo) - sent
        for index in todo[sent:]:
            run.line(index, error="not sent: the vendor refused the credentials (AuthError)")


class SubmitRun:
    """The counts of one ``seotasks submit`` and its output lines, one JSON line per spec."""

    def __init__(self, out: TextIO, err: TextIO, total: int) -> None:
        self.out = out
        self.err = err
        #: Why stdout took no more lines (a full disk, its reader gone), once it did: the
        #: lines go to stderr from then on, and no more batches are posted.
        self.stdout_lost: str | None = None
        #: Into a pipe, the lines written that its reader has not been seen to take: a
        #: reader that leaves (``| head``) drops them without an error to the writer.
        self.ledger: ReadLedger[str] = ReadLedger(out)
        #: Specs of the batch sent and not yet answered.
        self.in_flight = 0
        #: A second signal ended the run: stdout (a full pipe, say, which holds a write
        #: and with it the stop) is written no more; the lines left go to stderr.
        self.stopped_now = False
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
        self._print(text)

    def release(self, before: int | None = None) -> None:
        """Print the held lines of indexes below ``before`` (``None``: all of them)."""
        held = self._held
        while self._next_held < len(held) and (before is None or held[self._next_held][0] < before):
            self._print(held[self._next_held][1])
            self._next_held += 1

    def _print(self, text: str) -> None:
        """One line to stdout (line-buffered: written at once), or, once stdout takes no
        more, to stderr: a task the vendor created has no other record of its id."""
        if self.stdout_lost is None:
            try:
                self.ledger.write(text)
                self.ledger.mark(text)
                return
            except (OSError, ValueError) as exc:
                self._lose_stdout(full_stdout(exc) or "its reader is gone")
            except KeyboardInterrupt:  # a second signal while the write waited (a full pipe)
                self.stopped_now = True
                self._lose_stdout("stopped at once while a write waited for its reader")
        self._say(text)

    def _lose_stdout(self, reason: str) -> None:
        """Print on stderr from now on, the lines a departed reader may not have read
        first (some twice rather than one lost)."""
        self.stdout_lost = reason
        self._say(
            f"seotasks: stdout takes no more lines ({reason}); the lines of this run it "
            "may have missed follow here\n"
        )
        for text in self.ledger.take_unread():
            self._say(text)

    def confirm(self, wait: float = 0.0) -> None:
        """Forget the lines a pipe's reader has read (waiting up to ``wait`` seconds for
        it to read them all); a reader gone loses stdout (`_lose_stdout`). The bytes
        still in the pipe are the last ones written, so every older line was read."""
        if self.stdout_lost is None and self.ledger.take_read(wait) is None:
            self._lose_stdout("its reader is gone")

    def stop_now(self) -> None:
        """A second signal: no more writes to stdout, which may be what holds the stop."""
        self.stopped_now = True
        if self.stdout_lost is None:
            self._lose_stdout("stopped at once")

    def settle(self) -> None:
        """Print the earlier runs' lines not printed yet, then give stdout's reader up to
        `SETTLE_WAIT` to read the last lines: one that has not read them by then (a pager
        left open) gets them on stderr too, some twice rather than one lost. A second
        signal meanwhile ends the wait, the rest on stderr."""
        try:
            self.release()
            if self.stdout_lost is None:
                try:
                    self.out.flush()
                except (OSError, ValueError) as exc:
                    self._lose_stdout(full_stdout(exc) or "its reader is gone")
            self.confirm(wait=0.0 if self.stopped_now else SETTLE_WAIT)
            if self.stdout_lost is None and self.ledger.kept:
                self._lose_stdout(f"its reader had not read them after {SETTLE_WAIT:g} s")
        except KeyboardInterrupt:
            self.stop_now()
            self.release()

    def stopped_at_once(self, *, journal: Path | None) -> int:
        """The closing line of a run a second signal ended (exit 5): how far it got, and
        the batch it left unanswered, which may exist at the vendor."""
        line = f"seotasks: interrupted at once: {self.accepted} of {self.total} specs accepted"
        if self.in_flight:
            line += (
                f"; the {self.in_flight} specs of the batch in flight may exist at the vendor "
                "(outcome unknown): check its task list before posting them again"
            )
        if journal is not None:
            line += "; run the same command to post the rest (it does not post those again)"
        else:
            line += "; a re-run posts every spec again: use --resume FILE to post only the rest"
        self._say(line + "\n")
        return EXIT_INTERRUPTED

    def _say(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # stderr gone too: nowhere left
            self.err.write(text)
            self.err.flush()

    def result(self, index: int, result: Any) -> None:
        from ..errors import AuthError, Interrupted
        from ..submit_journal import outcome_unknown

        if result.error is None:
            self.line(index, task_id=result.task_id, kind=result.kind)
            return
        message = f"{type(result.error).__name__}: {result.error}"
        if isinstance(result.error, Interrupted):  # its call never left: as a refused run's
            self.cut_short += 1
            message = f"not sent: {message}"
        if isinstance(result.error, AuthError) and self.refused is None:
            self.refused = result.error
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
            # One line, saying how many were accepted whatever was sent: a batch of several
            # calls may have made tasks before the refusal, and they are paid for.
            then = (
                "run the same command: it posts only the specs not accepted"
                if journal
                else "post the specs not accepted from a new file (a re-run would post "
                "every spec again)"
            )
            unsent = f"{self.unsent} of {self.total} specs were not sent (their lines say so); "
            err.write(
                one_line(
                    f"seotasks: AuthError: {self.refused}; {done}; "
                    f"{unsent if self.unsent else ''}fix the credentials, then {then}"
                )
            )
            return EXIT_AUTH
        if self.stdout_lost is not None:
            if self.lines == self.total:
                then = "every spec has its line"
            elif journal:
                then = "run the same command, appending (>>), to post the rest"
            else:
                then = (
                    "post the specs without a line from a new file (a re-run would post "
                    "every spec again)"
                )
            self._say(
                f"seotasks: stdout took no more lines ({self.stdout_lost}): {done}; the "
                f"lines it may have missed are above, on stderr; {then}\n"
            )
            return EXIT_STORAGE
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
