"""One clock for the sandbox: the emulators and the clients take "now" from the same wall
clock (real time, or the one a caller fixes), so a history window ending now is accepted
at any hour and relative times count from where the data is."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from clihere import run_here
from clirun import cli_env, popen
from fakevendor import FakeVendor, PluginOf

import seotasks
import seotasks.clock
from seotasks.clock import FakeClock, ScaledClock
from seotasks.sandbox import SandboxRequest, start

pytestmark = pytest.mark.usefixtures("real_providers")


@pytest.mark.parametrize("hour, minute", [(23, 59), (0, 1)])
def test_a_history_window_ending_now_is_accepted_at_any_hour(hour: int, minute: int) -> None:
    day = datetime.now(UTC).date()
    pinned = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)

    def now() -> datetime:
        return pinned

    pacing = FakeClock()  # the rate limits, counted without waiting; `now` is the wall
    with start(["dataforseo"], SandboxRequest(seed=5, size=400, clock=pacing, now=now)) as running:
        settings = {**running["dataforseo"].settings, "source": "history"}
        with seotasks.connect("dataforseo", env={}, now=now, clock=pacing, **settings) as client:
            every = list(client.tasks(status="any"))
            recent = list(client.tasks(status="any", since=pinned - timedelta(hours=12)))
    assert len(every) > 100
    assert all(t.created_at is not None and t.created_at <= pinned for t in every)
    assert recent
    for task in recent:
        assert task.created_at is not None and task.created_at >= pinned - timedelta(hours=12)


def test_the_cli_sandbox_runs_on_the_real_clock(tmp_path: Path) -> None:
    started = datetime.now(UTC)
    args = ["tasks", "--sandbox", "-p", "dataforseo", "-o", "source=history", "--status", "any"]
    listed = run_here([*args, "--format", "jsonl", "-q"], cli_env(tmp_path))
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    newest = max(datetime.fromisoformat(r["created_at"]) for r in rows)
    # The data is drawn around the moment the emulator started, not a day's midnight.
    assert started - timedelta(hours=1) < newest <= datetime.now(UTC)
    recent = run_here([*args, "--since", "1h", "--format", "jsonl", "-q"], cli_env(tmp_path))
    assert recent.returncode == 0, recent.stderr
    assert recent.stdout.strip(), "tasks of the last hour exist, whatever the hour"


def test_seotasks_sandbox_serves_history_windows_ending_now(tmp_path: Path) -> None:
    """`seotasks sandbox` + a client of one's own on the real clock (migration.md step 1)."""
    import shlex
    import subprocess

    from clirun import CLI

    env = cli_env(tmp_path)
    server = popen(
        [*CLI, "sandbox", "-p", "dataforseo", "--size", "300", "--duration", "120"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        for _ in range(3):  # export lines: base URL, login, password
            name, _, value = server.stdout.readline().removeprefix("export ").partition("=")
            env[name] = shlex.split(value)[0]
        args = ["tasks", "-p", "dataforseo", "-o", "source=history", "-o", "families=serp"]
        listed = run_here([*args, "--status", "completed", "--since", "12h", "-q"], env)
        assert listed.returncode == 0, listed.stderr
        assert len(listed.stdout.splitlines()) > 3
    finally:
        server.terminate()
        server.wait(timeout=30)


class _PlainSandbox(FakeVendor):
    """A sandbox that returns its `Sandbox` rather than a context manager yielding one
    (``@contextmanager`` forgotten)."""

    name: ClassVar[str] = "plainsandbox"

    @classmethod
    def sandbox(cls, request: SandboxRequest) -> Any:
        return seotasks.Sandbox(settings={}, stop=lambda: None)


def test_a_sandbox_that_is_no_context_manager_is_named(fake_registry: None) -> None:
    """It failed as ``internal error: TypeError: 'seotasks.provider.Sandbox' object does
    not support the context manager protocol``, naming no provider and no fix."""
    seotasks.register_plugin(PluginOf(_PlainSandbox), "plainsandbox")
    with (
        pytest.raises(TypeError, match=r"^plainsandbox: sandbox\(\) returned a Sandbox, not a "),
        start(["plainsandbox"]),
    ):
        pass


class _StillSandboxClock(ScaledClock):
    """The sandbox's clock (a minute a real second), standing still but for its waits:
    the ten ``id_list`` calls a window allows all fall at its time 0, however long a busy
    machine takes to make them, so the eleventh waits (a second of real time took the
    window's minute on the real one, and no wait came to announce)."""

    def __init__(self, factor: float) -> None:
        super().__init__(factor)
        self._still = FakeClock()

    def monotonic(self) -> float:
        return self._still.monotonic()

    def sleep(self, seconds: float) -> None:
        self._still.sleep(seconds)

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        return self._still.wait(seconds, stop)


def test_a_sandbox_wait_says_how_long_it_really_lasts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sandbox runs the vendors' per-minute limits on a clock sixty times faster, so
    DataForSEO history's eleventh ``id_list`` call waits about a minute of that clock,
    about a real second. The notice said ``waiting 61s``, then the run ended at once: a
    person told to wait a minute presses Ctrl-C. It now says both."""
    monkeypatch.setattr(seotasks.clock, "ScaledClock", _StillSandboxClock)
    args = ["tasks", "--sandbox", "-p", "dataforseo", "-o", "source=history"]
    done = run_here([*args, "--sandbox-day", "2026-11-20", "--status", "any"], cli_env(tmp_path))
    assert done.returncode == 0, done.stderr
    [notice] = [line for line in done.stderr.splitlines() if "waiting" in line]
    assert "of the sandbox's clock (" in notice and "s real)" in notice, notice


@pytest.mark.parametrize(
    "setting",
    [["-o", "serpstat.timezone=America/Los_Angeles"], ["-o", "timezone=Asia/Tokyo"], []],
)
def test_serpstat_s_timezone_is_the_zone_its_sandbox_writes(
    tmp_path: Path, setting: list[str]
) -> None:
    """Serpstat writes naive times in the account's zone, which the ``timezone`` option
    names. Its sandbox wrote UTC whatever the option said: with ``-o
    timezone=America/Los_Angeles`` every time came out eight hours late, 117 tasks of
    1500 created after the sandbox's "now", and a migration rehearsed in the account's
    zone compared nonsense. The emulator now stands for an account in that zone, and a
    zone set in the environment (the real account's) gives way to the sandbox's own."""
    args = ["tasks", "--sandbox", "-p", "serpstat", "--status", "any", "--seed", "3"]
    args += ["--sandbox-day", "2026-11-20", "--format", "jsonl", "-q"]
    plain = run_here(args, cli_env(tmp_path))
    assert plain.returncode == 0, plain.stderr
    env = cli_env(tmp_path, {"serpstat": {"timezone": "Pacific/Kiritimati"}})
    zoned = run_here([*args, *setting], env)
    assert zoned.returncode == 0, zoned.stderr
    rows = [json.loads(line) for line in zoned.stdout.splitlines()]
    midnight = datetime(2026, 11, 20, tzinfo=UTC)
    late = [r for r in rows if datetime.fromisoformat(r["created_at"]) > midnight]
    assert (len(rows), len(late)) == (1500, 0)
    assert zoned.stdout == plain.stdout


def test_seotasks_sandbox_serves_serpstat_in_the_zone_given_with_o(tmp_path: Path) -> None:
    """`seotasks sandbox` took no ``-o``, so it stood for a UTC Serpstat account only: a
    migration rehearsed against a foreground sandbox could not use the account's zone.
    With ``-o serpstat.timezone=...`` it writes its times in that zone and exports it, and
    a client set up from the export lines reads no task created after now."""
    import shlex

    from clisandbox import sandbox_process

    zone = "America/Los_Angeles"
    env = cli_env(tmp_path)
    with sandbox_process("--size", "300", "-o", f"serpstat.timezone={zone}") as (server, first):
        assert server.stdout is not None
        lines = [first, server.stdout.readline(), server.stdout.readline()]
        exported = {}
        for line in lines:
            name, _, value = line.removeprefix("export ").partition("=")
            exported[name] = shlex.split(value)[0]
        assert exported["SEOTASKS_SERPSTAT_TIMEZONE"] == zone
        listed = run_here(
            ["tasks", "-p", "serpstat", "--status", "any", "--format", "jsonl", "-q"],
            {**env, **exported},
        )
        server.terminate()
    assert listed.returncode == 0, listed.stderr
    created = [
        datetime.fromisoformat(json.loads(r)["created_at"]) for r in listed.stdout.splitlines()
    ]
    assert len(created) == 300
    assert max(created) <= datetime.now(UTC)
