"""The documentation's Python examples run, against the emulators, so they cannot rot.

Every fenced ``python`` block of ``README.md`` and ``docs/**/*.md`` is executed (not only
compiled): the blocks of one page run in order in one namespace, in a fresh working
directory, with the ``SEOTASKS_*`` env vars and a ``work`` profile pointing at both
vendors' emulators on loopback. A page may define the helpers its prose leaves to the
reader (``handle``, ``save_checkpoint``...); the few the docs use are provided here.

A block that cannot run here says why, in an HTML comment right before its fence
(``<!-- docs-test: not run: <reason> -->``, invisible in the built site); the test
checks that such blocks are rare and give a reason. One page is exempt as a whole, with
``<!-- docs-test: page not run: <reason> -->``: the dlt page, whose examples need dlt
(``make dlt`` installs it; ``integrations/dlt/tests`` runs its example and recipes). The
plugin guide's blocks run here: its methods are defined (their bodies run in the
complete example plugin's own suite), its builder and replay examples run, and its
plugin module is included from ``examples/seotasks-acme`` itself.
"""

from __future__ import annotations

import csv
import json
import os
import re
import runpy
import shlex
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clihere import run_here
from clirun import cli_env

import seotasks
from seotasks import plugins, transport
from seotasks.clock import ScaledClock
from seotasks.config import env_name

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
# A block may be indented under a list item: its fence and its lines carry the item's indent.
_FENCE = re.compile(
    r"^(?P<indent> *)(?:<!-- docs-test: (?P<mark>[^\n]*?) -->\n(?P=indent))?"
    r"```python[^\n]*\n(?P<code>.*?)^(?P=indent)```",
    re.MULTILINE | re.DOTALL,
)


def blocks(page: Path) -> list[tuple[int, str | None, str]]:
    """``(line, mark, code)`` of every python block of ``page``."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        line = text.count("\n", 0, match.start("code")) + 1
        found.append((line, match.group("mark"), textwrap.dedent(match.group("code"))))
    return found


_PAGE_MARK = re.compile(r"^<!-- docs-test: page not run: (.{10,}) -->$", re.MULTILINE)


def exempt(page: Path) -> bool:
    return _PAGE_MARK.search(page.read_text(encoding="utf-8")) is not None


#: The migration page's blocks read files its commands write: they run with them, in page
#: order, in `test_the_migration_recipe_runs_end_to_end`.
MIGRATION = ROOT / "docs" / "migration.md"
RUNNABLE = [p for p in PAGES if blocks(p) and not exempt(p) and p != MIGRATION]


@pytest.fixture
def emulators() -> Iterator[dict[str, dict[str, str]]]:
    """Fresh emulators for each page: an example may collect (drain) the ready list.
    Serpstat's 150 tasks are plenty for every page; the migration recipe collects each
    completed one (400 made that one command 3 s of CPU)."""
    from seotasks_dataforseo.emulator import DataForSEOEmulator
    from seotasks_serpstat.emulator import SerpstatEmulator

    with (
        DataForSEOEmulator(seed=11, size=400, recent=0.6, enforce_limits=False) as dfs,
        SerpstatEmulator(seed=11, size=150, rps=None) as serp,
    ):
        yield {"dataforseo": dfs.settings, "serpstat": serp.settings}


@pytest.fixture
def docs_env(
    emulators: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Path:
    """Env vars and a ``work`` profile for both emulators; a fresh working directory."""
    for name in list(os.environ):
        if name.startswith("SEOTASKS_"):
            monkeypatch.delenv(name)
    for provider, settings in emulators.items():
        for option, value in settings.items():
            monkeypatch.setenv(env_name(provider, option), str(value))
    # Sections in order: each provider's options follow its header.
    lines = []
    for provider, settings in emulators.items():
        lines.append(f"[profiles.work.{provider}]")
        lines.extend(f'{option} = "{value}"' for option, value in settings.items())
    config = tmp_path / "config.toml"
    config.write_text("\n".join(lines) + "\n")
    config.chmod(0o600)  # as the docs ask: a file others can read is warned of
    monkeypatch.setenv("SEOTASKS_CONFIG", str(config))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    if not {"serpstat", "dataforseo"} <= set(seotasks.providers()):
        plugins.reset()
    # The examples connect without a clock: pace them on one that runs a minute in 60 ms
    # (the emulators enforce no limit here; pacing has tests of its own).
    monkeypatch.setattr(transport, "SystemClock", lambda: ScaledClock(1000.0))
    return work


def run_block(code: str, path: Path, namespace: dict[str, Any]) -> dict[str, Any]:
    """Run one block as its own module would run, from ``path``, starting from the names of
    the blocks before it (``namespace``); the names it leaves for the next ones.

    As a file of its own, a block runs without this file's ``from __future__ import
    annotations`` (stringified annotations cannot be resolved in a namespace that is no
    module), and a traceback names the line of the block that failed."""
    path.write_text(code, encoding="utf-8")
    return runpy.run_path(str(path), init_globals=namespace, run_name="__docs__")


def _helpers() -> dict[str, Any]:
    """What the docs' prose leaves to the reader: do something with a task, a page, a result."""
    saved: list[str] = []
    handled: list[Any] = []

    def handle(item: Any) -> None:
        handled.append(item)

    def save_checkpoint(cursor: str) -> None:
        saved.append(cursor)

    def load_checkpoint() -> str | None:
        return saved[-1] if saved else None

    def store(key: str, value: Any) -> None:
        handled.append((key, value))

    return {
        "handle": handle,
        "save_checkpoint": save_checkpoint,
        "load_checkpoint": load_checkpoint,
        "store": store,
    }


@pytest.mark.parametrize("page", RUNNABLE, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_examples_run_against_the_emulators(page: Path, docs_env: Path) -> None:
    namespace = _helpers()
    for number, (line, mark, code) in enumerate(blocks(page)):
        if mark is not None:
            assert mark.startswith("not run: ") and len(mark) > len("not run: ") + 10, mark
            continue
        if code.startswith("--8<--"):  # a file included by the docs build, not code here
            continue
        where = f"{page.relative_to(ROOT)}:{line}"
        try:
            namespace = run_block(code, docs_env.parent / f"block{number}.py", namespace)
        except Exception as exc:
            raise AssertionError(f"the example at {where} fails: {exc!r}") from exc


def test_a_block_indented_under_a_list_item_is_found() -> None:
    """The fence matched only at the start of a line, so library.md's `collect_reach`
    example, indented under its bullet, never ran (nor did the blocks after it run
    with the names it leaves)."""
    found = [code for _, _, code in blocks(ROOT / "docs" / "library.md")]
    assert any(code.startswith("reach = client.capabilities.collect_reach()") for code in found)


def test_few_blocks_are_exempt_and_each_says_why() -> None:
    marks = [mark for page in PAGES for _, mark, _ in blocks(page) if mark is not None]
    total = sum(len(blocks(page)) for page in PAGES)
    assert total >= 25
    assert len(marks) <= 3, marks
    assert sorted(p.name for p in PAGES if exempt(p)) == ["dlt.md"]
    assert (ROOT / "examples" / "seotasks-acme" / "tests").is_dir()


def _shell_commands(page: Path) -> list[str]:
    """The ``seotasks ...`` lines of the page's ``sh`` blocks, in order."""
    return [code for _, kind, code in _steps(page) if kind == "sh"]


def _steps(page: Path) -> list[tuple[int, str, str]]:
    """``(line, "python" or "sh", code)`` of the page's python blocks and the ``seotasks
    ...`` lines of its ``sh`` blocks, in page order: a block may read what a command wrote."""
    text = page.read_text(encoding="utf-8")
    steps = [(line, "python", code) for line, _, code in blocks(page)]
    for block in re.finditer(r"^```sh\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        line = text.count("\n", 0, block.start(1)) + 1
        commands = [c for c in block.group(1).splitlines() if c.startswith("seotasks ")]
        steps += [(line, "sh", command) for command in commands]
    return sorted(steps, key=lambda step: step[0])


def test_the_migration_recipe_runs_end_to_end(docs_env: Path) -> None:
    """Steps 1-2 (Python) export DataForSEO specs and translate them for Serpstat; steps
    3-4 (the command line) submit them, list both vendors and collect, as printed (the
    command in this process, `clihere`, its output where the page redirects it); step 4's
    Python reads ``both.csv`` back with the columns' own types."""
    page = MIGRATION
    namespace = _helpers()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", env_name("serpstat", "rps"): "100"}
    for line, kind, code in _steps(page):
        if kind == "python":
            namespace = run_block(code, docs_env.parent / f"migration{line}.py", namespace)
            continue
        argv, _, target = code.partition(" > ")
        result = run_here(shlex.split(argv)[1:], env, cwd=docs_env)  # --to results/ there
        assert result.returncode == 0, (code, result.stderr[-2000:])
        (docs_env / target.strip()).write_text(result.stdout)
    specs = (docs_env / "specs.jsonl").read_text().splitlines()
    mapped = (docs_env / "serpstat-specs.jsonl").read_text().splitlines()
    assert len(specs) >= 20, "step 1 should export the emulator's SERP tasks"
    assert len(mapped) >= 10, "step 2 should translate the Google organic US-English ones"
    assert [c.split()[1] for c in _shell_commands(page)] == ["submit", "tasks", "collect"]
    submitted = [json.loads(line) for line in (docs_env / "submitted.jsonl").open()]
    assert len(submitted) == len(mapped)
    assert all(r["error"] is None and r["task_id"] for r in submitted)
    both = list(csv.DictReader((docs_env / "both.csv").open()))
    assert {row["provider"] for row in both} == {"dataforseo", "serpstat"}
    # "Compare completion": both vendors' finished tasks carry the time they finished
    # (DataForSEO's tasks_ready would not say it).
    finished = [r for r in both if r["status"] == "completed"]
    assert {r["provider"] for r in finished} == {"dataforseo", "serpstat"}
    assert all(r["completed_at"] for r in finished)
    results = [json.loads(line) for line in (docs_env / "serpstat-results.jsonl").open()]
    assert results and all(r["provider"] == "serpstat" and r["path"] for r in results)
    assert {Path(r["path"]).name for r in results} == {
        p.name for p in (docs_env / "results" / "serpstat").glob("*.json")
    }
    _check_read_back(namespace, both)


def _check_read_back(namespace: dict[str, Any], both: list[dict[str, str]]) -> None:
    """The page's way of reading ``both.csv`` keeps every column's meaning: DuckDB's own
    guess reads a cost as a float (the DataForSEO sandbox's 2500 costs summed to
    55.21079999999982, not 55.2108) and an id or tag of digits as a number (a "007" tag
    is 7; a UUID after 20480 Serpstat rows fails the read)."""
    from datetime import UTC
    from decimal import Decimal

    tasks = namespace["tasks"]
    assert [(t["provider"], t["id"]) for t in tasks] == [(r["provider"], r["id"]) for r in both]
    costs = [t["cost"] for t in tasks if t["cost"] is not None]
    assert costs and all(type(c) is Decimal for c in costs)
    assert all(t["created_at"].utcoffset() == UTC.utcoffset(None) for t in tasks)
    table = namespace["listing"]
    types = dict(zip(table.columns, map(str, table.types), strict=True))
    text = ("id", "tag", "location", "language", "message")
    assert {name: types[name] for name in text} == dict.fromkeys(text, "VARCHAR")
    assert types["cost"].startswith("DECIMAL") and types["created_at"] == "TIMESTAMP WITH TIME ZONE"
    [(total,)] = table.aggregate("sum(cost)").fetchall()
    assert total == sum(costs)
    turnaround = namespace["turnaround"]
    assert {row[0] for row in turnaround} == {"dataforseo", "serpstat"}


def test_the_sandbox_recipe_runs_as_written(tmp_path: Path) -> None:
    """The command-line page's ``seotasks sandbox`` recipe, pasted into a shell: it reads
    the export lines only once the emulators have printed them. Its ``sleep 1`` before
    sourcing them lost the race whenever the start took longer (1.7 s on a busy 2-core
    machine), and the snippet failed with a missing token."""
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    [recipe] = [
        block
        for block in re.findall(r"^```sh\n(.*?)^```", page, re.MULTILINE | re.DOTALL)
        if block.startswith("seotasks sandbox ")
    ]
    env = cli_env(tmp_path)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    # Files, not pipes: the sandbox the recipe leaves in the background holds them open.
    # Its own process group, which the test ends.
    out, err = tmp_path / "out", tmp_path / "err"
    with out.open("w") as stdout, err.open("w") as stderr:
        shell = subprocess.Popen(
            ["bash", "-e", "-c", recipe],
            cwd=tmp_path,
            env=env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        shell.wait(timeout=300)  # a hang guard, not a speed bound
    finally:
        os.killpg(shell.pid, signal.SIGTERM)
    assert shell.returncode == 0, err.read_text()
    assert out.read_text().startswith("Task(provider='serpstat', id="), err.read_text()
