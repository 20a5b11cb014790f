"""`GracefulStop`: the first signal stops the intake and says so at once; a second one
raises `KeyboardInterrupt`. In this process, with real signals."""

from __future__ import annotations

import io
import os
import pty
import signal
import threading

import pytest

from seotasks.cli.signals import NOTICE_THREAD, GracefulStop


def _signal_self(stop: GracefulStop) -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    assert stop.event.wait(5)  # the handler has run (between two bytecodes of this thread)


def _quiet_threads() -> None:
    """Wait for the notice thread (started by the handler) to finish writing."""
    for thread in threading.enumerate():
        if thread.name == NOTICE_THREAD:
            thread.join(5)


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
            threading.Event().wait(5)  # the handler raises here, at the latest
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
        shown = os.read(primary, 4096)
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
