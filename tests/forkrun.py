"""The command's process, started warm: forked from a server that has imported it already.

A test about the process of ``seotasks`` (killed at a random instant, signalled, holding
a lock another run waits for) needs a process of its own, and a fresh interpreter
spends most of a short run importing: dlt alone is half a second of CPU, the plugins and
the command's modules more, and the suites start a few hundred such processes. Here they
are forked from one `multiprocessing` fork server per test process, which has imported
the modules named by `popen`'s ``preload``. The child is a process like any other (its
own pid, killed or signalled as the test chooses, its exit status the one a plain start
would give: the code it exits with, or minus the signal that ended it); it runs the
command's ``-m`` module or script as ``python`` would, with the environment, folder and
standard streams asked (stdin empty, as every start here gives it), and ends as the interpreter ends (other threads joined, `atexit`
run, streams flushed).

What a fork cannot test is the command's own start (imports, the entry point) or its
memory (the server's pages are counted as the child's): the suites that are about them
start the real interpreter, and ``SEOTASKS_TEST_COLD=1`` starts
every process so (`subprocess`), to check that the suites pass the same either way.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import runpy
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Mapping, Sequence
from multiprocessing import reduction
from pathlib import Path
from typing import IO, Any

#: Passed for a stream: a pipe the test reads, as `subprocess.PIPE`.
PIPE = subprocess.PIPE
#: Passed for a stream: nothing kept, as `subprocess.DEVNULL`.
DEVNULL = subprocess.DEVNULL

_CONTEXT = multiprocessing.get_context("forkserver")
_started_with: tuple[str, ...] | None = None
_lock = threading.Lock()


def cold() -> bool:
    """Whether every process starts as a fresh interpreter (``SEOTASKS_TEST_COLD=1``)."""
    return os.environ.get("SEOTASKS_TEST_COLD") == "1"


class _Fd:
    """A file descriptor handed to the child: `multiprocessing` sends a copy with the
    request (its `DupFd`), and the child gets its own number for it."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __reduce__(self) -> tuple[Any, tuple[Any]]:
        return _inherited, (reduction.DupFd(self.fd),)


def _inherited(dup: Any) -> int:
    fd: int = dup.detach()
    return fd


def _main(
    program: list[str],
    env: dict[str, str],
    cwd: str | None,
    streams: tuple[int, int, int],
) -> None:
    """The child: the standard streams, environment and folder set, then the program run
    as ``python PROGRAM...`` runs it, and the interpreter's exit."""
    for target, fd in enumerate(streams):
        if fd != target:
            os.dup2(fd, target)
            os.close(fd)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own stdin
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = None  # read from TMPDIR again
    if cwd is not None:
        os.chdir(cwd)
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
        traceback.print_exc()
        interrupted = True  # the interpreter ends by SIGINT itself then
    except BaseException:
        traceback.print_exc()
        code = 1
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120  # as the interpreter exits when its stdout cannot flush
    if interrupted:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    os._exit(code)


def _program(command: Sequence[str]) -> list[str] | None:
    """``command`` without its interpreter, where it is ``python -m MODULE ...`` or
    ``python SCRIPT ...`` run by this interpreter; else None (started cold)."""
    if len(command) < 2 or command[0] != sys.executable:
        return None
    if command[1] == "-m" and len(command) >= 3:
        return list(command[1:])
    if command[1].endswith(".py") and Path(command[1]).is_file():
        return list(command[1:])
    return None


class Forked:
    """A forked command, as much of `subprocess.Popen` as the suites use."""

    def __init__(
        self,
        process: multiprocessing.process.BaseProcess,
        stdout: IO[Any] | None,
        stderr: IO[Any] | None,
    ) -> None:
        self._process = process
        self.stdout = stdout
        self.stderr = stderr
        self.pid: int = process.pid or 0
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and self._process.exitcode is not None:
            self.returncode = self._process.exitcode
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        code = self.poll()
        if code is None:
            raise subprocess.TimeoutExpired(["forked"], timeout or 0.0)
        return code

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def communicate(self, timeout: float | None = None) -> tuple[Any, Any]:
        """Both pipes read to their end (each on a thread, so neither fills and blocks
        the child), then the exit waited for."""
        read: dict[str, Any] = {}
        readers = [
            threading.Thread(target=lambda n=name, s=stream: read.__setitem__(n, s.read()))
            for name, stream in (("out", self.stdout), ("err", self.stderr))
            if stream is not None
        ]
        for reader in readers:
            reader.daemon = True
            reader.start()
        for reader in readers:
            reader.join(timeout)
            if reader.is_alive():
                raise subprocess.TimeoutExpired(["forked"], timeout or 0.0)
        self.wait(timeout)
        for stream in (self.stdout, self.stderr):
            if stream is not None:
                stream.close()
        return read.get("out"), read.get("err")

    def __enter__(self) -> Forked:
        return self

    def __exit__(self, *exc: object) -> None:
        for stream in (self.stdout, self.stderr):
            if stream is not None:
                stream.close()
        self.wait()


#: What `popen` returns: a forked process, or a cold one.
Started = Forked | subprocess.Popen[Any]


def _stream(
    choice: int | IO[Any] | None, inherit: int, text: bool
) -> tuple[int, IO[Any] | None, bool]:
    """(the fd the child gets, the test's end of a pipe, whether the fd is ours to close)."""
    if choice is None:
        return inherit, None, False
    if choice == DEVNULL:
        return os.open(os.devnull, os.O_RDWR), None, True
    if choice == PIPE:
        read, write = os.pipe()
        end: IO[Any] = open(read, "r" if text else "rb")  # noqa: SIM115 - returned
        return write, end, True
    if isinstance(choice, int):
        return choice, None, False
    return choice.fileno(), None, False


def popen(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    preload: Sequence[str],
    cwd: str | os.PathLike[str] | None = None,
    stdout: int | IO[Any] | None = None,
    stderr: int | IO[Any] | None = None,
    text: bool = False,
) -> Started:
    """``command`` started: forked warm from the server that imported ``preload`` (the
    first call's list serves the whole test process) where it is this interpreter
    running a module or script, else (or ``SEOTASKS_TEST_COLD=1``) as `subprocess.Popen`."""
    program = _program(command)
    if program is None or cold():
        return subprocess.Popen(
            list(command),
            env=dict(env),
            cwd=cwd,
            stdin=DEVNULL,
            stdout=stdout,
            stderr=stderr,
            text=text,
        )
    global _started_with
    with _lock:
        if _started_with is None:
            _CONTEXT.set_forkserver_preload(list(preload))
            _started_with = tuple(preload)
    opened: list[int] = []
    given: list[int] = []
    ends: list[IO[Any] | None] = []
    for choice, inherit in ((None, 0), (stdout, 1), (stderr, 2)):
        fd, end, ours = _stream(choice, inherit, text)
        given.append(fd)
        ends.append(end)
        if ours:
            opened.append(fd)
    if given[0] == 0:  # stdin: never the test runner's own
        given[0] = os.open(os.devnull, os.O_RDONLY)
        opened.append(given[0])
    fds = tuple(_Fd(fd) for fd in given)
    process = _CONTEXT.Process(
        target=_main,
        args=(program, dict(env), None if cwd is None else os.fspath(cwd), fds),
        daemon=False,
    )
    try:
        process.start()
    finally:
        for fd in opened:
            os.close(fd)
    return Forked(process, ends[1], ends[2])


def run(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    preload: Sequence[str],
    cwd: str | os.PathLike[str] | None = None,
    capture_output: bool = False,
    text: bool = False,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[Any]:
    """`popen` run to its end, as `subprocess.run` (``capture_output`` pipes both streams)."""
    pipe = PIPE if capture_output else None
    started = popen(command, env=env, preload=preload, cwd=cwd, stdout=pipe, stderr=pipe, text=text)
    out, err = started.communicate(timeout=timeout)
    code = started.returncode
    assert code is not None
    return subprocess.CompletedProcess(list(command), code, out, err)


__all__ = ["DEVNULL", "PIPE", "Forked", "Started", "cold", "popen", "run"]
