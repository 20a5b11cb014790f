"""``seotasks collect`` keeps memory flat whatever a result's size: the answer streams from
the network into its file and is validated there. Peak RSS is the child process's own
(its ``VmHWM``, `peak_rss`), measured on the real command against the emulator."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clihere import run_here
from clirun import CLI, cli_env, ready_dataforseo
from seotasks_dataforseo.emulator import DataForSEOEmulator

from seotasks.emulation import EmulatorServer, Fault, HttpRequest, HttpResponse
from seotasks.testing.memory import peak_rss

MB = 1024 * 1024


@pytest.fixture
def emu() -> Iterator[DataForSEOEmulator]:
    with ready_dataforseo(4, seed=11) as emulator:
        yield emulator


def _run(args: list[str], env: dict[str, str], stdout: Any) -> tuple[int, int]:
    """Exit code and peak RSS in bytes of ``seotasks *args`` (`peak_rss`)."""
    proc = subprocess.Popen([*CLI, *args], env=env, stdout=stdout, stderr=subprocess.DEVNULL)
    peak = peak_rss(proc)
    return proc.returncode, peak


def test_a_100_mb_result_costs_at_most_one_and_a_half_times_its_size(
    emu: DataForSEOEmulator, tmp_path: Path
) -> None:
    emu.app.result_padding = 100 * MB
    truth = emu.ready_ids()
    out = tmp_path / "o"
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    args = ["collect", "-p", "dataforseo", "--to", str(out), "--workers", "1", "-L", "1"]
    code, peak = _run(args, env, subprocess.DEVNULL)
    assert code == 0
    files = list((out / "dataforseo").glob("*.json"))
    assert len(files) == 1 and files[0].name.removesuffix(".json") in truth
    size = files[0].stat().st_size
    assert size > 95 * MB
    assert peak <= 1.5 * size + 60 * MB, f"peak {peak / MB:.0f} MB for {size / MB:.0f} MB"
    with files[0].open("rb") as stream:  # the vendor's bytes, as the emulator sent them
        assert stream.read(13) == b'{"version":"0'


def test_a_large_result_on_stdout_is_one_valid_line_in_bounded_memory(
    emu: DataForSEOEmulator, tmp_path: Path
) -> None:
    emu.app.result_padding = 40 * MB
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    target = tmp_path / "lines.jsonl"
    with target.open("wb") as sink:
        code, peak = _run(["collect", "-p", "dataforseo", "-L", "1"], env, sink)
    assert code == 0
    lines = target.read_bytes().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["task"]["id"] == record["result"]["tasks"][0]["id"]
    items = record["result"]["tasks"][0]["result"][0]["items"]
    assert len(items) > 100_000
    assert peak <= 1.5 * len(lines[0]) + 60 * MB, f"peak {peak / MB:.0f} MB"


def test_an_answer_over_the_cap_is_that_tasks_error_and_stays_journalled(
    emu: DataForSEOEmulator, tmp_path: Path
) -> None:
    emu.app.result_padding = 3 * MB
    out = tmp_path / "o"
    env = cli_env(tmp_path, {"dataforseo": emu.settings})
    args = ["collect", "-p", "dataforseo", "--to", str(out), "-L", "1", "--max-result-mb", "1"]
    # Not about memory: the command in this process (`clihere`).
    done = run_here(args, env)
    assert done.returncode == 4, done.stderr
    line = json.loads(done.stdout)
    assert "ResponseFormatError" in line["error"] and "cap" in line["error"]
    assert line["path"] is None and not list((out / "dataforseo").glob("*.json"))
    journal = out / ".seotasks" / "journal" / "dataforseo"
    assert len(list(journal.rglob("*.intent.json"))) == 1
    again = run_here(["collect", "-p", "dataforseo", "--to", str(out), "-L", "1"], env)
    assert again.returncode == 0, again.stderr
    assert (out / "dataforseo" / f"{line['id']}.json").exists()
    assert not list(journal.rglob("*.intent.json"))


class _NestedResults:
    """The emulator, its ``task_get`` answers holding ``depth`` nested arrays inside the
    envelope's task (3 levels deep already, so the answer is ``depth + 3`` deep): a hostile or
    broken vendor. Strict JSON all the same; a streaming parser that tracks each level's
    path holds memory quadratic in the depth (100 000 levels, a 200 KB answer, took
    23 GB), so the depth is bounded as the decoder of every other answer bounds it."""

    def __init__(self, emu: DataForSEOEmulator, depth: int) -> None:
        self.emu = emu
        self.depth = depth

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        answer = self.emu.app.handle(request, fault)
        if "/task_get/" not in request.path or not self.depth:
            return answer
        nested = b"[" * self.depth + b"]" * self.depth
        body = answer.body.replace(b'"result":', b'"deep":' + nested + b',"result":', 1)
        return HttpResponse(status=answer.status, body=body, headers=answer.headers)


@pytest.mark.parametrize("depth", [1022, 5000])
def test_a_result_nested_too_deep_is_that_tasks_error_and_stays_journalled(
    emu: DataForSEOEmulator, tmp_path: Path, depth: int
) -> None:
    nested = _NestedResults(emu, depth)
    out = tmp_path / "o"
    with EmulatorServer(nested) as server:
        env = cli_env(tmp_path, {"dataforseo": {**emu.settings, "base_url": server.url}})
        args = ["collect", "-p", "dataforseo", "--to", str(out), "-L", "1"]
        done = run_here(args, env)
        assert done.returncode == 4, done.stderr
        line = json.loads(done.stdout)
        assert "ResponseFormatError" in line["error"] and "1024" in line["error"], line
        assert line["path"] is None and not list((out / "dataforseo").glob("*.json"))
        asked = [r for r in server.requests if "/task_get/" in r.path]
        assert len(asked) == 1  # the same answer again would not help: not retried
        journal = out / ".seotasks" / "journal" / "dataforseo"
        assert len(list(journal.rglob("*.intent.json"))) == 1
        nested.depth = 1021  # 1024 levels in all: as deep as orjson decodes other answers
        again = run_here(args, env)
    assert again.returncode == 0, again.stderr
    assert (out / "dataforseo" / f"{line['id']}.json").exists()
    assert not list(journal.rglob("*.intent.json"))
