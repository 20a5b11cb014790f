"""The kind of each submitted task: `SubmitResult.kind` and the ``"kind"`` of each
``seotasks submit`` line are what the task's listing will say (`Task.kind`), so a task
is collected by id with ``collect --id ID --kind KIND`` straight from the submit output,
for both vendors, against their emulators on loopback, ``--resume`` re-runs included."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from clihere import run_here
from clirun import cli_env

import seotasks
from seotasks import SerpTaskSpec
from seotasks.model import Task, TaskStatus


class _Clock:
    """The emulators' clock, moved on by hand: a posted task is done minutes later."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.at

    def skip(self) -> None:
        self.at += timedelta(minutes=10)


def _specs_file(tmp_path: Path, specs: list[dict[str, Any]]) -> Path:
    path = tmp_path / "specs.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in specs), encoding="utf-8")
    return path


def _lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def _listed_kinds(env: dict[str, str], *args: str) -> dict[str, str | None]:
    """``seotasks tasks ... --format jsonl``: each listed task's kind, by id."""
    done = run_here(["tasks", *args, "--format", "jsonl"], env)
    assert done.returncode == 0, done.stderr
    return {t["id"]: t["kind"] for t in _lines(done.stdout)}


def _collect_by_id(env: dict[str, str], provider: str, line: dict[str, Any]) -> dict[str, Any]:
    """The documented one-liner: ``collect --id`` with the id and kind of a submit line."""
    args = ["collect", "-p", provider, "--id", line["task_id"], "--kind", line["kind"]]
    done = run_here(args, env)
    assert done.returncode == 0, done.stderr
    [record] = _lines(done.stdout)
    assert record["task"]["id"] == line["task_id"] and record["task"]["kind"] == line["kind"]
    result: dict[str, Any] = record["result"]
    return result


def test_dataforseo_submit_prints_each_tasks_listed_kind(tmp_path: Path) -> None:
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    clock = _Clock()
    with DataForSEOEmulator(size=0, now=clock) as emu:
        env = cli_env(tmp_path, {"dataforseo": emu.settings})
        specs = [
            {"keyword": "pizza", "location": 2840, "language": "en", "serp_type": "maps"},
            {"keyword": "shoes", "location": 2840, "language": "en"},
            {"keyword": "kw news", "location": 2840, "language": "en", "serp_type": "news"},
        ]
        done = run_here(["submit", "-p", "dataforseo", str(_specs_file(tmp_path, specs))], env)
        assert done.returncode == 0, done.stderr
        accepted = _lines(done.stdout)
        assert [line["kind"] for line in accepted] == [
            "serp/google/maps",
            "serp/google/organic",
            "serp/google/news",
        ]

        history = _listed_kinds(
            env,
            "-p",
            "dataforseo",
            "-o",
            "source=history",
            "-o",
            "families=serp",
            "--status",
            "any",
        )
        assert {line["task_id"]: history[line["task_id"]] for line in accepted} == {
            line["task_id"]: line["kind"] for line in accepted
        }
        clock.skip()  # the tasks are done
        ready = _listed_kinds(env, "-p", "dataforseo", "-o", "families=serp")
        assert ready == {line["task_id"]: line["kind"] for line in accepted}

        for line, spec in zip(accepted, specs, strict=False):
            result = _collect_by_id(env, "dataforseo", line)
            assert result["tasks"][0]["result"][0]["keyword"] == spec["keyword"]
        assert emu.collected_ids() == {line["task_id"] for line in accepted}


def test_serpstat_submit_prints_each_tasks_listed_kind(tmp_path: Path) -> None:
    from seotasks_serpstat.emulator import SerpstatEmulator

    clock = _Clock()
    with SerpstatEmulator(size=0, rps=None, now=clock) as emu:
        env = cli_env(tmp_path, {"serpstat": {**emu.settings, "rps": "100"}})
        specs = [
            {"keyword": "k1", "location": 23},
            {"keyword": "k2", "location": 23, "serp_type": "local_finder"},
        ]
        done = run_here(["submit", "-p", "serpstat", str(_specs_file(tmp_path, specs))], env)
        assert done.returncode == 0, done.stderr
        accepted = _lines(done.stdout)
        assert len(accepted) == 2
        listed = _listed_kinds(env, "-p", "serpstat", "--status", "any")
        assert {line["task_id"]: line["kind"] for line in accepted} == {
            line["task_id"]: listed[line["task_id"]] for line in accepted
        }
        assert all(line["kind"] == "serp/google" for line in accepted)

        clock.skip()  # the tasks are done
        for line, spec in zip(accepted, specs, strict=False):
            result = _collect_by_id(env, "serpstat", line)
            assert [t["keyword"] for t in result["tops"]] == [spec["keyword"]]


@pytest.mark.parametrize(
    ("provider", "spec", "kind"),
    [
        (
            "dataforseo",
            {"location": 2840, "language": "en", "serp_type": "maps"},
            "serp/google/maps",
        ),
        ("serpstat", {"location": 23, "serp_type": "local_finder"}, "serp/google"),
    ],
)
def test_a_resumed_run_prints_the_same_kind(
    tmp_path: Path, provider: str, spec: dict[str, Any], kind: str
) -> None:
    """A re-run with ``--resume`` prints the accepted specs' lines again from the journal,
    kind included; a journal written before kinds were kept gives ``null``, not an error."""
    emulator = _emulator(provider)
    with emulator as emu:
        settings = emu.settings if provider == "dataforseo" else {**emu.settings, "rps": "100"}
        env = cli_env(tmp_path, {provider: settings})
        specs = _specs_file(tmp_path, [{"keyword": f"kw {i}", **spec} for i in range(2)])
        journal = tmp_path / "specs.journal"
        command = ["submit", "-p", provider, str(specs), "--resume", str(journal)]
        first = run_here(command, env)
        assert first.returncode == 0, first.stderr
        assert [line["kind"] for line in _lines(first.stdout)] == [kind, kind]

        again = run_here(command, env)
        assert again.returncode == 0, again.stderr
        lines = _lines(again.stdout)
        assert all(line["resumed"] for line in lines)
        assert [(line["task_id"], line["kind"]) for line in lines] == [
            (line["task_id"], line["kind"]) for line in _lines(first.stdout)
        ]

        older = [json.loads(line) for line in journal.read_text().splitlines()]
        journal.write_text("".join(json.dumps(_without_kind(e)) + "\n" for e in older))
        old = run_here(command, env)
        assert old.returncode == 0, old.stderr
        assert [line["kind"] for line in _lines(old.stdout)] == [None, None]
        assert [line["task_id"] for line in _lines(old.stdout)] == [
            line["task_id"] for line in lines
        ]


def _without_kind(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != "kind"}


def _emulator(provider: str) -> Any:
    if provider == "dataforseo":
        from seotasks_dataforseo.emulator import DataForSEOEmulator

        return DataForSEOEmulator(size=0)
    from seotasks_serpstat.emulator import SerpstatEmulator

    return SerpstatEmulator(size=0, rps=None)


def test_client_submit_result_kind_collects_the_task() -> None:
    """The library's way: `SubmitResult.kind` into the `Task` that `Client.collect` takes."""
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    clock = _Clock()
    with DataForSEOEmulator(size=0, now=clock) as emu:
        client = seotasks.connect("dataforseo", env={}, **emu.settings)
        with client:
            spec = SerpTaskSpec(keyword="pizza", location=2840, language="en", serp_type="maps")
            [result] = client.submit([spec])
            assert result.ok and result.kind == "serp/google/maps"
            clock.skip()  # the tasks are done
            task = Task(
                provider="dataforseo",
                id=result.task_id,
                kind=result.kind,
                status=TaskStatus.COMPLETED,
            )
            answer = client.collect(task)
        assert answer["tasks"][0]["result"][0]["keyword"] == "pizza"


def test_a_kind_goes_with_a_task_id() -> None:
    spec = SerpTaskSpec(keyword="k", location=2840, language="en")
    assert seotasks.SubmitResult(spec=spec, task_id="1").kind is None  # unknown
    with pytest.raises(ValueError, match="kind"):
        seotasks.SubmitResult(spec=spec, error=seotasks.UnsupportedQuery("no"), kind="serp/x")
