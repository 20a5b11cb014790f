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
memory (the server's pages are counted as the child's), and its children share one
hash seed (the server's) where cold ones draw their own: the suites that are about
these start the real interpreter, and ``SEOTASKS_TEST_COLD=1`` starts
every process so (`subprocess`), to check that the suites pass the same either way.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from multiprocessing import reduction
from pathlib import Path
from typing import IO, Any

import forkchild

#: ``preexec_fn`` helpers a fork takes too (`forkchild`).
capped_files, closing = forkchild.capped_files, forkchild.closing
#: Passed for a stream: a pipe the test reads, as `subprocess.PIPE`.
PIPE = subprocess.PIPE
#: Passed for a stream: nothing kept, as `subprocess.DEVNULL`.
DEVNULL = subprocess.DEVNULL

_CONTEXT = multiprocessing.get_context("forkserver")
_lock = threading.Lock()
#: The interpreter's start as the fork server had it: the ``PYTHON*`` variables that
#: shape it, and the import path after its first entry (a child's first is its own).
_server: tuple[dict[str, str], list[str]] | None = None
#: Variables a child applies itself (`forkchild.main`): any other ``PYTHON*`` variable
#: unlike the server's (``PYTHONPATH``, ``PYTHONWARNINGS``...) makes a cold start.
_APPLIED = frozenset({"PYTHONUNBUFFERED", "PYTHONIOENCODING", "PYTHONDONTWRITEBYTECODE"})


def _shaping(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith("PYTHON") and k not in _APPLIED}


def _start_server(preload: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """The fork server's settings, on the first start: what it imports, and the import
    path a cold start of this interpreter gets (asked of one)."""
    global _server
    with _lock:
        if _server is None:
            _CONTEXT.set_forkserver_preload(list(preload))
            asked = subprocess.run(
                [sys.executable, "-c", "import sys, json; print(json.dumps(sys.path[1:]))"],
                env=dict(os.environ),
                stdin=DEVNULL,
                capture_output=True,
                text=True,
                check=True,
            )
            _server = _shaping(os.environ), json.loads(asked.stdout)
        return _server


def _picklable(preexec: Callable[[], None]) -> bool:
    try:
        pickle.dumps(preexec)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


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
        """As `subprocess.Popen.send_signal`: nothing once the process is known to have
        ended, nor when it ended a moment ago (the fork server reaped it, and its exit
        has not reached this process yet)."""
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def communicate(self, input: None = None, timeout: float | None = None) -> tuple[Any, Any]:
        """Both pipes read to their end (each on a thread, so neither fills and blocks
        the child), then the exit waited for. (A fork's stdin is empty: no ``input``.)"""
        read: dict[str, Any] = {}
        readers = [
            threading.Thread(target=lambda n=name, s=stream: read.__setitem__(n, s.read()))
            for name, stream in (("out", self.stdout), ("err", self.stderr))
            if stream is not None and not stream.closed  # a pipe the test closed: unread
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
    preload: Sequence[str],
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    stdout: int | IO[Any] | None = None,
    stderr: int | IO[Any] | None = None,
    text: bool = False,
    fork: bool = True,
    **cold_only: Any,
) -> Started:
    """``command`` started, taking `subprocess.Popen`'s arguments: forked warm from the
    server that imported ``preload`` (the first call's list serves the whole test
    process) where it is this interpreter running a module or script and asks nothing
    but its environment, folder and output streams; else (or with
    ``SEOTASKS_TEST_COLD=1``, or ``fork=False``: a process whose memory is measured) by
    `subprocess.Popen` itself: a ``preexec_fn``, say, or an environment whose ``PYTHON*``
    variables would start the interpreter otherwise than the server started."""
    environment = dict(os.environ if env is None else env)
    program = _program(command)
    cold_only = {name: value for name, value in cold_only.items() if value is not None}
    preexec = cold_only.pop("preexec_fn", None)
    if preexec is not None and not _picklable(preexec):
        cold_only["preexec_fn"], preexec = preexec, None  # a closure: `subprocess` runs it
    path: list[str] = []
    fork = fork and program is not None and not cold() and not cold_only
    if fork:
        shaping, path = _start_server(preload)
        fork = _shaping(environment) == shaping  # else this start is not the server's
    if not fork:
        cold_only.setdefault("stdin", DEVNULL)
        cold_only.setdefault("preexec_fn", preexec)
        return subprocess.Popen(
            list(command),
            env=environment,
            cwd=cwd,
            stdout=stdout,
            stderr=stderr,
            text=text,
            **cold_only,
        )
    stdin = os.open(os.devnull, os.O_RDONLY)  # never the test runner's own
    opened: list[int] = [stdin]
    given: list[int] = [stdin]
    ends: list[IO[Any] | None] = [None]
    for choice, inherit in ((stdout, 1), (stderr, 2)):
        if inherit == 2 and choice == subprocess.STDOUT:
            given.append(given[1])
            ends.append(None)
            continue
        fd, end, ours = _stream(choice, inherit, text)
        given.append(fd)
        ends.append(end)
        if ours:
            opened.append(fd)
    fds = tuple(_Fd(fd) for fd in given)
    process = _CONTEXT.Process(
        target=forkchild.main,
        args=(program, environment, None if cwd is None else os.fspath(cwd), fds, path, preexec),
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
    preload: Sequence[str],
    capture_output: bool = False,
    timeout: float | None = None,
    check: bool = False,
    stdout: int | IO[Any] | None = None,
    stderr: int | IO[Any] | None = None,
    **options: Any,
) -> subprocess.CompletedProcess[Any]:
    """`popen` run to its end, taking `subprocess.run`'s arguments (``capture_output``
    pipes both streams; ``check`` raises `subprocess.CalledProcessError` on a non-zero
    exit; ``input`` starts the process cold)."""
    if capture_output:
        stdout = stderr = PIPE
    given = options.pop("input", None)
    if given is not None:
        options["stdin"] = PIPE  # a fork's stdin is empty: this one starts cold
    started = popen(command, preload=preload, stdout=stdout, stderr=stderr, **options)
    try:
        if isinstance(started, Forked):
            out, err = started.communicate(timeout=timeout)
        else:
            out, err = started.communicate(given, timeout=timeout)
    except subprocess.TimeoutExpired:
        started.kill()
        started.communicate()
        raise
    code = started.returncode
    assert code is not None
    if check and code:
        raise subprocess.CalledProcessError(code, list(command), out, err)
    return subprocess.CompletedProcess(list(command), code, out, err)


__all__ = [
    "DEVNULL",
    "PIPE",
    "Forked",
    "Started",
    "capped_files",
    "closing",
    "cold",
    "popen",
    "run",
]
