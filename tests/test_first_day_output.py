"""Output control of ``seotasks tasks``: ``--fields`` in every format, the CSV header only
with the first row (never before an error), and shell completion generated from the parser."""

from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
from pathlib import Path

import pytest
from clihere import run_here
from clirun import cli_env

from seotasks.export import COLUMNS, FIELDS, parse_fields

SANDBOX = ["tasks", "--sandbox", "-p", "serpstat", "--status", "any", "-L", "3", "-q"]


def test_parse_fields() -> None:
    assert parse_fields(" id , status,id") == ("id", "status")
    assert (*COLUMNS, "raw") == FIELDS
    with pytest.raises(ValueError, match=r"unknown field 'kinds' \(did you mean kind\?\)"):
        parse_fields("id,kinds")
    # A name in another case is the field it names, not one unknown without a hint.
    with pytest.raises(ValueError, match=r"unknown field 'ID' \(did you mean id\?\)"):
        parse_fields("ID")
    with pytest.raises(ValueError, match=r"did you mean completed_at\?"):
        parse_fields("Completed_At")
    with pytest.raises(ValueError, match="at least one"):
        parse_fields(" , ")


def test_fields_in_jsonl_csv_and_table(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    done = run_here([*SANDBOX, "--format", "jsonl", "--fields", "status,id"], env)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 3 and all(list(row) == ["status", "id"] for row in rows)

    done = run_here([*SANDBOX, "--format", "csv", "--fields", "id,cost", "--raw"], env)
    assert done.returncode == 0, done.stderr
    table = list(csv.reader(io.StringIO(done.stdout)))
    assert table[0] == ["id", "cost", "raw"] and len(table) == 4
    assert isinstance(json.loads(table[1][2]), dict)

    done = run_here([*SANDBOX, "--format", "table", "--fields", "id,engine,status"], env)
    assert done.returncode == 0, done.stderr
    head, _rule, *body = done.stdout.splitlines()
    assert head.split() == ["ID", "ENGINE", "STATUS"] and len(body) == 3
    assert body[0].split()[1] == "google"


def test_unknown_field_is_a_usage_error(tmp_path: Path) -> None:
    done = run_here([*SANDBOX, "--format", "csv", "--fields", "id,kinds"], cli_env(tmp_path))
    assert done.returncode == 2
    assert "unknown field 'kinds' (did you mean kind?)" in done.stderr
    assert done.stdout == ""
    done = run_here([*SANDBOX, "--format", "table", "--fields", "id,raw"], cli_env(tmp_path))
    assert done.returncode == 2 and "no raw column" in done.stderr


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_csv_header_never_before_an_error(tmp_path: Path) -> None:
    settings = {"token": "t", "base_url": f"http://127.0.0.1:{_closed_port()}/"}
    env = cli_env(tmp_path, {"serpstat": settings})
    # The retries' backoff on a clock 50 times faster: what matters is what is written.
    done = run_here(["tasks", "-p", "serpstat", "--format", "csv"], env, speed=50)
    assert done.returncode == 4, done.stderr
    assert done.stdout == ""  # `> out.csv` is left empty, not a header that looks like success


def test_csv_header_of_an_empty_listing_and_limit_zero(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    done = run_here([*SANDBOX[:-3], "-L", "0", "-q", "--format", "csv"], env)
    assert done.returncode == 0 and done.stdout == ",".join(COLUMNS) + "\n"
    done = run_here([*SANDBOX[:-3], "-L", "0", "-q", "--format", "csv", "--fields", "id"], env)
    assert done.stdout == "id\n"


def _complete(script: Path, line: str) -> list[str]:
    """What bash completes for ``line`` with the generated script loaded."""
    words = line.split(" ")
    program = (
        f"source {script}; COMP_LINE={line!r}; COMP_POINT=${{#COMP_LINE}}; "
        f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}; "
        '_shtab_seotasks; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_bash_completion_from_the_parser(tmp_path: Path) -> None:
    done = run_here(["completion", "bash"], cli_env(tmp_path))
    assert done.returncode == 0, done.stderr
    script = tmp_path / "seotasks.bash"
    script.write_text(done.stdout)
    subprocess.run(["bash", "-n", str(script)], check=True)
    assert _complete(script, "seotasks ch") == ["check"]
    assert "--fields" in _complete(script, "seotasks tasks --fi")
    assert _complete(script, "seotasks tasks --format ") == ["table", "jsonl", "csv"]
    assert "--resume" in _complete(script, "seotasks submit --re")
    # The installed providers, after -p of a command taking many or one.
    assert {"dataforseo", "serpstat"} <= set(_complete(script, "seotasks tasks -p "))
    assert _complete(script, "seotasks collect -p serp") == ["serpstat"]
    assert _complete(script, "seotasks check --provider data") == ["dataforseo"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_completion(tmp_path: Path, shell: str) -> None:
    done = run_here(["completion", shell], cli_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "seotasks" in done.stdout and "--fields" in done.stdout and "check" in done.stdout
