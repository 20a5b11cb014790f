"""`GracefulStop`: the first signal stops the intake and says so at once; a second one
raises `KeyboardInterrupt`. In this process, with real signals."""

from __future__ import annotations

import errno
import io
import os
import pty
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from clirun import CLI, cli_env, popen, run_process

from seotasks.cli.signals import NOTICE_THREAD, GracefulStop

#: Only guards against a hang: each wait below ends as soon as what it waits for happened.
HANG = 60.0


def _signal_self(stop: GracefulStop) -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    assert stop.event.wait(HANG)  # the handler has run (between two bytecodes of this thread)


def _quiet_threads() -> None:
    """Wait for the notice thread (started by the handler) to finish writing."""
    for thread in threading.enumerate():
        if thread.name == NOTICE_THREAD:
            thread.join(HANG)
            assert not thread.is_alive(), "the notice thread never finished"


def _read_line(primary: int) -> bytes:
    """What the terminal shows, up to the end of the first line the program ended. A
    write to a pseudo-terminal reaches its primary side later, from a kernel worker: one
    read right after the write returns only what that worker had passed on, on a busy
    machine not yet the notice."""
    shown = b""
    while not shown.endswith(b"\n"):
        ready, _, _ = select.select([primary], [], [], HANG)
        assert ready, f"the terminal showed no whole line: {shown!r}"
        shown += os.read(primary, 4096)
    return shown


def test_the_first_signal_is_announced_once_and_the_second_interrupts() -> None:
    before = signal.getsignal(signal.SIGTERM)
    err = io.StringIO()
    with GracefulStop(notice=(err, "seotasks x: stopping")) as stop:
        _signal_self(stop)
        _quiet_threads()
        assert stop.signal == signal.SIGTERM and stop.stopping
        assert err.getvalue() == "seotasks x: stopping\n"
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            threading.Event().wait(HANG)  # the handler raises here, at the latest
    assert err.getvalue() == "seotasks x: stopping\n"  # said once only
    assert signal.getsignal(signal.SIGTERM) == before  # the handler is given back


def test_on_a_terminal_the_notice_erases_the_status_line_first() -> None:
    """A status line drawn with carriage returns (collect's progress) is erased, not
    continued: the notice stands on a line of its own."""
    primary, secondary = pty.openpty()
    with os.fdopen(secondary, "w") as terminal:
        terminal.write("\rseotasks: collected 5, failed 0, 10/min")
        terminal.flush()
        with GracefulStop(notice=(terminal, "seotasks x: stopping")) as stop:
            _signal_self(stop)
            _quiet_threads()
        shown = _read_line(primary)
    os.close(primary)
    assert shown.endswith(b"10/min\r\x1b[Kseotasks x: stopping\r\n"), shown


def test_a_closed_stream_is_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """stderr closed (its reader gone): the stop goes on, and the notice thread does not
    die with a traceback."""
    raised: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda hook: raised.append(hook.exc_value))
    err = io.StringIO()
    err.close()
    with GracefulStop(notice=(err, "seotasks x: stopping")) as stop:
        _signal_self(stop)
        _quiet_threads()
    assert stop.stopping and raised == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_interpreter_winds_down_keeps_the_exit_code(sig: int) -> None:
    """After the command, Python joins the threads still running (a stopped run's workers
    finishing their calls). A signal there raised `KeyboardInterrupt` outside every
    handler: the process died by SIGINT (-2; SIGTERM: -15) instead of the documented
    exit code. `keep_exit_code` keeps the command's own."""
    script = (
        "import sys, threading\n"
        "from seotasks.cli.signals import keep_exit_code\n"
        "keep_exit_code(5)\n"
        "threading.Thread(target=threading.Event().wait, args=(60,)).start()\n"
        "print('winding down', flush=True)\n"
        "sys.exit(5)\n"
    )
    with popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as child:
        assert child.stdout is not None
        assert child.stdout.readline() == b"winding down\n"
        child.send_signal(sig)
        _, stderr = child.communicate(timeout=30)
    assert child.returncode == 5, stderr.decode()
    assert b"Traceback" not in stderr


def test_the_program_keeps_its_exit_code_through_the_wind_down() -> None:
    """The ``seotasks`` script and ``python -m seotasks.cli`` both go through `run`."""
    from importlib.metadata import entry_points

    [script] = [e for e in entry_points(group="console_scripts") if e.name == "seotasks"]
    assert script.value == "seotasks.cli:run"
    source = (Path(__file__).parents[1] / "src/seotasks/cli/__main__.py").read_text()
    assert "run()" in source and "main()" not in source


#: The real program (`seotasks.cli.run`) with an object that takes a while to finalize
#: as the interpreter tears its modules down: what a busy machine makes of the many
#: modules a run imports.
_SLOW_TEARDOWN = """
import sys, time
from seotasks.cli import run


class SlowTeardown:
    def __del__(self):
        print("tearing down", flush=True)
        time.sleep(1)


kept = SlowTeardown()
sys.argv = ["seotasks", "providers", "--format", "json"]
run()
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_interpreter_tears_down_keeps_the_exit_code(sig: int) -> None:
    """After the exit functions, Python gives every signal back its system default
    before it tears the modules down: a signal then killed the process (-2, -15) whose
    command had succeeded. Ignored signals stay ignored there."""
    with popen(
        [sys.executable, "-c", _SLOW_TEARDOWN], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            if line == b"tearing down\n":
                break
        child.send_signal(sig)
        _, stderr = child.communicate(timeout=30)
    assert child.returncode == 0, stderr.decode()


def _open_for_writing_once_read(fifo: Path, child: subprocess.Popen[bytes]) -> int:
    """The writing end of ``fifo``, once ``child`` has opened it to read."""
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:  # ENXIO: nobody reads it yet
            assert exc.errno == errno.ENXIO, exc
            assert child.poll() is None, child.communicate()
            time.sleep(0.01)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_before_the_command_takes_over_is_an_interruption(
    tmp_path: Path, sig: int
) -> None:
    """A command stopped while it starts up (here ``submit`` reading its specs, before
    its graceful stop is in place) says so and exits 5: SIGTERM killed it (-15)."""
    fifo = tmp_path / "specs.jsonl"
    os.mkfifo(fifo)
    command = [*CLI, "submit", "-p", "dataforseo", str(fifo)]
    with popen(
        command, env=cli_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as child:
        writer = _open_for_writing_once_read(fifo, child)
        try:
            child.send_signal(sig)
            out, err = child.communicate(timeout=60)
        finally:
            os.close(writer)
    assert (child.returncode, out, err) == (5, b"", b"seotasks: interrupted\n")


#: The program's early handling (`program_signals`), then an import during which the
#: process is signalled (as a scheduler's SIGTERM lands in a command's lazy imports),
#: then a command's `GracefulStop`.
_SIGNAL_IN_IMPORT = """
import sys
from seotasks.cli.signals import GracefulStop, program_signals

program_signals()
sys.path.insert(0, sys.argv[1])
try:
    __import__(sys.argv[2])
except KeyboardInterrupt:
    print("interrupted")
else:
    with GracefulStop() as stop:
        print("imported", stop.stopping, stop.signal)
"""

#: A module that signals its own process while it is being imported, then goes on.
_SIGNALLING = """
import os, signal, threading

os.kill(os.getpid(), signal.SIGTERM)
threading.Event().wait(0.2)  # the handler runs here, under the import
"""


def _import_signalled(folder: Path, module: str) -> str:
    done = run_process(
        [sys.executable, "-c", _SIGNAL_IN_IMPORT, str(folder), module],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_signal_during_a_compiled_module_init_is_kept_for_the_graceful_stop(
    tmp_path: Path,
) -> None:
    """A `KeyboardInterrupt` raised under a C extension's initialisation (here
    ``_elementtree``'s, which imports ``xml.etree.ElementPath``) can crash the interpreter
    (-11, orjson's did): the signal is kept, the import finishes, and the command's
    graceful stop starts stopped."""
    etree = tmp_path / "xml" / "etree"
    etree.mkdir(parents=True)
    (tmp_path / "xml" / "__init__.py").write_text("")
    (etree / "__init__.py").write_text("")
    (etree / "ElementPath.py").write_text(_SIGNALLING)
    assert _import_signalled(tmp_path, "_elementtree") == f"imported True {signal.SIGTERM}\n"


def test_a_signal_during_a_python_import_interrupts_it(tmp_path: Path) -> None:
    """A Python module's import is interrupted at once, as SIGINT's default does: dlt's
    imports take seconds on a busy machine, and a stop waiting for them could outlast a
    scheduler's grace period."""
    (tmp_path / "signalling.py").write_text(_SIGNALLING + "threading.Event().wait(120)\n")
    assert _import_signalled(tmp_path, "signalling") == "interrupted\n"


#: The program's early handling, and a second signal while the first one's
#: `KeyboardInterrupt` is being handled (the program writing "interrupted", say).
_TWO_SIGNALS_EARLY = """
import os, signal, threading
from seotasks.cli.signals import program_signals

program_signals()
try:
    os.kill(os.getpid(), signal.SIGTERM)
    threading.Event().wait(30)
except KeyboardInterrupt:
    os.kill(os.getpid(), signal.SIGINT)
    threading.Event().wait(30)
print("not stopped")
"""


def test_a_second_signal_before_the_command_takes_over_stops_at_once() -> None:
    """Raised as well, the second `KeyboardInterrupt` landed in the handling of the first
    and ended in a traceback (-2)."""
    done = run_process(
        [sys.executable, "-c", _TWO_SIGNALS_EARLY],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (5, "", "seotasks: interrupted\n")


#: A main thread busy in `Event.wait` (the pacing waits of `seotasks tasks`) while SIGTERM
#: arrives, again and again: the handler must not take the lock that thread holds.
_BUSY_WAITS = """
import os, random, signal, sys, threading
from seotasks.cli.signals import GracefulStop

class Transport:  # what GracefulStop needs of one
    def __init__(self):
        self.interrupt = threading.Event()

rng = random.Random(1)
for _ in range(100):
    transport = Transport()
    with GracefulStop(transport) as stop:
        kill = (os.getpid(), signal.SIGTERM)
        threading.Timer(rng.uniform(0.0005, 0.005), os.kill, kill).start()
        while not transport.interrupt.is_set():
            transport.interrupt.wait(0)
print("stopped 100 times")
"""


def test_a_signal_during_an_event_wait_on_the_main_thread_does_not_deadlock() -> None:
    done = run_process(
        [sys.executable, "-c", _BUSY_WAITS], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == "stopped 100 times\n"


#: The program's early handling, a command's graceful stop entered and left, then the
#: command's last steps (closing its client, saying its summary) signalled.
_SIGNAL_AFTER_THE_STOP = """
import os, signal, sys
from seotasks.cli.signals import GracefulStop, program_signals, signalled_before

program_signals()
with GracefulStop():
    pass
os.kill(os.getpid(), signal.SIGTERM)
for _ in range(1000):  # the handler runs between two of these bytecodes
    pass
print("finished", signalled_before() == signal.SIGTERM, flush=True)
os.kill(os.getpid(), signal.SIGTERM)  # a second one: at once
print("not reached")
"""


def test_a_signal_after_the_graceful_stop_lets_the_command_finish() -> None:
    """Once a command's graceful stop is over, its work is done and its exit code about to
    be decided: a signal then must not turn it into "interrupted" (exit 5 after a
    ``submit`` had posted every spec invites a re-run that posts them all again). The
    first is noted; a second ends the process at once, as before the command."""
    done = run_process(
        [sys.executable, "-c", _SIGNAL_AFTER_THE_STOP], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout) == (5, "finished True\n"), done.stderr[-2000:]
    assert done.stderr == "seotasks: interrupted\n"


def test_a_second_signal_to_the_sandbox_still_exits_0() -> None:
    """``seotasks sandbox`` ends on a signal, exit 0 (its emulators hold nothing to keep):
    a second one while it stopped, a person pressing Ctrl-C twice, ended it
    "interrupted", exit 5, the code that says to run a command again. The stop takes a
    tenth of a second or so; the second signal comes at several moments of it (two sent
    at once would be delivered as one)."""
    from clisandbox import sandbox_process

    codes = []
    for n, delay in enumerate((0.0, 0.005, 0.01, 0.02, 0.04)):
        sig = (signal.SIGINT, signal.SIGTERM)[n % 2]
        with sandbox_process("--size", "0") as (server, _):
            server.send_signal(sig)
            time.sleep(delay)
            server.send_signal(sig)
            _, err = server.communicate(timeout=60)
        codes.append((server.returncode, err.strip().splitlines()[-1]))
    assert {code for code, _ in codes} == {0}, codes


_SIGNALLED_WHILE_PARSING = """
import os, signal, sys, time
import seotasks.cli as cli
real, calls = cli.build_parser, []
def parser_signalled():  # the first build: the signal lands in the parser's imports
    if not calls:
        calls.append(1)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)
    return real()
cli.build_parser = parser_signalled
sys.argv = ["seotasks", *sys.argv[1:]]
cli.run()
"""


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["collect", "-p", "dataforseo", "--follow"], 0),  # its normal end
        (["receive", "--listen", "127.0.0.1:0", "--to", "r"], 0),
        (["collect", "-p", "dataforseo"], 5),
        (["collect", "--no-such-flag"], 5),  # no command to ask: interrupted
    ],
)
def test_a_signal_before_the_arguments_are_read_ends_a_follow_with_0(
    tmp_path: Path, args: list[str], code: int
) -> None:
    """SIGTERM while the parser is built (before `main` has the arguments) exits as a
    stop a moment later would: 0 for ``collect --follow`` and the servers, else 5."""
    done = run_process(
        [sys.executable, "-c", _SIGNALLED_WHILE_PARSING, *args],
        env=cli_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == code, done.stderr
    assert done.stderr == ("" if code == 0 else "seotasks: interrupted\n")


class _SlowStream(io.StringIO):
    """A stderr whose write takes a moment (a busy machine, a slow terminal)."""

    def write(self, text: str) -> int:
        time.sleep(0.3)
        return super().write(text)


def test_the_notice_is_written_before_the_stop_ends() -> None:
    """The notice comes from a thread of its own: a run whose calls had ended reached its
    summary first, and on a busy machine exited without the notice at all."""
    err = _SlowStream()
    with GracefulStop(notice=(err, "seotasks x: stopping")) as stop:
        _signal_self(stop)
    assert err.getvalue() == "seotasks x: stopping\n"  # no thread joined: the stop waited
