"""``seotasks report`` as a command: light start-up, usage errors, the extra's hint."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import forkrun
import pytest
from clihere import run_here
from clirun import STILL_CLI, cli_env, popen, run_process, sandbox_store

from seotasks import cli
from seotasks.cli import load as load_command

HEAVY = ("duckdb", "altair", "vl_convert", "playwright", "seotasks.report")


def test_help_imports_none_of_the_report_extra() -> None:
    code = (
        "import sys\n"
        "from seotasks.cli import main\n"
        "for argv in (['--help'], ['report', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 0, exc.code\n"
        f"heavy = sorted(m for m in sys.modules if m.startswith({HEAVY!r}))\n"
        "print(heavy)\n"
    )
    out = run_process(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "--compare" in out.stdout and "--sandbox" in out.stdout


def _report_flags() -> dict[str, object]:
    """``seotasks report``'s actions by their long flag."""
    commands = next(
        a.choices
        for a in cli.build_parser()._actions
        if a.__class__.__name__ == "_SubParsersAction"
    )
    return {s: a for a in commands["report"]._actions for s in a.option_strings}


def test_by_offers_what_the_figures_group_by() -> None:
    from seotasks.report.figures import BY_CHOICES

    by: Any = _report_flags()["--by"]
    assert tuple(by.choices) == BY_CHOICES


def test_the_selection_flags_are_those_of_load_and_tasks() -> None:
    report = set(_report_flags())
    assert set(load_command.SELECTION_FLAGS) <= report
    assert {"--live", "--from", "--sandbox-day"} <= report


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--from", "absent.duckdb"], "seotasks load"),
        ([], "seotasks.duckdb: no such DuckDB file"),
        (["--from", "."], ".: is a directory; name the DuckDB file `seotasks load` wrote"),
        (["--live"], "--live needs at least one -p"),
        (["-o", "source=history"], "is for a live listing"),
        (["--profile", "agency"], "is for a live listing"),
        # The store's report took --seed and ignored it (exit 0); the other two flags
        # that choose the emulators' data were refused.
        (["--seed", "3"], "--seed applies with --sandbox only"),
        (["--sandbox-size", "3"], "--sandbox-size applies with --sandbox only"),
        (["--top", "0"], "--top must be at least 1"),
        (["--compare", "serp"], "KIND=KIND"),
        (["--since", "yesterday"], "ISO 8601"),
        (["--live", "--sandbox"], "not allowed with"),
        (["--sandbox", "-p", "serpstt"], "did you mean serpstat?"),
        # A status the vendor never reports made an empty page, exit 0, where `tasks`
        # refuses it: the page would read as a vendor that never fails.
        (["--sandbox", "-p", "serpstat", "--status", "failed"], "serpstat reports no failed"),
        (["--sandbox", "-p", "serpstat", "--sandbox-size", "-1"], "--sandbox-size"),
        # Taken and ignored (exit 0), where -o or --profile without a listing are refused.
        (["--sandbox", "-p", "serpstat", "--dataset", "foo"], "a live listing has none"),
        # The page's path, checked before the listing: a folder was an internal error
        # (IsADirectoryError, exit 4) once the figures were computed.
        (["--sandbox", "-p", "serpstat", "--to", "."], "--to .: is a directory; name a file"),
        (["--sandbox", "-p", "serpstat", "--to", "absent/r.html"], "directory absent does"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], needle: str, tmp_path: Path) -> None:
    result = run_here(["report", *args], cli_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "seotasks-report.html").exists()


@pytest.mark.parametrize("module", ["duckdb", "vl_convert"])
def test_without_the_extra_it_says_what_to_install(
    module: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(sys.modules):
        if name.startswith(("seotasks.report", module)):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)
    assert cli.main(["report", "--from", "x.duckdb"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "pip install 'seotasks[report]'" in err
    # Nothing is on PyPI yet: the form that works from a checkout is named too, as the
    # load and completion commands name theirs.
    assert "from a checkout: pip install -e '.[report]'" in err


def test_json_and_html_from_one_store_agree(tmp_path: Path) -> None:
    """The sandbox listing through the command: JSON on stdout, the page to a file."""
    env = cli_env(tmp_path)
    common = ["report", "--sandbox", "-p", "serpstat", "--seed", "3", "--sandbox-size", "400"]
    common += ["--sandbox-day", "2026-11-20"]
    data = run_here([*common, "--format", "json"], env, timeout=180)
    assert data.returncode == 0, data.stderr
    page = tmp_path / "page.html"
    made = run_here([*common, "--to", str(page), "-q"], env, timeout=180)
    assert made.returncode == 0 and made.stderr == "", made.stderr

    figures = json.loads(data.stdout)
    [serpstat] = figures["providers"]
    assert serpstat["tasks"] == 400
    assert figures["now"] == "2026-11-20T00:00:00+00:00"  # the sandbox's day, not the wall
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and "<script" not in text
    assert f'data-col="tasks" data-value="{serpstat["tasks"]}"' in text
    shown = re.search(r'data-col="turnaround_p50" data-value="([^"]+)"', text)
    assert shown is not None
    assert float(shown.group(1)) == pytest.approx(serpstat["turnaround"]["p50"], abs=1e-3)


def test_a_folder_that_takes_no_write_is_refused_before_any_work(tmp_path: Path) -> None:
    """A ``--to`` whose folder cannot take the page is a storage error (exit 6), found by
    the write probe ``collect`` and ``--resume`` use, before the store is read; found
    only when writing, it came after all the work, as an internal error. Here a file may
    hold one byte (tests run as root, whom permissions do not stop): the probe's first
    write is short, not refused, as on a disk that fills mid-write."""

    page = tmp_path / "r.html"
    done = run_process(
        [
            sys.executable,
            "-m",
            "seotasks.cli",
            "report",
            "--from",
            "absent.duckdb",
            "--to",
            str(page),
        ],
        env=cli_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=forkrun.capped_files(1),
    )
    assert done.returncode == 6, done.stderr
    assert f"the --to file's folder {tmp_path} is not writable" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not page.exists()


def test_a_provider_the_store_does_not_hold_is_named_not_an_empty_report(
    tmp_path: Path,
) -> None:
    """``-p serpstt`` against a store: the selection flags are those of ``seotasks tasks``,
    where a mistyped provider is a usage error; the store's report once answered it with
    an empty page (0 tasks, exit 0) written over the last good one."""
    store = sandbox_store(tmp_path, "--sandbox-size", "60")
    page = tmp_path / "page.html"
    page.write_text("<p>the last good page</p>")
    before = page.read_bytes()
    env = cli_env(tmp_path)
    typo = run_here(["report", "--from", str(store), "-p", "serpstt", "--to", str(page)], env)
    assert typo.returncode == 2, typo.stderr
    assert "serpstt" in typo.stderr and "did you mean serpstat?" in typo.stderr
    assert "dataforseo, serpstat" in typo.stderr
    assert len(typo.stderr.strip().splitlines()) == 1 and "Traceback" not in typo.stderr
    assert page.read_bytes() == before


def test_the_page_is_made_as_other_files_are_readable_as_the_umask_allows(
    tmp_path: Path,
) -> None:
    """The page is meant to be opened, mailed, served: it was written through a private
    temporary file (mode 0600, whatever the umask), so a web server or a colleague on the
    machine could not read it. It now takes the mode ``open`` would give it."""
    page = tmp_path / "page.json"
    args = ["report", "--sandbox", "-p", "serpstat", "--sandbox-size", "20", "--format"]
    args += ["json", "--to", str(page), "-q"]
    before = os.umask(0o022)
    try:
        made = run_here(args, cli_env(tmp_path))
    finally:
        os.umask(before)
    assert made.returncode == 0, made.stderr
    assert json.loads(page.read_text(encoding="utf-8"))["providers"][0]["tasks"] == 20
    assert page.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".page")] == []


def test_a_listing_that_never_reports_failures_gives_no_failure_rate(tmp_path: Path) -> None:
    """Serpstat's task list has no failed status, nor has DataForSEO's ``tasks_ready``:
    each listed provider says so in its capabilities. The report printed ``0.0 %`` for
    them beside DataForSEO history's measured rate (overview, groups, the failure chart
    and the side-by-side table), a figure no listing of theirs could have contradicted:
    read for a migration, the vendor that cannot report failures looked like the one that
    never fails. A listing whose provider reports failures keeps its rate."""
    args = ["report", "--sandbox", "-p", "dataforseo", "-p", "serpstat", "--sandbox-size"]
    args += ["400", "--sandbox-day", "2026-11-20", "--format", "json", "-q"]
    history = run_here([*args, "-o", "dataforseo.source=history"], cli_env(tmp_path))
    assert history.returncode == 0, history.stderr
    figures = json.loads(history.stdout)
    rates = {p["provider"]: p["failure_rate"] for p in figures["providers"]}
    dataforseo = next(p for p in figures["providers"] if p["provider"] == "dataforseo")
    assert dataforseo["failed"] > 0
    finished = dataforseo["failed"] + dataforseo["completed"]
    assert rates == {"dataforseo": pytest.approx(dataforseo["failed"] / finished), "serpstat": None}
    assert all(g["failure_rate"] is None for g in figures["groups"] if g["provider"] == "serpstat")
    [pair] = [c for c in figures["comparisons"] if c["title"].startswith("serp/google ~")]
    sides = {side["provider"]: side["failure_rate"] for side in (pair["a"], pair["b"])}
    assert sides["serpstat"] is None and sides["dataforseo"] is not None
    assert any("serpstat: its listing never reports failed tasks" in n for n in figures["notes"])

    ready = run_here(args, cli_env(tmp_path))
    assert ready.returncode == 0, ready.stderr
    providers = json.loads(ready.stdout)["providers"]
    assert [p["failure_rate"] for p in providers] == [None, None]


def _report_into(
    stdout: Any, tmp_path: Path, *extra: str, unbuffered: str = ""
) -> subprocess.CompletedProcess[str]:
    """``seotasks report`` of 50 Serpstat sandbox tasks as JSON, in a process whose stdout
    is ``stdout`` (``None``: closed, as ``>&-`` leaves it), unbuffered or not."""
    args = [sys.executable, "-m", "seotasks.cli", "report", "--sandbox", "-p", "serpstat"]
    args += ["--sandbox-size", "50", "--format", "json", "-q", *extra]
    return run_process(
        args,
        env={**cli_env(tmp_path), "PYTHONUNBUFFERED": unbuffered},
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=stdout if stdout is not None else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        preexec_fn=forkrun.closing(1) if stdout is None else None,
    )


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_a_stdout_that_takes_no_write_is_a_storage_error_not_an_internal_one(
    tmp_path: Path, unbuffered: str
) -> None:
    """The JSON to a full disk (``> /dev/full``) or to a closed stdout (``>&-``) was
    ``internal error: OSError: [Errno 28] No space left on device`` (or ``AttributeError:
    'NoneType' object has no attribute 'write'``), exit 4: "the vendor or the network
    failed, try again later". stdout is a place seotasks writes, like ``--to``'s file:
    exit 6, saying what refused the write. A run that writes nothing there is unaffected."""
    with open("/dev/full", "w") as full:
        filled = _report_into(full, tmp_path, unbuffered=unbuffered)
    assert filled.returncode == 6, filled.stderr
    assert (
        filled.stderr == "seotasks: StorageError: cannot write to stdout: No space left on device\n"
    )

    closed = _report_into(None, tmp_path, unbuffered=unbuffered)
    assert closed.returncode == 6, closed.stderr
    assert closed.stderr == "seotasks: StorageError: cannot write to stdout: it is closed\n"

    page = tmp_path / "page.json"
    elsewhere = _report_into(None, tmp_path, "--to", str(page))
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert json.loads(page.read_text(encoding="utf-8"))["providers"][0]["tasks"] == 50


#: A Serpstat sandbox of 60,050 tasks: ``tasks.getList`` serves at most 60,000 rows.
_CAPPED = ["report", "--sandbox", "-p", "serpstat", "--sandbox-size", "60050"]
_CAPPED += ["--sandbox-day", "2026-11-20", "-q"]


def test_a_list_the_vendor_capped_is_said_on_stderr_and_in_the_notes(tmp_path: Path) -> None:
    """Serpstat's ``tasks.getList`` serves at most 60,000 rows: of 60,050 tasks the
    newest 50 cannot be listed. ``seotasks tasks`` warns that its listing may be incomplete;
    the report counted the 60,000 as if they were all (no word on stderr, in the notes or
    the JSON, exit 0), so every figure read as the whole week's."""
    data = run_here([*_CAPPED, "--format", "json"], cli_env(tmp_path), timeout=180)
    assert data.returncode == 0, data.stderr
    warning = (
        "serpstat: the vendor capped 1 list(s) (tasks.getList): this listing may be incomplete"
    )
    assert data.stderr.startswith(f"seotasks: {warning}; tasks.getList shows at most 60,000")
    figures = json.loads(data.stdout)
    assert figures["providers"][0]["tasks"] == 60_000
    assert figures["notes"][0].startswith(warning)


def test_a_list_the_vendor_capped_is_said_in_the_pages_header(tmp_path: Path) -> None:
    """The page of the same capped listing says so at the top, not only in its notes."""
    page = tmp_path / "page.html"
    made = run_here([*_CAPPED, "--to", str(page)], cli_env(tmp_path), timeout=180)
    assert made.returncode == 0, made.stderr
    header = page.read_text(encoding="utf-8").partition("</header>")[0]
    assert "maybe incomplete: a vendor capped its list (see the notes)" in header


def test_sigterm_during_the_listing_stops_it_and_leaves_no_temporary_file(
    tmp_path: Path,
) -> None:
    """SIGTERM is what a scheduler sends a run that overstays (Airflow, Kubernetes,
    systemd). The report had no handler: the process died at once, exit -15 with no word,
    and left the listing's temporary copy behind (``seotasks-report-*/tasks.jsonl``, 10
    MB four seconds into a 100,000-task listing), one more with every timed-out run. It
    now stops as ``tasks`` and ``load`` do: the wait in progress ends, the temporary
    folder is removed, exit 5, and no page is written. Sent while DataForSEO's history
    waits for its next ``id_list`` slot (ten a minute), on a sandbox clock that holds the
    wait until then (`stillclock_cli`): on the real one a busy machine never waited."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**cli_env(tmp_path), "TMPDIR": str(temporary), "SEOTASKS_TEST_HOLD_WAITS": "1"}
    page = tmp_path / "page.html"
    args = [*STILL_CLI, "report", "--sandbox", "-p", "dataforseo"]
    args += ["-o", "source=history", "--sandbox-size", "3000", "--to", str(page)]
    running = popen(args, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    assert running.stderr is not None
    first = running.stderr.readline()
    assert "waiting" in first and "id_list" in first, first
    running.send_signal(signal.SIGTERM)
    rest = running.stderr.read()
    assert running.wait(timeout=60) == 5, rest
    assert "seotasks: Interrupted" in rest and "Traceback" not in rest
    assert list(temporary.iterdir()) == [] and not page.exists()
