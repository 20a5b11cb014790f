"""The report over a store written by ``seotasks load``: the selection flags and the
collection record against DuckDB queries written here, and stores that are missing,
foreign (another file, another database), older or hand-made."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from clihere import run_here
from clirun import cli_env, popen, sandbox_store

from seotasks.errors import ConfigError
from seotasks.report.figures import Figures, compute
from seotasks.report.source import Selection, from_store

NOW = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small store with a results table: ``seotasks load --sandbox --collect``."""
    folder = tmp_path_factory.mktemp("collected")
    return sandbox_store(folder, "--sandbox-size", "60", "--collect", "--seed", "4")


def _independent(path: Path, sql: str) -> list[tuple[Any, ...]]:
    db = duckdb.connect()
    try:
        db.execute("SET TimeZone = 'UTC'")
        db.execute(f"ATTACH '{path}' AS mine (READ_ONLY)")
        return db.execute(sql).fetchall()
    finally:
        db.close()


def test_the_results_table_says_what_was_collected(collected: Path) -> None:
    held = from_store(collected)
    try:
        f = compute(held, now=NOW)
    finally:
        held.close()
    assert f.collection == "results table"
    # A task of an API with no task_get (DataForSEO's live-only ones) is stored with an
    # UnsupportedQuery error: never to be collected, so neither waiting nor failed. One
    # not collected and older than its provider keeps results (DataForSEO: 30 days) is
    # expired: no fetch can bring it now, so it is not counted as waiting either.
    truth = {
        p: (completed, ok, never, failed, missing, expired)
        for p, completed, ok, never, failed, missing, expired in _independent(
            collected,
            f"""
            WITH b AS (
              SELECT t.provider, r.id, r.error,
                t.provider = 'dataforseo' AND coalesce(t.completed_at, t.created_at)
                  < TIMESTAMPTZ '{NOW.isoformat()}' - INTERVAL 30 DAY AS gone,
                (r.id IS NULL OR r.error IS NOT NULL)
                  AND (r.error IS NULL OR r.error NOT LIKE 'UnsupportedQuery:%') AS not_collected
              FROM mine.seotasks.tasks t
              LEFT JOIN mine.seotasks.results r ON r.provider = t.provider AND r.id = t.id
              WHERE t.status = 'completed'
            )
            SELECT provider, count(*),
              count(*) FILTER (WHERE id IS NOT NULL AND error IS NULL),
              count(*) FILTER (WHERE error LIKE 'UnsupportedQuery:%'),
              count(*) FILTER (WHERE not_collected AND error IS NOT NULL AND NOT gone),
              count(*) FILTER (WHERE not_collected AND NOT gone),
              count(*) FILTER (WHERE not_collected AND gone)
            FROM b GROUP BY provider
            """,
        )
    }
    got = {
        b.provider: (
            b.completed,
            b.collected,
            b.not_collectable,
            b.collection_failed,
            b.not_collected,
            b.expired,
        )
        for b in f.backlog
    }
    assert got == truth
    assert sum(b.expired for b in f.backlog) > 0
    # The overview counts as the backlog does: an expired task is not "not collected"
    # (the page's table said 913 not collected beside "every completed task was collected").
    waiting = {b.provider: b.not_collected for b in f.backlog}
    assert {p.provider: p.not_collected for p in f.providers} == waiting
    by_kind = {}
    for g in f.groups:
        by_kind[g.provider] = by_kind.get(g.provider, 0) + (g.not_collected or 0)
    assert by_kind == waiting
    assert sum(b.collected for b in f.backlog) > 0 and sum(b.not_collectable for b in f.backlog)


def test_the_selection_flags_select_in_the_store(collected: Path, tmp_path: Path) -> None:
    [(middle,)] = _independent(
        collected,
        "SELECT quantile_disc(created_at, 0.5) FROM mine.seotasks.tasks "
        "WHERE provider = 'dataforseo'",
    )
    [(expected,)] = _independent(
        collected,
        "SELECT count(*) FROM mine.seotasks.tasks WHERE provider = 'dataforseo' "
        f"AND status = 'completed' AND created_at >= TIMESTAMPTZ '{middle.isoformat()}'",
    )
    chosen = Selection(providers=("dataforseo",), status="completed", since=middle)
    held = from_store(collected, selection=chosen)
    try:
        f = compute(held, now=NOW)
    finally:
        held.close()
    assert [(p.provider, p.tasks, p.completed) for p in f.providers] == [
        ("dataforseo", expected, expected)
    ]
    # The same through the command, as JSON on stdout.
    made = run_here(
        [
            "report",
            "--from",
            str(collected),
            "-p",
            "dataforseo",
            "--status",
            "completed",
            "--since",
            middle.isoformat(),
            "--format",
            "json",
        ],
        cli_env(tmp_path),
    )
    assert made.returncode == 0, made.stderr
    data = json.loads(made.stdout)
    assert [(p["provider"], p["tasks"]) for p in data["providers"]] == [("dataforseo", expected)]
    assert data["selection"]["since"] == middle.astimezone(UTC).isoformat()


def test_a_missing_or_foreign_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="seotasks load"):
        from_store(tmp_path / "absent.duckdb")
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(ConfigError, match=r"no table seotasks\.tasks"):
        from_store(empty)
    text = tmp_path / "text.duckdb"
    text.write_text("not a database")
    with pytest.raises(ConfigError, match="cannot open"):
        from_store(text)
    # DuckDB would take a SQLite file for one to read through its sqlite extension,
    # downloading the extension from the network first: read as DuckDB's own, or not at all.
    other = tmp_path / "tasks.sqlite"
    sqlite3.connect(other).close()
    with sqlite3.connect(other) as held:
        held.execute("CREATE TABLE tasks (id TEXT)")
    with pytest.raises(ConfigError, match="not a valid DuckDB database file") as refused:
        from_store(other)
    assert "extension" not in str(refused.value)


def _hand_made(path: Path, columns: str, rows: str) -> Path:
    """A store at ``path`` whose ``seotasks.tasks`` has only ``columns`` and ``rows``."""
    db = duckdb.connect(str(path))
    db.execute("CREATE SCHEMA seotasks")
    db.execute(f"CREATE TABLE seotasks.tasks ({columns})")
    db.execute(f"INSERT INTO seotasks.tasks VALUES {rows}")
    db.close()
    return path


def _figures(path: Path, **kwargs: Any) -> Figures:
    held = from_store(path)
    try:
        return compute(held, now=NOW, **kwargs)
    finally:
        held.close()


def test_an_older_store_without_the_newer_columns_still_reports(tmp_path: Path) -> None:
    old = _hand_made(
        tmp_path / "old.duckdb",
        "provider VARCHAR, id VARCHAR, status VARCHAR, created_at TIMESTAMPTZ, "
        "completed_at TIMESTAMPTZ, kind VARCHAR, cost DECIMAL(38,10)",
        "('a', '1', 'completed', '2026-11-01 00:00:00+00', '2026-11-01 00:01:40+00', 'serp', 0.5)",
    )
    [a] = _figures(old).providers
    assert (a.turnaround.p50, a.queue.n, a.spend) == (100.0, 0, 0.5)


def test_the_store_groups_by_its_tag_column(tmp_path: Path) -> None:
    tagged = _hand_made(
        tmp_path / "tagged.duckdb",
        "provider VARCHAR, id VARCHAR, status VARCHAR, tag VARCHAR",
        "('a', '1', 'completed', 'spring'), ('a', '2', 'failed', 'spring'), "
        "('a', '3', 'completed', NULL), ('b', '4', 'completed', 'spring')",
    )
    got = sorted((g.provider, g.label, g.tasks) for g in _figures(tagged, by=("tag",)).groups)
    assert got == [("a", "(not reported)", 1), ("a", "spring", 2), ("b", "spring", 1)]


def test_a_store_another_process_is_writing_is_exit_6_not_a_foreign_file(
    tmp_path: Path,
) -> None:
    """DuckDB lets one process write a file, and while ``seotasks load`` writes the store
    a report cannot attach it. The report called that ``ConfigError: cannot open it as a
    DuckDB file`` with exit 2 ("fix the command line"), so an hourly report beside an
    hourly load read as misconfigured; a held store is exit 6 everywhere else (``load``,
    the journals): wait for the other run. Here the writer is another process holding
    the file open for writing, as a load does."""
    store = _hand_made(
        tmp_path / "held.duckdb",
        "provider VARCHAR, id VARCHAR, status VARCHAR",
        "('a', '1', 'completed')",
    )
    holder = popen(
        [
            sys.executable,
            "-c",
            "import sys, duckdb\n"
            f"db = duckdb.connect({str(store)!r})\n"
            "print('held', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        page = tmp_path / "page.html"
        held = run_here(["report", "--from", str(store), "--to", str(page)], cli_env(tmp_path))
    finally:
        holder.communicate("", timeout=60)
    assert held.returncode == 6, held.stderr
    assert f"StorageError: {store}: another process holds it" in held.stderr
    assert f"(PID {holder.pid})" in held.stderr
    assert "not a valid" not in held.stderr and "cannot open it as a DuckDB file" not in held.stderr
    assert len(held.stderr.strip().splitlines()) == 1 and not page.exists()

    released = run_here(["report", "--from", str(store), "--to", str(page)], cli_env(tmp_path))
    assert released.returncode == 0, released.stderr


def test_the_json_gives_a_sub_cent_spend_as_the_page_does(tmp_path: Path) -> None:
    """Three DataForSEO Labs tasks at 0.0000375 each spend 0.0001125. The page's
    ``data-value`` said so, the JSON (the same figures, for scripts) said 0.000112: every
    float was rounded to 6 decimals, which hides the noise of 805.4000000000001 s but cut
    a price of fractions of a cent in its fourth digit. Both now agree, exactly."""
    cheap = _hand_made(
        tmp_path / "cheap.duckdb",
        "provider VARCHAR, id VARCHAR, status VARCHAR, cost DECIMAL(38,9)",
        "('dataforseo', '1', 'completed', 0.0000375), ('dataforseo', '2', 'completed', "
        "0.0000375), ('dataforseo', '3', 'failed', 0.0000375)",
    )
    env = cli_env(tmp_path)
    data = run_here(["report", "--from", str(cheap), "--format", "json"], env)
    assert data.returncode == 0, data.stderr
    [provider] = json.loads(data.stdout)["providers"]
    assert (provider["spend"], provider["cost_per_1000"]) == (0.0001125, 0.0375)
    assert provider["failure_rate"] == pytest.approx(1 / 3, rel=1e-11)
    page = tmp_path / "page.html"
    made = run_here(["report", "--from", str(cheap), "--to", str(page), "-q"], env)
    assert made.returncode == 0, made.stderr
    text = page.read_text(encoding="utf-8")
    assert 'data-col="spend" data-value="0.0001125"' in text
    # Every float at the JSON's twelve digits: the page said 0.3333333333333333.
    rate = re.search(r'data-col="failure_rate" data-value="([^"]+)"', text)
    assert rate is not None and rate.group(1) == str(provider["failure_rate"]) == "0.333333333333"


def test_the_store_takes_a_provider_spelt_as_the_other_commands_take_it(
    tmp_path: Path,
) -> None:
    """``-p SerpStat`` names serpstat to ``seotasks load``, ``tasks`` and ``report
    --sandbox``; against the store the report answered ``no task of provider SerpStat ...
    did you mean serpstat?``, exit 2."""
    store = _hand_made(
        tmp_path / "two.duckdb",
        "provider VARCHAR, id VARCHAR, status VARCHAR",
        "('dataforseo', '1', 'completed'), ('serpstat', '2', 'completed')",
    )
    args = ["report", "--from", str(store), "-p", " SerpStat", "--format", "json"]
    data = run_here(args, cli_env(tmp_path))
    assert data.returncode == 0, data.stderr
    figures = json.loads(data.stdout)
    assert [p["provider"] for p in figures["providers"]] == ["serpstat"]
    assert figures["selection"]["providers"] == ["serpstat"]


@pytest.mark.parametrize("fmt", ["html", "json"])
def test_the_page_never_replaces_a_duckdb_file(fmt: str, tmp_path: Path) -> None:
    """``--to warehouse.duckdb`` (the store's name where the page's was meant) wrote the
    page over the store it had just read, exit 0: every task loaded so far, gone. A
    ``--to`` that is a DuckDB database, this store or another, is refused before any
    work (exit 2) and the file is left as it was."""
    store = _hand_made(
        tmp_path / "warehouse.duckdb",
        "provider VARCHAR, id VARCHAR, status VARCHAR",
        "('serpstat', '1', 'completed')",
    )
    before = store.read_bytes()
    for to in ("warehouse.duckdb", str(store)):
        args = ["report", "--from", str(store), "--format", fmt, "--to", to]
        done = run_here(args, cli_env(tmp_path), cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert f"--to {to}: is a DuckDB database" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        assert store.read_bytes() == before
    assert _independent(store, "SELECT count(*) FROM mine.seotasks.tasks") == [(1,)]


def test_in_the_store_a_provider_no_listing_of_which_reports_failures_has_no_rate(
    collected: Path, tmp_path: Path
) -> None:
    """No Serpstat listing reports a failed task (its task list has no such status,
    whatever the options), so the store's Serpstat rows fail at 0 % by construction: the
    report printed that 0.0 % beside DataForSEO history's measured rate, in the overview,
    the chart and the side-by-side table. DataForSEO keeps its rate (its history reports
    failures, though its ready list does not); a provider not installed here (``a`` in a
    hand-made store) keeps its rate too, since nothing says it cannot fail."""
    data = run_here(["report", "--from", str(collected), "--format", "json"], cli_env(tmp_path))
    assert data.returncode == 0, data.stderr
    figures = json.loads(data.stdout)
    rates = {p["provider"]: p["failure_rate"] for p in figures["providers"]}
    assert rates["serpstat"] is None and rates["dataforseo"] is not None
    assert any(n.startswith("serpstat: its listing never reports failed") for n in figures["notes"])

    unknown = _hand_made(
        tmp_path / "unknown.duckdb",
        "provider VARCHAR, id VARCHAR, status VARCHAR",
        "('a', '1', 'completed'), ('a', '2', 'completed')",
    )
    [a] = _figures(unknown).providers
    assert a.failure_rate == 0.0


def test_a_store_whose_blocks_do_not_read_is_exit_2_not_an_internal_error(
    tmp_path: Path,
) -> None:
    """A damaged block (its checksum fails) is found after the file attaches, by the
    first query that reads it: that was "internal error", exit 4 (a vendor's, by the
    exit code table); it is the file, as one DuckDB cannot open is."""
    from clihere import run_here
    from clirun import cli_env

    rows = ", ".join(
        f"('a', '{n}', 'completed', '2026-11-01 00:00:00+00', '2026-11-01 00:01:40+00')"
        for n in range(20_000)
    )
    columns = "provider VARCHAR, id VARCHAR, status VARCHAR, created_at TIMESTAMPTZ, "
    store = _hand_made(tmp_path / "s.duckdb", columns + "completed_at TIMESTAMPTZ", rows)
    with duckdb.connect(str(store)) as db:  # where the ids are: a block of the table's data
        [(block,)] = db.execute(
            "SELECT max(block_id) FROM pragma_storage_info('seotasks.tasks') "
            "WHERE column_name = 'id' AND persistent"
        ).fetchall()
        size = db.execute("SELECT block_size FROM pragma_database_size()").fetchall()[0][0]
    data = bytearray(store.read_bytes())
    at = 3 * 4096 + block * size  # the file's three header blocks, then its blocks
    data[at + 8 : at + 4096] = b"\xff" * (4096 - 8)  # past the block's checksum
    store.write_bytes(bytes(data))
    done = run_here(
        ["report", "--from", str(store), "--to", str(tmp_path / "r.html")], cli_env(tmp_path)
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"seotasks: ConfigError: {store}: cannot read it as a DuckDB")


def test_a_result_the_vendor_sent_as_null_is_collected(collected: Path, tmp_path: Path) -> None:
    """Collected means fetched without an error, as the loader's backfill reads it: the
    report reads the ``error`` column only (scanning ``result`` for "is not null" read
    every result's bytes), so a vendor's JSON null, stored as NULL, is collected too."""
    store = tmp_path / "store.duckdb"
    shutil.copyfile(collected, store)

    def counted() -> int:
        held = from_store(store)
        try:
            return sum(b.collected for b in compute(held, now=NOW).backlog)
        finally:
            held.close()

    before = counted()
    with duckdb.connect(str(store)) as db:
        [(changed,)] = db.execute(
            "UPDATE seotasks.results SET result = NULL WHERE id = (SELECT min(r.id) FROM "
            "seotasks.results r JOIN seotasks.tasks t USING (provider, id) WHERE "
            "r.error IS NULL AND t.status = 'completed' AND t.provider = 'serpstat')"
        ).fetchall()
    assert changed == 1
    assert counted() == before
