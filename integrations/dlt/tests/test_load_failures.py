"""Ordinary failures of ``seotasks load``: each one line on stderr with its documented
exit code, never "internal error", and, where the run cannot write, no vendor call.

| situation | code |
|---|---|
| ``--to`` in a folder that cannot be written | 6 |
| ``--pipelines-dir`` that cannot be written | 6 |
| another ``seotasks load`` into the same DuckDB file | 6 |
| the DuckDB file held open by another process | 6 |
| a ``--to`` file of another database (SQLite) | 6 |
| credentials the vendor refuses (and no empty ``.duckdb`` left behind) | 3 |
| a ``--destination`` whose configuration dlt cannot find, or whose driver is missing | 2 |
| a ``--destination`` name dlt does not know | 2 |
| an empty ``--dataset``, or one dlt would store under another name | 2 |
| a ``--pipeline`` name that is empty or no folder name | 2 |
| the DuckDB file filling the disk mid-load | 6 |
| SIGINT / SIGTERM (`test_signals.py`) | 5 |

Tests run as root, for whom ``chmod`` does not make a folder read-only: a path below a
regular file is a folder nothing can create.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import forkrun
import pytest
from dltenv import (
    SEOTASKS,
    cli_env,
    duckdb_rows,
    load_command,
    ready_emulator,
    run_here,
    run_process,
)
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_dlt.duckdb_file import open_duckdb


@pytest.fixture
def emulator() -> Iterator[DataForSEOEmulator]:
    started = ready_emulator(30)
    yield started
    started.stop()


def _load(
    tmp: Path, settings: dict[str, str], *args: str, process: bool = False
) -> subprocess.CompletedProcess[str]:
    """``seotasks load --collect`` of DataForSEO in folder ``tmp``: in this process
    (`run_here`) where what counts is what the command says and does, in a process of its
    own (``process``) where a lock held by this one must be another process's."""
    command = ["load", "-p", "dataforseo", "-o", "families=serp", "--collect", *args]
    env = cli_env(tmp, {"dataforseo": settings})
    if not process:
        return run_here(command, env, cwd=tmp)
    return run_process(
        [*SEOTASKS, *command], env, capture_output=True, text=True, cwd=tmp, timeout=120
    )


def _one_line(done: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert done.returncode == code, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "internal error" not in lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    assert done.stdout == ""


def _no_call(emulator: DataForSEOEmulator) -> None:
    """Refused before anything was asked of the vendor."""
    assert emulator.calls == {"tasks_ready": 0, "id_list": 0, "other": 0}


@pytest.mark.parametrize(
    ("to", "pipelines", "code", "words"),
    [
        # A missing folder is a mistake in the path (exit 2), never made: a typo would
        # start a new, empty store elsewhere.
        ("file/sub/x.duckdb", "p", 2, ("ConfigError", "file/sub does not exist")),
        ("x.duckdb", "file/sub", 6, ("StorageError", "pipelines folder")),
    ],
)
def test_an_unusable_to_or_pipelines_folder_is_refused_before_any_vendor_call(
    tmp_path: Path,
    emulator: DataForSEOEmulator,
    to: str,
    pipelines: str,
    code: int,
    words: tuple[str, ...],
) -> None:
    (tmp_path / "file").write_text("not a folder")  # so nothing can be created under it
    done = _load(tmp_path, emulator.settings, "--to", to, "--pipelines-dir", pipelines)
    _one_line(done, code, *words)
    _no_call(emulator)
    assert not (tmp_path / "x.duckdb").exists()


@contextlib.contextmanager
def _another_load(database: Path) -> Iterator[object]:
    """What a running ``seotasks load`` into ``database`` holds (its lock file beside it)."""
    with contextlib.ExitStack() as stack:
        yield open_duckdb(database, stack)


def _another_process(database: Path) -> contextlib.AbstractContextManager[object]:
    """DuckDB's own lock: one writing process per file."""
    return duckdb.connect(str(database))


@pytest.mark.parametrize(
    ("holder", "word"),
    [(_another_load, "already running"), (_another_process, "open in another process")],
)
def test_a_duckdb_file_held_by_another_load_or_process_is_exit_6(
    tmp_path: Path,
    emulator: DataForSEOEmulator,
    holder: Callable[[Path], contextlib.AbstractContextManager[object]],
    word: str,
) -> None:
    database = tmp_path / "x.duckdb"
    with holder(database):
        done = _load(
            tmp_path, emulator.settings, "--to", str(database), "--pipelines-dir", "p", process=True
        )
    _one_line(done, 6, word)
    _no_call(emulator)


def test_a_to_file_of_another_database_is_exit_2_and_left_as_it_was(
    tmp_path: Path, emulator: DataForSEOEmulator
) -> None:
    """A SQLite file is not taken for a database to load into through DuckDB's sqlite
    extension (which DuckDB would first download): it is no DuckDB file, and untouched.
    A path naming the wrong kind of file is exit 2, as ``report --from`` has it (it was
    6, a storage error, beside the report's 2 for the same file)."""
    other = tmp_path / "tasks.duckdb"  # by its name, but SQLite inside
    with contextlib.closing(sqlite3.connect(other)) as held:
        held.execute("CREATE TABLE mine (id TEXT)")
        held.commit()
    before = other.read_bytes()
    done = _load(tmp_path, emulator.settings, "--to", str(other), "--pipelines-dir", "p")
    _one_line(done, 2, "ConfigError", "not a valid DuckDB database file")
    assert "extension" not in done.stderr
    _no_call(emulator)
    assert other.read_bytes() == before


def test_refused_credentials_are_exit_3_and_leave_no_empty_duckdb_file(
    tmp_path: Path, emulator: DataForSEOEmulator
) -> None:
    settings = {**emulator.settings, "password": "wrong"}
    done = _load(tmp_path, settings, "--to", "x.duckdb", "--pipelines-dir", "p")
    _one_line(done, 3, "AuthError")
    assert "wrong" not in done.stderr
    assert not (tmp_path / "x.duckdb").exists()
    assert not (tmp_path / "x.duckdb.wal").exists()


_NO_PYODBC = pytest.mark.skipif(
    importlib.util.find_spec("pyodbc") is not None, reason="mssql's driver is installed"
)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        # Without its credentials: dlt's ConfigFieldMissingException was an internal
        # error (exit 4); a missing credential is a configuration error.
        pytest.param(
            ["--destination", "snowflake"], ("snowflake", "credentials"), id="no-configuration"
        ),
        # dlt's MissingDependencyException was an internal error (exit 4); what fixes it
        # is an install, named on the line, not a run again.
        pytest.param(
            ["--destination", "mssql"],
            ('pip install "dlt[mssql]"',),
            id="no-driver",
            marks=_NO_PYODBC,
        ),
        # Misspelt: dlt's UnknownDestinationModule, exit 4 and a paragraph of dlt's module
        # search; it is a usage error like an unknown provider.
        pytest.param(["--destination", "postgress"], ("postgress",), id="unknown-destination"),
        # Loaded into dlt's own default dataset (``<pipeline>_dataset``) while the summary
        # said "dataset :", where neither a later run nor ``seotasks report`` looks.
        pytest.param(["--dataset", ""], ("dataset",), id="empty-dataset"),
        # Loaded into schema ``seo_data`` (dlt normalizes names) while the summary said
        # "dataset SeoData", and ``report --dataset SeoData`` found no table.
        pytest.param(["--dataset", "SeoData"], ("'SeoData'", "seo_data"), id="renamed-dataset"),
        # PostgreSQL stored a name of 70 characters shortened with a hash: exit 0, and the
        # tables were not under the name the summary showed.
        pytest.param(["--dataset", "d" * 70], ("at most 63 characters",), id="dataset-too-long"),
        # dlt's InvalidPipelineName (exit 4), met after the DuckDB file was opened; an
        # empty name quietly ran the default pipeline, another account's cursors. The
        # name is a folder of the pipelines folder: checked first.
        pytest.param(["--pipeline", "a/b"], ("pipeline name",), id="pipeline-with-a-slash"),
        pytest.param(["--pipeline", ""], ("pipeline name",), id="empty-pipeline"),
        # dlt names the schema after the pipeline, a Python identifier of at most 64
        # characters: "internal error: InvalidSchemaName" (or, for a name too long for a
        # folder, "OSError: File name too long"), exit 4.
        pytest.param(["--pipeline", "0x10"], ("pipeline name",), id="pipeline-not-identifier"),
        pytest.param(["--pipeline", "ünï-💥"], ("pipeline name",), id="pipeline-unicode"),
        pytest.param(["--pipeline", "x" * 300], ("pipeline name",), id="pipeline-too-long"),
        pytest.param(
            ["--to", "x" * 300 + ".duckdb"], ("File name too long",), id="duckdb-name-too-long"
        ),
    ],
)
def test_a_setting_dlt_cannot_use_is_exit_2_before_any_vendor_call(
    tmp_path: Path, emulator: DataForSEOEmulator, args: list[str], words: tuple[str, ...]
) -> None:
    """Each is one ConfigError line (exit 2) before the vendor is asked anything and
    before the DuckDB file is made: nothing should be fetched that cannot be loaded."""
    done = _load(tmp_path, emulator.settings, *args, "--pipelines-dir", "p")
    _one_line(done, 2, "ConfigError", *words)
    _no_call(emulator)
    assert not (tmp_path / "seotasks.duckdb").exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--workers", "65"], "--workers: must be within 1..64"),
        (["--lock-wait", "nan"], "--lock-wait: must be a number of seconds >= 0, not 'nan'"),
        (["--lock-wait", "-1"], "--lock-wait: must be a number of seconds >= 0, not '-1'"),
        (["--run-mb", "0"], "--run-mb: must be 1 or more, not 0"),
    ],
    ids=["workers", "lock-wait-nan", "lock-wait-negative", "run-mb"],
)
def test_a_flag_out_of_range_is_exit_2_before_any_vendor_call(
    tmp_path: Path, emulator: DataForSEOEmulator, args: list[str], said: str
) -> None:
    """``--workers 65`` was taken (only ``< 1`` was refused), the tasks listed, and then
    the results' fetch refused it: "internal error: PipelineStepFailed ... workers must
    be an integer in 1..64", exit 4, as ``collect`` refuses it at once. ``--lock-wait
    nan`` was taken as a wait."""
    done = _load(tmp_path, emulator.settings, *args, "--pipelines-dir", "p")
    _one_line(done, 2, said)
    _no_call(emulator)


def test_a_path_of_the_wrong_kind_is_exit_2_before_any_vendor_call(
    tmp_path: Path, emulator: DataForSEOEmulator
) -> None:
    """A folder named as the DuckDB file was "StorageError: cannot open d.duckdb: IO
    Error ... Is a directory" and a file named as the pipelines folder "StorageError: ...
    not writable: File exists" (exit 6, the machine's state), where ``collect --to`` a
    file is exit 2: a path naming the wrong kind of thing is the command's to fix."""
    (tmp_path / "d.duckdb").mkdir()
    (tmp_path / "afile").write_text("x")
    for args, words in (
        (["--to", "d.duckdb", "--pipelines-dir", "p"], ("d.duckdb", "is a directory")),
        (["--pipelines-dir", "afile"], ("afile", "not a directory")),
    ):
        done = _load(tmp_path, emulator.settings, *args)
        _one_line(done, 2, "ConfigError", *words)
    _no_call(emulator)


@pytest.mark.parametrize("limit_kb", [1536, 2560])
def test_a_full_disk_mid_load_is_one_line_and_the_next_run_loads_the_rest(
    tmp_path: Path, limit_kb: int
) -> None:
    """DuckDB's file stops growing (``RLIMIT_FSIZE``, a disk filling up) at 1.5 MB, as
    DuckDB writes the run of the listed tasks' rows to the file (its checkpoint), or at
    2.5 MB, while dlt loads the first package of results: exit 6 with one line. dlt's own
    log added five tracebacks per try of the job (342 lines on stderr before that line,
    at dlt's default of five tries). The next run, with room, loads every result once,
    and counts the package the failed run left as its own (it said "0 new" of them)."""
    emulator = ready_emulator(200, seed=80)
    try:
        truth = emulator.ready_ids(["serp"])
        database = tmp_path / "x.duckdb"
        command = load_command(database, tmp_path / "p", fast=True)
        env = {**cli_env(tmp_path, {"dataforseo": emulator.settings})}
        env["SEOTASKS_TEST_CLOCK_SPEED"] = "20"
        # dlt tries a job that failed on a transient error five times, a second apart
        # (``load.raise_on_max_retries``), before the run fails: a full disk ends the
        # same way after one try, four seconds sooner.
        env["LOAD__RAISE_ON_MAX_RETRIES"] = "1"
        done = run_process(
            command,
            env,
            capture_output=True,
            text=True,
            timeout=300,
            preexec_fn=forkrun.capped_files(limit_kb * 1024),
        )
        _one_line(done, 6, "StorageError", "File too large", "run the same command again")
        query = "SELECT count(DISTINCT id) FROM {t}.results"
        [(before,)] = duckdb_rows(database, query) if database.exists() else [(0,)]

        again = run_process(command, env, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        ids = [i for (i,) in duckdb_rows(database, "SELECT id FROM {t}.results")]
        assert len(ids) == len(set(ids)) and set(ids) == truth
        # The failed run's pending package, loaded by this one, is counted as its own:
        # the line said "0 new" of the results it loaded from it.
        assert f"({len(truth) - before} new, " in again.stdout.split("results ")[1], again.stdout
    finally:
        emulator.stop()


def test_a_missing_profile_is_exit_2_before_the_destination_is_asked(tmp_path: Path) -> None:
    """A misnamed profile and a destination that does not answer: the lock in the
    destination was taken first, and its "connection refused" (exit 6) hid the typo."""
    env = cli_env(tmp_path, {})
    command = ["load", "-p", "serpstat", "--profile", "nosuch", "--pipelines-dir", "p"]
    done = run_here([*command, "--to", "postgresql://u:pw@127.0.0.1:1/seo"], env, cwd=tmp_path)
    _one_line(done, 2, "ConfigError", "profile 'nosuch' requested but")
