"""``seotasks submit`` asks the provider about every spec before anything is posted."""

from __future__ import annotations

import json
from pathlib import Path

from clihere import run_here
from clirun import cli_env
from seotasks_serpstat.emulator import SerpstatEmulator


def _refused_by_serpstat(tmp_path: Path, specs: Path) -> str:
    """``seotasks submit -p serpstat SPECS`` on an emulator: refused (exit 2) with nothing
    posted and nothing on stdout; what it said on stderr."""
    with SerpstatEmulator(size=0, rps=None) as emu:
        env = cli_env(tmp_path, {"serpstat": {**emu.settings, "rps": "100"}})
        done = run_here(["submit", "-p", "serpstat", str(specs)], env)
        assert done.returncode == 2, done.stderr
        assert emu.posted() == [] and done.stdout == "", done.stderr
    return done.stderr


def test_specs_the_provider_refuses_are_named_by_line_and_nothing_is_posted(
    tmp_path: Path,
) -> None:
    """A Serpstat ``location`` outside 1..247 was found spec by spec while posting: exit 4,
    no file line named, the other specs posted (a second run to post the fixed one)."""
    lines = [
        {"keyword": "pizza", "location": 23},
        {"keyword": "pasta", "location": 2840},
        {"keyword": "tea", "location": 23, "engine": "bing"},
    ]
    specs = tmp_path / "specs.jsonl"
    specs.write_text("".join(json.dumps(line) + "\n" for line in lines))
    said = _refused_by_serpstat(tmp_path, specs)
    assert f"{specs}:2: serpstat: countryId 2840 is outside 1..247" in said
    assert f"{specs}:3: serpstat: crawling supports google only" in said
    assert f"{specs}:1" not in said


def test_a_dataforseo_serp_type_it_has_no_endpoint_for_is_named_by_line(tmp_path: Path) -> None:
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    specs = tmp_path / "specs.jsonl"
    line = {"keyword": "bad", "location": 2840, "language": "en", "serp_type": "shopping"}
    specs.write_text(json.dumps({**line, "keyword": "ok", "serp_type": "news"}) + "\n\n")
    with specs.open("a") as more:
        more.write(json.dumps(line) + "\n")
    with DataForSEOEmulator(size=0) as emu:
        done = run_here(
            ["submit", "-p", "dataforseo", str(specs)],
            cli_env(tmp_path, {"dataforseo": emu.settings}),
        )
        assert done.returncode == 2, done.stderr
        assert f"{specs}:3: dataforseo: no SERP type 'shopping' for engine 'google'" in done.stderr
        assert emu.posted() == []


def test_a_journal_of_another_account_is_refused_before_anything_is_posted(
    tmp_path: Path,
) -> None:
    """A ``--resume`` journal written on account A, run again on account B (another
    exported token, another --profile): its specs were reported as accepted "by earlier
    runs", B's tasks never posted, exit 0."""
    specs = tmp_path / "specs.jsonl"
    specs.write_text(json.dumps({"keyword": "gamma", "location": 23}) + "\n")
    journal = tmp_path / "run.journal"
    command = ["submit", "-p", "serpstat", str(specs), "--resume", str(journal)]
    with (
        SerpstatEmulator(seed=1, size=0, rps=None) as first,
        SerpstatEmulator(seed=2, size=0, rps=None) as second,
    ):
        env = cli_env(tmp_path, {"serpstat": {**first.settings, "rps": "100"}})
        assert run_here(command, env).returncode == 0
        assert len(first.posted()) == 1
        other = cli_env(tmp_path, {"serpstat": {**second.settings, "rps": "100"}})
        done = run_here(command, other)
        assert done.returncode == 2, done.stderr
        assert "records a submission on another serpstat account" in done.stderr
        assert second.posted() == [] and done.stdout == ""
        again = run_here(command, env)  # the journal's own account resumes it
        assert again.returncode == 0 and "1 by earlier runs" in again.stderr
        assert len(first.posted()) == 1


def test_every_refused_line_is_named_in_one_run_whatever_refused_it(tmp_path: Path) -> None:
    """A line that was no JSON was named alone: the provider's refusals of other lines
    came only on the next run, once it was mended."""
    specs = tmp_path / "specs.jsonl"
    specs.write_text(
        '{"keyword": "pizza", "location": 23\n'  # no JSON: the brace is missing
        + json.dumps({"keyword": "pasta", "location": 23, "colour": "red"})
        + "\n"
        + json.dumps({"keyword": "tea", "location": 2840})
        + "\n"
        + json.dumps({"keyword": "ok", "location": 23})
        + "\n"
        + "".join(json.dumps({"keyword": f"k{i}", "location": 9999}) + "\n" for i in range(9))
    )
    said = _refused_by_serpstat(tmp_path, specs)
    assert f"{specs}:1: not JSON" in said
    assert f"{specs}:2: unknown task spec field(s): colour" in said
    assert f"{specs}:3: serpstat: countryId 2840 is outside 1..247" in said
    assert f"{specs}:4" not in said
    assert f"{specs}:11: serpstat: countryId 9999" in said  # the tenth refused line
    assert f"{specs}:12" not in said and "and 2 more refused lines" in said


def test_a_file_whose_first_lines_are_no_specs_is_read_no_further(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("".join(f"2026-12-06 10:00:{i:02} GET /\n" for i in range(50)))
    said = _refused_by_serpstat(tmp_path, log)
    assert f"{log}:10: not JSON" in said and f"{log}:11" not in said
    assert "no line up to 10 is a task spec: read no further" in said


def test_specs_the_provider_refuses_do_not_stop_the_reading(tmp_path: Path) -> None:
    """Only lines that are no specs at all stop it early (a log): twelve specs the
    provider refuses are each counted, and the file read to its end."""
    specs = tmp_path / "specs.jsonl"
    lines = [{"keyword": f"k{i}", "location": 9999} for i in range(12)]
    specs.write_text("".join(json.dumps(line) + "\n" for line in lines))
    said = _refused_by_serpstat(tmp_path, specs)
    assert "and 2 more refused lines" in said and "read no further" not in said
