"""``seotasks submit``'s reading of its spec file and flags: every mistake is the line's
(or the flag's) usage error, exit 2, before anything is posted; what a spec file may
legitimately carry (a byte order mark, CRLF) is read."""

from __future__ import annotations

import json
import resource
from pathlib import Path
from typing import Any

import pytest
from clihere import run_here
from clirun import CLI, cli_env, run_process


def _write_specs(tmp_path: Path, specs: list[dict[str, Any]]) -> Path:
    path = tmp_path / "specs.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in specs) + "\n", encoding="utf-8")
    return path


def test_cli_submit_usage_errors(tmp_path: Path) -> None:
    env = cli_env(tmp_path, {"serpstat": {"token": "t"}})
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"keyword": "k", "location": 1}\n{"keyword": ""}\n', encoding="utf-8")
    done = run_here(["submit", "-p", "serpstat", str(bad)], env)
    assert done.returncode == 2 and "bad.jsonl:2" in done.stderr
    done = run_here(["submit", "-p", "serpstat", str(tmp_path / "missing.jsonl")], env)
    assert done.returncode == 2


def test_cli_submit_not_json_names_the_files_line_and_the_column(tmp_path: Path) -> None:
    """The decoder counts lines within the one line it is given: "line 1" beside the
    file's line 2 sent the reader to the wrong line; the column is what it adds."""
    env = cli_env(tmp_path, {"serpstat": {"token": "t"}})
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"keyword": "a", "location": 1}\n{"keyword": "b", location: 1}\n')
    done = run_here(["submit", "-p", "serpstat", str(bad)], env)
    assert done.returncode == 2, done.stderr
    where = "bad.jsonl:2: not JSON: Expecting property name enclosed in double quotes at column 18"
    assert where in done.stderr
    assert "line 1" not in done.stderr


def test_cli_submit_reads_a_file_saved_with_a_byte_order_mark(tmp_path: Path) -> None:
    """Windows editors and PowerShell save UTF-8 with a BOM (and CRLF): the specs are
    fine, so they are read, not refused as "not JSON" at line 1 (RFC 8259 lets a reader
    ignore the mark)."""
    from seotasks_serpstat.emulator import SerpstatEmulator

    with SerpstatEmulator(size=0, rps=None) as emu:
        env = cli_env(tmp_path, {"serpstat": {**emu.settings, "rps": "100"}})
        path = tmp_path / "bom.jsonl"
        path.write_bytes(b'\xef\xbb\xbf{"keyword": "a", "location": 23}\r\n')
        done = run_here(["submit", "-p", "serpstat", str(path)], env)
        assert done.returncode == 0, done.stderr
        assert [params["keywords"] for _, params in emu.posted()] == [["a"]]


def test_cli_submit_refuses_a_field_given_twice(tmp_path: Path) -> None:
    """JSON lets a key come twice and the last one win: a spec naming two keywords (a
    template merged twice, a copy-paste) would post one of them without a word."""
    env = cli_env(tmp_path, {"serpstat": {"token": "t"}})
    twice = tmp_path / "twice.jsonl"
    twice.write_text('{"keyword": "a", "location": 1, "keyword": "b"}\n', encoding="utf-8")
    done = run_here(["submit", "-p", "serpstat", str(twice)], env)
    assert done.returncode == 2, done.stderr
    assert "twice.jsonl:1: invalid task spec: field 'keyword' given twice" in done.stderr


def test_cli_submit_refuses_half_an_emoji_before_posting(tmp_path: Path) -> None:
    """``"\\ud83d"`` (half of an emoji, as a broken exporter writes it) parses into a
    string that cannot be sent as UTF-8: it was an internal error (exit 4) at posting
    time; it is the line's usage error, before anything is posted."""
    from seotasks_serpstat.emulator import SerpstatEmulator

    with SerpstatEmulator(size=0, rps=None) as emu:
        env = cli_env(tmp_path, {"serpstat": emu.settings})
        half = tmp_path / "half.jsonl"
        half.write_text(
            '{"keyword": "a", "location": 1}\n{"keyword": "tea \\ud83d", "location": 1}\n',
            encoding="utf-8",
        )
        done = run_here(["submit", "-p", "serpstat", str(half)], env)
        assert done.returncode == 2, done.stderr
        assert "half.jsonl:2: not JSON: a string holds a lone surrogate" in done.stderr
        assert emu.posted() == []


def test_cli_submit_bad_callback_flag_names_the_flag(tmp_path: Path) -> None:
    """A bad ``--pingback`` / ``--postback`` / ``--postback-data`` value is the command
    line's mistake, not a spec's: the one-line error names the flag (not "spec 1", which
    sent the user looking at a line that is fine), and it is refused even when no spec
    would take it (here the only spec has its own URL), with nothing posted."""
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    own = {"keyword": "k", "location": 2840, "language": "en"}
    own["pingback_url"] = own["postback_url"] = "https://hooks.example.com/x?id=$id"
    specs = _write_specs(tmp_path, [own])
    good = "https://hooks.example.com/x?id=$id"
    with DataForSEOEmulator(size=0) as emu:
        env = cli_env(tmp_path, {"dataforseo": emu.settings})
        submit = ["submit", "-p", "dataforseo", str(specs)]
        for flags, named in (
            (["--pingback", "ftp://x/{engine}"], "--pingback"),
            (["--pingback", ""], "--pingback"),
            (["--postback", "https://x/a b"], "--postback"),
            (["--postback", good, "--postback-data", "weird"], "--postback-data"),
            (["--postback-data", "html"], "--postback-data"),  # with no --postback URL
            # a typo'd placeholder would reach the vendor, and every callback, as it is
            (["--pingback", good + "&kind=serp/{engine}/{serptype}"], "--pingback"),
            (["--postback", "https://hooks.example.com/{id}"], "--postback"),
        ):
            done = run_here([*submit, *flags], env)
            assert done.returncode == 2, (flags, done.stderr)
            assert done.stderr.startswith(f"seotasks: {named}: "), (flags, done.stderr)
            assert "spec" not in done.stderr and len(done.stderr.splitlines()) == 1
        assert emu.posted() == []


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_cli_submit_checks_lines_as_they_come_in_bounded_memory(
    tmp_path: Path, device: str
) -> None:
    """A path that is no spec file (a device, a log) was read whole before its first line
    was looked at: ``submit /dev/urandom`` held 1.4 GB after 5 s and grew until the
    machine ran out. Lines are checked as they come, and one longer than any spec is
    refused: the first bad line ends the command, exit 2, in bounded memory (here under
    a 2 GiB address-space cap)."""

    def capped() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    done = run_process(
        [*CLI, "submit", "-p", "serpstat", device],
        env=cli_env(tmp_path, {"serpstat": {"token": "t"}}),
        capture_output=True,
        text=True,
        preexec_fn=capped,
        timeout=300,  # a hang guard only
    )
    assert done.returncode == 2, done.stderr[-500:]
    assert done.stderr.startswith(f"seotasks: {device}:1: "), done.stderr[-500:]
    assert len(done.stderr.splitlines()) == 1
