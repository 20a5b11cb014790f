"""What the ``seotasks collect`` suites over a draining listing share: the emulator and
the command's environment (fixtures), and the readings of a run's folder (its result
files, its journal entries) and of the emulator (its ``task_get`` calls)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import forkrun
import pytest
from clihere import run_here
from clirun import CLI, cli_env, popen, ready_dataforseo, run_process
from seotasks_dataforseo.emulator import DataForSEOEmulator

KINDS = ("serp/google/organic", "serp/bing/organic", "serp/google/news")
KIND = KINDS[0]


def collect_env(tmp_path: Path, emu: DataForSEOEmulator) -> dict[str, str]:
    """The command's environment, listing the serp family only (every task here is one).

    All 16 families' ``tasks_ready`` make 16 calls a run: a second run within the minute
    would wait for the vendor's window of 20 calls a minute, which the emulator enforces.
    """
    return cli_env(tmp_path, {"dataforseo": {**emu.settings, "families": "serp"}})


def task_gets(emu: DataForSEOEmulator) -> int:
    return sum(1 for r in emu.server.requests if "/task_get/" in r.path)


def result_files(folder: Path) -> dict[str, Path]:
    if not folder.exists():
        return {}
    return {p.name.removesuffix(".json"): p for p in folder.iterdir() if p.name.endswith(".json")}


def intents(folder: Path) -> list[Path]:
    """The journal entries under ``folder`` (`journal_of`: one folder per account)."""
    journal = folder / ".seotasks" / "journal" / "dataforseo"
    return sorted(journal.rglob("*.intent.json")) if journal.exists() else []


def journal_of(emu: DataForSEOEmulator, out: Path) -> Path:
    """The journal folder of ``collect --to out`` for `emu`'s account."""
    import seotasks
    from seotasks.account import account_key

    with seotasks.connect("dataforseo", **emu.settings) as client:
        account = account_key(client.provider)
    assert account is not None  # DataForSEO names its account: login and host
    return out / ".seotasks" / "journal" / "dataforseo" / account


def rerun(env: dict[str, str], out: Path) -> dict[str, Path]:
    """The same ``collect --to out`` run again to its end: the result files then in
    ``out``, once the re-run has delivered (and so emptied) the journal."""
    again = run_here(["collect", "-p", "dataforseo", "--to", str(out)], env)
    assert again.returncode == 0, again.stderr
    assert not intents(out), "the re-run delivered every journalled task"
    return result_files(out / "dataforseo")


def started(env: dict[str, str], *flags: str) -> subprocess.Popen[bytes]:
    """``seotasks collect -p dataforseo FLAGS`` running, its stdout and stderr piped for
    the test to read (or close, as a reader that left does)."""
    args = [*CLI, "collect", "-p", "dataforseo", *flags]
    return popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def unwritable(tmp_path: Path) -> Path:
    """A folder nobody can create, root included: its parent is a regular file."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    return blocker / "out"


@pytest.fixture
def emu() -> Iterator[DataForSEOEmulator]:
    with ready_dataforseo(40, seed=7) as emulator:
        yield emulator


@pytest.fixture
def env(emu: DataForSEOEmulator, tmp_path: Path) -> dict[str, str]:
    """The environment of a ``seotasks collect`` of `emu` (`collect_env`)."""
    return collect_env(tmp_path, emu)


def on_a_full_disk(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``args`` run to their end with every file they write stopped at 16 KiB (EFBIG, as
    on a disk that filled up; SIGXFSZ ignored, so the process lives on to say so), and
    no ``.pyc`` written: CPython writes one with a single raw write and keeps what the
    limit let through, and a truncated one fails every later import of its module
    ("marshal data too short")."""
    return run_process(
        args,
        env={**env, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=forkrun.capped_files(16 * 1024),
    )
