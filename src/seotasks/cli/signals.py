"""`GracefulStop`: how a long command (collect, load) stops on SIGINT or SIGTERM.

SIGTERM is the first signal schedulers send (Airflow, Kubernetes, systemd), so both
signals mean the same: stop taking work, let the calls already sent finish and make
their results durable, then exit 5 ("run again"). The first signal also sets each
transport's `Transport.interrupt`, so no pacing slot or ``Retry-After`` wait (up to an
hour) holds the stop: the waiting call ends unsent with `Interrupted`. A second signal
raises `KeyboardInterrupt` at once, for a person who will not wait.

A command whose every write survives SIGKILL (``load``: its outbox, its destination's
transactions) passes ``at_once``: a second signal then ends the process there and then,
with that exit code and line, as a kill would. `KeyboardInterrupt` raised at an arbitrary
bytecode was no clean stop for it: one landing in a finalizer was dropped with an
"Exception ignored" traceback (the run went on), one inside DuckDB became "internal error:
RuntimeError: Query interrupted" (exit 4), one while a pool joined its threads reached the
interpreter (died by SIGINT, -2); a user pressing Ctrl-C again and again got all of these.

A graceful stop can take a while (the results in flight, then loading them), so the first
signal can also say so on stderr (``notice``): without it a quiet terminal invites the
second Ctrl-C that gives up the graceful part, and a scheduler's log does not show when the
stop began.

A Python signal handler runs on the main thread between two of its bytecodes, possibly
while that thread holds a lock: inside `threading.Event.wait` (a pacing wait of `seotasks
tasks`), or starting a thread. A handler that then takes the same lock (`Event.set`,
`Thread.start`) waits for itself for ever: SIGTERM froze the command, and only a second
signal got it out, without its graceful part. So a command's handlers only note the
signal and write a byte to a pipe (`SignalRelay`); the work (setting events, ending
waits, the notice) runs on the relay's own thread.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from ..errors import Interrupted
from .common import EXIT_INTERRUPTED

if TYPE_CHECKING:
    from ..transport import Transport

__all__ = [
    "NOTICE_THREAD",
    "GracefulStop",
    "SignalRelay",
    "keep_exit_code",
    "program_signals",
    "signalled_before",
]

#: The name of the thread that writes the first signal's notice.
NOTICE_THREAD = "seotasks-stop-notice"
#: How long a stop waits at its end for its notice to be written (a stderr nobody reads).
NOTICE_WAIT = 2.0

#: The signal that came before a command took the signals over (`program_signals`).
_early: list[int] = []
#: Whether a command has taken the signals over once (a `SignalRelay` was entered).
_taken_over: list[bool] = []


def program_signals() -> None:
    """From the program's start until a command takes the signals over (`GracefulStop`):
    SIGTERM acts as SIGINT does, a `KeyboardInterrupt` the program turns into exit 5.

    A command starts up for a while before its `GracefulStop` (imports: dlt's take
    seconds on a busy machine; reading its input), and a scheduler may stop it then:
    SIGTERM killed it (-15, no message) and SIGINT during the parser's imports ended in
    a traceback (-2). A signal under a compiled module's initialisation is kept instead
    of raised (an exception raised in orjson's crashed the interpreter, -11): the next
    `GracefulStop` (or the receiver) starts stopped. So does one entered after a
    `KeyboardInterrupt` that Python dropped (raised inside a finalizer). A second signal
    ends the process at once (exit 5): raised too, it landed in the handling of the
    first (the program's "interrupted" line, `keep_exit_code`) and ended in a traceback.

    After a command's graceful stop is over (its handlers given back), its work is done
    and its exit code about to be decided (closing its client, its summary): a first
    signal then is only noted, or "interrupted" (exit 5) would stand for a run that
    finished, and a ``submit`` that had posted every spec would be run again.
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _before_the_command)


def signalled_before() -> int | None:
    """The signal that came before the command took the signals over, if one did."""
    return _early[0] if _early else None


def _before_the_command(signum: int, frame: FrameType | None) -> None:
    if _early:  # a second signal stops at once, raising nothing more to be caught
        _leave(EXIT_INTERRUPTED, "seotasks: interrupted")
    _early.append(signum)
    if not _taken_over and not _in_extension_init(frame):
        raise KeyboardInterrupt


#: The import machinery's calls that run a compiled module's initialisation.
_EXTENSION_LOADERS = ("ExtensionFileLoader.", "BuiltinImporter.")


def _in_extension_init(frame: FrameType | None) -> bool:
    """Whether ``frame`` runs under a compiled module's initialisation (Python code that
    the C code imports or calls): an exception raised there can crash the interpreter."""
    while frame is not None:
        if frame.f_code.co_qualname.startswith(_EXTENSION_LOADERS):
            return True
        frame = frame.f_back
    return False


#: The name of the thread that acts on SIGINT/SIGTERM for the main thread (`SignalRelay`).
RELAY_THREAD = "seotasks-signal-relay"


class SignalRelay:
    """While entered (on the main thread), SIGINT and SIGTERM call ``act(signum)`` on a
    thread of the relay's own, once per signal, in order.

    The handler itself calls ``note(signum)`` (which must take no lock; it may raise or
    end the process, and then nothing is relayed), writes the signal's number to a
    pipe, then calls ``after(signum)`` (no lock either; it may raise, the signal relayed);
    nothing else runs in signal context (see the module's docstring). Entered on
    another thread, it installs nothing: Python delivers signals to the main thread only.
    """

    def __init__(
        self,
        act: Callable[[int], object],
        note: Callable[[int], object] | None = None,
        after: Callable[[int], object] | None = None,
    ) -> None:
        self._act = act
        self._note = note
        self._after = after
        self._saved: dict[int, Any] = {}
        self._write_end: int | None = None

    def __enter__(self) -> SignalRelay:
        if threading.current_thread() is not threading.main_thread():
            return self
        _taken_over[:] = [True]
        read_end, self._write_end = os.pipe()
        os.set_blocking(self._write_end, False)  # a handler never blocks
        relay = threading.Thread(
            target=self._relay, args=(read_end,), name=RELAY_THREAD, daemon=True
        )
        relay.start()
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(restore=True)

    def close(self, *, restore: bool) -> None:
        """Stop relaying; ``restore``: give the signals their handlers back (else the
        handler stays, ``note`` only)."""
        if restore:
            for sig, handler in self._saved.items():
                signal.signal(sig, handler)
        self._saved.clear()
        if self._write_end is not None:
            os.close(self._write_end)  # the relay acts on what is left, then ends
            self._write_end = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._note is not None:
            self._note(signum)
        if self._write_end is not None:
            with contextlib.suppress(OSError):  # a full pipe: signals enough are queued
                os.write(self._write_end, bytes([signum]))
        if self._after is not None:  # relayed already: it may raise
            self._after(signum)

    def _relay(self, read_end: int) -> None:
        try:
            while chunk := os.read(read_end, 64):
                for signum in chunk:
                    self._act(signum)
        finally:
            os.close(read_end)


class GracefulStop:
    """A stop flag set by SIGINT/SIGTERM (while entered) or by `halt`.

    ``event`` is the flag the run's loops watch; ``signal`` is the number of the signal
    that set it (``None`` when `halt` did, or nothing did). ``notice``: a stream and a
    line written to it on the first signal. ``abort_reads``: the first signal also ends a
    main-thread wait for a vendor's answer (`Transport.main_reading`) with `Interrupted`,
    for a command whose every call may be dropped (a listing: the page was not yet
    written, its resume state stands before it), else a stalled vendor holds the stop for
    the whole read timeout (a minute; one dripping a byte a second, for ever). Never for
    a command whose answer may be a consuming read (``collect``: the vendor forgets the
    task as it answers). ``at_once``: an exit code and a line: a second
    signal writes the line to stderr and ends the process with the code, instead of raising
    `KeyboardInterrupt`; after a first signal the handler stays installed past the block, so
    a signal while the command reports its end exits the same way.
    """

    def __init__(
        self,
        *transports: Transport,
        notice: tuple[TextIO, str] | None = None,
        at_once: tuple[int, str] | None = None,
        abort_reads: bool = False,
    ) -> None:
        self.event = threading.Event()
        self.signal: int | None = None
        self._transports = transports
        self._notice = notice
        self._at_once = at_once
        after = self._abort_read if abort_reads else None
        self._relay = SignalRelay(self._act, note=self._note, after=after)
        #: Set once the notice is written (or could not be): `__exit__` waits for it.
        self._noticed = threading.Event()

    def __enter__(self) -> GracefulStop:
        self._relay.__enter__()
        if threading.current_thread() is threading.main_thread():
            early = signalled_before()
            if early is not None and self.signal is None:  # asked to stop already
                self.signal = early
                self._act(early)
        return self

    def __exit__(self, *exc: object) -> None:
        self._relay.close(restore=self._at_once is None or self.signal is None)
        if self.signal is not None and self._notice is not None:
            # The notice comes from other threads (the relay's, then its own): a run
            # whose calls ended at once reached its summary first, and on a busy machine
            # exited before the notice was written at all. Said first, then; a stderr
            # nobody reads holds the end for `NOTICE_WAIT` at most.
            self._noticed.wait(NOTICE_WAIT)

    @property
    def stopping(self) -> bool:
        # ``signal`` is set in the handler itself, the event a moment later by the relay.
        return self.signal is not None or self.event.is_set()

    def halt(self) -> None:
        """Stop taking work and end every transport wait (the calls in flight finish)."""
        self.event.set()
        for transport in self._transports:
            transport.interrupt.set()

    def _note(self, signum: int) -> None:
        """In signal context, no lock taken: the second signal ends the process
        (``at_once``) or raises `KeyboardInterrupt`, and is not relayed."""
        if self.signal is not None:
            if self._at_once is not None:
                _leave(*self._at_once)
            raise KeyboardInterrupt
        self.signal = signum

    def _abort_read(self, signum: int) -> None:
        """In signal context, the first signal relayed: a main-thread read ends now."""
        for transport in self._transports:
            endpoint = transport.main_reading
            if endpoint is not None:
                transport.main_reading = None  # one raise for one read
                raise Interrupted(
                    f"stopped by signal {signum} while waiting for the answer to {endpoint}"
                )

    def _act(self, signum: int) -> None:
        """On the relay's thread: the first signal's notice and stop."""
        if self._notice is not None:
            # A thread of its own: a stderr nobody reads must not hold the stop.
            threading.Thread(
                target=_say, args=(*self._notice, self._noticed), name=NOTICE_THREAD, daemon=True
            ).start()
        self.halt()


def _say(stream: TextIO, line: str, said: threading.Event) -> None:
    try:
        with contextlib.suppress(OSError, ValueError):  # a closed stderr: nobody to tell
            # On a terminal, erase a status line being drawn (`StatusLine`) rather than
            # append to it; the next one is drawn below.
            stream.write(("\r\x1b[K" if stream.isatty() else "") + line + "\n")
            stream.flush()
    finally:
        said.set()


def _leave(code: int, line: str) -> NoReturn:
    """End the process now with ``code``, after ``line`` on stderr: written to the file
    descriptor, since the handler may have cut a write to ``sys.stderr`` short (a reentrant
    write fails), and what stdout holds is flushed, as `keep_exit_code` does."""
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    with contextlib.suppress(OSError):
        os.write(2, (line + "\n").encode())
    os._exit(code)


def keep_exit_code(code: int) -> None:
    """From now on, SIGINT or SIGTERM ends the process at once with ``code``.

    Called once the command is over and its exit code decided (its output written, its
    summary said). The interpreter may still be joining threads on its way out (the
    workers of a stopped run finishing the calls in flight), and a signal there raised
    `KeyboardInterrupt` outside every handler: Python then reports death by SIGINT
    (-2, 130 in a shell) instead of the documented 5, and SIGTERM killed it (-15). The
    run's own code is the truth; a signal now only skips those waits.
    """

    def leave(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(Exception):  # in the middle of a flush: it is lost anyway
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, leave)
    # The threads are joined before the interpreter's exit functions run, and after
    # them it puts every Python handler back to the system default before tearing
    # its modules down (a while, on a busy machine): a signal there killed the
    # process (-2, -15) after all. Ignored signals stay ignored through that.
    atexit.register(_ignore_signals)


def _ignore_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
