"""What runs in a process `forkrun` forks: the start a fresh interpreter would make
(its standard streams, environment, folder, import path), the program, and its end;
and the ``preexec_fn`` helpers that a fork can take (they pickle, as closures do not).
"""

from __future__ import annotations

import atexit
import functools
import gc
import io
import os
import resource
import runpy
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable

__all__ = ["capped_files", "closing", "main"]


def capped_files(limit: int) -> Callable[[], None]:
    """A ``preexec_fn``: every file the process writes stops at ``limit`` bytes (the write
    fails with EFBIG, as on a disk that filled up; SIGXFSZ ignored, so the process lives
    on to say so). A forked process takes it too, as a closure would not pickle."""
    return functools.partial(_cap_files, limit)


def _cap_files(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def closing(fd: int) -> Callable[[], None]:
    """A ``preexec_fn``: descriptor ``fd`` closed, as ``>&-`` (1) or ``2>&-`` leaves it
    (Python then starts with that stream ``None``), forked or not."""
    return functools.partial(os.close, fd)


def _stdio() -> None:
    """The standard streams made again as the interpreter makes them at its start, for
    this environment and these files: buffered unless ``PYTHONUNBUFFERED``, stderr (and
    a terminal) line by line, ``PYTHONIOENCODING`` applied."""
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
    encoding, _, errors = os.environ.get("PYTHONIOENCODING", "").partition(":")
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own stdin
    for fd, name in ((1, "stdout"), (2, "stderr")):
        old = getattr(sys, name)
        try:
            raw = io.FileIO(fd, "w", closefd=False)
        except OSError:  # closed: Python starts with no such stream
            setattr(sys, name, None)
            setattr(sys, f"__{name}__", None)
            continue
        stream = io.TextIOWrapper(
            raw if unbuffered else io.BufferedWriter(raw),
            encoding=encoding or old.encoding,
            errors=errors or old.errors,
            line_buffering=not unbuffered and (fd == 2 or raw.isatty()),
            write_through=unbuffered,
        )
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _said() -> None:
    """The exception's traceback on stderr, as the interpreter prints it (unless stderr
    was closed from the start)."""
    if sys.stderr is not None:
        traceback.print_exc()


def main(
    program: list[str],
    env: dict[str, str],
    cwd: str | None,
    streams: tuple[int, int, int],
    path: list[str],
    preexec: Callable[[], None] | None,
) -> None:
    """The child: the standard streams, environment and folder set, then the program run
    as ``python PROGRAM...`` runs it, and the interpreter's exit.

    What the child has from the server (the preloaded modules: some 90 000 objects with
    dlt's) is put out of the collector's reach (`gc.freeze`): none of it
    is garbage, and every full collection of the run would walk it all, copying each of
    the server's pages it touched into the child. The run's own objects are collected
    as in any process."""
    gc.freeze()
    for target, fd in enumerate(streams):
        if fd != target:
            os.dup2(fd, target)
            os.close(fd)
    os.environ.clear()
    os.environ.update(env)
    if preexec is not None:
        preexec()  # where `subprocess` runs it: before the interpreter starts
    _stdio()
    tempfile.tempdir = None  # read from TMPDIR again
    if cwd is not None:
        os.chdir(cwd)
    sys.dont_write_bytecode = bool(env.get("PYTHONDONTWRITEBYTECODE"))
    first = os.getcwd() if program[0] == "-m" else os.path.dirname(os.path.abspath(program[0]))
    sys.path[:] = [first, *path]  # as ``python -m`` or ``python SCRIPT`` starts
    code: int = 0
    interrupted = False
    try:
        if program[0] == "-m":
            sys.argv = [program[1], *program[2:]]
            runpy.run_module(program[1], run_name="__main__", alter_sys=True)
        else:
            sys.argv = list(program)
            runpy.run_path(program[0], run_name="__main__")
    except SystemExit as stop:
        if stop.code is None:
            code = 0
        elif isinstance(stop.code, int):
            code = stop.code
        else:
            print(stop.code, file=sys.stderr)
            code = 1
    except KeyboardInterrupt:
        _said()
        interrupted = True  # the interpreter ends by SIGINT itself then
    except BaseException:
        _said()
        code = 1
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue  # started closed
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120  # as the interpreter exits when its stdout cannot flush
    if interrupted:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    os._exit(code)
