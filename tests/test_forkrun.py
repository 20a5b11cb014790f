"""`forkrun`, the suites' warm start of a command's process, against a cold start: the
same program, run both ways, sees the same and ends the same."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import forkrun
import pytest

PROBE = [sys.executable, str(Path(__file__).with_name("forkprobe.py"))]
PRELOAD = ("seotasks.cli",)


def _cold_then_forked(
    monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str], **options: Any
) -> list[subprocess.CompletedProcess[str]]:
    """The probe run to its end (``args``: what it does first), cold then forked, as
    `forkrun.run` takes it."""
    runs = []
    for cold in ("1", "0"):
        monkeypatch.setenv("SEOTASKS_TEST_COLD", cold)
        runs.append(
            forkrun.run([*PROBE, *args], env=env, preload=PRELOAD, text=True, timeout=60, **options)
        )
    return runs


def _both(how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **more: str) -> list[Any]:
    env = {"PATH": "/usr/bin:/bin", "PROBE": "value", "TMPDIR": str(tmp_path), **more}
    runs = _cold_then_forked(monkeypatch, [how, "x y"], env, cwd=tmp_path, capture_output=True)
    return [(done.returncode, done.stdout, done.stderr.splitlines()[-1]) for done in runs]


@pytest.mark.parametrize("how", ["end", "exit", "raise"])
def test_a_forked_run_sees_and_ends_as_a_cold_one(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold, forked = _both(how, tmp_path, monkeypatch)
    assert forked == cold
    code, out, err = forked
    assert code == {"end": 0, "exit": 3, "raise": 1}[how]
    lines = out.splitlines()
    assert f'"cwd": "{tmp_path}"' in lines[0] and '"probe": "value"' in lines[0]
    assert '"home": null' in lines[0] and f'"tmp": "{tmp_path}"' in lines[0]
    assert lines[1:] == ["buffered", "thread", "atexit"]
    assert err == ("RuntimeError: boom" if how == "raise" else "to stderr")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_a_forked_process_is_signalled_as_a_cold_one(
    sig: signal.Signals, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = []
    for cold in ("1", "0"):
        monkeypatch.setenv("SEOTASKS_TEST_COLD", cold)
        process = forkrun.popen(
            [*PROBE, "wait"],
            env={"PATH": "/usr/bin:/bin"},
            preload=PRELOAD,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stderr is not None
        while "waiting" not in process.stderr.readline():
            assert process.poll() is None
        process.send_signal(sig)
        _, err = process.communicate(timeout=30)
        codes.append((process.returncode, "KeyboardInterrupt" in err))
    assert codes[0] == codes[1]
    assert codes[1][0] == -sig


def test_only_this_interpreters_modules_and_scripts_are_forked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SEOTASKS_TEST_COLD", "0")
    assert isinstance(
        forkrun.popen(
            [*PROBE, "end"],
            env={},
            preload=PRELOAD,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        forkrun.Forked,
    )
    started = forkrun.popen(
        [sys.executable, "-c", "pass"], env={}, preload=PRELOAD, stdout=subprocess.DEVNULL
    )
    assert isinstance(started, subprocess.Popen)
    assert started.wait(timeout=30) == 0


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_stderr_into_stdout_interleaves_as_a_cold_run(
    unbuffered: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Buffering is the interpreter's choice at its start (``PYTHONUNBUFFERED``, a
    terminal or not): a fork makes its streams again for the environment given."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": unbuffered}
    both = _cold_then_forked(
        monkeypatch, ["exit"], env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    outs = [(done.returncode, done.stdout, done.stderr) for done in both]
    assert outs[0] == outs[1]
    assert outs[1][0] == 3 and "to stderr\n" in outs[1][1] and outs[1][2] is None


@pytest.mark.parametrize(
    "more",
    [{"PYTHONDONTWRITEBYTECODE": "1"}, {"PYTHONPATH": "/nowhere"}, {"PYTHONWARNINGS": "error"}],
)
def test_the_interpreters_start_variables_apply_as_to_a_cold_start(
    more: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the interpreter reads at its start (its import path, its warning filters)
    cannot change in a fork: a start that asks another is made cold, and one a fork can
    apply (no bytecode written) is applied."""
    cold, forked = _both("end", tmp_path, monkeypatch, **more)
    assert forked == cold
    if "PYTHONPATH" in more:
        assert '"/nowhere"' in forked[1].splitlines()[0]


@pytest.mark.parametrize(
    ("preexec", "said"),
    [
        (forkrun.closing(1), "AttributeError: 'NoneType' object has no attribute 'line_buffering'"),
        (forkrun.capped_files(10), "OSError: [Errno 27] File too large"),
    ],
    ids=["closed-stdout", "capped-files"],
)
def test_a_picklable_preexec_fn_runs_in_a_fork_as_before_a_cold_start(
    preexec: Any, said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    both = _cold_then_forked(
        monkeypatch,
        ["file"],
        {"PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=preexec,
    )
    ends = [(done.returncode, done.stderr.splitlines()[-1]) for done in both]
    assert ends[0] == ends[1] == (1, said)
