"""Output control of ``seotasks tasks``: ``--fields`` in every format, the CSV header only
with the first row (never before an error), and shell completion generated from the parser."""

from __future__ import annotations

import csv
import io
import json
import socket
from pathlib import Path

import pytest
from clihere import run_here
from clirun import cli_env, run_process

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
    none = run_here([*SANDBOX, "--fields", " , "], cli_env(tmp_path))
    assert none.returncode == 2 and none.stdout == ""
    assert none.stderr.startswith("seotasks: --fields: name at least one field of: provider, ")
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


def _complete(script: Path, line: str, cwd: Path | None = None) -> list[str]:
    """What bash completes for ``line`` with the generated script loaded (in ``cwd``)."""
    words = line.split(" ")
    program = (
        f"source {script}; COMP_LINE={line!r}; COMP_POINT=${{#COMP_LINE}}; "
        f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}; "
        '_shtab_seotasks; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = run_process(["bash", "-c", program], capture_output=True, text=True, check=True, cwd=cwd)
    return done.stdout.split()


def test_bash_completion_from_the_parser(tmp_path: Path) -> None:
    done = run_here(["completion", "bash"], cli_env(tmp_path))
    assert done.returncode == 0, done.stderr
    script = tmp_path / "seotasks.bash"
    script.write_text(done.stdout)
    run_process(["bash", "-n", str(script)], check=True)
    assert _complete(script, "seotasks ch") == ["check"]
    assert "--fields" in _complete(script, "seotasks tasks --fi")
    assert _complete(script, "seotasks tasks --format ") == ["table", "jsonl", "csv"]
    assert "--resume" in _complete(script, "seotasks submit --re")
    # The installed providers, after -p of a command taking many or one.
    assert {"dataforseo", "serpstat"} <= set(_complete(script, "seotasks tasks -p "))
    assert _complete(script, "seotasks collect -p serp") == ["serpstat"]
    assert _complete(script, "seotasks check --provider data") == ["dataforseo"]
    assert _complete(script, "seotasks submit --postback-data a") == ["advanced"]


def test_bash_completes_paths_where_a_command_takes_one(tmp_path: Path) -> None:
    """A file or folder argument completed nothing: ``--to results_d<TAB>`` beeped."""
    done = run_here(["completion", "bash"], cli_env(tmp_path))
    script = tmp_path / "seotasks.bash"
    script.write_text(done.stdout)
    (tmp_path / "results_dir").mkdir()
    (tmp_path / "specs.jsonl").write_text("")
    (tmp_path / "store.duckdb").write_text("")

    def completed(line: str) -> list[str]:
        return _complete(script, line, cwd=tmp_path)

    assert completed("seotasks collect --to results_") == ["results_dir"]
    assert completed("seotasks collect --to spec") == []  # a folder's place: no files
    assert completed("seotasks submit -p dataforseo spec") == ["specs.jsonl"]
    assert completed("seotasks report --from sto") == ["store.duckdb"]
    assert completed("seotasks tasks --resume spec") == ["specs.jsonl"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_completion(tmp_path: Path, shell: str) -> None:
    done = run_here(["completion", shell], cli_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "seotasks" in done.stdout and "--fields" in done.stdout and "check" in done.stdout
    folders = {"zsh": "_files -/", "fish": "__fish_complete_directories"}[shell]
    assert folders in done.stdout  # the folder arguments complete folders


def test_a_plugin_failure_is_listed_without_its_control_characters(tmp_path: Path) -> None:
    """The failure's name and error may quote anything (here the variable's value; a
    plugin's exception text): its line was printed raw, ESC sequences and all."""
    limited = {
        **cli_env(tmp_path),
        "SEOTASKS_LOAD_PLUGINS": "serpstat,dataf\x1b[2J\x1b]0;owned\x07\rX",
    }
    listing = run_here(["providers"], limited)
    assert listing.returncode == 0
    [line] = [line for line in listing.stdout.splitlines() if line.startswith("FAILED")]
    assert line.startswith("FAILED dataf[2J]0;ownedX (SEOTASKS_LOAD_PLUGINS): "), line
    assert not [ch for ch in listing.stdout if ord(ch) < 0x20 and ch != "\n"]
