"""Running ``seotasks`` in the test process: its `main`, with the environment, streams,
logging and signal handlers a fresh process would give it, restored afterwards.

A subprocess costs about 0.3 s of CPU to start (the interpreter, then the library, the
plugins and urllib3 imported again); the suites run the command over a thousand times,
so on a 2-core machine the start-ups were most of the unit suite's time. A test about
what the command *does* (its output, its exit code, the files it writes) runs it here
instead; a test about the *process* (a signal, a kill, start-up imports, a plugin set
chosen by environment at import) starts `clirun.CLI` as a subprocess.

What makes the two alike, and why each matters:

- ``os.environ`` is replaced by the test's environment for the call: the command reads
  its settings, profile path and state folder from it when it runs; `tempfile` forgets
  the folder it chose, so ``TMPDIR`` counts.
- stdout and stderr are unnamed temporary *files*, not `io.StringIO`: the command asks
  for their descriptor (to tell a pipe its reader left, to point a closed stdout at
  /dev/null), and a regular file answers as a drained pipe does ("taken"). They are not
  terminals, as a captured subprocess's are not. Encodings and error handlers are those
  of a subprocess whose output is piped: UTF-8 strict on stdout, backslashreplace on
  stderr.
- The emulators serve from threads of this same process: what those threads write to
  ``sys.stderr`` (socketserver's report of a client that hung up, an emulator bug's
  trace, a log line) goes to the test's own stream, as it would from the emulator's
  process were it another one, not into the command's captured output (`_Routed`).
- The root logger has no handler during the call, as in a fresh process: a warning the
  command logs reaches stderr through logging's last resort (so "one line on stderr"
  still counts it), and ``--debug``'s `logging.basicConfig` takes effect. Handlers,
  levels and the loggers' levels are restored after.
- Warnings are filtered as a fresh interpreter filters them (deprecations and
  unclosed resources ignored, the rest shown once) and shown on stderr, not collected
  by pytest.
- The plugin registry is a fresh one, loaded under the call's environment (so
  ``SEOTASKS_LOAD_PLUGINS`` chooses the plugins, as at a process's start); the test's
  own registry (a fake vendor registered, say) is put back after.
- SIGINT and SIGTERM handlers, and the working directory, are restored after.
- `SystemExit` (argparse's usage errors, ``--version``) becomes the exit code, as the
  interpreter makes it. Any other exception propagates and fails the test: a real run
  would print a traceback and exit 1, which every caller treats as a failure too.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any, TextIO, cast

from seotasks import plugins, transport
from seotasks.cli import main
from seotasks.clock import ScaledClock

__all__ = ["run_here"]


def _stream(errors: str) -> TextIO:
    return io.TextIOWrapper(
        tempfile.TemporaryFile(), encoding="utf-8", errors=errors, write_through=True
    )


def _serving() -> bool:
    """Whether this thread is an emulator's: its `EmulatorServer` loop (named
    ``emulator-<url>``) or a request handler socketserver started for it."""
    name = threading.current_thread().name
    return name.startswith("emulator-") or name.endswith("(process_request_thread)")


class _Routed:
    """``sys.stdout`` or ``sys.stderr`` during the call: the command's capture, except
    for writes from an emulator's threads, which go where they went before."""

    def __init__(self, capture: TextIO, before: TextIO) -> None:
        self._capture = capture
        self._before = before

    def write(self, text: str) -> int:
        return (self._before if _serving() else self._capture).write(text)

    def flush(self) -> None:
        (self._before if _serving() else self._capture).flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._capture, name)


def _read(stream: TextIO) -> str:
    stream.flush()
    raw = stream.buffer
    raw.seek(0)
    return raw.read().decode("utf-8", errors="surrogateescape")


@contextmanager
def _environ(env: Mapping[str, str]) -> Iterator[None]:
    saved, tempdir = dict(os.environ), tempfile.tempdir
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = None  # read again from TMPDIR, as a new process does
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        tempfile.tempdir = tempdir


def _loggers() -> list[logging.Logger]:
    named = logging.Logger.manager.loggerDict.values()
    return [logging.getLogger(), *(x for x in named if isinstance(x, logging.Logger))]


@contextmanager
def _fresh_logging() -> Iterator[None]:
    """Root without handlers at WARNING during the call; every logger's handlers, level
    and propagation as they were after it (a logger the call made: back to its default)."""
    saved = {id(x): (x.handlers[:], x.level, x.propagate) for x in _loggers()}
    root = logging.getLogger()
    root.handlers = []
    root.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger in _loggers():
            handlers, level, propagate = saved.get(id(logger), ([], logging.NOTSET, True))
            for handler in logger.handlers:
                if handler not in handlers:
                    handler.close()
            logger.handlers = handlers
            logger.setLevel(level)
            logger.propagate = propagate


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


@contextmanager
def _shown_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.resetwarnings()
        # The interpreter's default filters (`sys.warnoptions` empty), last first.
        for category in (ResourceWarning, ImportWarning, PendingDeprecationWarning):
            warnings.simplefilter("ignore", category)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
        warnings.showwarning = _show_warning
        yield


@contextmanager
def _kept_handlers() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    cwd = os.getcwd()
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        os.chdir(cwd)


@contextmanager
def _fresh_plugins() -> Iterator[None]:
    saved = plugins._state
    plugins.reset()
    try:
        yield
    finally:
        plugins._state = saved


@contextmanager
def _clock(speed: float | None) -> Iterator[None]:
    """Every client's clock ``speed`` times faster, as `fastclock_cli` makes it."""
    if speed is None:
        yield
        return
    real = vars(transport)["SystemClock"]
    vars(transport)["SystemClock"] = lambda: ScaledClock(speed)
    try:
        yield
    finally:
        vars(transport)["SystemClock"] = real


def run_here(
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    speed: float | None = None,
    cwd: str | os.PathLike[str] | None = None,
    **_: Any,
) -> subprocess.CompletedProcess[str]:
    """``seotasks *args`` in this process (in folder ``cwd``, if given), its exit code and
    output captured, in the shape `subprocess.run` returns (extra keywords, such as its
    hang guard ``timeout``, are accepted and unused: pytest's own timeout guards a hang
    here)."""
    out, err = _stream("strict"), _stream("backslashreplace")
    stdin = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with ExitStack() as stack:
        stack.enter_context(_environ(env))
        stack.enter_context(_fresh_logging())
        stack.enter_context(_shown_warnings())
        stack.enter_context(_kept_handlers())
        if cwd is not None:
            os.chdir(cwd)
        stack.enter_context(_fresh_plugins())
        stack.enter_context(_clock(speed))
        saved = sys.stdin, sys.stdout, sys.stderr
        sys.stdin = stdin
        sys.stdout = cast(TextIO, _Routed(out, saved[1]))
        sys.stderr = cast(TextIO, _Routed(err, saved[2]))
        try:
            code: object = main(list(args))
        except SystemExit as exc:
            code = exc.code
        finally:
            sys.stdin, sys.stdout, sys.stderr = saved
    if code is None:
        code = 0
    elif not isinstance(code, int):
        err.write(f"{code}\n")
        code = 1
    texts = _read(out), _read(err)
    out.close()
    err.close()
    return subprocess.CompletedProcess(list(args), code, *texts)
